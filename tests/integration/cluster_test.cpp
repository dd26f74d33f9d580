// Multi-host pools against a real 3-node MariaDB Galera cluster (tools/throwaway_galera,
// started by CTest's fixture "galera"): nodes killed, restarted, frozen and isolated while
// a pool serves requests.
#include "cluster_support.hpp"
#include "db_support.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using namespace lifeguard_cluster;
using Db = lifeguard::mariadb::Driver;

BOOST_TEST_GLOBAL_FIXTURE(cluster_or_skip);

BOOST_AUTO_TEST_SUITE(galera_cluster)

// 4 threads insert (each acknowledged insert recorded) and read for 30 s while node 2 and
// then node 3 are killed and restarted and node 1 is frozen for 5 s. Only requests in flight
// on a failing node fail; every acknowledged insert is there afterwards; no request waits
// longer than its deadlines.
BOOST_AUTO_TEST_CASE(requests_survive_killed_and_frozen_nodes_without_losing_acknowledged_writes) {
    cluster_guard guard;
    execute(node_url(1), "CREATE TABLE IF NOT EXISTS chaos (id BIGINT AUTO_INCREMENT PRIMARY KEY, writer INT NOT "
                         "NULL, seq BIGINT NOT NULL, UNIQUE KEY (writer, seq)) ENGINE=InnoDB");
    execute(node_url(1), "DELETE FROM chaos");
    const lifeguard::PoolOptions o = lifeguard_db::sized(8, 4, 5s);
    lifeguard::RecommendedPool<Db, lifeguard::LoadBalance> pool(Db(cluster_url()), o,
                                                                lifeguard::RecycleAfter(std::chrono::minutes(30)),
                                                                lifeguard::LoadBalance(3s), quick_maintenance());
    constexpr int threads = 4;
    const auto request_limit = o.acquire_timeout + 2 * client_timeout + 1s;  // acquire, then write and read
    std::atomic<bool> stop{false};
    std::mutex m;
    std::vector<std::vector<long>> acked(threads);
    std::map<std::string, int> failures;
    std::map<std::string, std::string> first_message;
    std::atomic<long> requests{0};
    std::atomic<long> refused{0}, refused_ms{0};
    std::atomic<long> slowest_ms{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
            for (long seq = 0; !stop.load(); ++seq) {
                const auto started = std::chrono::steady_clock::now();
                try {
                    auto lease = pool.acquire();
                    const std::string insert =
                        "INSERT INTO chaos (writer, seq) VALUES (" + std::to_string(t) + ", " + std::to_string(seq) + ")";
                    if (mysql_query(lease.get(), insert.c_str()) != 0 || mysql_query(lease.get(), "SELECT COUNT(*) FROM chaos") != 0) {
                        std::lock_guard lock(m);
                        ++failures["error " + std::to_string(mysql_errno(lease.get()))];
                    } else {
                        if (MYSQL_RES* r = mysql_store_result(lease.get())) mysql_free_result(r);
                        acked[static_cast<std::size_t>(t)].push_back(seq);
                    }
                } catch (const lifeguard::DatabaseUnavailable& e) {
                    // No node could take a connection (the cluster reconfigures): refused at
                    // once, no request sent. A client waits as told and tries again.
                    const auto pause = std::min<std::chrono::milliseconds>(e.retry_in() + 1ms, 200ms);
                    refused_ms += pause.count();
                    ++refused;
                    std::this_thread::sleep_for(pause);
                } catch (const std::exception& e) {
                    std::lock_guard lock(m);
                    const std::string kind = std::string("acquire: ") + kind_of(e);
                    if (++failures[kind] == 1) first_message[kind] = e.what();
                }
                ++requests;
                const long ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
                for (long seen = slowest_ms.load(); ms > seen && !slowest_ms.compare_exchange_weak(seen, ms);) {
                }
            }
        });
    // The chaos, on a schedule: each event is a node failing under load.
    std::this_thread::sleep_for(3s);
    galera("kill", 2);
    std::this_thread::sleep_for(3s);
    galera("restart", 2);  // waits until it is Synced again
    std::this_thread::sleep_for(2s);
    galera("kill", 3);
    std::this_thread::sleep_for(3s);
    galera("restart", 3);
    std::this_thread::sleep_for(2s);
    galera("freeze", 1);
    std::this_thread::sleep_for(5s);
    galera("thaw", 1);
    const auto until = std::chrono::steady_clock::now() + 8s;  // node 1 rejoins; requests go on
    while (std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(100ms);
    stop = true;
    for (auto& w : workers) w.join();
    wait_synced(1);

    long acknowledged = 0, failed = 0;
    for (auto& a : acked) acknowledged += static_cast<long>(a.size());
    for (auto& [what, n] : failures) {
        failed += n;
        BOOST_TEST_MESSAGE("failed: " << n << " x " << what << (first_message.count(what) ? ", first: " + first_message[what] : ""));
    }
    BOOST_TEST_MESSAGE(requests.load() << " requests, " << acknowledged << " acknowledged, " << failed
                                       << " failed, slowest " << slowest_ms.load() << " ms; " << refused.load()
                                       << " refused at once (no node available), waiting " << refused_ms.load()
                                       << " ms in all");
    // Every acknowledged insert is in the cluster (read on node 2, Synced).
    std::set<std::pair<long, long>> present;
    for (const auto& row : rows(node_url(2), "SELECT writer, seq FROM chaos"))
        present.insert({std::stol(row.at(0)), std::stol(row.at(1))});
    long lost = 0;
    for (int t = 0; t < threads; ++t)
        for (long seq : acked[static_cast<std::size_t>(t)]) lost += present.count({t, seq}) == 0 ? 1 : 0;
    BOOST_TEST(lost == 0);
    BOOST_TEST(acknowledged > 100);
    // Three failing nodes: each may fail what was in flight on it (one request per thread),
    // and, frozen, what was handed out before the first of those failed (read_timeout): at
    // most two per thread per event.
    BOOST_TEST(failed <= 3 * threads * 2);
    BOOST_TEST(slowest_ms.load() <= std::chrono::duration_cast<std::chrono::milliseconds>(request_limit).count());
    // While the cluster has no primary component (it re-forms around a frozen node), acquires
    // fail fast: at most a few seconds of that per thread.
    BOOST_TEST(refused_ms.load() <= threads * 5000);
}

