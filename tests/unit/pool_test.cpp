// The pool without policies: leasing, limits, waiting, failures.
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

using namespace lifeguard_test;
using lifeguard::AcquireTimeout;
using lifeguard::ConnectionPool;
using lifeguard::PoolOptions;

BOOST_FIXTURE_TEST_SUITE(pool, server_fixture)

BOOST_AUTO_TEST_CASE(min_idle_connections_are_opened_by_the_constructor) {
    ConnectionPool<FakeDriver> pool(driver(), sized(4, 3));
    BOOST_TEST(server.connects == 3u);
    BOOST_TEST(pool.stats().idle == 3u);
    BOOST_TEST(pool.stats().open == 3u);
}

BOOST_AUTO_TEST_CASE(a_lease_gives_its_connection_back_on_destruction) {
    ConnectionPool<FakeDriver> pool(driver(), sized(2));
    FakeConnection* first = nullptr;
    {
        auto lease = pool.acquire();
        BOOST_TEST(static_cast<bool>(lease));
        first = lease.get();
        BOOST_TEST(lease->id == first->id);
        BOOST_TEST(pool.stats().in_use == 1u);
    }
    BOOST_TEST(pool.stats().in_use == 0u);
    BOOST_TEST(pool.stats().idle == 1u);
    auto again = pool.acquire();
    BOOST_TEST(again.get() == first);  // reused, not reopened
    BOOST_TEST(server.connects == 1u);
}

BOOST_AUTO_TEST_CASE(reuse_is_lifo) {
    ConnectionPool<FakeDriver> pool(driver(), sized(3));
    auto a = pool.acquire();
    auto b = pool.acquire();
    auto c = pool.acquire();
    FakeConnection* last_returned = b.get();
    a.release();
    c.release();
    b.release();
    BOOST_TEST(pool.acquire().get() == last_returned);
}

BOOST_AUTO_TEST_CASE(a_thread_gets_back_the_connection_it_released_last) {
    ConnectionPool<FakeDriver> pool(driver(), sized(4, 4));
    FakeConnection* mine = nullptr;
    {
        auto a = pool.acquire();
        auto b = pool.acquire();
        mine = b.get();
        a.release();
        b.release();  // released last: parked and remembered by this thread
    }
    for (int i = 0; i < 3; ++i) BOOST_TEST(pool.acquire().get() == mine);
    // A thread with no hint finds a parked connection in the slow lane; nothing new is opened.
    std::thread other([&] { (void)pool.acquire(); });
    other.join();
    BOOST_TEST(server.connects == 4u);
    BOOST_TEST(pool.stats().idle == 4u);
}

BOOST_AUTO_TEST_CASE(a_stale_hint_to_a_closed_connection_is_ignored) {
    // The connection this thread parked last is taken and closed elsewhere; its record is
    // freed (and under ASan poisoned but for its state word). The hint must not revive it.
    ConnectionPool<FakeDriver> pool(driver(), sized(2));
    FakeConnection* first = nullptr;
    { first = pool.acquire().get(); }  // parked, hinted
    std::thread other([&] { pool.acquire().discard(); });  // claims it from the slow lane, closes it
    other.join();
    BOOST_TEST(first->closed);
    auto lease = pool.acquire();
    BOOST_TEST(lease.get() != first);
    BOOST_TEST(!lease->closed);
    BOOST_TEST(server.io_after_dispose == 0u);
    BOOST_TEST(pool.stats().open == 1u);
}

BOOST_AUTO_TEST_CASE(moving_a_lease_transfers_ownership) {
    ConnectionPool<FakeDriver> pool(driver(), sized(2));
    auto a = pool.acquire();
    FakeConnection* c = a.get();
    auto b = std::move(a);
    BOOST_TEST(!static_cast<bool>(a));  // NOLINT(bugprone-use-after-move): checking the moved-from state
    BOOST_TEST(b.get() == c);
    decltype(b) d;
    d = std::move(b);
    BOOST_TEST(pool.stats().in_use == 1u);
    d = pool.acquire();  // assignment releases the old connection first
    BOOST_TEST(pool.stats().in_use == 1u);
    BOOST_TEST(pool.stats().idle == 1u);
}

