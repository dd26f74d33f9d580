// BackgroundMaintenance, duty by duty. Timed duties run with StepMaintenance (no thread) and a
// manual clock; connects for waiters and the connect cap run with the real worker threads and
// a fake server whose connects a test holds and releases (no timing anywhere).
#include "test_support.hpp"

#include <lifeguard/testing/maintenance.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

using namespace lifeguard_test;
using namespace lifeguard;
using lifeguard::testing::StepMaintenance;
using lifeguard::testing::step_maintenance;

namespace {
MaintenanceSettings settings() {
    MaintenanceSettings s;
    s.tick = 1s;
    s.idle_timeout = 10min;
    s.keepalive = 2min;
    s.keepalive_jitter = 0s;
    s.replace_before = 30s;
    s.retry_initial = 100ms;
    s.retry_max = 1s;
    s.breaker_after = 2;
    return s;
}

using stepped = ConnectionPool<FakeDriver, StepMaintenance, manual>;
using stepped_recycled = ConnectionPool<FakeDriver, StepMaintenance, RecycleAfter, manual>;
using threaded = ConnectionPool<FakeDriver, BackgroundMaintenance>;

// StepMaintenance pools connect on the acquiring thread when they must (there is no worker);
// step_maintenance() runs the duties. Threaded pools never connect on a request's thread.

// Waits (yielding, bounded by the watchdog) until `done` holds.
template <class F>
void until(F done) {
    while (!done()) std::this_thread::yield();
}
} // namespace

BOOST_FIXTURE_TEST_SUITE(maintenance, server_fixture)

BOOST_AUTO_TEST_CASE(refills_to_min_idle_after_closes_and_failed_connects) {
    stepped pool(driver(), sized(4, 2), StepMaintenance(settings()));
    BOOST_TEST(pool.stats().idle == 2u);
    pool.acquire().discard();  // a close: one idle short
    BOOST_TEST(pool.stats().idle == 1u);
    server.fail_next_connects(1);
    step_maintenance(pool);  // the refill fails ...
    BOOST_TEST(pool.stats().idle == 1u);
    BOOST_TEST(server.connect_failures == 1u);
    step_maintenance(pool);  // ... and is not retried before its backoff
    BOOST_TEST(server.connect_failures == 1u);
    BOOST_TEST(server.connects == 2u);
    ManualClock::advance(200ms);  // past the first backoff (100 ms +- 20 %)
    step_maintenance(pool);
    BOOST_TEST(pool.stats().idle == 2u);
    BOOST_TEST(server.connects == 3u);
    step_maintenance(pool);  // nothing more is wanted
    BOOST_TEST(server.connects == 3u);
}

BOOST_AUTO_TEST_CASE(idle_timeout_closes_connections_idle_too_long_but_keeps_min_idle) {
    stepped pool(driver(), sized(6, 2), StepMaintenance(settings()));
    {
        std::vector<stepped::lease_type> leases;
        for (int i = 0; i < 5; ++i) leases.push_back(pool.acquire());
    }
    BOOST_TEST(pool.stats().idle == 5u);
    step_maintenance(pool);  // notes when each was first seen idle
    ManualClock::advance(9min);
    step_maintenance(pool);
    BOOST_TEST(pool.stats().idle == 5u);  // not yet
    ManualClock::advance(2min);
    step_maintenance(pool);
    BOOST_TEST(pool.stats().idle == 2u);  // down to min_idle, not below
    BOOST_TEST(server.closes == 3u);
    // A connection used in between is not idle: it survives the next timeout.
    FakeConnection* used = pool.acquire().get();
    step_maintenance(pool);
    ManualClock::advance(11min);
    pool.acquire().discard();  // one of the two goes (discarded); the refill brings min_idle back
    step_maintenance(pool);
    BOOST_TEST(pool.stats().idle == 2u);
    BOOST_TEST(server.io_after_dispose == 0u);
    (void)used;
}

