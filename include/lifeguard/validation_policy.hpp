// ValidationPolicy: decides when an idle connection is pinged before it is handed out.
// Requirements and an example: docs/custom-policies.md.
#ifndef LIFEGUARD_VALIDATION_POLICY_HPP
#define LIFEGUARD_VALIDATION_POLICY_HPP

#include <lifeguard/detail/connection_state.hpp>
#include <lifeguard/policy.hpp>

#include <chrono>
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

/// What a tiered validation policy wants done before a reused connection is handed out.
enum class ValidationStep {
    none,     ///< hand it out
    socket,   ///< look at its socket (SocketCheckDriver; without it: ping)
    ping,     ///< a round trip
    discard,  ///< close it without asking: idle past the server's idle limit, it is dead or about to be
};

/// Optional, richer than needs_ping(): `p.decide(state, now)` picks a ValidationStep, and
/// `p.on_idle_limit(state, limit)` receives the server's idle limit when the driver reports
/// one (IdleLimitDriver; called once, right after connect).
template <class P, class TimePoint>
concept TieredValidationPolicy = ValidationPolicy<P, TimePoint> &&
    requires(const P& p, detail::connection_state_t<P, TimePoint>& s, TimePoint now, std::chrono::milliseconds limit) {
        { p.decide(std::as_const(s), now) } noexcept -> std::same_as<ValidationStep>;
        { p.on_idle_limit(s, limit) } noexcept;
    };

} // namespace lifeguard

#endif