BOOST_AUTO_TEST_CASE(try_acquire_returns_nothing_when_exhausted_and_never_waits) {
    ConnectionPool<FakeDriver> pool(driver(), sized(1));
    auto held = pool.try_acquire();
    BOOST_REQUIRE(held.has_value());
    BOOST_TEST(!pool.try_acquire().has_value());
    held.reset();
    BOOST_TEST(pool.try_acquire().has_value());
}

BOOST_AUTO_TEST_CASE(acquire_times_out_with_a_message_that_explains_the_pool_state) {
    auto o = sized(2);
    o.acquire_timeout = 5ms;
    ConnectionPool<FakeDriver> pool(driver(), o);
    auto a = pool.acquire();
    auto b = pool.acquire();
    try {
        auto c = pool.acquire();
        BOOST_FAIL("acquire on an exhausted pool must throw");
    } catch (const AcquireTimeout& e) {
        const std::string what = e.what();
        BOOST_TEST(what.find("after waiting 5 ms") != std::string::npos, what);
        BOOST_TEST(what.find("max_size 2, in use 2, idle 0, other waiters 0") != std::string::npos, what);
        BOOST_TEST(what.find("raise PoolOptions::max_size or acquire_timeout") != std::string::npos, what);
        BOOST_TEST(e.stats().in_use == 2u);
    }
    BOOST_TEST(pool.stats().waiters == 0u);
    BOOST_TEST(pool.stats().in_use == 2u);  // nothing lost to the failed wait
}

BOOST_AUTO_TEST_CASE(a_waiter_gets_the_connection_another_thread_releases) {
    auto o = sized(1);
    o.acquire_timeout = 10s;
    ConnectionPool<FakeDriver> pool(driver(), o);
    auto held = pool.acquire();
    FakeConnection* c = held.get();
    std::atomic<FakeConnection*> got{nullptr};
    std::thread waiter([&] { got = pool.acquire().get(); });
    while (pool.stats().waiters == 0) std::this_thread::yield();
    held.release();
    waiter.join();
    BOOST_TEST(got.load() == c);
    BOOST_TEST(server.connects == 1u);
}

BOOST_AUTO_TEST_CASE(a_releasing_thread_cannot_jump_the_queue) {
    // Release hands the connection to the oldest waiter: a thread that releases and
    // re-acquires in a loop cannot starve the others.
    auto o = sized(1);
    o.acquire_timeout = 10s;
    ConnectionPool<FakeDriver> pool(driver(), o);
    auto held = pool.acquire();
    std::atomic<bool> served{false}, checked{false};
    std::thread waiter([&] {
        auto l = pool.acquire();
        served = true;
        while (!checked) std::this_thread::yield();  // hold it until the main thread has tried
    });
    while (pool.stats().waiters == 0) std::this_thread::yield();
    held.release();
    BOOST_TEST(!pool.try_acquire().has_value());  // already the waiter's, even before it wakes
    checked = true;
    waiter.join();
    BOOST_TEST(served.load());
}

