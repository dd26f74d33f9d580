// BackgroundMaintenance against a real server (issue 8): no request pays for a connect,
// an outage fails fast and recovers, and forked children get their own maintenance.
#include "child_process.hpp"
#include "db_support.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

using namespace lifeguard;
using namespace lifeguard_db;
using namespace std::chrono_literals;
using Db = lifeguard::mariadb::Driver;

namespace {

// The MariaDB driver, counting connects (noting which were made on a request's thread),
// pings and socket checks.
inline thread_local bool on_request_thread = false;
struct counting_driver : mariadb::Driver {
    struct counters {
        std::atomic<int> attempts{0}, connects{0}, on_requests{0}, in_flight{0}, max_in_flight{0};
        std::atomic<int> pings{0}, pings_on_requests{0}, socket_checks{0}, failures{0};
        std::mutex mutex;
        std::vector<std::chrono::steady_clock::time_point> attempt_times;
        std::vector<bool> attempt_failed;  // with attempt_times
    };
    std::shared_ptr<counters> c = std::make_shared<counters>();
    using mariadb::Driver::Driver;

    connection_type connect() {
        if (on_request_thread) ++c->on_requests;
        ++c->attempts;
        const int now = ++c->in_flight;
        for (int seen = c->max_in_flight; now > seen && !c->max_in_flight.compare_exchange_weak(seen, now);) {
        }
        std::size_t index = 0;
        {
            std::lock_guard lock(c->mutex);
            index = c->attempt_times.size();
            c->attempt_times.push_back(std::chrono::steady_clock::now());
            c->attempt_failed.push_back(false);
        }
        struct leave {
            counters& k;
            ~leave() { --k.in_flight; }
        } on_exit{*c};
        try {
            auto m = mariadb::Driver::connect();
            ++c->connects;
            return m;
        } catch (...) {
            ++c->failures;
            std::lock_guard lock(c->mutex);
            c->attempt_failed[index] = true;
            throw;
        }
    }
    bool ping(connection_type& m, std::chrono::milliseconds timeout) {
        ++c->pings;
        if (on_request_thread) ++c->pings_on_requests;
        return mariadb::Driver::ping(m, timeout);
    }
    [[nodiscard]] SocketState socket_state(const connection_type& m) const noexcept {
        ++c->socket_checks;
        return mariadb::Driver::socket_state(m);
    }
};
static_assert(lifeguard::Driver<counting_driver>);

long server_connections(MYSQL* admin) {
    return std::stol(scalar(admin, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                                   "WHERE VARIABLE_NAME = 'CONNECTIONS'"));
}

// Gaps between a thread's requests, 0-5 s: 90 % below 100 ms, 10 % from 2.5 to 5 s (past
// the server's 2 s wait_timeout). Uniform 0-5 s gaps would make 1,000 requests from two
// threads last 21 minutes; this keeps the long gaps and the run near 4 minutes.
std::chrono::milliseconds next_gap(std::mt19937& rng) {
    if (std::uniform_int_distribution<int>(0, 9)(rng) == 0)
        return std::chrono::milliseconds(std::uniform_int_distribution<int>(2500, 5000)(rng));
    return std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 100)(rng));
}

} // namespace

BOOST_AUTO_TEST_SUITE(maintenance)

BOOST_AUTO_TEST_CASE(with_wait_timeout_2s_no_request_fails_pays_for_a_connect_or_pings) {
    // The recommended set with its defaults (no RecycleAfter value, no maintenance setting
    // chosen here: the user does not know wait_timeout). The server drops sessions idle for
    // 2 s; 1,000 requests from 2 threads with idle gaps up to 5 s. TieredValidation learns the
    // limit at connect and never hands out a connection idle past it; the maintenance keeps
    // idle connections alive at half of it and opens every new connection.
    auto o = options("SET SESSION wait_timeout=2");
    counting_driver d(o);
    auto counters = d.c;
    Db admin_driver(options());
    MYSQL* admin = admin_driver.connect();
    const long connections_before = server_connections(admin);
    RecommendedPool<counting_driver> pool(d, sized(4, 2, 5s));
    std::atomic<int> failures{0}, requests{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t)
        threads.emplace_back([&, t] {
            on_request_thread = true;
            std::mt19937 rng(static_cast<unsigned>(t) + 17);
            for (int i = 0; i < 500; ++i) {
                std::this_thread::sleep_for(next_gap(rng));
                try {
                    auto lease = pool.acquire();
                    if (!select1(lease.get())) ++failures;
                } catch (const std::exception& e) {
                    BOOST_TEST_MESSAGE("request failed: " << e.what());
                    ++failures;
                }
                ++requests;
            }
        });
    for (auto& t : threads) t.join();
    BOOST_TEST(requests.load() == 1000);
    BOOST_TEST(failures.load() == 0);
    BOOST_TEST(counters->on_requests.load() == 0);        // every connect was made by the maintenance
    BOOST_TEST(counters->pings_on_requests.load() == 0);  // and no request waited for a ping
    BOOST_TEST(counters->pings.load() < requests.load());
    BOOST_TEST_MESSAGE("connects " << counters->connects << ", background keepalive pings " << counters->pings
                                   << ", socket checks " << counters->socket_checks << " for 1000 requests");
    BOOST_TEST(pool.close());
    // The server saw exactly the pool's connects (and the admin's): none hidden elsewhere.
    BOOST_TEST(server_connections(admin) - connections_before == counters->connects.load());
    admin_driver.close(admin);
}

