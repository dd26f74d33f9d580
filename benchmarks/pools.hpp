// The pools the benchmarks compare, all over the fake driver.
#ifndef LIFEGUARD_BENCHMARKS_POOLS_HPP
#define LIFEGUARD_BENCHMARKS_POOLS_HPP

#include <baseline_pool.hpp>

#include <lifeguard/lifeguard.hpp>
#include <lifeguard/metrics.hpp>
#include <lifeguard/testing/fake_driver.hpp>

namespace bench {

using lifeguard::testing::FakeDriver;
using lifeguard::testing::FakeServer;

using baseline_pool = baseline::Pool<FakeDriver>;
using none_pool = lifeguard::ConnectionPool<FakeDriver>;
using all_pool = lifeguard::ConnectionPool<FakeDriver, lifeguard::RecycleAfter, lifeguard::PingIfIdle,
                                           lifeguard::DisposeAfterFork, lifeguard::ResetOnReturn>;
// Background maintenance and no other policy: the fast lane must stay as it is.
using maintained_pool = lifeguard::ConnectionPool<FakeDriver, lifeguard::BackgroundMaintenance>;
// The Metrics observer: counters, and two steady_clock reads per cycle for the hold time.
using metrics_pool = lifeguard::ConnectionPool<FakeDriver, lifeguard::Metrics>;

inline lifeguard::PoolOptions options(std::size_t size) {
    lifeguard::PoolOptions o;
    o.max_size = size;
    o.min_idle = size;
    o.acquire_timeout = std::chrono::seconds(60);
    return o;
}

// Maintenance whose timed duties do not fire during a benchmark (a tick of an hour): what
// is measured is its cost on the request path.
inline lifeguard::BackgroundMaintenance quiet_maintenance() {
    lifeguard::MaintenanceSettings s;
    s.tick = std::chrono::hours(1);
    return lifeguard::BackgroundMaintenance(s);
}

template <class Pool>
Pool make(FakeServer& server, std::size_t size) {
    if constexpr (std::is_same_v<Pool, all_pool>)
        return Pool(FakeDriver(server), options(size), lifeguard::RecycleAfter(std::chrono::hours(1)));
    else if constexpr (std::is_same_v<Pool, maintained_pool>)
        return Pool(FakeDriver(server), options(size), quiet_maintenance());
    else
        return Pool(FakeDriver(server), options(size));
}

} // namespace bench

#endif
