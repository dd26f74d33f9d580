// Many threads, many cycles: no connection is ever held by two leases, none is lost.
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>
#include <vector>

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

BOOST_AUTO_TEST_SUITE_END()
