// The recommended policy set for long-running servers: replace connections before the
// server's idle timeout, validate without round trips, survive pre-fork workers, and do the
// lifecycle work in the background.
#ifndef LIFEGUARD_RECOMMENDED_HPP
#define LIFEGUARD_RECOMMENDED_HPP

#include <lifeguard/connection_pool.hpp>
#include <lifeguard/policies/fork.hpp>
#include <lifeguard/policies/maintenance.hpp>
#include <lifeguard/policies/recycle.hpp>
#include <lifeguard/policies/validation.hpp>

namespace lifeguard {

/// RecycleAfter (30 min unless given) + TieredValidation (socket check after 500 ms idle, a
/// ping after 30 s, and no connection handed out past the server's own idle limit, which a
/// driver such as MariaDB's reports) + DisposeAfterFork + BackgroundMaintenance (refill,
/// keepalive, replacement before expiry, connects off the request path, circuit breaker).
template <class Driver, class... Extra>
using RecommendedPool =
    ConnectionPool<Driver, RecycleAfter, TieredValidation, DisposeAfterFork, BackgroundMaintenance, Extra...>;

} // namespace lifeguard

#endif