BOOST_AUTO_TEST_CASE(an_outage_fails_fast_and_recovers_within_a_second, *needs_env("LIFEGUARD_THROWAWAY_MARIADB")) {
    const char* script = std::getenv("LIFEGUARD_THROWAWAY_MARIADB");
    // A server of this test's own: it is stopped for 5 s and started again on its port.
    const std::string dir = "/tmp/lifeguard-outage-" + std::to_string(::getpid());
    auto sh = [&](const std::string& command) { return std::system((std::string(script) + " " + command + " " + dir + " >/dev/null 2>&1").c_str()); };
    BOOST_REQUIRE(sh("start") == 0);
    std::string url;
    std::getline(std::ifstream(dir + "/url"), url);
    auto o = mariadb::parse_url(url);
    o.connect_timeout = 2s;
    o.read_timeout = 2s;
    o.write_timeout = 2s;
    MaintenanceSettings m;
    m.tick = 100ms;
    m.retry_initial = 50ms;
    m.retry_max = 400ms;
    m.breaker_after = 2;
    counting_driver d(o);
    auto counters = d.c;
    auto po = sized(4, 2, 5s);
    po.acquire_timeout = 2s;
    ConnectionPool<counting_driver, BackgroundMaintenance> pool(d, po, BackgroundMaintenance(m));

    using clock = std::chrono::steady_clock;
    std::atomic<bool> stop{false};
    std::mutex results_mutex;
    std::vector<double> breaker_ms;            // acquire() latency when it threw DatabaseUnavailable
    double slowest_failure_ms = 0;             // any failed request
    std::vector<clock::time_point> successes;  // when requests succeeded
    int other_exceptions = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            on_request_thread = true;
            while (!stop) {
                const auto start = clock::now();
                bool ok = false;
                std::string kind;
                try {
                    auto lease = pool.acquire();
                    ok = select1(lease.get());
                    if (!ok) kind = "query";
                } catch (const DatabaseUnavailable&) {
                    kind = "breaker";
                } catch (const AcquireTimeout&) {
                    kind = "timeout";
                } catch (const std::exception&) {
                    kind = "other";
                }
                const auto end = clock::now();
                const double ms = std::chrono::duration<double, std::milli>(end - start).count();
                {
                    std::lock_guard lock(results_mutex);
                    if (ok) successes.push_back(end);
                    else slowest_failure_ms = std::max(slowest_failure_ms, ms);
                    if (kind == "breaker") breaker_ms.push_back(ms);
                    if (kind == "other") ++other_exceptions;
                }
                std::this_thread::sleep_for(10ms);
            }
        });
    std::this_thread::sleep_for(500ms);
    BOOST_REQUIRE(sh("halt") == 0);
    const auto down_at = clock::now();
    const int attempts_before = counters->attempts;
    std::this_thread::sleep_for(5s);
    const int attempts_during = counters->attempts - attempts_before;
    const int max_parallel_attempts = counters->max_in_flight;
    BOOST_REQUIRE(sh("resume") == 0);
    const auto up_at = clock::now();
    std::this_thread::sleep_for(2s);
    stop = true;
    for (auto& t : threads) t.join();

    // During the outage: every failure came within the acquire timeout, and once the breaker
    // was open within a millisecond.
    BOOST_TEST(slowest_failure_ms <= 2000.0 + 100.0, slowest_failure_ms << " ms");
    BOOST_TEST(other_exceptions == 0);
    BOOST_REQUIRE(!breaker_ms.empty());
    std::sort(breaker_ms.begin(), breaker_ms.end());
    const double p99 = breaker_ms[breaker_ms.size() * 99 / 100];
    BOOST_TEST(p99 <= 1.0, "p99 " << p99 << " ms over " << breaker_ms.size() << " fast failures");
    // At most one attempt per backoff step: while connects fail (between two failed attempts),
    // never two at once and never closer than the shortest step (50 ms - 20 %). After the
    // first success the breaker is closed and refills may run in parallel again.
    BOOST_TEST(max_parallel_attempts <= 2);  // 2: the refill before the outage may overlap
    {
        std::lock_guard lock(counters->mutex);
        int during = 0;
        const auto& failed = counters->attempt_failed;
        for (std::size_t i = 1; i < counters->attempt_times.size(); ++i) {
            const auto& a = counters->attempt_times;
            if (a[i - 1] < down_at + 100ms || a[i] > up_at || !failed[i - 1] || !failed[i]) continue;
            ++during;
            const double apart_ms = std::chrono::duration<double, std::milli>(a[i] - a[i - 1]).count();
            const double since_down = std::chrono::duration<double, std::milli>(a[i] - down_at).count();
            BOOST_TEST(apart_ms >= 39.0, "attempts " << apart_ms << " ms apart, " << since_down << " ms into the outage");
        }
        BOOST_TEST_MESSAGE("connect attempts during the 5 s outage: " << attempts_during << " (" << during << " spaced)");
    }
    BOOST_TEST(attempts_during <= 5000 / 40 + 2);
    // Recovery: a request succeeds within a second of the server accepting connections.
    auto first_after = std::find_if(successes.begin(), successes.end(), [&](auto t) { return t > up_at; });
    BOOST_REQUIRE(first_after != successes.end());
    const double recovery_ms = std::chrono::duration<double, std::milli>(*first_after - up_at).count();
    BOOST_TEST(recovery_ms <= 1000.0, recovery_ms << " ms");
    BOOST_TEST_MESSAGE("recovered " << recovery_ms << " ms after the server came back");
    // Nothing leaked: no lease out, no waiter, the counts add up.
    const auto s = pool.stats();
    BOOST_TEST(s.in_use == 0u);
    BOOST_TEST(s.waiters == 0u);
    BOOST_TEST(s.open <= 4u);
    BOOST_TEST(pool.close());
    BOOST_TEST(counters->on_requests.load() == 0);
    BOOST_TEST(sh("stop") == 0);
}

