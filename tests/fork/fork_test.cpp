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

#include <sys/syscall.h>
#include <unistd.h>

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

BOOST_AUTO_TEST_CASE(stats_in_a_child_report_the_childs_pool_from_the_first_call) {
    // Before: stats() showed the parent's counters until the child first acquired.
    fork_safe pool(driver(), sized(4, 3));
    const pid_t pid = spawn([&] {
        const auto s = pool.stats();
        LIFEGUARD_CHILD_CHECK(s.open == 0u && s.idle == 0u && s.in_use == 0u);
        LIFEGUARD_CHILD_CHECK(server.abandons == 3u && server.closes == 0u);
        return true;
    });
    BOOST_TEST(wait_child(pid, child_limit) == 0);
    BOOST_TEST(pool.stats().idle == 3u);
}

BOOST_AUTO_TEST_CASE(a_child_lets_go_of_sockets_leased_by_other_parent_threads) {
    // A connection leased by another parent thread at fork() is never released in the
    // child (that thread does not exist there). Before, the child kept its socket open, so
    // a session (and its locks) outlived a dead parent while any child lived.
    fork_safe pool(driver(), sized(3, 2));
    FakeConnection* idle = nullptr;
    { idle = pool.acquire().get(); }
    std::atomic<FakeConnection*> leased{nullptr};
    std::atomic<bool> release{false};
    std::thread holder([&] {
        auto l = pool.acquire();
        leased = l.get();
        while (!release) std::this_thread::yield();
    });
    while (leased.load() == nullptr) std::this_thread::yield();
    const pid_t pid = spawn([&] {
        LIFEGUARD_CHILD_CHECK(leased.load()->detached);  // by the atfork child handler
        LIFEGUARD_CHILD_CHECK(idle->detached);
        LIFEGUARD_CHILD_CHECK(!leased.load()->closed && !leased.load()->abandoned);
        LIFEGUARD_CHILD_CHECK(server.io_after_dispose == 0u);
        return true;
    });
    BOOST_TEST(wait_child(pid, child_limit) == 0);
    release = true;
    holder.join();
    BOOST_TEST(!leased.load()->detached);  // the parent's copies are untouched
    BOOST_TEST(server.detaches == 0u);
}

BOOST_AUTO_TEST_CASE(a_child_made_without_fork_is_noticed_off_the_hot_path) {
    // syscall(SYS_fork) (like _Fork() and clone()) skips the pthread_atfork handlers. Before,
    // the child's pool destructor closed (COM_QUIT with a real driver) the parent's connections.
    auto pool = std::make_unique<fork_safe>(driver(), sized(2, 2));
    FakeConnection* parents = pool->acquire().get();
    const pid_t pid = static_cast<pid_t>(::syscall(SYS_fork));
    if (pid == 0) {
        bool ok = pool->stats().open == 0u;  // the slow lane noticed the new process
        auto mine = pool->acquire();
        ok = ok && mine.get() != parents && server.query(mine.get());
        mine.release();
        pool.reset();
        ok = ok && server.closes == 1u && server.abandons == 2u;
        ::_exit(ok ? 0 : 1);
    }
    BOOST_TEST(wait_child(pid, child_limit) == 0);
    BOOST_TEST(server.closes == 0u);
    BOOST_TEST(pool->stats().idle == 2u);
}

BOOST_AUTO_TEST_CASE(maintenance_restarts_in_children_and_keeps_running_in_the_parent,
                     LIFEGUARD_FORKS_WHILE_THREADS_ALLOCATE) {
    // The maintenance threads do not exist in a child: its pool starts its own on first use.
    // The parent's keep running (they refill after the children are done), and no lock or
    // half-done duty crosses the fork (the atfork handlers take the pool's lock, which also
    // guards the maintenance state).
    MaintenanceSettings m;
    m.tick = 1ms;
    m.keepalive = 5ms;
    m.keepalive_jitter = 1ms;
    ConnectionPool<FakeDriver, DisposeAfterFork, BackgroundMaintenance> pool(driver(), sized(4, 2),
                                                                            BackgroundMaintenance(m));
    std::atomic<bool> stop{false};
    std::thread load([&] {  // the parent keeps using the pool while it forks
        while (!stop) {
            auto l = pool.acquire(std::chrono::seconds(5));
            server.query(l.get());
        }
    });
    std::vector<pid_t> children;
    for (int i = 0; i < 16; ++i) {
        children.push_back(spawn([&] {
            for (int k = 0; k < 20; ++k) {
                auto l = pool.acquire(std::chrono::seconds(10));  // served by the child's own maintenance
                LIFEGUARD_CHILD_CHECK(server.query(l.get()));
            }
            LIFEGUARD_CHILD_CHECK(server.closes == 0u);  // nothing of the parent's was closed
            return true;  // _exit: the child's pool is not destroyed (see the next test for that)
        }));
    }
    for (pid_t pid : children) BOOST_TEST(wait_child(pid, child_limit) == 0);
    stop = true;
    load.join();
    BOOST_TEST(server.abandons == 0u);
    pool.acquire().discard();
    pool.acquire().discard();
    while (pool.stats().idle < 2u) std::this_thread::yield();  // the parent's maintenance refills
    BOOST_TEST(server.closes == 2u);
}

BOOST_AUTO_TEST_CASE(a_child_destroys_a_pool_with_maintenance_without_waiting_for_the_parents_threads) {
    // With or without a fork policy, a child's pool destructor must not join threads that
    // exist only in the parent (it would wait for ever).
    auto with_policy = std::make_unique<ConnectionPool<FakeDriver, DisposeAfterFork, BackgroundMaintenance>>(
        driver(), sized(2, 1));
    auto without = std::make_unique<ConnectionPool<FakeDriver, BackgroundMaintenance>>(driver(), sized(2, 1));
    const pid_t pid = spawn([&] {
        with_policy.reset();  // abandons the inherited connection
        LIFEGUARD_CHILD_CHECK(server.abandons == 1u && server.closes == 0u);
        without.reset();  // IgnoreFork: closes what it holds (documented), but returns
        LIFEGUARD_CHILD_CHECK(server.closes == 1u);
        return true;
    });
    BOOST_TEST(wait_child(pid, child_limit) == 0);
    BOOST_TEST(with_policy->stats().idle == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