// Load balancing spreads connections over the nodes, and a node that comes back gets
// connections again within rebalance_after (plus its rejoin).
BOOST_AUTO_TEST_CASE(load_balancing_spreads_and_a_returning_node_gets_connections_again) {
    cluster_guard guard;
    const lifeguard::PoolOptions o = lifeguard_db::sized(6, 0, 5s);
    lifeguard::ConnectionPool<Db, lifeguard::LoadBalance, lifeguard::TieredValidation> pool(
        Db(cluster_url()), o, lifeguard::LoadBalance(2s));
    auto per_node = [&] {
        std::map<int, int> count;
        std::vector<decltype(pool)::lease_type> leases;
        for (int i = 0; i < 6; ++i) leases.push_back(pool.acquire());
        for (auto& l : leases) ++count[node_of(l.get())];
        return count;
    };
    const auto spread = per_node();
    for (int n = 1; n <= 3; ++n) BOOST_TEST(spread.at(n) == 2, "node " << n << " has " << spread.at(n));
    galera("kill", 3);
    std::this_thread::sleep_for(500ms);
    for (int i = 0; i < 3; ++i) (void)per_node();  // node 3's connections are found dead and replaced
    BOOST_TEST(per_node().count(3) == 0u);
    galera("restart", 3);
    const auto back = std::chrono::steady_clock::now();
    bool used = false;
    while (!used && std::chrono::steady_clock::now() - back < 20s) {
        used = per_node().count(3) > 0;
        if (!used) std::this_thread::sleep_for(200ms);
    }
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - back);
    BOOST_TEST_MESSAGE("node 3 had connections again " << took.count() << " ms after it rejoined");
    BOOST_TEST(used);
    BOOST_TEST(took <= 2s + 5s + 2s);  // rebalance_after + its backoff (at most 5 s) + slack
}

