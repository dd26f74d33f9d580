// Host policies with the fake driver's cluster (FakeClusterDriver) and a manual clock:
// which host a connection goes to, per-host health and backoff, retiring a failed host's
// connections only, failback and rebalancing. The real cluster: tests/integration/cluster_test.cpp.
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace lifeguard_test;
using namespace lifeguard;
using lifeguard::testing::FakeClusterDriver;

namespace {

struct cluster {
    cluster() { ManualClock::reset(); }
    FakeServer a, b, c;
    FakeClusterDriver driver() { return FakeClusterDriver({&a, &b, &c}); }
    static FakeServer* host_of(FakeConnection* conn) { return conn->owner; }
    // The host crashes: its connections die, its port refuses.
    static void crash(FakeServer& s) {
        s.kill_all();
        s.refuse_connects(true);
    }
};

template <class Host>
using pool_of = ConnectionPool<FakeClusterDriver, Host, manual>;

PoolOptions options_of(std::size_t max_size) {
    auto o = sized(max_size);
    o.acquire_timeout = std::chrono::seconds(5);
    return o;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(failover, cluster)

BOOST_AUTO_TEST_CASE(new_connections_go_to_the_first_host) {
    pool_of<Failover> pool(driver(), options_of(4));
    auto l1 = pool.acquire();
    auto l2 = pool.acquire();
    BOOST_TEST(host_of(l1.get()) == &a);
    BOOST_TEST(host_of(l2.get()) == &a);
    BOOST_TEST(b.connects.load() == 0u);
}

BOOST_AUTO_TEST_CASE(a_host_that_refuses_is_skipped_and_rests) {
    pool_of<Failover> pool(driver(), options_of(4));
    a.refuse_connects(true);
    auto l1 = pool.acquire();
    BOOST_TEST(host_of(l1.get()) == &b);
    BOOST_TEST(a.connect_failures.load() == 1u);
    auto l2 = pool.acquire();  // a rests (backoff 200 ms): not tried again
    BOOST_TEST(host_of(l2.get()) == &b);
    BOOST_TEST(a.connect_failures.load() == 1u);
    ManualClock::advance(std::chrono::milliseconds(250));  // its backoff is over: tried again
    auto l3 = pool.acquire();
    BOOST_TEST(a.connect_failures.load() == 2u);
    BOOST_TEST(host_of(l3.get()) == &b);
}

BOOST_AUTO_TEST_CASE(a_broken_connection_retires_its_hosts_connections_only) {
    pool_of<Failover> pool(driver(), options_of(4));
    auto l1 = pool.acquire();
    auto l2 = pool.acquire();
    l2.release();  // idle on a
    crash(a);
    BOOST_TEST(!a.query(l1.get()));  // the request sees the disconnect
    l1.release();                    // given back broken: host a is down
    BOOST_TEST(a.open_connections() == 0u);  // the idle one too, without waiting for its turn
    auto l3 = pool.acquire();
    BOOST_TEST(host_of(l3.get()) == &b);
}

BOOST_AUTO_TEST_CASE(the_pool_fails_back_to_the_first_host_after_it_recovers) {
    pool_of<Failover> pool(driver(), options_of(2), Failover(std::chrono::seconds(30)));
    a.refuse_connects(true);
    auto lease = pool.acquire();
    BOOST_TEST(host_of(lease.get()) == &b);
    lease.release();
    a.refuse_connects(false);
    ManualClock::advance(std::chrono::seconds(10));
    BOOST_TEST(host_of(pool.acquire().get()) == &b);  // not yet: failback_after is 30 s
    ManualClock::advance(std::chrono::seconds(25));
    auto back = pool.acquire();  // the connection on b is retired at checkout, never from a lease
    BOOST_TEST(host_of(back.get()) == &a);
    BOOST_TEST(b.open_connections() == 0u);
}

BOOST_AUTO_TEST_CASE(no_failback_while_the_first_host_rests) {
    pool_of<Failover> pool(driver(), options_of(2), Failover(std::chrono::seconds(1), HostBackoff{std::chrono::seconds(60), std::chrono::seconds(60)}));
    a.refuse_connects(true);
    pool.acquire().release();
    ManualClock::advance(std::chrono::seconds(5));
    auto lease = pool.acquire();  // a still rests: the b connection stays
    BOOST_TEST(host_of(lease.get()) == &b);
    BOOST_TEST(b.connects.load() == 1u);
}

BOOST_AUTO_TEST_CASE(when_every_host_fails_the_error_names_each) {
    pool_of<Failover> pool(driver(), options_of(2));
    a.refuse_connects(true);
    b.refuse_connects(true);
    c.refuse_connects(true);
    try {
        (void)pool.acquire();
        BOOST_FAIL("acquire() succeeded with every host down");
    } catch (const AllHostsFailed& e) {
        const std::string what = e.what();
        BOOST_TEST_MESSAGE(what);
        BOOST_TEST(what.find("3 tried") != std::string::npos);
        BOOST_TEST(what.find("[3]") != std::string::npos);
        BOOST_TEST(what.find("host down") != std::string::npos);
        BOOST_TEST(static_cast<bool>(e.last_error()));
    }
    BOOST_TEST(pool.stats().open == 0u);  // no slot leaked
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(load_balance, cluster)

BOOST_AUTO_TEST_CASE(connections_spread_over_the_hosts) {
    pool_of<LoadBalance> pool(driver(), options_of(6));
    std::vector<ConnectionPool<FakeClusterDriver, LoadBalance, manual>::lease_type> leases;
    for (int i = 0; i < 6; ++i) leases.push_back(pool.acquire());
    BOOST_TEST(a.open_connections() == 2u);
    BOOST_TEST(b.open_connections() == 2u);
    BOOST_TEST(c.open_connections() == 2u);
}

BOOST_AUTO_TEST_CASE(a_returning_host_gets_connections_again_after_rebalance_after) {
    pool_of<LoadBalance> pool(driver(), options_of(6), LoadBalance(std::chrono::seconds(30)));
    c.refuse_connects(true);
    {
        std::vector<pool_of<LoadBalance>::lease_type> leases;
        for (int i = 0; i < 6; ++i) leases.push_back(pool.acquire());
    }
    BOOST_TEST(a.open_connections() + b.open_connections() == 6u);
    c.refuse_connects(false);
    ManualClock::advance(std::chrono::seconds(31));
    // Requests go on; connections older than rebalance_after on crowded hosts move.
    for (int round = 0; round < 6; ++round) {
        std::vector<pool_of<LoadBalance>::lease_type> leases;
        for (int i = 0; i < 6; ++i) leases.push_back(pool.acquire());
    }
    BOOST_TEST_MESSAGE("a " << a.open_connections() << " b " << b.open_connections() << " c " << c.open_connections());
    BOOST_TEST(c.open_connections() >= 1u);
    BOOST_TEST(a.open_connections() <= c.open_connections() + 1);
    BOOST_TEST(b.open_connections() <= c.open_connections() + 1);
}

BOOST_AUTO_TEST_CASE(a_failed_host_leaves_the_others_alone) {
    pool_of<LoadBalance> pool(driver(), options_of(6));
    {
        std::vector<pool_of<LoadBalance>::lease_type> leases;
        for (int i = 0; i < 6; ++i) leases.push_back(pool.acquire());
    }
    auto on_b = pool.acquire();
    while (host_of(on_b.get()) != &b) on_b = pool.acquire();
    crash(b);
    BOOST_TEST(!b.query(on_b.get()));
    on_b.release();
    BOOST_TEST(b.open_connections() == 0u);
    BOOST_TEST(a.open_connections() == 2u);
    BOOST_TEST(c.open_connections() == 2u);
    BOOST_TEST(a.closes.load() + c.closes.load() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(host_policy_layout)

// The single-host default keeps no per-connection state and calls nothing.
static_assert(sizeof(ConnectionPool<FakeDriver, SingleHost>) == sizeof(ConnectionPool<FakeDriver>));
static_assert(sizeof(detail::pool_access::record_t<ConnectionPool<FakeDriver, SingleHost>>) ==
              sizeof(detail::pool_access::record_t<ConnectionPool<FakeDriver>>));
// The same canonical pool: one instantiation whether SingleHost is written or not.
static_assert(std::is_same_v<ConnectionPool<FakeDriver, SingleHost>::lease_type, ConnectionPool<FakeDriver>::lease_type>);

BOOST_AUTO_TEST_CASE(single_host_is_the_default_and_free) {
    FakeServer s;
    ConnectionPool<FakeDriver, SingleHost> pool(FakeDriver(s), sized(1));
    BOOST_TEST(!decltype(pool)::multi_host);
    BOOST_TEST(pool.acquire().get()->owner == &s);
}

BOOST_AUTO_TEST_SUITE_END()
