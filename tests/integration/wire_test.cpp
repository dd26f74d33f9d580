// Validation and reset without round trips against a real server (issue 9), plaintext and
// TLS: killed connections are found by a socket check, not a ping; a pipelined reset keeps
// sessions isolated, also when the next lease comes at once and when the reset fails.
#include "child_process.hpp"
#include "db_support.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <thread>

using namespace lifeguard;
using namespace lifeguard_db;
using namespace std::chrono_literals;
using Db = lifeguard::mariadb::Driver;

namespace {

// The MariaDB driver, counting what validation costs.
struct counted_driver : Db {
    struct counters {
        std::atomic<int> pings{0}, socket_checks{0}, closed_sockets{0}, reset_starts{0}, reset_finishes{0};
    };
    std::shared_ptr<counters> c = std::make_shared<counters>();
    using Db::Db;
    bool ping(connection_type& m, std::chrono::milliseconds timeout) {
        ++c->pings;
        return Db::ping(m, timeout);
    }
    [[nodiscard]] SocketState socket_state(const connection_type& m) const noexcept {
        ++c->socket_checks;
        const SocketState s = Db::socket_state(m);
        if (s == SocketState::closed) ++c->closed_sockets;
        return s;
    }
    ResetProgress reset_start(connection_type& m) {
        ++c->reset_starts;
        return Db::reset_start(m);
    }
    bool reset_finish(connection_type& m) {
        ++c->reset_finishes;
        return Db::reset_finish(m);
    }
};
static_assert(SocketCheckDriver<counted_driver> && AsyncResetDriver<counted_driver> && IdleLimitDriver<counted_driver>);

using tiered_pool = ConnectionPool<counted_driver, TieredValidation>;

} // namespace

BOOST_AUTO_TEST_SUITE(socket_checks)

