// Defects found in review of the core (issue 7), each with the test that exposed it.
#include "child_process.hpp"
#include "test_support.hpp"

#include <lifeguard/detail/deadline.hpp>
#include <lifeguard/detail/spin.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

using namespace lifeguard_test;
using namespace lifeguard;

namespace {
using years = std::chrono::duration<std::int64_t, std::ratio<31556952>>;

// A waiter with `timeout` must get the connection another thread releases a moment later.
// A policy that needs a value to exist (here: a sink it reports to).
struct CountingRecycle {
    using policy_kind = recycle_tag;
    static constexpr bool uses_clock = false;
    explicit CountingRecycle(std::atomic<int>& sink) : checks(&sink) {}
    std::atomic<int>* checks;
    template <class S, class T>
    void on_connect(S&, T) const noexcept {}
    template <class S, class T>
    bool expired(const S&, T) const noexcept {
        ++*checks;
        return false;
    }
};

template <class Acquire>
bool waiter_is_served(ConnectionPool<FakeDriver>& pool, Acquire acquire) {
    auto held = pool.acquire();
    FakeConnection* c = held.get();
    std::promise<FakeConnection*> got;
    std::thread waiter([&] {
        try {
            got.set_value(acquire().get());
        } catch (...) {
            got.set_exception(std::current_exception());
        }
    });
    auto result = got.get_future();
    // The waiter queues (or fails at once, which the result below shows).
    while (pool.stats().waiters == 0 && result.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
        std::this_thread::yield();
    held.release();
    const bool ok = result.get() == c;
    waiter.join();
    return ok;
}
} // namespace

BOOST_FIXTURE_TEST_SUITE(hardening, server_fixture)

BOOST_AUTO_TEST_CASE(a_timeout_of_milliseconds_max_waits_instead_of_failing_at_once) {
    // Before: now + milliseconds::max() overflowed and acquire threw AcquireTimeout at once.
    watchdog guard(std::chrono::seconds(30), "acquire(milliseconds::max())");
    ConnectionPool<FakeDriver> pool(driver(), sized(1));
    BOOST_TEST(waiter_is_served(pool, [&] { return pool.acquire(std::chrono::milliseconds::max()); }));
}

BOOST_AUTO_TEST_CASE(a_timeout_of_a_thousand_years_neither_spins_nor_holds_the_lock) {
    // Before: the deadline became a negative timespec, pthread_cond_timedwait returned EINVAL
    // without sleeping, and the waiter spun holding the pool's lock: the release below (and
    // stats()) blocked for ever. The watchdog turns that hang into a failure.
    watchdog guard(std::chrono::seconds(30), "acquire(years(1000))");
    {
        ConnectionPool<FakeDriver> pool(driver(), sized(1));
        BOOST_TEST(waiter_is_served(pool, [&] { return pool.acquire(years(1000)); }));
    }
    auto o = sized(1);
    o.acquire_timeout = years(1000);  // accepted by validate(): it must work
    ConnectionPool<FakeDriver> pool(driver(), o);
    BOOST_TEST(waiter_is_served(pool, [&] { return pool.acquire(); }));
}

BOOST_AUTO_TEST_CASE(saturating_deadlines) {
    using steady = std::chrono::steady_clock;
    const auto now = steady::now();
    BOOST_TEST((detail::saturating_add(now, std::chrono::milliseconds::max()) == steady::time_point::max()));
    BOOST_TEST((detail::saturating_add(now, years(1000)) == steady::time_point::max()));
    BOOST_TEST((detail::saturating_add(now, std::chrono::nanoseconds::max()) == steady::time_point::max()));
    BOOST_TEST((detail::saturating_add(now, 5ms) == now + 5ms));
    BOOST_TEST((detail::time_left(steady::time_point::max(), now) == std::chrono::milliseconds::max()));
    BOOST_TEST((detail::time_left(now, now + 1s) == 0ms));
}

BOOST_AUTO_TEST_CASE(recycle_after_nanoseconds_max_never_expires) {
    // Before: now + max_age overflowed into the past, so every connection was single-use.
    ConnectionPool<FakeDriver, RecycleAfter, manual> pool(driver(), sized(2),
                                                          RecycleAfter(std::chrono::nanoseconds::max()));
    ManualClock::advance(1h);
    for (int i = 0; i < 5; ++i) (void)pool.acquire();
    BOOST_TEST(server.connects == 1u);
    BOOST_TEST(server.closes == 0u);
}

BOOST_AUTO_TEST_CASE(destroying_a_pool_with_a_lease_out_stops_with_a_message_in_every_build) {
    // Before: an assert only; with NDEBUG the lease's destructor later wrote into the freed pool.
    const auto child = run_capturing_stderr([&] {
        auto pool = std::make_unique<ConnectionPool<FakeDriver>>(driver(), sized(2));
        auto a = pool->acquire();
        auto b = pool->acquire();
        pool.reset();  // must not return
        std::fprintf(stderr, "returned from the destructor\n");
    });
    BOOST_TEST(child.status == 128 + SIGABRT, child.output);
    BOOST_TEST(child.output.find("destroyed while 2 lease(s) are still out") != std::string::npos, child.output);
    BOOST_TEST(child.output.find("returned from the destructor") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_thread_using_two_pools_keeps_a_hint_for_each) {
    // Before: one thread-local hint served every pool, so alternating between two pools
    // always fell to the slow lane. Observable: the fast lane returns the connection this
    // thread parked last; the slow lane returns the most recently opened parked one.
    ConnectionPool<FakeDriver> a(driver(), sized(2));
    ConnectionPool<FakeDriver> b(driver(), sized(2));
    FakeConnection* parked_last = nullptr;
    {
        auto first = a.acquire();
        auto second = a.acquire();  // opened last
        parked_last = first.get();
        second.release();
        first.release();  // parked last: this thread's hint for pool a
    }
    (void)b.acquire();  // uses pool b, which must not displace pool a's hint
    BOOST_TEST(a.acquire().get() == parked_last);
}

BOOST_AUTO_TEST_CASE(a_constructor_value_configures_a_policy_without_a_default_constructor) {
    // Before: policies had to be default-constructible ("could not convert '{}'").
    static_assert(!std::is_default_constructible_v<CountingRecycle>);
    std::atomic<int> checks{0};
    ConnectionPool<FakeDriver, CountingRecycle> pool(driver(), sized(1), CountingRecycle(checks));
    (void)pool.acquire();
    (void)pool.acquire();
    BOOST_TEST(checks.load() == 3);  // at the second checkout, and at both returns
}

BOOST_AUTO_TEST_CASE(the_acquire_timeout_bounds_a_connect_the_caller_makes) {
    // Before: acquire(5ms) against a slow server took as long as the connect (1.5 s seen).
    ConnectionPool<FakeDriver> pool(driver(), sized(1));
    server.set_connect_delay(std::chrono::hours(1));  // the fake driver fails at once, no waiting
    BOOST_CHECK_THROW((void)pool.acquire(5ms), lifeguard::testing::FakeConnectError);
    BOOST_TEST(server.last_connect_timeout_us.load() > 0);
    BOOST_TEST(server.last_connect_timeout_us.load() <= 5000);
    BOOST_TEST(server.connect_timeouts == 1u);
    BOOST_TEST(pool.stats().open == 0u);  // the slot was given back
    server.set_connect_delay(std::chrono::microseconds(0));
    BOOST_TEST(static_cast<bool>(pool.acquire(5ms)));
    // try_acquire never waits for a lease, and leaves the driver its own connect timeout.
    pool.acquire().discard();
    BOOST_TEST(pool.try_acquire().has_value());
    BOOST_TEST(server.last_connect_timeout_us.load() == std::chrono::microseconds::max().count());
}

BOOST_AUTO_TEST_CASE(the_waiter_spin_adapts_and_stops_when_waiters_outnumber_cpus) {
    // Before: every waiter spun 2,000 rounds whatever the wait and the load.
    detail::spin_tuner tuner;
    const std::size_t cpus = detail::online_cpus();
    BOOST_TEST((tuner.budget(cpus) == std::chrono::nanoseconds::zero()));
    BOOST_TEST((tuner.budget(cpus + 5) == std::chrono::nanoseconds::zero()));
    if (cpus > 1) {
        for (int i = 0; i < 64; ++i) tuner.record(std::chrono::nanoseconds(200));
        const auto short_waits = tuner.budget(1);
        BOOST_TEST((short_waits > std::chrono::nanoseconds(200)));
        BOOST_TEST((short_waits <= detail::spin_tuner::max_spin));
        for (int i = 0; i < 64; ++i) tuner.record(std::chrono::milliseconds(1));  // hold times of 1 ms
        int spinning = 0;
        for (unsigned i = 0; i < 8 * detail::spin_tuner::probe_every; ++i)
            spinning += tuner.budget(1) > std::chrono::nanoseconds::zero() ? 1 : 0;
        BOOST_TEST(spinning == 8);  // only the probes, and only briefly
        BOOST_TEST((detail::spin_tuner::probe < detail::spin_tuner::max_spin));
    }
    // The spin itself is bounded by time, however long the flag stays unset.
    std::atomic<bool> never{false};
    BOOST_TEST(!detail::spin_until(never, std::chrono::microseconds(50)));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(release_wait_fences)

// Where membarrier(2) works, releases park with a plain release store; a waiter's heavy
// fence makes up for it (tests/unit/handshake_model_test.cpp proves the handshake). Should
// that fence ever fail, the pool switches to seq_cst releases and waiters look again every
// millisecond, so even a connection parked unseen is found.
BOOST_AUTO_TEST_CASE(a_waiter_finds_a_connection_parked_unseen_after_a_failed_fence) {
    FakeServer server;
    ConnectionPool<FakeDriver> pool(FakeDriver(server), sized(1));
    auto lease = pool.acquire();
    detail::pool_access::fail_heavy_fence(pool);
    std::promise<void> waiting;
    auto waiter = std::async(std::launch::async, [&] {
        waiting.set_value();
        return pool.acquire(std::chrono::seconds(30)).get()->id;
    });
    waiting.get_future().wait();
    while (pool.stats().waiters == 0) std::this_thread::yield();
    const auto id = lease.get()->id;
    detail::pool_access::park_unseen(lease);  // no hand-over: only a rescan can find it
    BOOST_TEST(waiter.get() == id);
}

BOOST_AUTO_TEST_CASE(without_membarrier_releases_still_hand_over_to_waiters) {
    // tools/test also runs the stress tests with LIFEGUARD_NO_MEMBARRIER=1 (ctest:
    // lifeguard_stress_tests.no_membarrier); here, one hand-over in this process's mode.
    FakeServer server;
    ConnectionPool<FakeDriver> pool(FakeDriver(server), sized(1));
    auto lease = pool.acquire();
    auto waiter = std::async(std::launch::async, [&] { return pool.acquire(std::chrono::seconds(30)).get()->id; });
    while (pool.stats().waiters == 0) std::this_thread::yield();
    const auto id = lease.get()->id;
    lease.release();
    BOOST_TEST(waiter.get() == id);
    BOOST_TEST(server.connects.load() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
