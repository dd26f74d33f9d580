// Policies compose in any order: every permutation is the same canonical pool and
// behaves the same.
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <tuple>
#include <type_traits>

using namespace lifeguard_test;
using namespace lifeguard;

namespace {
using R = RecycleAfter;
using V = PingIfIdle;
using F = DisposeAfterFork;
using X = ResetOnReturn;
using C = lifeguard_test::manual;

using orders = std::tuple<ConnectionPool<FakeDriver, R, V, F, X, C>, ConnectionPool<FakeDriver, C, X, F, V, R>,
                          ConnectionPool<FakeDriver, V, R, X, C, F>, ConnectionPool<FakeDriver, F, C, R, X, V>,
                          ConnectionPool<FakeDriver, X, F, V, C, R>, ConnectionPool<FakeDriver, C, V, X, R, F>>;

using canonical = ConnectionPool<FakeDriver, R, V, F, X, C>::lease_type;
template <class Pool>
inline constexpr bool same_core_v = std::is_same_v<typename Pool::lease_type, canonical>;
static_assert(same_core_v<std::tuple_element_t<1, orders>> && same_core_v<std::tuple_element_t<2, orders>> &&
                  same_core_v<std::tuple_element_t<3, orders>> && same_core_v<std::tuple_element_t<4, orders>> &&
                  same_core_v<std::tuple_element_t<5, orders>>,
              "every order of the same policies must share one implementation");

// All 120 orders of the five kinds, at compile time: each one passes the checks and
// yields the same canonical configuration.
template <class... Ts>
struct list {};
// list L without T
template <class T, class L>
struct without;
template <class T>
struct without<T, list<>> {
    using type = list<>;
};
template <class T, class H, class... R>
struct without<T, list<H, R...>> {
    using rest = typename without<T, list<R...>>::type;
    template <class... X>
    static list<H, X...> add(list<X...>);
    using type = std::conditional_t<std::is_same_v<T, H>, list<R...>, decltype(add(rest{}))>;
};
template <class Config, class Prefix, class Remaining>
struct all_orders_same;
template <class Config, class... P>
struct all_orders_same<Config, list<P...>, list<>> {
    static constexpr bool value = detail::check_pool<FakeDriver, P...>() &&
                                  std::is_same_v<detail::make_config_t<P...>, Config>;
};
template <class Config, class... P, class... R>
struct all_orders_same<Config, list<P...>, list<R...>> {
    static constexpr bool value =
        (all_orders_same<Config, list<P..., R>, typename without<R, list<R...>>::type>::value && ...);
};
using kinds = list<R, V, F, X, C>;
static_assert(all_orders_same<detail::make_config_t<R, V, F, X, C>, list<>, kinds>::value,
              "all 120 orders of the five policy kinds must give one canonical configuration");
} // namespace

BOOST_FIXTURE_TEST_SUITE(composition, server_fixture)

BOOST_AUTO_TEST_CASE_TEMPLATE(every_order_applies_every_policy, Pool, orders) {
    // Policy values in yet another order than the template arguments.
    Pool pool(driver(), sized(2), PingIfIdle(1s), RecycleAfter(10s));
    FakeConnection* first = nullptr;
    {
        auto lease = pool.acquire();
        first = lease.get();
        server.query(lease.get(), false, true);
    }
    BOOST_TEST(server.reset_starts == 1u);  // ResetOnReturn (pipelined: the fake driver can)
    ManualClock::advance(2s);
    (void)pool.acquire();  // the reset's reply is read: the server answered, no ping needed
    BOOST_TEST(server.reset_finishes == 1u);
    BOOST_TEST(server.pings == 0u);
    ManualClock::advance(2s);
    BOOST_TEST(pool.acquire().get() == first);
    BOOST_TEST(server.pings == 1u);         // PingIfIdle: idle 2 s > 1 s
    ManualClock::advance(7s);
    BOOST_TEST(pool.acquire().get() != first);  // RecycleAfter: 11 s > 10 s
    BOOST_TEST(first->closed);
}

BOOST_AUTO_TEST_CASE(policies_not_given_default_to_no_ops) {
    ConnectionPool<FakeDriver, PingOnCheckout> pool(driver(), sized(1));
    server.query(pool.acquire().get(), true, true);
    (void)pool.acquire();
    BOOST_TEST(server.resets == 0u);
    BOOST_TEST(server.rollbacks == 0u);
    BOOST_TEST(server.pings == 1u);
}

BOOST_AUTO_TEST_CASE(the_recommended_alias_combines_recycle_validation_fork_and_maintenance) {
    // Its maintenance runs with threads; the clock here is manual, so its timed duties only
    // see time that this test moves. Connects happen in the background: wait for them.
    RecommendedPool<FakeDriver, C> pool(driver(), sized(1, 1), RecycleAfter(280s));
    FakeConnection* c = pool.acquire().get();
    ManualClock::advance(1s);
    BOOST_TEST(pool.acquire().get() == c);
    BOOST_TEST(server.socket_checks == 1u);  // TieredValidation: idle 1 s, a socket check
    BOOST_TEST(server.pings == 0u);
    ManualClock::advance(280s);
    BOOST_TEST(pool.acquire(10s).get() != c);  // RecycleAfter retired it; a new one came from the background
    BOOST_TEST(c->closed);
    BOOST_TEST(RecommendedPool<FakeDriver>::detects_fork);
    BOOST_TEST(RecommendedPool<FakeDriver>::maintains);
}

BOOST_AUTO_TEST_SUITE_END()
