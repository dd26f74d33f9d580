// Reset policies with the fake driver.
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

using namespace lifeguard_test;
using lifeguard::ConnectionPool;
using lifeguard::ResetOnReturn;
using lifeguard::RollbackOnReturn;

BOOST_FIXTURE_TEST_SUITE(reset, server_fixture)

BOOST_AUTO_TEST_CASE(no_reset_leaks_session_state_to_the_next_lease) {
    ConnectionPool<FakeDriver> pool(driver(), sized(1));
    server.query(pool.acquire().get(), true, true);
    auto next = pool.acquire();
    BOOST_TEST(next->in_transaction);
    BOOST_TEST(next->session_changes == 1u);
}

BOOST_AUTO_TEST_CASE(rollback_on_return_rolls_back_only_an_open_transaction) {
    ConnectionPool<FakeDriver, RollbackOnReturn> pool(driver(), sized(1));
    server.query(pool.acquire().get());  // no transaction: no round trip
    BOOST_TEST(server.rollbacks == 0u);
    server.query(pool.acquire().get(), true);
    BOOST_TEST(server.rollbacks == 1u);
    BOOST_TEST(!pool.acquire()->in_transaction);
}

// With a driver that can only reset synchronously (reset_session): the release waits for it.
BOOST_AUTO_TEST_CASE(reset_on_return_clears_the_session_of_a_used_lease) {
    ConnectionPool<PlainFakeDriver, ResetOnReturn> pool(plain_driver(), sized(1));
    server.query(pool.acquire().get(), true, true);
    BOOST_TEST(server.resets == 1u);
    auto next = pool.acquire();
    BOOST_TEST(!next->in_transaction);
    BOOST_TEST(next->session_changes == 0u);
}

BOOST_AUTO_TEST_CASE(reset_on_return_skips_a_lease_whose_handle_was_never_taken) {
    ConnectionPool<PlainFakeDriver, ResetOnReturn> pool(plain_driver(), sized(1));
    { auto unused = pool.acquire(); }
    BOOST_TEST(server.resets == 0u);
    (void)pool.acquire().get();
    BOOST_TEST(server.resets == 1u);
}

BOOST_AUTO_TEST_CASE(a_failed_reset_closes_the_connection) {
    ConnectionPool<PlainFakeDriver, ResetOnReturn> pool(plain_driver(), sized(1));
    FakeConnection* c = nullptr;
    {
        auto lease = pool.acquire();
        c = lease.get();
        c->alive = false;  // dies silently; the reset finds out
    }
    BOOST_TEST(c->closed);
    BOOST_TEST(pool.stats().open == 0u);
}

// With an AsyncResetDriver: the release only sends the reset; the next checkout reads its reply.
BOOST_AUTO_TEST_CASE(a_pipelined_reset_is_sent_on_release_and_finished_at_the_next_checkout) {
    ConnectionPool<FakeDriver, ResetOnReturn> pool(driver(), sized(1));
    FakeConnection* c = pool.acquire().get();  // handle taken: the session counts as used
    BOOST_TEST(server.reset_starts == 1u);
    BOOST_TEST(server.reset_finishes == 0u);  // the releasing request did not wait
    BOOST_TEST(c->reset_pending);
    server.query(c, true, true);  // (a stand-in for state the lease left: cleared by the reset below)
    c->session_changes = 1;
    auto next = pool.acquire();
    BOOST_TEST(next.get() == c);
    BOOST_TEST(server.reset_finishes == 1u);
    BOOST_TEST(!next->reset_pending);
    BOOST_TEST(next->session_changes == 0u);
    BOOST_TEST(server.resets == 0u);  // no synchronous reset
}

BOOST_AUTO_TEST_CASE(a_pipelined_reset_that_fails_closes_the_connection_and_the_next_is_handed_out) {
    ConnectionPool<FakeDriver, ResetOnReturn> pool(driver(), sized(2));
    FakeConnection* c = pool.acquire().get();
    server.fail_resets(true);
    auto next = pool.acquire();  // finishing the reset fails: closed, a new connection instead
    BOOST_TEST(c->closed);
    BOOST_TEST(next.get() != c);
    BOOST_TEST(server.connects == 2u);
    BOOST_TEST(pool.stats().open == 1u);
}

BOOST_AUTO_TEST_CASE(an_untouched_lease_sends_no_reset) {
    ConnectionPool<FakeDriver, ResetOnReturn> pool(driver(), sized(1));
    { auto unused = pool.acquire(); }
    BOOST_TEST(server.reset_starts == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