BOOST_AUTO_TEST_CASE(waiters_are_served_first_come_first_served) {
    auto o = sized(1);
    o.acquire_timeout = 10s;
    ConnectionPool<FakeDriver> pool(driver(), o);
    auto held = pool.acquire();
    std::vector<int> order;
    std::mutex order_mutex;
    std::vector<std::thread> waiters;
    for (int i = 0; i < 3; ++i) {
        waiters.emplace_back([&, i] {
            auto l = pool.acquire();
            std::lock_guard lock(order_mutex);
            order.push_back(i);
        });
        while (pool.stats().waiters != static_cast<std::size_t>(i + 1)) std::this_thread::yield();
    }
    held.release();
    for (auto& t : waiters) t.join();
    BOOST_TEST(order == (std::vector<int>{0, 1, 2}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_failed_connect_reports_the_driver_error_and_loses_no_slot) {
    ConnectionPool<FakeDriver> pool(driver(), sized(1));
    server.fail_next_connects(2);
    BOOST_CHECK_EXCEPTION((void)pool.acquire(), lifeguard::testing::FakeConnectError, [](const auto& e) {
        return std::string(e.what()).find("connection refused") != std::string::npos;
    });
    BOOST_CHECK_THROW((void)pool.try_acquire(), lifeguard::testing::FakeConnectError);
    BOOST_TEST(pool.stats().open == 0u);
    auto lease = pool.acquire();  // the single slot is still available
    BOOST_TEST(static_cast<bool>(lease));
    BOOST_TEST(server.connect_failures == 2u);
}

BOOST_AUTO_TEST_CASE(a_failed_connect_wakes_a_waiter_so_it_can_try_itself) {
    auto o = sized(1);
    o.acquire_timeout = 10s;
    ConnectionPool<FakeDriver> pool(driver(), o);
    auto held = pool.acquire();
    std::atomic<bool> done{false};
    std::thread waiter([&] {
        auto l = pool.acquire();
        done = static_cast<bool>(l);
    });
    while (pool.stats().waiters == 0) std::this_thread::yield();
    held.discard();  // frees the slot; the waiter opens a new connection
    waiter.join();
    BOOST_TEST(done.load());
    BOOST_TEST(server.connects == 2u);
}

BOOST_AUTO_TEST_CASE(the_constructor_fails_fast_and_closes_what_it_opened) {
    // Two connects succeed, the third fails: the constructor throws the driver's error
    // and closes the two it opened.
    server.fail_next_connects(0);
    {
        ConnectionPool<FakeDriver> warm(driver(), sized(3, 2));  // opens 2
    }
    BOOST_TEST(server.closes == 2u);
    ConnectionPool<FakeDriver> first_two(driver(), sized(3, 2));
    server.fail_next_connects(1);
    BOOST_CHECK_THROW((ConnectionPool<FakeDriver>(driver(), sized(3, 3))), lifeguard::testing::FakeConnectError);
    BOOST_TEST(server.open_connections() == 2u);  // only first_two's connections remain
}

BOOST_AUTO_TEST_CASE(invalid_options_are_rejected_with_the_field_name) {
    auto check = [&](PoolOptions o, const char* expected) {
        try {
            ConnectionPool<FakeDriver> pool(driver(), o);
            BOOST_FAIL("expected std::invalid_argument");
        } catch (const std::invalid_argument& e) {
            BOOST_TEST(std::string(e.what()).find(expected) != std::string::npos, e.what());
        }
    };
    check(sized(0), "max_size must be at least 1");
    check(sized(2, 3), "min_idle (3) must not exceed max_size (2)");
    auto o = sized(1);
    o.ping_timeout = 0ms;
    check(o, "ping_timeout must be positive");
    BOOST_TEST(server.connects == 0u);
}

BOOST_AUTO_TEST_CASE(a_broken_connection_is_closed_on_release_not_reused) {
    ConnectionPool<FakeDriver> pool(driver(), sized(2));
    FakeConnection* c = nullptr;
    {
        auto lease = pool.acquire();
        c = lease.get();
        c->alive = false;                     // server went away
        BOOST_TEST(!server.query(lease.get()));  // the client library notices: broken
    }
    BOOST_TEST(c->closed);
    BOOST_TEST(pool.stats().open == 0u);
    BOOST_TEST(pool.acquire().get() != c);
}

BOOST_AUTO_TEST_CASE(discard_closes_instead_of_returning) {
    ConnectionPool<FakeDriver> pool(driver(), sized(2));
    auto lease = pool.acquire();
    FakeConnection* c = lease.get();
    lease.discard();
    BOOST_TEST(!static_cast<bool>(lease));
    BOOST_TEST(c->closed);
    BOOST_TEST(server.closes == 1u);
    BOOST_TEST(pool.stats().open == 0u);
}

BOOST_AUTO_TEST_CASE(the_destructor_closes_idle_connections) {
    {
        ConnectionPool<FakeDriver> pool(driver(), sized(3, 3));
    }
    BOOST_TEST(server.closes == 3u);
    BOOST_TEST(server.abandons == 0u);
    BOOST_TEST(server.io_after_dispose == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
