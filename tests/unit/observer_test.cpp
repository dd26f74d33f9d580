// Observers (issue 10): each event fires exactly where documented, an observer that throws
// breaks nothing, Metrics adds up, LeakDetection reports once and again at release, and
// SessionSetup runs on every new and every reset session.
#include "test_support.hpp"

#include <lifeguard/leak_detection.hpp>
#include <lifeguard/metrics.hpp>
#include <lifeguard/testing/maintenance.hpp>

#include <boost/test/unit_test.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace lifeguard_test;
using namespace lifeguard;

namespace {

// Records every event as a line of text.
struct Recorder {
    using policy_kind = observer_tag;
    static constexpr bool tracks_leases = true;
    std::shared_ptr<std::vector<std::string>> log = std::make_shared<std::vector<std::string>>();
    std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
    void add(std::string s) const {
        std::lock_guard lock(*mutex);
        log->push_back(std::move(s));
    }
    void on(const events::ConnectionOpened& e) const { add(e.in_background ? "opened (background)" : "opened"); }
    void on(const events::ConnectFailed& e) const { add(std::string("connect failed: ") + detail::what_of(e.error)); }
    void on(const events::ConnectionClosed& e) const { add(std::string("closed: ") + to_string(e.reason)); }
    void on(const events::Acquired& e) const { add(e.did_wait ? "acquired after waiting" : "acquired"); }
    void on(const events::AcquireTimedOut&) const { add("timed out"); }
    void on(const events::Released&) const { add("released"); }
    void on(const events::Validated& e) const {
        add(std::string("validated by ") + (e.check == ValidationStep::ping ? "ping" : e.check == ValidationStep::socket ? "socket" : "limit") +
            (e.passed ? ": alive" : ": dead"));
    }
    std::vector<std::string> take() const {
        std::lock_guard lock(*mutex);
        return std::exchange(*log, {});
    }
};

// Throws from every event.
struct Thrower {
    using policy_kind = observer_tag;
    static constexpr bool tracks_leases = false;
    template <class E>
    void on(const E&) const {
        throw std::runtime_error("observer failure");
    }
};

using strings = std::vector<std::string>;

std::string joined(const strings& v) {
    std::string s;
    for (const auto& x : v) s += "[" + x + "] ";
    return s;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(observer, server_fixture)

BOOST_AUTO_TEST_CASE(each_event_fires_where_documented) {
    Recorder rec;
    auto o = sized(2);
    o.acquire_timeout = 1ms;
    ConnectionPool<FakeDriver, Recorder, TieredValidation, RecycleAfter, manual> pool(
        driver(), o, rec, TieredValidation(500ms, 30s), RecycleAfter(60s));
    FakeConnection* c = nullptr;
    {
        auto lease = pool.acquire();
        c = lease.get();
    }
    { const auto got = rec.take(); BOOST_TEST((got == strings{"opened", "acquired", "released"}), joined(got)); }
    ManualClock::advance(1s);
    (void)pool.acquire();  // idle 1 s: a socket check
    { const auto got = rec.take(); BOOST_TEST((got == strings{"validated by socket: alive", "acquired", "released"}), joined(got)); }
    server.kill_all();
    ManualClock::advance(1s);
    (void)pool.acquire();  // found dead, closed, another opened
    { const auto got = rec.take(); BOOST_TEST((got == strings{"validated by socket: dead", "closed: failed_validation", "opened", "acquired",
                                      "released"}), joined(got)); }
    pool.acquire().discard();
    { const auto got = rec.take(); BOOST_TEST((got == strings{"acquired", "released", "closed: discarded"}), joined(got)); }
    {
        auto a = pool.acquire();
        auto b = pool.acquire();
        rec.take();
        BOOST_CHECK_THROW((void)pool.acquire(), AcquireTimeout);
        { const auto got = rec.take(); BOOST_TEST((got == strings{"timed out"}), joined(got)); }
        a->alive = false;
        server.query(a.get());  // broken: closed at release
    }
    { const auto got = rec.take(); BOOST_TEST((got == strings{"released", "released", "closed: broken"}), joined(got)); }
    ManualClock::advance(61s);
    (void)pool.acquire();  // expired at checkout
    { const auto got = rec.take(); BOOST_TEST((got == strings{"closed: expired", "opened", "acquired", "released"}), joined(got)); }
    server.fail_next_connects(1);
    pool.invalidate();
    rec.take();
    BOOST_CHECK_THROW((void)pool.acquire(), lifeguard::testing::FakeConnectError);
    const auto failed = rec.take();
    BOOST_TEST(failed.size() == 1u);
    BOOST_TEST(failed.at(0).find("connect failed: fake driver: connection refused") == 0u, failed.at(0));
    (void)pool.acquire();
    pool.close();
    const auto closing = rec.take();
    BOOST_TEST(closing.back() == "closed: pool_closed");
    (void)c;
}

BOOST_AUTO_TEST_CASE(a_waiter_is_acquired_after_waiting) {
    Recorder rec;
    auto o = sized(1);
    o.acquire_timeout = 10s;
    ConnectionPool<FakeDriver, Recorder> pool(driver(), o, rec);
    auto held = pool.acquire();
    std::thread waiter([&] { (void)pool.acquire(); });
    while (pool.stats().waiters == 0) std::this_thread::yield();
    rec.take();
    held.release();
    waiter.join();
    const auto events = rec.take();
    BOOST_TEST(std::count(events.begin(), events.end(), "acquired after waiting") == 1);
}

BOOST_AUTO_TEST_CASE(an_observer_that_throws_breaks_nothing) {
    ConnectionPool<FakeDriver, Observers<Thrower, Recorder>> pool(driver(), sized(2));
    auto& rec = pool;  // the Recorder inside still hears everything
    (void)rec;
    for (int i = 0; i < 5; ++i) {
        auto lease = pool.acquire();
        BOOST_TEST(server.query(lease.get()));
    }
    pool.acquire().discard();
    BOOST_TEST(pool.stats().open == 0u);
    BOOST_TEST(server.connects == 1u);
    BOOST_TEST(server.closes == 1u);
}

BOOST_AUTO_TEST_CASE(observers_combine_and_each_hears_its_events) {
    Recorder first, second;
    ConnectionPool<FakeDriver, Observers<Recorder, Thrower, Recorder>> pool(
        driver(), sized(1), Observers<Recorder, Thrower, Recorder>(first, Thrower{}, second));
    (void)pool.acquire();
    { const auto got = first.take(); BOOST_TEST((got == strings{"opened", "acquired", "released"}), joined(got)); }
    { const auto got = second.take(); BOOST_TEST((got == strings{"opened", "acquired", "released"}), joined(got)); }
}

BOOST_AUTO_TEST_CASE(maintenance_events_come_from_the_background) {
    Recorder rec;
    MaintenanceSettings m;
    m.keepalive = 2min;
    m.keepalive_jitter = 0s;
    ConnectionPool<FakeDriver, Recorder, lifeguard::testing::StepMaintenance, manual> pool(
        driver(), sized(3, 2), rec, lifeguard::testing::StepMaintenance(m));
    { const auto got = rec.take(); BOOST_TEST((got == strings{"opened", "opened"}), joined(got)); }  // the constructor's
    pool.acquire().discard();
    rec.take();
    lifeguard::testing::step_maintenance(pool);  // refill to min_idle
    { const auto got = rec.take(); BOOST_TEST((got == strings{"opened (background)"}), joined(got)); }
    server.kill_all();
    ManualClock::advance(3min);
    lifeguard::testing::step_maintenance(pool);  // keepalives find both dead
    const auto events = rec.take();
    BOOST_TEST(std::count(events.begin(), events.end(), "closed: failed_validation") == 2);
    BOOST_TEST(std::count(events.begin(), events.end(), "opened (background)") == 2);
}

BOOST_AUTO_TEST_CASE(abandoning_inherited_connections_is_reported_outside_the_lock) {
    // (A real fork is in tests/fork; here the generation changes by hand.)
    Recorder rec;
    ConnectionPool<FakeDriver, Recorder, DisposeAfterFork> pool(driver(), sized(2, 2), rec);
    rec.take();
    detail::process_generation.fetch_add(1);
    BOOST_TEST(pool.stats().open == 0u);
    const auto events = rec.take();
    BOOST_TEST((events == strings{"closed: inherited", "closed: inherited"}), boost::test_tools::per_element());
    BOOST_TEST(server.abandons == 2u);
    detail::process_generation.fetch_sub(1);  // as it was, for the tests that follow
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(metrics, server_fixture)

BOOST_AUTO_TEST_CASE(the_counters_and_histograms_add_up) {
    Metrics metrics;
    auto o = sized(2, 1);
    o.acquire_timeout = 1ms;
    ConnectionPool<FakeDriver, Metrics, PingOnCheckout> pool(driver(), o, metrics);
    for (int i = 0; i < 10; ++i) (void)pool.acquire();
    {
        auto a = pool.acquire(), b = pool.acquire();
        BOOST_CHECK_THROW((void)pool.acquire(), AcquireTimeout);
        b.discard();
    }
    const MetricsSnapshot s = metrics.snapshot(pool);
    BOOST_TEST(s.opened == 2u);
    BOOST_TEST(s.closed == 1u);
    BOOST_TEST(s.closed_by_reason[static_cast<std::size_t>(CloseReason::discarded)] == 1u);
    BOOST_TEST(s.acquired == 12u);
    BOOST_TEST(s.released == 12u);
    BOOST_TEST(s.timeouts == 1u);
    BOOST_TEST(s.validations == 11u);  // every reused checkout: 10 + a
    BOOST_TEST(s.idle == 1u);
    BOOST_TEST(s.used == 0u);
    BOOST_TEST(s.max == 2u);
    BOOST_TEST(s.idle_min == 1u);
    BOOST_TEST(s.opened - s.closed == s.idle + s.used);  // opened - closed = open
    BOOST_TEST(s.use_time.count == 12u);
    BOOST_TEST(s.wait_time.count == 13u);  // 12 acquisitions and the timeout
    BOOST_TEST(s.create_time.count == 2u);
    std::uint64_t buckets = 0;
    for (auto n : s.use_time.counts) buckets += n;
    BOOST_TEST(buckets == 12u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(leak_detection, server_fixture)

BOOST_AUTO_TEST_CASE(a_leak_is_reported_once_with_its_place_and_again_when_returned) {
    std::mutex m;
    std::vector<LeakReport> reports;
    LeakDetection leaks(std::chrono::milliseconds(50), [&](const LeakReport& r) {
        std::lock_guard lock(m);
        reports.push_back(r);
    });
    MaintenanceSettings s;
    s.tick = 1h;
    ConnectionPool<FakeDriver, LeakDetection, lifeguard::testing::StepMaintenance> pool(
        driver(), sized(2), leaks, lifeguard::testing::StepMaintenance(s));
    auto held = pool.acquire();
    lifeguard::testing::step_maintenance(pool);  // not yet over the threshold
    BOOST_TEST(reports.empty());
    std::this_thread::sleep_for(60ms);  // the only timing here: a lease must be held long
    lifeguard::testing::step_maintenance(pool);
    lifeguard::testing::step_maintenance(pool);  // reported once, not again
    BOOST_REQUIRE(reports.size() == 1u);
    BOOST_TEST(!reports[0].returned);
    BOOST_TEST((reports[0].thread == std::this_thread::get_id()));
    BOOST_TEST((reports[0].held >= std::chrono::milliseconds(50)));
#ifdef LIFEGUARD_TEST_NAMED_TRACES  // linked with a Boost.Stacktrace backend: function names
    BOOST_TEST(reports[0].acquired_at.find("a_leak_is_reported_once") != std::string::npos, reports[0].acquired_at);
#else
    BOOST_TEST(!reports[0].acquired_at.empty());
#endif
    held.release();
    BOOST_REQUIRE(reports.size() == 2u);
    BOOST_TEST(reports[1].returned);
    (void)pool.acquire();  // a short lease: nothing
    BOOST_TEST(reports.size() == 2u);
}

BOOST_AUTO_TEST_CASE(without_maintenance_a_leak_is_seen_when_it_ends) {
    std::vector<LeakReport> reports;
    ConnectionPool<FakeDriver, LeakDetection> pool(
        driver(), sized(1), LeakDetection(std::chrono::milliseconds(20), [&](const LeakReport& r) { reports.push_back(r); }));
    {
        auto held = pool.acquire();
        std::this_thread::sleep_for(30ms);
    }
    BOOST_REQUIRE(reports.size() == 1u);
    BOOST_TEST(reports[0].returned);
    BOOST_TEST(!reports[0].acquired_at.empty());
    BOOST_CHECK_THROW(LeakDetection(std::chrono::milliseconds(0)), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(session_setup_hook, server_fixture)

BOOST_AUTO_TEST_CASE(setup_runs_on_every_new_connection_and_after_every_reset) {
    auto runs = std::make_shared<int>(0);
    auto setup = SessionSetup([runs](FakeConnection*& c) {
        ++*runs;
        c->session_changes = 100;  // the "session setup"
    });
    ConnectionPool<FakeDriver, decltype(setup), ResetOnReturn> pool(driver(), sized(2), setup);
    FakeConnection* c = nullptr;
    {
        auto lease = pool.acquire();
        c = lease.get();
        BOOST_TEST(c->session_changes == 100u);  // set up before the first lease
        BOOST_TEST(*runs == 1);
    }
    auto again = pool.acquire();  // the pipelined reset finished, then the setup again
    BOOST_TEST(again.get() == c);
    BOOST_TEST(*runs == 2);
    BOOST_TEST(again->session_changes == 100u);
}

BOOST_AUTO_TEST_CASE(a_failed_setup_closes_the_connection_and_counts_as_a_failed_connect) {
    Recorder rec;
    auto fail = std::make_shared<bool>(true);
    auto setup = SessionSetup([fail](FakeConnection*&) { return !*fail; });
    ConnectionPool<FakeDriver, decltype(setup), Recorder> pool(driver(), sized(1), setup, rec);
    BOOST_CHECK_THROW((void)pool.acquire(), SetupFailed);
    BOOST_TEST(server.closes == 1u);  // the half-made connection was closed
    BOOST_TEST(pool.stats().open == 0u);
    const auto events = rec.take();
    BOOST_TEST(events.size() == 1u);
    BOOST_TEST(events.at(0).find("connect failed: lifeguard: the session setup") == 0u, events.at(0));
    *fail = false;
    BOOST_TEST(static_cast<bool>(pool.acquire()));
}

BOOST_AUTO_TEST_SUITE_END()
