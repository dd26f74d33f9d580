// Policy: what every compile-time policy of a ConnectionPool is. A policy names its role
// with a nominal tag (`using policy_kind = recycle_tag;`), so the pool can tell a
// broken custom policy ("tagged recycle_tag but missing a hook") from a type that is
// not a policy at all, and say which of the two the user got wrong.
#ifndef LIFEGUARD_POLICY_HPP
#define LIFEGUARD_POLICY_HPP

#include <concepts>

namespace lifeguard {

/// Kind tags. Each policy family has one; a pool takes at most one policy per kind.
struct recycle_tag {};     ///< RecyclePolicy: when a connection is too old to reuse
struct validation_tag {};  ///< ValidationPolicy: when to ping before handing out
struct fork_tag {};        ///< ForkPolicy: what happens to connections inherited by fork()
struct reset_tag {};       ///< ResetPolicy: how session state is cleared on return
struct clock_tag {};       ///< ClockPolicy: which clock time-based policies read
struct maintenance_tag {}; ///< MaintenancePolicy: what happens between requests (background work)
struct observer_tag {};    ///< ObserverPolicy: who hears of the pool's events (metrics, leak detection)
struct setup_tag {};       ///< SetupPolicy: what runs on every new (and every reset) session
struct host_tag {};        ///< HostPolicy: which of several servers a new connection goes to

/// A type that declares a policy kind.
template <class P>
concept Policy = requires { typename P::policy_kind; };

/// A policy of kind `Kind`.
template <class P, class Kind>
concept PolicyOfKind = Policy<P> && std::same_as<typename P::policy_kind, Kind>;

} // namespace lifeguard

#endif
