// The recommended policy set for long-running servers: replace connections before the
// server's idle timeout, ping connections that sat idle, and survive pre-fork workers.
#ifndef LIFEGUARD_RECOMMENDED_HPP
#define LIFEGUARD_RECOMMENDED_HPP

#include <lifeguard/connection_pool.hpp>
#include <lifeguard/policies/fork.hpp>
#include <lifeguard/policies/recycle.hpp>
#include <lifeguard/policies/validation.hpp>

namespace lifeguard {

/// RecycleAfter + PingIfIdle + DisposeAfterFork. Pass RecycleAfter{...} below the
/// server's wait_timeout (e.g. 280 s for 300 s).
template <class Driver, class... Extra>
using RecommendedPool = ConnectionPool<Driver, RecycleAfter, PingIfIdle, DisposeAfterFork, Extra...>;

} // namespace lifeguard

#endif
