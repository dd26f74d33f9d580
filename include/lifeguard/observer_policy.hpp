// ObserverPolicy: who hears of the pool's events. Requirements: docs/custom-policies.md;
// the events: lifeguard/events.hpp; the shipped observers: docs/observability.md.
#ifndef LIFEGUARD_OBSERVER_POLICY_HPP
#define LIFEGUARD_OBSERVER_POLICY_HPP

#include <lifeguard/policy.hpp>

#include <concepts>

namespace lifeguard {

/// An observer handles the events it declares `on(const events::E&)` overloads for (const,
/// possibly throwing: the pool catches and ignores what an observer throws); the pool builds
/// no other event. `tracks_leases` makes the pool stamp every lease with its start time (two
/// steady-clock reads per cycle), so Released carries the time held, and lets the observer
/// keep per-connection state with `lease_started(state&)`, `lease_ended(state&, held)` and,
/// with maintenance, `lease_check(state&, held)` on every sweep for leases still out.
template <class P>
concept ObserverPolicy = PolicyOfKind<P, observer_tag> &&
    requires {
        { P::tracks_leases } -> std::convertible_to<bool>;
    };

} // namespace lifeguard

#endif
