// The concepts accept the shipped models and reject near misses, and the pool can be
// named only with a Driver and valid policies.
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

using namespace lifeguard;
using lifeguard::testing::FakeConnection;
using lifeguard::testing::FakeDriver;
using tp = std::chrono::steady_clock::time_point;

namespace {
struct not_a_driver {
    using connection_type = int;
    int connect() { return 0; }
};
struct driver_without_abandon {
    using connection_type = int*;
    int* connect() { return nullptr; }
    void close(int*&) noexcept {}
    bool ping(int*&, std::chrono::milliseconds) { return true; }
    bool is_broken(int* const&) const noexcept { return false; }
};
struct recycle_non_const {  // expired() not const
    using policy_kind = recycle_tag;
    static constexpr bool uses_clock = false;
    template <class S, class T>
    void on_connect(S&, T) const noexcept {}
    template <class S, class T>
    bool expired(const S&, T) noexcept { return false; }
};
struct recycle_without_uses_clock {
    using policy_kind = recycle_tag;
    template <class S, class T>
    void on_connect(S&, T) const noexcept {}
    template <class S, class T>
    bool expired(const S&, T) const noexcept { return false; }
};
struct fork_with_getpid {  // a valid custom ForkPolicy
    using policy_kind = fork_tag;
    static constexpr bool detects_fork = true;
    std::uint32_t generation() const noexcept { return 7; }
    template <class D>
    void dispose_inherited(D& d, typename D::connection_type& c) const noexcept { d.abandon(c); }
};
struct driver_without_reset {  // a Driver, but ResetOnReturn cannot work with it
    using connection_type = int*;
    int* connect() { return nullptr; }
    void close(int*&) noexcept {}
    void abandon(int*&) noexcept {}
    bool ping(int*&, std::chrono::milliseconds) { return true; }
    bool is_broken(int* const&) const noexcept { return false; }
};

template <class D, class... P>
concept can_check = requires { requires detail::check_pool<D, P...>(); };

static_assert(Driver<FakeDriver>);
static_assert(Driver<driver_without_reset>);
static_assert(!Driver<not_a_driver>);
static_assert(!Driver<driver_without_abandon>);
static_assert(!Driver<int>);

static_assert(RecyclePolicy<NoRecycle, tp> && RecyclePolicy<RecycleAfter, tp>);
static_assert(!RecyclePolicy<recycle_non_const, tp>);
static_assert(!RecyclePolicy<recycle_without_uses_clock, tp>);
static_assert(!RecyclePolicy<PingIfIdle, tp>);  // right shape, wrong kind
static_assert(ValidationPolicy<NoValidation, tp> && ValidationPolicy<PingOnCheckout, tp> &&
              ValidationPolicy<PingIfIdle, tp>);
static_assert(ForkPolicy<IgnoreFork, FakeDriver> && ForkPolicy<DisposeAfterFork, FakeDriver>);
static_assert(ForkPolicy<fork_with_getpid, FakeDriver>);
static_assert(ResetPolicy<NoReset, FakeDriver, tp> && ResetPolicy<RollbackOnReturn, FakeDriver, tp> &&
              ResetPolicy<ResetOnReturn, FakeDriver, tp>);
static_assert(ResetPolicy<NoReset, driver_without_reset, tp>);
static_assert(!ResetPolicy<ResetOnReturn, driver_without_reset, tp>);
static_assert(!ResetPolicy<RollbackOnReturn, driver_without_reset, tp>);
static_assert(ClockPolicy<UseClock<std::chrono::steady_clock>>);
static_assert(!ClockPolicy<UseClock<std::chrono::system_clock>>);  // not steady
static_assert(Policy<RecycleAfter> && !Policy<int>);

static_assert(detail::check_pool<FakeDriver>());
static_assert(detail::check_pool<FakeDriver, fork_with_getpid, RecycleAfter>());

// The selected configuration is the same for any order, and defaults fill the gaps.
static_assert(std::is_same_v<detail::make_config_t<PingIfIdle, RecycleAfter>,
                             detail::make_config_t<RecycleAfter, PingIfIdle>>);
static_assert(std::is_same_v<detail::make_config_t<>::fork, IgnoreFork>);
static_assert(std::is_same_v<detail::make_config_t<>::clock, CoarseSteadyClock>);
static_assert(ClockPolicy<UseClock<CoarseSteadyClock>>);
} // namespace

BOOST_AUTO_TEST_SUITE(concepts)

BOOST_AUTO_TEST_CASE(a_custom_fork_policy_is_used_by_the_pool) {
    lifeguard::testing::FakeServer server;
    ConnectionPool<FakeDriver, fork_with_getpid> pool(FakeDriver(server), lifeguard_test::sized(1));
    (void)pool.acquire();
    BOOST_TEST(pool.stats().idle == 1u);
    BOOST_TEST(server.abandons == 0u);  // generation never changes: nothing inherited
}

BOOST_AUTO_TEST_SUITE_END()