BOOST_AUTO_TEST_CASE(sixteen_children_fork_while_the_parents_maintenance_runs) {
    Db admin_driver(options());
    MYSQL* admin = admin_driver.connect();
    MaintenanceSettings m;
    m.tick = 20ms;
    m.keepalive = 100ms;
    m.keepalive_jitter = 20ms;
    using Pool = ConnectionPool<Db, DisposeAfterFork, BackgroundMaintenance>;
    Pool pool(Db(options()), sized(6, 3, 5s), BackgroundMaintenance(m));
    std::vector<unsigned long> parent_ids;
    {
        std::vector<Pool::lease_type> warm;
        for (int i = 0; i < 3; ++i) warm.push_back(pool.acquire());
        for (auto& l : warm) parent_ids.push_back(mysql_thread_id(l.get()));
    }
    std::atomic<bool> stop{false};
    std::atomic<int> parent_failures{0};
    std::thread load([&] {
        while (!stop) {
            auto l = pool.acquire();
            if (!select1(l.get())) ++parent_failures;
            std::this_thread::sleep_for(2ms);
        }
    });
    std::vector<pid_t> children;
    for (int c = 0; c < 16; ++c)
        children.push_back(lifeguard_test::spawn([&] {
            for (int q = 0; q < 20; ++q) {
                auto lease = pool.acquire();
                LIFEGUARD_CHILD_CHECK(select1(lease.get()));
                LIFEGUARD_CHILD_CHECK(std::count(parent_ids.begin(), parent_ids.end(), mysql_thread_id(lease.get())) == 0);
            }
            return true;
        }));
    int child_failures = 0;
    for (pid_t pid : children) child_failures += lifeguard_test::wait_child(pid, 60s) == 0 ? 0 : 1;
    stop = true;
    load.join();
    BOOST_TEST(child_failures == 0);
    BOOST_TEST(parent_failures.load() == 0);
    // The parent's sessions are untouched (still on the server)...
    const auto live = live_ids(admin);
    for (auto id : parent_ids) BOOST_TEST(std::count(live.begin(), live.end(), id) == 1, "session " << id);
    // ... and its maintenance still refills after the children are gone.
    pool.acquire().discard();
    pool.acquire().discard();
    for (int i = 0; i < 500 && pool.stats().idle < 3u; ++i) std::this_thread::sleep_for(10ms);
    BOOST_TEST(pool.stats().idle == 3u);
    admin_driver.close(admin);
}

BOOST_AUTO_TEST_SUITE_END()
