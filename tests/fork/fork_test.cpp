// DisposeAfterFork with real fork(): children use the pool, inherited connections are
// abandoned (never closed), the parent's pool is untouched, and the pool's lock works in
// a child even when another parent thread held it at fork time.
#include "child_process.hpp"
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

using namespace lifeguard_test;
using namespace lifeguard;

namespace {
using fork_safe = ConnectionPool<FakeDriver, DisposeAfterFork>;
constexpr auto child_limit = std::chrono::seconds(20);
} // namespace

BOOST_FIXTURE_TEST_SUITE(fork_policy, server_fixture)

BOOST_AUTO_TEST_CASE(children_abandon_inherited_connections_and_open_their_own) {
    fork_safe pool(driver(), sized(4, 3));
    std::vector<FakeConnection*> parents;
    {
        auto a = pool.acquire(), b = pool.acquire(), c = pool.acquire();
        parents = {a.get(), b.get(), c.get()};
    }
    std::vector<pid_t> children;
    for (int i = 0; i < 4; ++i) {
        children.push_back(spawn([&] {
            for (int round = 0; round < 50; ++round) {
                auto x = pool.acquire();
                auto y = pool.acquire();
                LIFEGUARD_CHILD_CHECK(server.query(x.get()) && server.query(y.get()));
                for (auto* p : parents) LIFEGUARD_CHILD_CHECK(x.get() != p && y.get() != p);
            }
            LIFEGUARD_CHILD_CHECK(server.abandons == 3u);  // all inherited idle ones
            for (auto* p : parents) LIFEGUARD_CHILD_CHECK(p->abandoned && !p->closed);
            LIFEGUARD_CHILD_CHECK(server.closes == 0u);
            LIFEGUARD_CHILD_CHECK(server.io_after_dispose == 0u);
            LIFEGUARD_CHILD_CHECK(pool.stats().open == 2u);  // only its own
            return true;
        }));
    }
    for (pid_t pid : children) BOOST_TEST(wait_child(pid, child_limit) == 0);

    // The parent's pool and connections are exactly as before.
    BOOST_TEST(server.abandons == 0u);
    BOOST_TEST(server.closes == 0u);
    BOOST_TEST(pool.stats().idle == 3u);
    auto lease = pool.acquire();
    BOOST_TEST(lease.get() == parents.front());
    BOOST_TEST(server.query(lease.get()));
}

BOOST_AUTO_TEST_CASE(a_lease_held_across_fork_is_abandoned_when_released_in_the_child) {
    auto pool = std::make_unique<fork_safe>(driver(), sized(2, 2));
    auto held = pool->acquire();
    FakeConnection* c = held.get();
    const pid_t pid = spawn([&] {
        held.release();
        LIFEGUARD_CHILD_CHECK(c->abandoned && !c->closed);
        LIFEGUARD_CHILD_CHECK(pool->stats().open == 0u);  // the parent's slots are not the child's
        auto mine = pool->acquire();
        LIFEGUARD_CHILD_CHECK(mine.get() != c && server.query(mine.get()));
        mine.release();
        pool.reset();  // destroying the pool in the child closes only the child's connection
        LIFEGUARD_CHILD_CHECK(server.closes == 1u);
        LIFEGUARD_CHILD_CHECK(server.abandons == 2u);
        return true;
    });
    BOOST_TEST(wait_child(pid, child_limit) == 0);
    BOOST_TEST(!c->abandoned);
    BOOST_TEST(server.query(held.get()));
    held.release();
    BOOST_TEST(pool->stats().idle == 2u);
    BOOST_TEST(server.closes == 0u);
}

BOOST_AUTO_TEST_CASE(a_grandchild_disposes_of_its_parents_connections_too) {
    fork_safe pool(driver(), sized(2, 1));
    const pid_t pid = spawn([&] {
        (void)pool.acquire();  // the child's own connection, now idle
        const pid_t grandchild = spawn([&] {
            auto l = pool.acquire();
            LIFEGUARD_CHILD_CHECK(server.query(l.get()));
            LIFEGUARD_CHILD_CHECK(server.abandons == 2u && server.closes == 0u);
            return true;
        });
        LIFEGUARD_CHILD_CHECK(wait_child(grandchild, child_limit) == 0);
        LIFEGUARD_CHILD_CHECK(server.abandons == 1u && pool.stats().idle == 1u);
        return true;
    });
    BOOST_TEST(wait_child(pid, child_limit) == 0);
}

BOOST_AUTO_TEST_CASE(fork_while_other_threads_hold_the_lock_and_wait) {
    auto o = sized(1);
    o.acquire_timeout = std::chrono::seconds(30);
    fork_safe pool(driver(), o);
    std::atomic<bool> stop{false};
    std::atomic<long> cycles{0};
    // Two threads share one connection: at any moment one may hold the pool's lock and
    // the other may be blocked in the condition variable.
    std::vector<std::thread> hammers;
    for (int t = 0; t < 2; ++t)
        hammers.emplace_back([&] {
            while (!stop) {
                auto l = pool.acquire();
                ++cycles;
            }
        });
    while (cycles < 1000) std::this_thread::yield();
    int failures = 0;
    for (int i = 0; i < 100; ++i) {
        const pid_t pid = spawn([&] {
            // Only this thread exists here; a lock or waiter count copied mid-use would hang.
            for (int k = 0; k < 3; ++k) {
                auto l = pool.acquire(std::chrono::milliseconds(2000));
                LIFEGUARD_CHILD_CHECK(server.query(l.get()));
            }
            LIFEGUARD_CHILD_CHECK(pool.stats().waiters == 0u);
            return true;
        });
        if (wait_child(pid, child_limit) != 0) ++failures;
    }
    stop = true;
    for (auto& h : hammers) h.join();
    BOOST_TEST(failures == 0);
    BOOST_TEST(server.abandons == 0u);
    BOOST_TEST(pool.stats().in_use == 0u);
}

BOOST_AUTO_TEST_CASE(without_the_policy_a_child_closes_the_parents_connections) {
    // The failure DisposeAfterFork prevents: the child's pool destructor closes (with the
    // real driver: sends COM_QUIT on) connections the parent still uses.
    auto pool = std::make_unique<ConnectionPool<FakeDriver>>(driver(), sized(2, 2));
    const pid_t pid = spawn([&] {
        pool.reset();
        LIFEGUARD_CHILD_CHECK(server.closes == 2u && server.abandons == 0u);
        return true;
    });
    BOOST_TEST(wait_child(pid, child_limit) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
