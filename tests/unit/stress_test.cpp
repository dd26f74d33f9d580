// Many threads, many cycles: no connection is ever held by two leases, none is lost.
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include <lifeguard/metrics.hpp>

using namespace lifeguard_test;
using namespace lifeguard;

BOOST_FIXTURE_TEST_SUITE(stress, server_fixture)

template <class Pool>
void hammer(Pool& pool, FakeServer& server, unsigned threads, int cycles) {
    std::atomic<int> doubly_held{0};
    std::atomic<int> failures{0};
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (int i = 0; i < cycles; ++i) {
                try {
                    auto lease = (i + t) % 3 == 0 ? pool.try_acquire() : std::optional(pool.acquire());
                    if (!lease) continue;
                    if ((*lease)->holders.fetch_add(1) != 0) ++doubly_held;
                    if (!server.query(lease->get())) ++failures;
                    (*lease)->holders.fetch_sub(1);
                    if (i % 1000 == 999) lease->discard();  // exercise the close path too
                } catch (const AcquireTimeout&) {
                    ++failures;
                }
            }
        });
    }
    for (auto& w : workers) w.join();
    BOOST_TEST(doubly_held.load() == 0);
    BOOST_TEST(failures.load() == 0);
    const auto stats = pool.stats();
    BOOST_TEST(stats.in_use == 0u);
    BOOST_TEST(stats.waiters == 0u);
    BOOST_TEST(stats.open <= pool.options().max_size);
    // Every connection opened is either idle in the pool or was closed: none lost.
    BOOST_TEST(server.connects.load() - server.closes.load() == stats.idle);
    BOOST_TEST(server.io_after_dispose == 0u);
}

BOOST_AUTO_TEST_CASE(contended_pool_smaller_than_thread_count) {
    auto o = sized(2);
    o.acquire_timeout = 60s;
    ConnectionPool<FakeDriver> pool(driver(), o);
    hammer(pool, server, 4, 100000);
}

BOOST_AUTO_TEST_CASE(every_policy_on_pool_larger_than_thread_count) {
    auto o = sized(4);
    o.acquire_timeout = 60s;
    ConnectionPool<FakeDriver, RecycleAfter, PingIfIdle, DisposeAfterFork, ResetOnReturn> pool(driver(), o,
                                                                                             RecycleAfter(1h));
    hammer(pool, server, 2, 100000);
}

BOOST_AUTO_TEST_CASE(metrics_stay_consistent_under_load) {
    // Four threads on two connections with discards, a thread reading snapshots meanwhile:
    // every snapshot is sane (no derived count negative: released <= acquired, closed <=
    // opened, as documented), and once the pool is quiet the counts add up exactly. (Under
    // load a snapshot is not atomic: opened - closed may briefly exceed max_size.)
    Metrics metrics;
    auto o = sized(2);
    o.acquire_timeout = 60s;
    ConnectionPool<FakeDriver, Metrics> pool(driver(), o, metrics);
    std::atomic<bool> stop{false};
    std::atomic<int> insane{0};
    std::thread reader([&] {
        while (!stop) {
            const MetricsSnapshot s = metrics.snapshot();
            if (s.released > s.acquired || s.closed > s.opened) ++insane;
        }
    });
    std::vector<std::thread> workers;
    for (int t = 0; t < 4; ++t)
        workers.emplace_back([&, t] {
            for (int i = 0; i < 20000; ++i) {
                auto lease = pool.acquire();
                if (i % 1000 == t) lease.discard();
            }
        });
    for (auto& w : workers) w.join();
    stop = true;
    reader.join();
    BOOST_TEST(insane.load() == 0);
    const MetricsSnapshot s = metrics.snapshot(pool);
    const auto stats = pool.stats();
    BOOST_TEST(s.opened - s.closed == stats.open);          // opened - closed = open
    BOOST_TEST(s.acquired == s.released + stats.in_use);    // acquired = released + in use
    BOOST_TEST(s.acquired == 80000u);
    BOOST_TEST(s.opened == server.connects.load());
    BOOST_TEST(s.closed == server.closes.load());
    BOOST_TEST(s.use_time.count == s.released);
}

BOOST_AUTO_TEST_CASE(maintenance_at_work_under_load) {
    // Every duty fires constantly (ticks of 1 ms, connections idle-timed-out, kept alive and
    // replaced within milliseconds) while 4 threads share 3 connections, some pings fail, and
    // another thread invalidates the pool now and then. Under TSan in tools/test.
    auto o = sized(3, 2);
    o.acquire_timeout = 60s;
    MaintenanceSettings m;
    m.tick = 1ms;
    m.idle_timeout = 3ms;
    m.keepalive = 2ms;
    m.keepalive_jitter = 1ms;
    m.replace_before = 5ms;
    m.retry_initial = 1ms;
    m.retry_max = 2ms;
    ConnectionPool<FakeDriver, BackgroundMaintenance, RecycleAfter, PingIfIdle> pool(
        driver(), o, BackgroundMaintenance(m), RecycleAfter(8ms), PingIfIdle(1ms));
    std::atomic<bool> stop{false};
    std::thread chaos([&] {
        for (int i = 0; !stop; ++i) {
            if (i % 3 == 0) pool.invalidate();
            server.fail_pings(i % 5 == 0);
            std::this_thread::sleep_for(2ms);
        }
        server.fail_pings(false);
    });
    std::atomic<int> doubly_held{0}, failures{0};
    std::vector<std::thread> workers;
    const auto until = std::chrono::steady_clock::now() + 500ms;
    for (int t = 0; t < 4; ++t)
        workers.emplace_back([&, t] {
            for (int i = 0; std::chrono::steady_clock::now() < until; ++i) {
                auto lease = pool.acquire();
                if (lease->holders.fetch_add(1) != 0) ++doubly_held;
                if (!server.query(lease.get())) ++failures;
                lease->holders.fetch_sub(1);
                lease.release();
                if (i % 500 == t) std::this_thread::sleep_for(3ms);  // let connections idle
            }
        });
    for (auto& w : workers) w.join();
    stop = true;
    chaos.join();
    BOOST_TEST(doubly_held.load() == 0);
    BOOST_TEST(failures.load() == 0);
    BOOST_TEST(server.pings > 0u);       // keepalive and PingIfIdle ran
    BOOST_TEST(server.closes > 10u);     // connections were retired, replaced, invalidated
    BOOST_TEST_MESSAGE("connects " << server.connects << ", closes " << server.closes << ", pings " << server.pings);
    BOOST_TEST(pool.close());  // stops the workers, closes everything
    BOOST_TEST(server.open_connections() == 0u);
    BOOST_TEST(server.io_after_dispose == 0u);
    BOOST_TEST(server.connects.load() == server.closes.load());
}

BOOST_AUTO_TEST_SUITE_END()
