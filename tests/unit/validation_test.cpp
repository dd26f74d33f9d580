// PingOnCheckout and PingIfIdle with the fake driver and a manual clock.
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

using namespace lifeguard_test;
using lifeguard::ConnectionPool;
using lifeguard::PingIfIdle;
using lifeguard::PingOnCheckout;

BOOST_FIXTURE_TEST_SUITE(validation, server_fixture)

BOOST_AUTO_TEST_CASE(no_validation_hands_out_dead_connections) {
    ConnectionPool<FakeDriver> pool(driver(), sized(1, 1));
    server.kill_all();
    auto lease = pool.acquire();
    BOOST_TEST(!server.query(lease.get()));  // the failure the policies exist for
    BOOST_TEST(server.pings == 0u);
}

BOOST_AUTO_TEST_CASE(ping_on_checkout_pings_reused_connections_but_not_fresh_ones) {
    ConnectionPool<FakeDriver, PingOnCheckout> pool(driver(), sized(2));
    (void)pool.acquire();
    BOOST_TEST(server.pings == 0u);  // just opened: known alive
    (void)pool.acquire();
    BOOST_TEST(server.pings == 1u);
}

BOOST_AUTO_TEST_CASE(ping_on_checkout_replaces_every_dead_connection) {
    ConnectionPool<FakeDriver, PingOnCheckout> pool(driver(), sized(3, 3));
    server.kill_all();  // server restart
    auto a = pool.acquire();
    BOOST_TEST(server.query(a.get()));
    BOOST_TEST(server.failed_pings == 3u);  // all three idle ones were dead and closed
    BOOST_TEST(server.closes == 3u);
    BOOST_TEST(server.connects == 4u);
    BOOST_TEST(pool.stats().open == 1u);
}

BOOST_AUTO_TEST_CASE(a_failed_ping_then_a_failed_connect_reports_the_connect_error) {
    ConnectionPool<FakeDriver, PingOnCheckout> pool(driver(), sized(1, 1));
    server.kill_all();
    server.fail_next_connects(1);
    BOOST_CHECK_THROW((void)pool.acquire(), lifeguard::testing::FakeConnectError);
    BOOST_TEST(pool.stats().open == 0u);
    BOOST_TEST(server.query(pool.acquire().get()));
}

BOOST_AUTO_TEST_CASE(ping_if_idle_pings_only_after_the_window) {
    ConnectionPool<FakeDriver, PingIfIdle, manual> pool(driver(), sized(1), PingIfIdle(500ms));
    (void)pool.acquire();
    ManualClock::advance(500ms);
    (void)pool.acquire();
    BOOST_TEST(server.pings == 0u);  // idle exactly 500 ms: within the window
    ManualClock::advance(501ms);
    (void)pool.acquire();
    BOOST_TEST(server.pings == 1u);
}

BOOST_AUTO_TEST_CASE(ping_if_idle_measures_idle_time_from_release_not_from_connect) {
    ConnectionPool<FakeDriver, PingIfIdle, manual> pool(driver(), sized(1), PingIfIdle(1s));
    {
        auto lease = pool.acquire();
        ManualClock::advance(10s);  // held for a long time, released just now
    }
    (void)pool.acquire();
    BOOST_TEST(server.pings == 0u);
}

BOOST_AUTO_TEST_CASE(ping_if_idle_replaces_a_connection_that_died_while_idle) {
    ConnectionPool<FakeDriver, PingIfIdle, manual> pool(driver(), sized(1, 1));
    FakeConnection* old = pool.acquire().get();
    server.kill_all();
    ManualClock::advance(1s);
    auto lease = pool.acquire();
    BOOST_TEST(lease.get() != old);
    BOOST_TEST(server.query(lease.get()));
    BOOST_TEST(old->closed);
}

BOOST_AUTO_TEST_CASE(ping_if_idle_rejects_a_negative_window) {
    BOOST_CHECK_THROW(PingIfIdle(-1ms), std::invalid_argument);
    BOOST_TEST(PingIfIdle().window() == std::chrono::nanoseconds(500ms));
}

BOOST_AUTO_TEST_SUITE_END()