// Failover uses node 1; while node 1 is down, node 2; once node 1 is back, node 1 again.
BOOST_AUTO_TEST_CASE(failover_returns_to_the_preferred_node_after_it_recovers) {
    cluster_guard guard;
    const lifeguard::PoolOptions o = lifeguard_db::sized(2, 0, 5s);
    lifeguard::ConnectionPool<Db, lifeguard::Failover, lifeguard::TieredValidation> pool(
        Db(cluster_url()), o, lifeguard::Failover(2s));
    BOOST_TEST(node_of(pool.acquire().get()) == 1);
    galera("kill", 1);
    std::this_thread::sleep_for(500ms);
    int node = 0;
    for (int attempt = 0; attempt < 3 && node != 2; ++attempt) {
        try {
            auto lease = pool.acquire();
            node = node_of(lease.get());
        } catch (const std::exception& e) {
            BOOST_TEST_MESSAGE("while node 1 is down: " << e.what());
        }
    }
    BOOST_TEST(node == 2);
    galera("restart", 1);
    const auto back = std::chrono::steady_clock::now();
    while (node != 1 && std::chrono::steady_clock::now() - back < 20s) {
        node = node_of(pool.acquire().get());
        if (node != 1) std::this_thread::sleep_for(200ms);
    }
    BOOST_TEST(node == 1);
    BOOST_TEST_MESSAGE("back on node 1 " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::steady_clock::now() - back).count()
                                         << " ms after it rejoined");
}

// A node outside the primary component answers pings and table-less queries but refuses
// data (1047): with galera=on it is not handed out (its connections are retired after the
// first 1047 or failed check, and connects to it are refused while wsrep_ready is OFF).
BOOST_AUTO_TEST_CASE(a_node_outside_the_primary_component_is_not_handed_out) {
    cluster_guard guard;
    const lifeguard::PoolOptions o = lifeguard_db::sized(6, 0, 5s);
    execute(node_url(1), "CREATE TABLE IF NOT EXISTS probe (id INT PRIMARY KEY) ENGINE=InnoDB");
    lifeguard::ConnectionPool<Db, lifeguard::LoadBalance, lifeguard::TieredValidation> pool(
        Db(cluster_url()), o, lifeguard::LoadBalance(60s));
    {
        std::vector<decltype(pool)::lease_type> leases;
        for (int i = 0; i < 6; ++i) leases.push_back(pool.acquire());
    }
    execute(node_url(3), "SET GLOBAL wsrep_provider_options='gmcast.isolate=1'");
    wait_status(3, "wsrep_ready", "OFF");
    int failed = 0, on_3 = 0, ok = 0;
    for (int i = 0; i < 40; ++i) {
        auto lease = pool.acquire();
        if (node_port(lease.get()) == port_of(3)) ++on_3;
        if (mysql_query(lease.get(), "SELECT COUNT(*) FROM probe") == 0) {  // data: refused off the primary
            if (MYSQL_RES* r = mysql_store_result(lease.get())) mysql_free_result(r);
            ++ok;
            BOOST_TEST(node_port(lease.get()) != port_of(3));
        } else {
            ++failed;
            BOOST_TEST(mysql_errno(lease.get()) == 1047u);
        }
    }
    BOOST_TEST_MESSAGE(failed << " requests met the isolated node (" << on_3 << " handouts)");
    BOOST_TEST(failed <= 1);  // the first one marks the node down and retires its connections
    BOOST_TEST(ok >= 39);
    // A new pool never connects to it.
    lifeguard::ConnectionPool<Db, lifeguard::LoadBalance> fresh(Db(cluster_url()), o, lifeguard::LoadBalance(60s));
    std::vector<decltype(fresh)::lease_type> leases;
    for (int i = 0; i < 6; ++i) leases.push_back(fresh.acquire());
    for (auto& l : leases) BOOST_TEST(node_port(l.get()) != port_of(3));
    execute(node_url(3), "SET GLOBAL wsrep_provider_options='gmcast.isolate=0'");
    wait_synced(3);
}

BOOST_AUTO_TEST_SUITE_END()
