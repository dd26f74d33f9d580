// Users write policies of their own: a counting policy proves the pool calls every hook
// of a custom policy, with the values passed to the constructor.
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

using namespace lifeguard_test;
using namespace lifeguard;

namespace {
// Recycles at the n-th expired() question, to see when the pool asks.
struct RecycleAtQuestion {
    using policy_kind = lifeguard::recycle_tag;
    static constexpr bool uses_clock = false;
    int* questions = nullptr;
    int recycle_at = 0;
    template <class S, class T>
    void on_connect(S&, T) const noexcept {}
    template <class S, class T>
    bool expired(const S&, T) const noexcept { return ++*questions == recycle_at; }
};

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

BOOST_AUTO_TEST_CASE(a_custom_recycle_policy_is_asked_at_release_and_at_reuse) {
    int questions = 0;
    ConnectionPool<FakeDriver, RecycleAtQuestion> pool(driver(), sized(1), RecycleAtQuestion{&questions, 3});
    FakeConnection* c = pool.acquire().get();  // fresh: asked once, at release
    BOOST_TEST(questions == 1);
    BOOST_TEST(pool.acquire().get() == c);  // asked at checkout (2) and at release (3: retire)
    BOOST_TEST(questions == 3);
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
