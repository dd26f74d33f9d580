// Each failure lifeguard exists for, shown against a real MariaDB server: first as it
// happens without the policy, then gone with it.
#include "child_process.hpp"
#include "db_support.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <thread>

#include <netinet/in.h>
#include <sys/socket.h>

using namespace lifeguard;
using namespace lifeguard_db;
using namespace std::chrono_literals;
using Db = lifeguard::mariadb::Driver;

namespace {
// The server drops sessions idle for more than 2 s.
const std::string short_wait_timeout = "SET SESSION wait_timeout=2";

// 200 acquire-SELECT-release rounds, with 3 s idle gaps (beyond wait_timeout) after
// every 40: returns how many rounds failed.
template <class Pool>
int rounds_with_idle_gaps(Pool& pool) {
    int failures = 0;
    for (int round = 0; round < 200; ++round) {
        if (round % 40 == 0 && round > 0) std::this_thread::sleep_for(3s);
        auto lease = pool.acquire();
        if (!select1(lease.get())) ++failures;
    }
    return failures;
}
} // namespace

BOOST_AUTO_TEST_SUITE(idle_expiry)

BOOST_AUTO_TEST_CASE(without_policies_an_idle_connection_fails_with_gone_away) {
    for (const auto& [name, o] : transports(short_wait_timeout)) {
        BOOST_TEST_CONTEXT(name) {
            ConnectionPool<Db> pool(Db(o), sized(1, 1));
            BOOST_TEST(select1(pool.acquire().get()));
            std::this_thread::sleep_for(3s);
            auto lease = pool.acquire();
            const unsigned err = exec(lease.get(), "SELECT 1");
            BOOST_TEST((err == 2006 || err == 2013 || err == 2026), "error " << err);  // 2026: over TLS
            BOOST_TEST(lease.get()->net.last_errno == err);
            lease.release();  // a disconnect error: closed, not reused
            BOOST_TEST(pool.stats().open == 0u);
        }
    }
}

BOOST_AUTO_TEST_CASE(recycle_after_one_second_has_no_failures) {
    for (const auto& [name, o] : transports(short_wait_timeout)) {
        BOOST_TEST_CONTEXT(name) {
            ConnectionPool<Db, RecycleAfter> pool(Db(o), sized(2, 1), RecycleAfter(1s));
            BOOST_TEST(rounds_with_idle_gaps(pool) == 0);
        }
    }
}