BOOST_AUTO_TEST_CASE(keepalive_pings_idle_connections_and_replaces_dead_ones) {
    stepped pool(driver(), sized(4, 3), StepMaintenance(settings()));
    step_maintenance(pool);
    ManualClock::advance(1min);
    step_maintenance(pool);
    BOOST_TEST(server.pings == 0u);
    ManualClock::advance(61s);  // idle for more than keepalive (2 min)
    step_maintenance(pool);
    BOOST_TEST(server.pings == 3u);
    BOOST_TEST(server.failed_pings == 0u);
    ManualClock::advance(61s);  // the pings reset the idle clock: not due again yet
    step_maintenance(pool);
    BOOST_TEST(server.pings == 3u);
    server.kill_all();  // the server drops them while idle
    ManualClock::advance(2min);
    step_maintenance(pool);  // keepalive finds them dead, closes them, and refills
    BOOST_TEST(server.failed_pings == 3u);
    BOOST_TEST(server.closes == 3u);
    BOOST_TEST(pool.stats().idle == 3u);
    BOOST_TEST(server.connects == 6u);
    auto lease = pool.acquire();  // a live one, no request-path work
    BOOST_TEST(server.query(lease.get()));
    BOOST_TEST(server.connects == 6u);
}

BOOST_AUTO_TEST_CASE(connections_are_replaced_before_recycle_after_retires_them) {
    stepped_recycled pool(driver(), sized(2, 1), StepMaintenance(settings()), RecycleAfter(60s));
    FakeConnection* old = pool.acquire().get();
    ManualClock::advance(31s);  // within replace_before (30 s) of expiry
    step_maintenance(pool);
    BOOST_TEST(old->closed);
    BOOST_TEST(server.connects == 2u);  // the successor, opened before the old one closed
    ManualClock::advance(40s);          // past the old connection's expiry
    const auto connects = server.connects.load();
    auto lease = pool.acquire();
    BOOST_TEST(lease.get() != old);
    BOOST_TEST(server.connects == connects);  // the request paid no connect
    BOOST_TEST(server.closes == 1u);
}

BOOST_AUTO_TEST_CASE(the_breaker_fails_fast_with_the_last_connect_error_and_closes_on_success) {
    auto o = sized(2, 1);
    o.acquire_timeout = 1h;  // an open breaker must not make anyone wait this long
    stepped pool(driver(), o, StepMaintenance(settings()));
    pool.acquire().discard();  // the refill of min_idle needs a connect
    server.fail_next_connects(2);
    step_maintenance(pool);  // first failure: the breaker stays closed
    BOOST_TEST(server.connect_failures == 1u);
    ManualClock::advance(1s);
    step_maintenance(pool);  // second failure in a row: the breaker opens
    BOOST_TEST(server.connect_failures == 2u);
    try {
        (void)pool.acquire();
        BOOST_FAIL("acquire waited with the breaker open");
    } catch (const DatabaseUnavailable& e) {
        const std::string what = e.what();
        BOOST_TEST(what.find("the last 2 connect(s) failed") != std::string::npos, what);
        BOOST_TEST(what.find("connection refused (injected failure)") != std::string::npos, what);
        BOOST_TEST(e.consecutive_failures() == 2u);
        BOOST_TEST(e.last_error_as<lifeguard::testing::FakeConnectError>() != nullptr);
        BOOST_TEST(e.last_error_as<std::out_of_range>() == nullptr);
    }
    BOOST_CHECK_THROW((void)pool.try_acquire(), DatabaseUnavailable);
    ManualClock::advance(5s);
    step_maintenance(pool);  // the next attempt succeeds: the breaker closes
    BOOST_TEST(pool.stats().idle == 1u);
    BOOST_TEST(static_cast<bool>(pool.acquire()));
}

