// ResetPolicy: how session state left by one lease is cleared before the next.
// Requirements and an example: docs/custom-policies.md.
#ifndef LIFEGUARD_RESET_POLICY_HPP
#define LIFEGUARD_RESET_POLICY_HPP

#include <lifeguard/detail/connection_state.hpp>
#include <lifeguard/policy.hpp>

#include <concepts>
#include <utility>

namespace lifeguard {

/// on_return() runs on the releasing thread, outside the pool's lock; false means the
/// connection cannot be reused and is closed. on_use() runs when the lease hands out
/// the native handle (Lease::get), so a policy can skip work for untouched leases.
template <class P, class D, class TimePoint>
concept ResetPolicy = PolicyOfKind<P, reset_tag> &&
    requires(const P& p, D& d, typename D::connection_type& c,
             detail::connection_state_t<P, TimePoint>& s) {
        { p.on_use(s) } noexcept;
        { p.on_return(d, c, s) } -> std::same_as<bool>;
    };

/// Optional: `p.on_checkout(d, c, s)` finishes, before the connection is handed out again,
/// what on_return() started (a pipelined reset); false: close it instead. `p.pending(s)`
/// says whether there is anything to finish.
template <class P, class D, class TimePoint>
concept PipelinedResetPolicy = ResetPolicy<P, D, TimePoint> &&
    requires(const P& p, D& d, typename D::connection_type& c, detail::connection_state_t<P, TimePoint>& s) {
        { p.pending(std::as_const(s)) } noexcept -> std::same_as<bool>;
        { p.on_checkout(d, c, s) } -> std::same_as<bool>;
    };

namespace detail {
/// Whether a reset policy clears the whole session (so a SetupPolicy runs again after it).
template <class P>
inline constexpr bool resets_session = requires { requires P::clears_session; };
} // namespace detail

} // namespace lifeguard

#endif
