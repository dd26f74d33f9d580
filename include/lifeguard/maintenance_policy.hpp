// MaintenancePolicy: the work a pool does between requests (refill, idle timeout,
// keepalive, replacement before expiry, connects for waiters, connect retry with a circuit
// breaker). Requirements: docs/custom-policies.md; the shipped policies: docs/policies.md.
#ifndef LIFEGUARD_MAINTENANCE_POLICY_HPP
#define LIFEGUARD_MAINTENANCE_POLICY_HPP

#include <lifeguard/policy.hpp>

#include <concepts>

namespace lifeguard {

struct MaintenanceSettings;

/// `runs_in_background` switches the pool's maintenance machinery on at compile time; a
/// policy that sets it provides its settings(). With it false the pool has no maintenance
/// state, no thread and no extra instruction.
template <class P>
concept MaintenancePolicy = PolicyOfKind<P, maintenance_tag> &&
    requires(const P& p) {
        { P::runs_in_background } -> std::convertible_to<bool>;
        requires !P::runs_in_background || requires { { p.settings() } -> std::convertible_to<const MaintenanceSettings&>; };
    };

} // namespace lifeguard

#endif
