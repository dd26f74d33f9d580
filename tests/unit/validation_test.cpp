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

BOOST_FIXTURE_TEST_SUITE(tiered_validation, server_fixture)

using tiered = lifeguard::ConnectionPool<FakeDriver, lifeguard::TieredValidation, manual>;

BOOST_AUTO_TEST_CASE(no_check_then_a_socket_check_then_a_ping_as_idle_time_grows) {
    tiered pool(driver(), sized(1), lifeguard::TieredValidation(500ms, 30s));
    FakeConnection* c = pool.acquire().get();
    ManualClock::advance(400ms);
    BOOST_TEST(pool.acquire().get() == c);
    BOOST_TEST(server.socket_checks == 0u);  // within socket_after: trusted
    ManualClock::advance(2s);
    BOOST_TEST(pool.acquire().get() == c);
    BOOST_TEST(server.socket_checks == 1u);  // a system call, no round trip
    BOOST_TEST(server.pings == 0u);
    ManualClock::advance(31s);
    BOOST_TEST(pool.acquire().get() == c);
    BOOST_TEST(server.pings == 1u);  // past ping_after: only a ping finds a network partition
    BOOST_TEST(server.socket_checks == 1u);
}

BOOST_AUTO_TEST_CASE(a_connection_the_server_closed_is_found_by_the_socket_check_not_a_ping) {
    tiered pool(driver(), sized(2), lifeguard::TieredValidation(500ms, 30s));
    FakeConnection* c = pool.acquire().get();
    server.kill_all();  // KILL, idle kill, restart: the server closed the socket
    ManualClock::advance(1s);
    auto lease = pool.acquire();
    BOOST_TEST(lease.get() != c);
    BOOST_TEST(c->closed);
    BOOST_TEST(server.socket_checks == 1u);
    BOOST_TEST(server.pings == 0u);
}

BOOST_AUTO_TEST_CASE(bytes_waiting_on_an_idle_socket_are_settled_by_a_ping) {
    // An error packet, or TLS records such as a session ticket: only the server can tell.
    tiered pool(driver(), sized(1), lifeguard::TieredValidation(500ms, 30s));
    FakeConnection* c = pool.acquire().get();
    c->unread_bytes = true;
    ManualClock::advance(1s);
    BOOST_TEST(pool.acquire().get() == c);  // the ping says it is alive
    BOOST_TEST(server.pings == 1u);
}

BOOST_AUTO_TEST_CASE(a_connection_idle_past_the_servers_limit_is_closed_without_a_ping) {
    server.set_idle_limit(10s);  // the server's wait_timeout, learned at connect
    tiered pool(driver(), sized(2), lifeguard::TieredValidation(500ms, 30s));
    FakeConnection* c = pool.acquire().get();
    BOOST_TEST(server.idle_limit_queries == 1u);
    BOOST_TEST((lifeguard::TieredValidation::usable_idle(10s) == 9s));
    ManualClock::advance(8s);
    BOOST_TEST(pool.acquire().get() == c);  // within the limit less its margin: a socket check
    ManualClock::advance(9500ms);
    auto lease = pool.acquire();
    BOOST_TEST(lease.get() != c);  // past it: dead or about to be, closed without asking
    BOOST_TEST(c->closed);
    BOOST_TEST(server.pings == 0u);
    BOOST_TEST(server.socket_checks == 1u);
}

BOOST_AUTO_TEST_CASE(without_the_driver_capabilities_the_tiers_fall_back_to_pings) {
    lifeguard::ConnectionPool<PlainFakeDriver, lifeguard::TieredValidation, manual> pool(
        plain_driver(), sized(1), lifeguard::TieredValidation(500ms, 30s));
    FakeConnection* c = pool.acquire().get();
    ManualClock::advance(1s);
    BOOST_TEST(pool.acquire().get() == c);
    BOOST_TEST(server.pings == 1u);  // no socket check available: a ping instead
    BOOST_TEST(server.idle_limit_queries == 0u);
    BOOST_CHECK_THROW(lifeguard::TieredValidation(1s, 500ms), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
