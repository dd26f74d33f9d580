// Helpers of the Galera cluster tests and benchmark: where the throwaway cluster is
// (LIFEGUARD_TEST_CLUSTER_DIR, tools/throwaway_galera), driving its nodes, and plain queries.
#ifndef LIFEGUARD_TESTS_CLUSTER_SUPPORT_HPP
#define LIFEGUARD_TESTS_CLUSTER_SUPPORT_HPP

#include <lifeguard/lifeguard.hpp>
#include <lifeguard/mariadb.hpp>


#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

namespace lifeguard_cluster {

// Every client timeout of the cluster tests: a frozen node fails a request after this long.
inline constexpr std::chrono::seconds client_timeout{5};

inline std::string env(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') throw std::runtime_error(std::string(name) + " is not set (CTest sets it)");
    return v;
}
inline std::string dir() { return env("LIFEGUARD_TEST_CLUSTER_DIR"); }

inline std::string read_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    if (!std::getline(in, line)) throw std::runtime_error("cannot read " + path);
    return line;
}

// Every node, galera=on, short client timeouts.
inline std::string cluster_url() {
    return read_line(dir() + "/url") + "?galera=on&connect_timeout=2&read_timeout=5&write_timeout=5";
}
inline std::string node_url(int node) {
    return read_line(dir() + "/node" + std::to_string(node) + "/url") + "?connect_timeout=2&read_timeout=5";
}
inline unsigned port_of(int node) {
    return static_cast<unsigned>(std::stoul(read_line(dir() + "/node" + std::to_string(node) + "/port")));
}
inline int node_count() { return std::stoi(read_line(dir() + "/nodes")); }

// The server port a connection went to, and so its node.
inline unsigned node_port(MYSQL* m) {
    unsigned port = 0;
    mariadb_get_infov(m, MARIADB_CONNECTION_PORT, &port);
    return port;
}
inline int node_of(MYSQL* m) {
    const unsigned port = node_port(m);
    for (int n = 1; n <= node_count(); ++n)
        if (port_of(n) == port) return n;
    return 0;
}

// tools/throwaway_galera COMMAND DIR NODE (kill, restart, freeze, thaw).
inline void galera(const std::string& command, int node) {
    const std::string line = env("LIFEGUARD_THROWAWAY_GALERA") + " " + command + " " + dir() + " " + std::to_string(node);
    if (std::system(line.c_str()) != 0) throw std::runtime_error("failed: " + line);
}

inline std::vector<std::vector<std::string>> rows(const std::string& url, const std::string& sql) {
    lifeguard::mariadb::Driver d(url);
    MYSQL* m = d.connect();
    std::vector<std::vector<std::string>> out;
    if (mysql_query(m, sql.c_str()) != 0) {
        const std::string error = mysql_error(m);
        d.close(m);
        throw std::runtime_error(sql + ": " + error);
    }
    if (MYSQL_RES* r = mysql_store_result(m)) {
        const unsigned fields = mysql_num_fields(r);
        while (MYSQL_ROW row = mysql_fetch_row(r)) {
            std::vector<std::string> v;
            for (unsigned i = 0; i < fields; ++i) v.emplace_back(row[i] != nullptr ? row[i] : "");
            out.push_back(std::move(v));
        }
        mysql_free_result(r);
    }
    d.close(m);
    return out;
}
inline void execute(const std::string& url, const std::string& sql) { (void)rows(url, sql); }

inline std::string status(int node, const std::string& variable) {
    try {
        const auto r = rows(node_url(node), "SHOW STATUS LIKE '" + variable + "'");
        return r.empty() ? "" : r.front().at(1);
    } catch (const std::exception&) {
        return "";
    }
}
inline void wait_status(int node, const std::string& variable, const std::string& value,
                        std::chrono::seconds limit = std::chrono::seconds(60)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (status(node, variable) != value) {
        if (std::chrono::steady_clock::now() > until)
            throw std::runtime_error("node " + std::to_string(node) + ": " + variable + " never became " + value);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}
inline void wait_synced(int node) { wait_status(node, "wsrep_local_state_comment", "Synced"); }

// After a test, whatever it did: every node thawed, running, in the cluster and Synced.
struct cluster_guard {
    ~cluster_guard() {
        const std::string line = env("LIFEGUARD_THROWAWAY_GALERA") + " heal " + dir();
        if (std::system(line.c_str()) != 0) std::fprintf(stderr, "cluster_guard: %s failed\n", line.c_str());
    }
};

// A machine that cannot run a cluster (no galera-4 or rsync) skips these tests, loudly:
// CTest reports them as skipped (exit code 77) with the reason below.
struct cluster_or_skip {
    cluster_or_skip() {
        std::ifstream unavailable(dir() + "/unavailable");
        std::string reason;
        if (std::getline(unavailable, reason)) {
            std::fprintf(stderr, "SKIPPED: no Galera cluster on this machine: %s\n", reason.c_str());
            std::exit(77);
        }
    }
};

inline const char* kind_of(const std::exception& e) {
    if (dynamic_cast<const lifeguard::AllHostsFailed*>(&e)) return "every host failed";
    if (dynamic_cast<const lifeguard::AcquireTimeout*>(&e)) return "acquire timeout";
    if (dynamic_cast<const lifeguard::DatabaseUnavailable*>(&e)) return "database unavailable";
    if (const auto* m = dynamic_cast<const lifeguard::mariadb::Error*>(&e)) {
        static thread_local std::string s;
        s = "connect error " + std::to_string(m->code());
        return s.c_str();
    }
    return typeid(e).name();
}

inline lifeguard::BackgroundMaintenance quick_maintenance() {
    lifeguard::MaintenanceSettings s;
    s.tick = std::chrono::milliseconds(200);
    s.retry_initial = std::chrono::milliseconds(50);
    s.retry_max = std::chrono::milliseconds(500);
    return lifeguard::BackgroundMaintenance(s);
}

} // namespace lifeguard_cluster

#endif
