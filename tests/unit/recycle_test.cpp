// RecycleAfter, driven by a manual clock.
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <thread>

using namespace lifeguard_test;
using lifeguard::ConnectionPool;
using lifeguard::RecycleAfter;

BOOST_FIXTURE_TEST_SUITE(recycle, server_fixture)

using pool_t = ConnectionPool<FakeDriver, RecycleAfter, manual>;

BOOST_AUTO_TEST_CASE(an_idle_connection_past_max_age_is_replaced_at_acquire) {
    pool_t pool(driver(), sized(2, 1), RecycleAfter(10s));
    FakeConnection* old = pool.acquire().get();
    ManualClock::advance(9s);
    BOOST_TEST(pool.acquire().get() == old);  // younger than 10 s: reused
    ManualClock::advance(2s);
    auto lease = pool.acquire();
    BOOST_TEST(lease.get() != old);
    BOOST_TEST(old->closed);
    BOOST_TEST(server.connects == 2u);
    BOOST_TEST(pool.stats().open == 1u);
}

BOOST_AUTO_TEST_CASE(a_connection_that_expires_while_leased_is_closed_at_release) {
    pool_t pool(driver(), sized(2), RecycleAfter(10s));
    FakeConnection* c = nullptr;
    {
        auto lease = pool.acquire();
        c = lease.get();
        ManualClock::advance(11s);
        BOOST_TEST(!c->closed);  // never taken from its user
    }
    BOOST_TEST(c->closed);  // not left to sit idle
    BOOST_TEST(pool.stats().idle == 0u);
    BOOST_TEST(pool.stats().open == 0u);
}

BOOST_AUTO_TEST_CASE(jitter_shortens_lifetimes_within_bounds) {
    lifeguard::RecycleAfter policy(100s, 20s);
    using tp = ManualClock::time_point;
    bool saw_shorter = false;
    RecycleAfter::connection_state<tp> states[64];
    for (auto& s : states) {
        policy.on_connect(s, ManualClock::now());
        const auto life = s.expires_at - ManualClock::now();
        BOOST_TEST(life <= std::chrono::nanoseconds(100s));
        BOOST_TEST(life >= std::chrono::nanoseconds(80s));
        saw_shorter = saw_shorter || life < std::chrono::nanoseconds(99s);
        ManualClock::advance(1ms);
    }
    BOOST_TEST(saw_shorter);  // connections opened together do not all expire together
}

BOOST_AUTO_TEST_CASE(invalid_durations_are_rejected) {
    BOOST_CHECK_THROW(RecycleAfter(0s), std::invalid_argument);
    BOOST_CHECK_THROW(RecycleAfter(10s, 10s), std::invalid_argument);
    BOOST_CHECK_THROW(RecycleAfter(10s, -1s), std::invalid_argument);
    BOOST_CHECK_NO_THROW(RecycleAfter(10s, 9s));
    BOOST_TEST(RecycleAfter().max_age() == std::chrono::nanoseconds(30min));
}

BOOST_AUTO_TEST_CASE(the_no_recycle_default_reuses_forever) {
    ConnectionPool<FakeDriver, manual> pool(driver(), sized(1));
    FakeConnection* c = pool.acquire().get();
    ManualClock::advance(1000h);
    BOOST_TEST(pool.acquire().get() == c);
    BOOST_TEST(server.closes == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(max_uses, server_fixture)

BOOST_AUTO_TEST_CASE(a_connection_is_closed_after_its_nth_lease) {
    ConnectionPool<FakeDriver, lifeguard::MaxUses> pool(driver(), sized(2), lifeguard::MaxUses(3));
    FakeConnection* first = nullptr;
    for (int i = 0; i < 3; ++i) {
        auto lease = pool.acquire();
        if (i == 0) first = lease.get();
        BOOST_TEST(lease.get() == first);  // new, then reused twice
    }
    BOOST_TEST(first->closed);  // closed as its third lease ended, not left idle
    BOOST_TEST(pool.stats().open == 0u);
    auto fourth = pool.acquire();
    BOOST_TEST(fourth.get() != first);
    BOOST_TEST(server.connects == 2u);
    BOOST_CHECK_THROW(lifeguard::MaxUses(0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(every_lease_counts_once_however_it_is_handed_out) {
    // One connection served to a waiter by hand-off, reused by the fast lane, and found by
    // the slow lane: each lease counts exactly one use.
    auto o = sized(1);
    o.acquire_timeout = 10s;
    ConnectionPool<FakeDriver, lifeguard::MaxUses> pool(driver(), o, lifeguard::MaxUses(4));
    auto held = pool.acquire();  // use 1 (new)
    FakeConnection* c = held.get();
    std::thread waiter([&] { BOOST_TEST(pool.acquire().get() == c); });  // use 2 (hand-off)
    while (pool.stats().waiters == 0) std::this_thread::yield();
    held.release();
    waiter.join();
    { std::thread other([&] { BOOST_TEST(pool.acquire().get() == c); }); other.join(); }  // use 3 (slow lane)
    BOOST_TEST(!c->closed);
    (void)pool.acquire();  // use 4: retired when it comes back
    BOOST_TEST(c->closed);
}

BOOST_AUTO_TEST_CASE(recycle_when_any_combines_age_and_uses) {
    using either = lifeguard::RecycleWhenAny<RecycleAfter, lifeguard::MaxUses>;
    ConnectionPool<FakeDriver, either, manual> pool(driver(), sized(2),
                                                    either(RecycleAfter(10s), lifeguard::MaxUses(100)));
    FakeConnection* c = pool.acquire().get();
    for (int i = 0; i < 10; ++i) BOOST_TEST(pool.acquire().get() == c);
    ManualClock::advance(11s);  // age retires it long before its 100th use
    FakeConnection* d = pool.acquire().get();  // d's first use
    BOOST_TEST(d != c);
    BOOST_TEST(c->closed);
    for (int i = 0; i < 98; ++i) (void)pool.acquire();  // uses 2..99 of d
    BOOST_TEST(!d->closed);
    (void)pool.acquire();  // its 100th lease
    BOOST_TEST(d->closed);
    static_assert(either::uses_clock);
    static_assert(!lifeguard::MaxUses::uses_clock);
}

BOOST_AUTO_TEST_SUITE_END()
