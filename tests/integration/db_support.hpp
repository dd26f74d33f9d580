// Helpers for tests against a real MariaDB server (started by tools/throwaway_mariadb).
#ifndef LIFEGUARD_TESTS_DB_SUPPORT_HPP
#define LIFEGUARD_TESTS_DB_SUPPORT_HPP

#include <lifeguard/lifeguard.hpp>
#include <lifeguard/mariadb.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace lifeguard_db {

// LIFEGUARD_TEST_URL, or the URL the CTest fixture wrote to LIFEGUARD_TEST_URL_FILE.
inline std::string url_from(const char* var, const char* file_var) {
    if (const char* u = std::getenv(var); u != nullptr && *u != '\0') return u;
    if (const char* f = std::getenv(file_var); f != nullptr) {
        std::ifstream in(f);
        std::string url;
        if (std::getline(in, url) && !url.empty()) return url;
    }
    throw std::runtime_error(std::string("no database: set ") + var + " or run through ctest (fixture)");
}
inline std::string tcp_url() { return url_from("LIFEGUARD_TEST_URL", "LIFEGUARD_TEST_URL_FILE"); }
inline std::string socket_url() { return url_from("LIFEGUARD_TEST_SOCKET_URL", "LIFEGUARD_TEST_SOCKET_URL_FILE"); }

// Pool options for the tests: a generous acquire timeout, since a real server answers.
inline lifeguard::PoolOptions sized(std::size_t max_size, std::size_t min_idle = 0,
                                    std::chrono::milliseconds acquire_timeout = std::chrono::seconds(10)) {
    lifeguard::PoolOptions o;
    o.max_size = max_size;
    o.min_idle = min_idle;
    o.acquire_timeout = acquire_timeout;
    return o;
}

inline lifeguard::mariadb::ConnectOptions options(const std::string& init_command = "") {
    auto o = lifeguard::mariadb::parse_url(tcp_url());
    o.init_command = init_command;
    o.read_timeout = std::chrono::seconds(10);
    o.write_timeout = std::chrono::seconds(10);
    return o;
}

// The TLS throwaway server (ctest fixture mariadb_tls), certificate checked; nullopt if absent.
inline std::optional<lifeguard::mariadb::ConnectOptions> tls_options(const std::string& init_command = "") {
    const char* dir = std::getenv("LIFEGUARD_TEST_TLS_DIR");
    if (dir == nullptr || !std::ifstream(std::string(dir) + "/ca.pem")) return std::nullopt;
    auto o = lifeguard::mariadb::parse_url(url_from("LIFEGUARD_TEST_TLS_URL", "LIFEGUARD_TEST_TLS_URL_FILE"));
    o.ssl_mode = lifeguard::mariadb::SslMode::verify_identity;
    o.ssl_ca = std::string(dir) + "/ca.pem";
    o.init_command = init_command;
    o.read_timeout = std::chrono::seconds(10);
    o.write_timeout = std::chrono::seconds(10);
    return o;
}

// The throwaway server's process id (to freeze it), or 0 if the tests use another server.
inline long server_pid() {
    const char* pid_file = std::getenv("LIFEGUARD_TEST_SERVER_PID_FILE");
    std::ifstream in(pid_file != nullptr ? pid_file : "");
    long pid = 0;
    return in >> pid && pid > 0 ? pid : 0;
}

// A test decorator: the test needs `present()`; without it, it is reported as skipped with
// `what` (not as passed). CTest's fixtures provide all of them.
template <class Present>
boost::unit_test::precondition needs(Present present, const char* what) {
    return boost::unit_test::precondition([present, what](boost::unit_test::test_unit_id) {
        boost::test_tools::assertion_result there(present());
        there.message() << "needs " << what;
        return there;
    });
}
inline boost::unit_test::precondition needs_tls_server() {
    return needs([] { return tls_options().has_value(); }, "the TLS throwaway server (ctest fixture mariadb_tls)");
}
inline boost::unit_test::precondition needs_env(const char* var) {
    return needs([var] { return std::getenv(var) != nullptr; }, var);
}

// Both transports a test should pass on: plaintext TCP, and TLS when its server runs.
inline std::vector<std::pair<std::string, lifeguard::mariadb::ConnectOptions>> transports(
    const std::string& init_command = "") {
    std::vector<std::pair<std::string, lifeguard::mariadb::ConnectOptions>> all{{"tcp", options(init_command)}};
    if (auto tls = tls_options(init_command)) all.emplace_back("tls", *tls);
    return all;
}

// KILL CONNECTION on each id, and waits until the server has ended those sessions.
inline void kill_sessions(MYSQL* admin, const std::vector<unsigned long>& ids);

// Runs a statement, discards any result; returns the error code (0: success).
inline unsigned exec(MYSQL* m, const std::string& sql) {
    if (mysql_real_query(m, sql.data(), sql.size()) != 0) return mysql_errno(m);
    do {
        if (MYSQL_RES* r = mysql_store_result(m)) mysql_free_result(r);
        else if (mysql_field_count(m) != 0) return mysql_errno(m);
    } while (mysql_next_result(m) == 0);
    return mysql_errno(m);
}

// The first column of the first row ("<NULL>" for SQL NULL); throws on error.
inline std::string scalar(MYSQL* m, const std::string& sql) {
    if (mysql_real_query(m, sql.data(), sql.size()) != 0)
        throw lifeguard::mariadb::Error(mysql_error(m), mysql_errno(m), mysql_sqlstate(m));
    MYSQL_RES* r = mysql_store_result(m);
    if (r == nullptr) throw lifeguard::mariadb::Error(mysql_error(m), mysql_errno(m), mysql_sqlstate(m));
    MYSQL_ROW row = mysql_fetch_row(r);
    std::string v = "<NULL>";
    if (row != nullptr && row[0] != nullptr) v = row[0];
    mysql_free_result(r);
    return v;
}

// SELECT 1 on the connection: true if it worked.
inline bool select1(MYSQL* m) {
    try {
        return scalar(m, "SELECT 1") == "1";
    } catch (const lifeguard::mariadb::Error&) {
        return false;
    }
}

// Server-side ids of live sessions.
inline std::vector<unsigned long> live_ids(MYSQL* admin) {
    std::vector<unsigned long> ids;
    const std::string sql = "SELECT ID FROM information_schema.PROCESSLIST";
    if (mysql_real_query(admin, sql.data(), sql.size()) != 0) throw std::runtime_error(mysql_error(admin));
    MYSQL_RES* r = mysql_store_result(admin);
    while (MYSQL_ROW row = mysql_fetch_row(r)) ids.push_back(std::stoul(row[0]));
    mysql_free_result(r);
    return ids;
}

inline void kill_sessions(MYSQL* admin, const std::vector<unsigned long>& ids) {
    for (auto id : ids) exec(admin, "KILL CONNECTION " + std::to_string(id));
    for (int i = 0; i < 250; ++i) {  // KILL is asynchronous
        auto live = live_ids(admin);
        bool any = false;
        for (auto id : ids)
            for (auto l : live) any = any || l == id;
        if (!any) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("KILL CONNECTION did not end the sessions within 5 s");
}

} // namespace lifeguard_db

#endif
