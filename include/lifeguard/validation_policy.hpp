// ValidationPolicy: decides when an idle connection is pinged before it is handed out.
// Requirements and an example: docs/custom-policies.md.
#ifndef LIFEGUARD_VALIDATION_POLICY_HPP
#define LIFEGUARD_VALIDATION_POLICY_HPP

#include <lifeguard/detail/connection_state.hpp>
#include <lifeguard/policy.hpp>

#include <concepts>
#include <utility>

namespace lifeguard {

/// needs_ping() is asked only for reused connections: one opened for this very
/// checkout is known to be alive and is never pinged.
template <class P, class TimePoint>
concept ValidationPolicy = PolicyOfKind<P, validation_tag> &&
    requires(const P& p, detail::connection_state_t<P, TimePoint>& s, TimePoint now) {
        { P::uses_clock } -> std::convertible_to<bool>;
        { p.on_connect(s, now) } noexcept;
        { p.needs_ping(std::as_const(s), now) } noexcept -> std::same_as<bool>;
        { p.on_release(s, now) } noexcept;
    };

} // namespace lifeguard

#endif
