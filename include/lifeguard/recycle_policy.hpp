// RecyclePolicy: decides when a connection is too old to hand out again.
// Requirements and an example: docs/custom-policies.md.
#ifndef LIFEGUARD_RECYCLE_POLICY_HPP
#define LIFEGUARD_RECYCLE_POLICY_HPP

#include <lifeguard/detail/connection_state.hpp>
#include <lifeguard/policy.hpp>

#include <concepts>
#include <utility>

namespace lifeguard {

/// `TimePoint` is the pool clock's time_point. The pool reads the clock only if some
/// policy sets `uses_clock`; otherwise hooks receive a default-constructed TimePoint.
/// When the pool calls each hook, on the thread that acquires or releases:
///   on_connect(s, now)   once, when the connection is opened;
///   on_checkout(s, now)  optional (CheckoutHook): once per lease, as the connection is
///                        handed out, whether new or reused;
///   expired(s, now)      before a reused connection is handed out, and when a lease gives
///                        it back (true: close it instead).
template <class P, class TimePoint>
concept RecyclePolicy = PolicyOfKind<P, recycle_tag> &&
    requires(const P& p, detail::connection_state_t<P, TimePoint>& s, TimePoint now) {
        { P::uses_clock } -> std::convertible_to<bool>;
        { p.on_connect(s, now) } noexcept;
        { p.expired(std::as_const(s), now) } noexcept -> std::same_as<bool>;
    };

/// A recycle policy with the optional per-lease hook (e.g. MaxUses counts leases).
template <class P, class TimePoint>
concept CheckoutHook = requires(const P& p, detail::connection_state_t<P, TimePoint>& s, TimePoint now) {
    { p.on_checkout(s, now) } noexcept;
};

} // namespace lifeguard

#endif