BOOST_AUTO_TEST_CASE(a_waiter_gets_a_released_connection_without_waiting_for_a_connect) {
    watchdog guard(30s, "a waiter served by a release while a connect is held");
    auto o = sized(2);
    o.acquire_timeout = 1h;
    threaded pool(driver(), o);
    auto held = pool.acquire();
    FakeConnection* c = held.get();
    server.hold_connects();  // the server is slow: connects do not complete
    std::promise<FakeConnection*> got;
    std::thread waiter([&] { got.set_value(pool.acquire().get()); });
    until([&] { return pool.stats().waiters == 1u && server.connecting == 1u; });  // a connect for it is under way
    held.release();
    BOOST_TEST(got.get_future().get() == c);  // the release came first: served at once
    waiter.join();
    server.release_connects();
    until([&] { return pool.stats().idle == 2u; });  // the connect completes and parks
    BOOST_TEST(server.connects == 2u);
}

BOOST_AUTO_TEST_CASE(waiters_get_new_connections_from_the_background_and_connects_are_capped) {
    watchdog guard(30s, "eight waiters served by background connects");
    auto o = sized(8);
    o.acquire_timeout = 1h;
    MaintenanceSettings s;
    s.max_connecting = 2;
    threaded pool(driver(), o, BackgroundMaintenance(s));
    server.hold_connects();
    std::atomic<int> served{0};
    std::vector<std::thread> waiters;
    for (int i = 0; i < 8; ++i)
        waiters.emplace_back([&] {
            auto lease = pool.acquire();
            ++served;
            until([&] { return served.load() == 8; });  // keep it until all are served
        });
    until([&] { return pool.stats().waiters == 8u && server.connecting == 2u; });
    server.release_connects();
    for (auto& w : waiters) w.join();
    BOOST_TEST(server.connects == 8u);
    BOOST_TEST(server.max_connecting <= 2u);  // never more than max_connecting at once
    BOOST_TEST(server.max_connecting == 2u);
}

BOOST_AUTO_TEST_CASE(try_acquire_never_connects_on_the_callers_thread) {
    watchdog guard(30s, "try_acquire with maintenance");
    threaded pool(driver(), sized(2));
    BOOST_TEST(!pool.try_acquire().has_value());  // empty: it asked the maintenance for one
    until([&] { return pool.stats().idle == 1u; });
    BOOST_TEST(pool.try_acquire().has_value());
}