BOOST_AUTO_TEST_CASE(killed_idle_connections_are_found_by_the_socket_check_not_by_a_ping) {
    for (const auto& [name, o] : transports()) {
        BOOST_TEST_CONTEXT(name) {
            counted_driver d(o);
            auto counters = d.c;
            Db admin_driver(o);
            MYSQL* admin = admin_driver.connect();
            tiered_pool pool(d, sized(3, 3));
            std::vector<unsigned long> ids;
            {
                std::vector<tiered_pool::lease_type> leases;
                for (int i = 0; i < 3; ++i) leases.push_back(pool.acquire());
                for (auto& l : leases) ids.push_back(mysql_thread_id(l.get()));
            }
            kill_sessions(admin, ids);
            std::this_thread::sleep_for(600ms);  // idle past socket_after (500 ms)
            std::vector<tiered_pool::lease_type> leases;
            for (int i = 0; i < 3; ++i) {
                leases.push_back(pool.acquire());
                BOOST_TEST(select1(leases.back().get()));
                BOOST_TEST(std::count(ids.begin(), ids.end(), mysql_thread_id(leases.back().get())) == 0);
            }
            BOOST_TEST(counters->closed_sockets.load() == 3);  // every killed one, by a system call
            BOOST_TEST(counters->pings.load() == 0);           // and never a round trip
            admin_driver.close(admin);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_live_connection_passes_the_socket_check_over_tls_too) {
    // Over TLS the server may have sent records (session tickets) the client has not read:
    // bytes on an idle socket are "unsure" (a ping settles it), never "closed".
    for (const auto& [name, o] : transports()) {
        BOOST_TEST_CONTEXT(name) {
            counted_driver d(o);
            auto counters = d.c;
            tiered_pool pool(d, sized(1, 1));
            const unsigned long id = mysql_thread_id(pool.acquire().get());
            for (int round = 0; round < 3; ++round) {
                std::this_thread::sleep_for(600ms);
                auto lease = pool.acquire();
                BOOST_TEST(mysql_thread_id(lease.get()) == id);  // not mistaken for dead
                BOOST_TEST(select1(lease.get()));
            }
            BOOST_TEST(counters->closed_sockets.load() == 0);
            BOOST_TEST(counters->socket_checks.load() == 3);
            BOOST_TEST_MESSAGE(name << ": pings to settle bytes on an idle socket: " << counters->pings.load());
        }
    }
}

BOOST_AUTO_TEST_CASE(the_idle_limit_is_learned_at_connect_and_enforced_without_a_ping) {
    for (const auto& [name, o] : transports("SET SESSION wait_timeout=2")) {
        BOOST_TEST_CONTEXT(name) {
            counted_driver d(o);
            auto counters = d.c;
            tiered_pool pool(d, sized(2, 1));
            const unsigned long id = mysql_thread_id(pool.acquire().get());
            std::this_thread::sleep_for(1600ms);  // past 2 s less the margin (1.5 s), not yet dropped
            auto lease = pool.acquire();
            BOOST_TEST(mysql_thread_id(lease.get()) != id);  // closed without asking, a new one instead
            BOOST_TEST(select1(lease.get()));
            BOOST_TEST(counters->pings.load() == 0);
            BOOST_TEST(Db(o).idle_limit(lease.get()).count() == 2000);
        }
    }
}

BOOST_AUTO_TEST_CASE(children_never_check_or_touch_inherited_sockets) {
    counted_driver d(options());
    auto counters = d.c;
    ConnectionPool<counted_driver, TieredValidation, DisposeAfterFork> pool(d, sized(3, 3));
    Db admin_driver(options());
    MYSQL* admin = admin_driver.connect();
    std::vector<unsigned long> parent_ids;
    {
        std::vector<decltype(pool)::lease_type> warm;
        for (int i = 0; i < 3; ++i) warm.push_back(pool.acquire());
        for (auto& l : warm) parent_ids.push_back(mysql_thread_id(l.get()));
    }
    std::this_thread::sleep_for(600ms);  // idle enough for a socket check, if one were made
    std::vector<pid_t> children;
    for (int c = 0; c < 4; ++c)
        children.push_back(lifeguard_test::spawn([&] {
            const int checks_before = counters->socket_checks.load();
            for (int q = 0; q < 10; ++q) {
                auto lease = pool.acquire();
                LIFEGUARD_CHILD_CHECK(select1(lease.get()));
                LIFEGUARD_CHILD_CHECK(std::count(parent_ids.begin(), parent_ids.end(), mysql_thread_id(lease.get())) == 0);
            }
            // Inherited connections are abandoned before any check: the only checks are on
            // the child's own connections (fresh ones need none).
            LIFEGUARD_CHILD_CHECK(counters->socket_checks.load() == checks_before);
            return true;
        }));
    for (pid_t pid : children) BOOST_TEST(lifeguard_test::wait_child(pid, 60s) == 0);
    const auto live = live_ids(admin);
    for (auto id : parent_ids) BOOST_TEST(std::count(live.begin(), live.end(), id) == 1, "session " << id);
    for (int i = 0; i < 3; ++i) BOOST_TEST(select1(pool.acquire().get()));
    admin_driver.close(admin);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pipelined_reset)

using reset_pool = ConnectionPool<counted_driver, ResetOnReturn>;

// A lease that leaves everything a session can carry behind.
void dirty(MYSQL* m) {
    BOOST_REQUIRE(exec(m, "CREATE TABLE IF NOT EXISTS reset_probe (x INT) ENGINE=InnoDB") == 0u);
    BOOST_REQUIRE(exec(m, "SET @leftover = 42") == 0u);
    BOOST_REQUIRE(exec(m, "CREATE TEMPORARY TABLE leftover_tmp (x INT)") == 0u);
    BOOST_REQUIRE(exec(m, "SET SESSION autocommit = 0") == 0u);
    BOOST_REQUIRE(exec(m, "SET SESSION sql_mode = 'NO_ZERO_DATE'") == 0u);
    BOOST_REQUIRE(exec(m, "START TRANSACTION") == 0u);
    BOOST_REQUIRE(exec(m, "INSERT INTO reset_probe VALUES (1)") == 0u);
}

void clean(MYSQL* m, const std::string& init_sql_mode) {
    BOOST_TEST(scalar(m, "SELECT @leftover") == "<NULL>");
    BOOST_TEST(exec(m, "SELECT * FROM leftover_tmp") == 1146u);  // no such table
    BOOST_TEST(scalar(m, "SELECT @@autocommit") == "1");
    BOOST_TEST(scalar(m, "SELECT @@sql_mode") == init_sql_mode);
    BOOST_TEST(scalar(m, "SELECT COUNT(*) FROM reset_probe") == "0");  // the transaction was rolled back
}

BOOST_AUTO_TEST_CASE(the_next_lease_sees_a_clean_session_even_when_it_comes_at_once) {
    for (const auto& [name, o] : transports("SET SESSION sql_mode='ANSI_QUOTES'")) {
        BOOST_TEST_CONTEXT(name) {
            counted_driver d(o);
            auto counters = d.c;
            reset_pool pool(d, sized(1, 1));
            for (int round = 0; round < 3; ++round) {
                unsigned long id = 0;
                {
                    auto lease = pool.acquire();
                    id = mysql_thread_id(lease.get());
                    dirty(lease.get());
                }
                // Sent by the release; its reply is read by the next checkout, taken at once (on
                // loopback the reply may even arrive before reset_start returns: then it is done
                // there and nothing is left to finish).
                BOOST_TEST(counters->reset_starts.load() == 2 * round + 1);
                auto next = pool.acquire();
                BOOST_TEST(counters->reset_finishes.load() <= counters->reset_starts.load());
                BOOST_TEST(mysql_thread_id(next.get()) == id);  // the same session, reset
                clean(next.get(), "ANSI_QUOTES");               // init_command restored its sql_mode
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(a_reset_that_fails_closes_the_connection) {
    for (const auto& [name, o] : transports()) {
        BOOST_TEST_CONTEXT(name) {
            counted_driver d(o);
            Db admin_driver(o);
            MYSQL* admin = admin_driver.connect();
            reset_pool pool(d, sized(2, 1));
            unsigned long id = 0;
            {
                auto lease = pool.acquire();
                id = mysql_thread_id(lease.get());
                dirty(lease.get());
                kill_sessions(admin, {id});  // gone before the release sends its reset: it fails
            }
            auto next = pool.acquire();
            BOOST_TEST(mysql_thread_id(next.get()) != id);
            BOOST_TEST(select1(next.get()));
            clean(next.get(), scalar(admin, "SELECT @@GLOBAL.sql_mode"));
            BOOST_TEST(pool.stats().open == 1u);
            admin_driver.close(admin);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
