// Users write policies of their own. This one, from docs/custom-policies.md, retires a
// connection after N uses, and a counting policy proves the pool calls every hook.
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

using namespace lifeguard_test;
using namespace lifeguard;

namespace {
// [custom-recycle]
struct RecycleAfterUses {
    using policy_kind = lifeguard::recycle_tag;
    static constexpr bool uses_clock = false;  // never needs the time
    unsigned max_uses = 1000;

    template <class TimePoint>
    struct connection_state {
        mutable unsigned uses = 0;
    };
    template <class TimePoint>
    void on_connect(connection_state<TimePoint>&, TimePoint) const noexcept {}
    template <class TimePoint>
    bool expired(const connection_state<TimePoint>& s, TimePoint) const noexcept {
        return ++s.uses > max_uses;  // asked once at checkout, once at release
    }
};
// [custom-recycle]

struct hook_counts {
    int connect = 0, needs_ping = 0, release = 0;
};
struct CountingValidation {
    using policy_kind = validation_tag;
    static constexpr bool uses_clock = true;
    hook_counts* counts = nullptr;
    template <class S, class T>
    void on_connect(S&, T) const noexcept { ++counts->connect; }
    template <class S, class T>
    bool needs_ping(const S&, T) const noexcept { ++counts->needs_ping; return false; }
    template <class S, class T>
    void on_release(S&, T) const noexcept { ++counts->release; }
};
} // namespace

BOOST_FIXTURE_TEST_SUITE(custom_policy, server_fixture)

BOOST_AUTO_TEST_CASE(recycle_after_uses_retires_connections) {
    ConnectionPool<FakeDriver, RecycleAfterUses> pool(driver(), sized(1), RecycleAfterUses{2});
    FakeConnection* c = pool.acquire().get();  // use 1 (release is check 2... see below)
    // Each cycle asks expired() at release, and at checkout when reused: 1 (release),
    // then 2 (checkout), 3 > 2 at release: closed.
    (void)pool.acquire();
    BOOST_TEST(c->closed);
    BOOST_TEST(pool.acquire().get() != c);
}

BOOST_AUTO_TEST_CASE(the_pool_calls_every_validation_hook) {
    hook_counts counts;
    ConnectionPool<FakeDriver, CountingValidation, manual> pool(driver(), sized(2), CountingValidation{&counts});
    (void)pool.acquire();  // connect + release
    (void)pool.acquire();  // needs_ping + release
    BOOST_TEST(counts.connect == 1);
    BOOST_TEST(counts.needs_ping == 1);
    BOOST_TEST(counts.release == 2);
}

BOOST_AUTO_TEST_SUITE_END()