BOOST_AUTO_TEST_CASE(invalid_settings_are_rejected_with_the_field_name) {
    auto rejects = [](auto change, const char* field) {
        MaintenanceSettings s;
        change(s);
        try {
            BackgroundMaintenance m(s);
            BOOST_ERROR("accepted a bad " << field);
        } catch (const std::invalid_argument& e) {
            BOOST_TEST(std::string(e.what()).find(field) != std::string::npos, e.what());
        }
    };
    rejects([](MaintenanceSettings& s) { s.tick = 0ms; }, "tick");
    rejects([](MaintenanceSettings& s) { s.idle_timeout = -1ms; }, "idle_timeout");
    rejects([](MaintenanceSettings& s) { s.retry_max = 1ms; }, "retry_max");
    rejects([](MaintenanceSettings& s) { s.breaker_after = 0; }, "breaker_after");
    rejects([](MaintenanceSettings& s) { s.max_connecting = 0; }, "max_connecting");
    rejects([](MaintenanceSettings& s) { s.keepalive_jitter = s.keepalive; }, "keepalive_jitter");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(lifecycle, server_fixture)

BOOST_AUTO_TEST_CASE(close_stops_handing_out_wakes_waiters_and_drains) {
    watchdog guard(30s, "close() with a waiter and a lease out");
    auto o = sized(2, 2);
    o.acquire_timeout = 1h;
    ConnectionPool<FakeDriver> pool(driver(), o);
    auto a = pool.acquire();
    auto b = pool.acquire();
    std::promise<std::string> waiter_saw;
    std::thread waiter([&] {
        try {
            (void)pool.acquire();
            waiter_saw.set_value("a connection");
        } catch (const PoolClosed& e) {
            waiter_saw.set_value(e.what());
        }
    });
    until([&] { return pool.stats().waiters == 1u; });
    a.release();  // goes to the waiter... unless close() came first; either way it ends
    b.release();  // idle
    std::promise<bool> drained;
    std::thread closer([&] { drained.set_value(pool.close(1h)); });
    waiter.join();
    const std::string saw = waiter_saw.get_future().get();
    BOOST_TEST((saw == "a connection" || saw.find("the pool is closed") != std::string::npos), saw);
    BOOST_TEST(drained.get_future().get());
    closer.join();
    BOOST_TEST(server.closes == 2u);
    BOOST_CHECK_THROW((void)pool.acquire(), PoolClosed);
    BOOST_CHECK_THROW((void)pool.try_acquire(), PoolClosed);
    BOOST_TEST(pool.close());  // again: nothing left
}

BOOST_AUTO_TEST_CASE(close_closes_idle_now_and_leased_at_release) {
    ConnectionPool<FakeDriver> pool(driver(), sized(3, 3));
    auto leased = pool.acquire();
    FakeConnection* c = leased.get();
    BOOST_TEST(!pool.close());  // no wait: one is still leased
    BOOST_TEST(server.closes == 2u);
    BOOST_TEST(server.query(c));  // the lease keeps working until it ends
    leased.release();
    BOOST_TEST(c->closed);
    BOOST_TEST(pool.stats().open == 0u);
    BOOST_TEST(pool.close());
}

BOOST_AUTO_TEST_CASE(invalidate_closes_idle_now_leased_at_release_and_refills_fresh) {
    ConnectionPool<FakeDriver> pool(driver(), sized(4, 3));
    auto leased = pool.acquire();
    FakeConnection* old_leased = leased.get();
    pool.invalidate();
    BOOST_TEST(server.closes == 2u);                  // the idle ones
    BOOST_TEST(server.query(old_leased));             // a lease keeps working...
    auto fresh = pool.acquire();
    BOOST_TEST(fresh.get() != old_leased);
    leased.release();  // ... and its connection is closed when it comes back
    BOOST_TEST(old_leased->closed);
    fresh.release();
    BOOST_TEST(!fresh);
    BOOST_TEST(pool.stats().idle == 1u);  // the fresh one is reused normally
    BOOST_TEST(pool.acquire().get() != old_leased);
    BOOST_TEST(server.closes == 3u);
}

BOOST_AUTO_TEST_CASE(a_connect_under_way_during_invalidate_is_retired_after_its_lease) {
    watchdog guard(30s, "invalidate during a connect");
    ConnectionPool<FakeDriver> pool(driver(), sized(2));
    server.hold_connects();
    std::promise<FakeConnection*> got;
    std::thread opener([&] {
        auto lease = pool.acquire();  // connects on this thread (no maintenance)
        got.set_value(lease.get());
    });
    until([&] { return server.connecting == 1u; });
    pool.invalidate();
    server.release_connects();
    FakeConnection* c = got.get_future().get();
    opener.join();
    BOOST_TEST(c->closed);  // opened before the invalidation completed: not reused
    BOOST_TEST(pool.stats().open == 0u);
}

BOOST_AUTO_TEST_CASE(with_maintenance_close_stops_the_workers_and_invalidate_refills) {
    watchdog guard(30s, "close with maintenance");
    threaded pool(driver(), sized(4, 2));
    pool.invalidate();
    until([&] { return pool.stats().idle == 2u && server.connects == 4u; });  // refilled in the background
    BOOST_TEST(server.closes == 2u);
    BOOST_TEST(pool.close());
    BOOST_TEST(server.open_connections() == 0u);  // whatever the workers had under way is closed too
    BOOST_TEST(server.closes.load() == server.connects.load());
}

BOOST_AUTO_TEST_SUITE_END()