BOOST_AUTO_TEST_CASE(ping_if_idle_has_no_failures) {
    for (const auto& [name, o] : transports(short_wait_timeout)) {
        BOOST_TEST_CONTEXT(name) {
            ConnectionPool<Db, PingIfIdle> pool(Db(o), sized(2, 1));
            BOOST_TEST(rounds_with_idle_gaps(pool) == 0);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(server_kill)

template <class Pool>
std::vector<unsigned long> kill_idle_connections(Pool& pool, MYSQL* admin) {
    std::vector<unsigned long> ids;
    {
        std::vector<typename Pool::lease_type> leases;
        for (std::size_t i = 0; i < pool.options().max_size; ++i) leases.push_back(pool.acquire());
        for (auto& l : leases) ids.push_back(mysql_thread_id(l.get()));
    }
    for (auto id : ids) BOOST_TEST(exec(admin, "KILL CONNECTION " + std::to_string(id)) == 0u);
    for (int i = 0; i < 100; ++i) {  // KILL is asynchronous: wait until the sessions are gone
        auto live = live_ids(admin);
        if (std::none_of(ids.begin(), ids.end(), [&](auto id) { return std::count(live.begin(), live.end(), id); }))
            break;
        std::this_thread::sleep_for(20ms);
    }
    return ids;
}

BOOST_AUTO_TEST_CASE(without_validation_killed_connections_are_handed_out) {
    for (const auto& [name, o] : transports()) {
        BOOST_TEST_CONTEXT(name) {
            Db d(o);
            MYSQL* admin = d.connect();
            ConnectionPool<Db> pool(Db(o), sized(3, 3));
            kill_idle_connections(pool, admin);
            auto lease = pool.acquire();
            BOOST_TEST(!select1(lease.get()));
            d.close(admin);
        }
    }
}

BOOST_AUTO_TEST_CASE(ping_on_checkout_replaces_killed_connections) {
    for (const auto& [name, o] : transports()) {
        BOOST_TEST_CONTEXT(name) {
            Db d(o);
            MYSQL* admin = d.connect();
            ConnectionPool<Db, PingOnCheckout> pool(Db(o), sized(3, 3));
            const auto killed = kill_idle_connections(pool, admin);
            std::vector<ConnectionPool<Db, PingOnCheckout>::lease_type> leases;
            for (int i = 0; i < 3; ++i) {
                leases.push_back(pool.acquire());
                BOOST_TEST(select1(leases.back().get()));
                BOOST_TEST(std::count(killed.begin(), killed.end(), mysql_thread_id(leases.back().get())) == 0);
            }
            d.close(admin);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(session_isolation)

template <class Pool>
void leave_state_behind(Pool& pool) {
    auto lease = pool.acquire();
    MYSQL* m = lease.get();
    BOOST_REQUIRE(exec(m, "CREATE TABLE IF NOT EXISTS isolation_probe (x INT) ENGINE=InnoDB") == 0u);
    BOOST_REQUIRE(exec(m, "DELETE FROM isolation_probe") == 0u);
    BOOST_REQUIRE(exec(m, "SET @leftover = 42") == 0u);
    BOOST_REQUIRE(exec(m, "CREATE TEMPORARY TABLE leftover_tmp (x INT)") == 0u);
    BOOST_REQUIRE(exec(m, "START TRANSACTION") == 0u);
    BOOST_REQUIRE(exec(m, "INSERT INTO isolation_probe VALUES (1)") == 0u);
}

BOOST_AUTO_TEST_CASE(without_reset_the_next_lease_sees_the_last_ones_session) {
    ConnectionPool<Db> pool(Db(options()), sized(1));
    leave_state_behind(pool);
    auto next = pool.acquire();
    BOOST_TEST(scalar(next.get(), "SELECT @leftover") == "42");
    BOOST_TEST(exec(next.get(), "SELECT * FROM leftover_tmp") == 0u);
    BOOST_TEST(scalar(next.get(), "SELECT COUNT(*) FROM isolation_probe") == "1");
    exec(next.get(), "ROLLBACK");
}

BOOST_AUTO_TEST_CASE(reset_on_return_hides_variables_temporary_tables_and_transactions) {
    ConnectionPool<Db, ResetOnReturn> pool(Db(options()), sized(1));
    unsigned long id = 0;
    {
        auto first = pool.acquire();
        id = mysql_thread_id(first.get());
    }
    leave_state_behind(pool);
    auto next = pool.acquire();
    BOOST_TEST(mysql_thread_id(next.get()) == id);  // the same session, reset, not reopened
    BOOST_TEST(scalar(next.get(), "SELECT @leftover") == "<NULL>");
    BOOST_TEST(exec(next.get(), "SELECT * FROM leftover_tmp") == 1146u);  // no such table
    BOOST_TEST(scalar(next.get(), "SELECT COUNT(*) FROM isolation_probe") == "0");
}

BOOST_AUTO_TEST_CASE(rollback_on_return_rolls_back_and_skips_clean_sessions) {
    ConnectionPool<Db, RollbackOnReturn> pool(Db(options()), sized(1));
    leave_state_behind(pool);
    auto next = pool.acquire();
    BOOST_TEST(scalar(next.get(), "SELECT COUNT(*) FROM isolation_probe") == "0");
    BOOST_TEST(!pool.driver().in_transaction(next.get()));
    BOOST_TEST(scalar(next.get(), "SELECT @leftover") == "42");  // only the transaction
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(fork_safety)

using fork_safe = ConnectionPool<Db, DisposeAfterFork>;

BOOST_AUTO_TEST_CASE(dispose_after_fork_children_and_parent_query_without_errors) {
    Db d(options());
    MYSQL* admin = d.connect();
    fork_safe pool(d, sized(8, 4));
    std::vector<unsigned long> parent_ids;
    {
        std::vector<fork_safe::lease_type> warm;
        for (int i = 0; i < 4; ++i) warm.push_back(pool.acquire());
        for (auto& l : warm) parent_ids.push_back(mysql_thread_id(l.get()));
    }
    std::vector<pid_t> children;
    for (int c = 0; c < 8; ++c) {
        children.push_back(lifeguard_test::spawn([&] {
            for (int q = 0; q < 100; ++q) {
                auto lease = pool.acquire();
                LIFEGUARD_CHILD_CHECK(select1(lease.get()));
                const auto id = mysql_thread_id(lease.get());
                LIFEGUARD_CHILD_CHECK(std::count(parent_ids.begin(), parent_ids.end(), id) == 0);
            }
            return true;  // the pool's destructor is skipped by _exit; see the next test for it
        }));
    }
    int parent_failures = 0;
    std::atomic<bool> children_done{false};
    std::thread parent_load([&] {
        while (!children_done) {
            auto lease = pool.acquire();
            if (!select1(lease.get())) ++parent_failures;
        }
    });
    int child_failures = 0, hangs = 0;
    for (pid_t pid : children) {
        const int rc = lifeguard_test::wait_child(pid, 60s);
        if (rc == lifeguard_test::child_timed_out) ++hangs;
        else if (rc != 0) ++child_failures;
    }
    children_done = true;
    parent_load.join();
    BOOST_TEST(child_failures == 0);
    BOOST_TEST(hangs == 0);
    BOOST_TEST(parent_failures == 0);
    // The parent's original sessions are alive (no COM_QUIT reached them) and still work.
    const auto live = live_ids(admin);
    for (auto id : parent_ids) BOOST_TEST(std::count(live.begin(), live.end(), id) == 1, "session " << id);
    std::vector<fork_safe::lease_type> again;
    for (int i = 0; i < 4; ++i) {
        again.push_back(pool.acquire());
        BOOST_TEST(select1(again.back().get()));
    }
    d.close(admin);
}

BOOST_AUTO_TEST_CASE(a_child_destroying_its_pool_does_not_end_the_parents_sessions) {
    Db d(options());
    MYSQL* admin = d.connect();
    auto pool = std::make_unique<fork_safe>(d, sized(2, 2));
    const pid_t pid = lifeguard_test::spawn([&] {
        pool.reset();  // abandons the inherited connections: nothing sent
        return true;
    });
    BOOST_TEST(lifeguard_test::wait_child(pid, 30s) == 0);
    for (int i = 0; i < 2; ++i) BOOST_TEST(select1(pool->acquire().get()));
    auto a = pool->acquire();
    auto b = pool->acquire();
    const auto live = live_ids(admin);
    BOOST_TEST(std::count(live.begin(), live.end(), mysql_thread_id(a.get())) == 1);
    BOOST_TEST(std::count(live.begin(), live.end(), mysql_thread_id(b.get())) == 1);
    BOOST_TEST(pool->stats().open == 2u);
    d.close(admin);
}

BOOST_AUTO_TEST_CASE(without_the_policy_inherited_connections_break_the_parent) {
    // Records what goes wrong with IgnoreFork: children share the parent's sockets and
    // their pool destructors send COM_QUIT on them. Bounded by timeouts.
    auto o = options();
    o.read_timeout = 5s;
    o.write_timeout = 5s;
    auto pool = std::make_unique<ConnectionPool<Db>>(Db(o), sized(4, 4));
    std::vector<pid_t> children;
    for (int c = 0; c < 8; ++c) {
        children.push_back(lifeguard_test::spawn([&] {
            bool ok = true;
            for (int q = 0; q < 100; ++q) ok = select1(pool->acquire().get()) && ok;
            pool.reset();  // the child's exit path: closes (COM_QUIT) the shared connections
            return ok;
        }));
    }
    int child_errors = 0, hangs = 0;
    for (pid_t pid : children) {
        const int rc = lifeguard_test::wait_child(pid, 30s);
        if (rc == lifeguard_test::child_timed_out) ++hangs;
        else if (rc != 0) ++child_errors;
    }
    int parent_errors = 0;
    for (int i = 0; i < 4; ++i) {
        auto lease = pool->acquire();
        if (!select1(lease.get())) ++parent_errors;
    }
    BOOST_TEST_MESSAGE("IgnoreFork: " << child_errors << " children saw errors, " << hangs << " hung, "
                                      << "the parent's first 4 queries: " << parent_errors << " failed");
    BOOST_TEST(parent_errors > 0);  // the parent lost sessions it never closed
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bad_input)

BOOST_AUTO_TEST_CASE(a_wrong_password_names_user_and_host_never_the_password) {
    auto o = options();
    o.password = "wrong-Pa55word";
    ConnectionPool<Db> pool(Db(o), sized(2));
    try {
        (void)pool.acquire();
        BOOST_FAIL("connected with a wrong password");
    } catch (const mariadb::Error& e) {
        const std::string what = e.what();
        BOOST_TEST(e.code() == 1045u);
        BOOST_TEST(what.find("lifeguard@127.0.0.1:") != std::string::npos, what);
        BOOST_TEST(what.find("Access denied for user 'lifeguard'") != std::string::npos, what);
        BOOST_TEST(what.find("wrong-Pa55word") == std::string::npos, what);
        BOOST_TEST(what.find(options().password) == std::string::npos, what);
    }
    BOOST_TEST(pool.stats().open == 0u);  // no slot lost
}

BOOST_AUTO_TEST_CASE(a_refused_port_fails_at_once_with_the_endpoint) {
    auto o = options();
    o.port = 1;  // nothing listens on port 1
    o.connect_timeout = 2s;
    const auto start = std::chrono::steady_clock::now();
    BOOST_CHECK_EXCEPTION((void)Db(o).connect(), mariadb::Error, [](const mariadb::Error& e) {
        return std::string(e.what()).find("127.0.0.1:1") != std::string::npos && (e.code() == 2002 || e.code() == 2003);
    });
    BOOST_TEST((std::chrono::steady_clock::now() - start < 2s));
}

BOOST_AUTO_TEST_CASE(a_silent_server_fails_within_connect_timeout) {
    // A listener that accepts TCP but never sends the handshake.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    BOOST_REQUIRE(::listen(fd, 8) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    auto o = options();
    o.port = ntohs(addr.sin_port);
    o.connect_timeout = 1s;
    o.read_timeout = 1s;
    const auto start = std::chrono::steady_clock::now();
    BOOST_CHECK_THROW((void)Db(o).connect(), mariadb::Error);
    const auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST((took < 4s), std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
    ::close(fd);
}

BOOST_AUTO_TEST_CASE(tls_modes_never_fall_back_to_plaintext_silently) {
    // The throwaway server offers no TLS.
    auto o = options();
    o.ssl_mode = mariadb::SslMode::preferred;  // accepts plaintext
    {
        Db d(o);
        MYSQL* m = d.connect();
        BOOST_TEST(mysql_get_ssl_cipher(m) == nullptr);
        d.close(m);
    }
    o.ssl_mode = mariadb::SslMode::required;
    BOOST_CHECK_EXCEPTION((void)Db(o).connect(), mariadb::Error, [](const mariadb::Error& e) {
        const std::string what = e.what();
        BOOST_TEST_MESSAGE(what);
        return e.code() == 2026 && what.find("ssl_mode=REQUIRED") != std::string::npos &&
               what.find("not encrypted") != std::string::npos;
    });
    for (auto mode : {mariadb::SslMode::verify_ca, mariadb::SslMode::verify_identity}) {
        o.ssl_mode = mode;  // refused before authentication
        BOOST_CHECK_EXCEPTION((void)Db(o).connect(), mariadb::Error,
                              [](const mariadb::Error& e) { return e.code() == 2026; });
    }
    ConnectionPool<Db> pool(Db(o), sized(1));
    BOOST_CHECK_THROW((void)pool.acquire(), mariadb::Error);
    BOOST_TEST(pool.stats().open == 0u);
}

BOOST_AUTO_TEST_CASE(tls_is_negotiated_and_the_server_certificate_is_checked, *needs_tls_server()) {
    const char* dir = std::getenv("LIFEGUARD_TEST_TLS_DIR");
    auto o = mariadb::parse_url(url_from("LIFEGUARD_TEST_TLS_URL", "LIFEGUARD_TEST_TLS_URL_FILE"));
    const std::string ca = std::string(dir) + "/ca.pem", other_ca = std::string(dir) + "/other-ca.pem";
    for (auto mode : {mariadb::SslMode::preferred, mariadb::SslMode::required, mariadb::SslMode::verify_ca,
                      mariadb::SslMode::verify_identity}) {
        o.ssl_mode = mode;
        o.ssl_ca = ca;
        Db d(o);
        MYSQL* m = d.connect();
        BOOST_TEST(mysql_get_ssl_cipher(m) != nullptr, "ssl_mode " << static_cast<int>(mode));
        BOOST_TEST(select1(m));
        d.close(m);
    }
    o.ssl_mode = mariadb::SslMode::verify_ca;
    o.ssl_ca = other_ca;  // a certificate from a CA we do not trust
    BOOST_CHECK_THROW((void)Db(o).connect(), mariadb::Error);
    o.ssl_mode = mariadb::SslMode::disabled;
    Db plain(o);
    MYSQL* m = plain.connect();
    BOOST_TEST(mysql_get_ssl_cipher(m) == nullptr);
    plain.close(m);
}

BOOST_AUTO_TEST_CASE(charset_and_init_command_apply_to_every_connection) {
    auto o = options("SET SESSION sql_mode='ANSI_QUOTES'");
    o.charset = "latin1";
    ConnectionPool<Db> pool(Db(o), sized(2, 2));
    auto a = pool.acquire(), b = pool.acquire();
    for (auto* lease : {&a, &b}) {
        BOOST_TEST(scalar(lease->get(), "SELECT @@character_set_client") == "latin1");
        BOOST_TEST(scalar(lease->get(), "SELECT @@sql_mode") == "ANSI_QUOTES");
    }
}

BOOST_AUTO_TEST_CASE(a_malformed_url_is_rejected_before_any_connect) {
    BOOST_CHECK_THROW(Db("mariadb://lifeguard:secret@127.0.0.1:notaport/db"), mariadb::UrlError);
}

BOOST_AUTO_TEST_CASE(galera_on_refuses_a_server_that_is_not_a_galera_node) {
    // A MariaDB server without a cluster reports wsrep_ready OFF: such a "node" is never ready.
    auto o = options();
    o.galera = true;
    ConnectionPool<Db> pool(Db(o), sized(1));
    try {
        (void)pool.acquire();
        BOOST_FAIL("galera=on handed out a connection to a server without wsrep_ready");
    } catch (const mariadb::Error& e) {
        BOOST_TEST(e.code() == 1047u);
        BOOST_TEST(e.during_connect());
        BOOST_TEST(std::string(e.what()).find("(wsrep_ready OFF)") != std::string::npos, e.what());
    }
    BOOST_TEST(pool.stats().open == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(transports)

BOOST_AUTO_TEST_CASE(unix_socket_and_tcp_urls_both_work) {
    for (const auto& url : {tcp_url(), socket_url()}) {
        RecommendedPool<Db, ResetOnReturn> pool(Db(url), sized(2, 1), RecycleAfter(280s));
        auto lease = pool.acquire();
        BOOST_TEST(select1(lease.get()), mariadb::parse_url(url).to_string());
        BOOST_TEST(scalar(lease.get(), "SELECT DATABASE()") == "app$default");
    }
}

// True once /proc says the process is stopped (state 'T'); false after 5 s.
bool wait_until_stopped(pid_t pid) {
    for (int i = 0; i < 500; ++i) {
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        std::string line;
        std::getline(stat, line);
        const auto paren = line.rfind(')');
        if (paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'T') return true;
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

BOOST_AUTO_TEST_CASE(ping_honours_its_deadline_on_a_frozen_server,
                     *needs([] { return server_pid() != 0; }, "the throwaway server's pid, to freeze it")) {
    const auto server = static_cast<pid_t>(server_pid());
    Db d(options());
    MYSQL* m = d.connect();
    BOOST_TEST(d.ping(m, 1000ms));
    ::kill(server, SIGSTOP);
    BOOST_REQUIRE(wait_until_stopped(server));  // a signal is delivered asynchronously
    const auto start = std::chrono::steady_clock::now();
    const bool alive = d.ping(m, 300ms);
    const auto took = std::chrono::steady_clock::now() - start;
    ::kill(server, SIGCONT);
    BOOST_TEST(!alive);
    BOOST_TEST((took < 2s), std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
    d.close(m);  // socket detached by the timed-out ping: returns at once
}

BOOST_AUTO_TEST_SUITE_END()
