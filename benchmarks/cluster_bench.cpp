// Multi-host pools on a throwaway 3-node Galera cluster (tools/bench step "cluster", under
// tools/throwaway_galera run): failover time and read throughput over 1 or 3 nodes.
//   failover   Failover pool, requests (an INSERT each, acknowledged ones recorded) running
//              back to back on node 1; node 1 is killed: the time from the kill to the first
//              request that succeeds on another node. Node 1 is restarted, the pool fails back,
//              and again. Afterwards every acknowledged insert must be in the cluster.
//   check      what galera=on costs a validation: Driver::ping without and with galera=on
//              (which reads wsrep_ready at most once a second per node, COM_PING otherwise),
//              and the wsrep_ready status query alone, on one node (medians of many)
//   throughput LoadBalance pool, 4 threads of point reads, with the URL naming node 1 only and
//              then all 3 nodes. On 2 CPUs for 3 nodes this shows that load is spread, not
//              that it scales: the nodes share the machine's cores with the client.
// Usage: lifeguard_bench_cluster quick|full   (LIFEGUARD_TEST_CLUSTER_DIR, LIFEGUARD_THROWAWAY_GALERA)
// Prints JSON.
#include <cluster_support.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using namespace lifeguard_cluster;
using Db = lifeguard::mariadb::Driver;
using steady = std::chrono::steady_clock;

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

struct failover_result {
    std::vector<double> ms;
    long acknowledged = 0;
    long lost = 0;
    long failed = 0;   // requests that reached a node and failed (in flight when it went)
    long refused = 0;  // acquires refused at once: no node could take a connection then
};

failover_result failover(int kills) {
    execute(node_url(1), "CREATE TABLE IF NOT EXISTS bench_failover (writer INT NOT NULL, seq BIGINT NOT NULL, "
                         "PRIMARY KEY (writer, seq)) ENGINE=InnoDB");
    execute(node_url(1), "DELETE FROM bench_failover");
    lifeguard::PoolOptions o;
    o.max_size = 2;
    o.acquire_timeout = 5s;
    lifeguard::ConnectionPool<Db, lifeguard::Failover, lifeguard::TieredValidation> pool(
        Db(cluster_url()), o, lifeguard::Failover(1s));
    failover_result out;
    std::atomic<bool> stop{false};
    std::atomic<std::int64_t> first_ok_elsewhere{0};  // steady ns of the first success off node 1
    std::atomic<int> on_node{0};
    std::vector<long> acked;
    std::thread worker([&] {
        for (long seq = 0; !stop.load(); ++seq) {
            try {
                auto lease = pool.acquire();
                const std::string sql = "INSERT INTO bench_failover VALUES (1, " + std::to_string(seq) + ")";
                if (mysql_query(lease.get(), sql.c_str()) == 0) {
                    acked.push_back(seq);
                    const int node = node_of(lease.get());
                    on_node = node;
                    if (node != 1) {
                        std::int64_t none = 0;
                        first_ok_elsewhere.compare_exchange_strong(
                            none, std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch()).count());
                    }
                } else {
                    ++out.failed;
                }
            } catch (const std::exception&) {
                ++out.refused;  // the surviving nodes re-form the primary component: wait a little
                std::this_thread::sleep_for(10ms);
            }
        }
    });
    struct stop_worker {  // also when a step throws: a joinable thread must not be destroyed
        std::atomic<bool>& stop;
        std::thread& worker;
        ~stop_worker() {
            stop = true;
            if (worker.joinable()) worker.join();
        }
    } guard{stop, worker};
    for (int k = 0; k < kills; ++k) {
        const auto until = steady::now() + 20s;
        while (on_node.load() != 1 && steady::now() < until) std::this_thread::sleep_for(10ms);  // failed back
        std::this_thread::sleep_for(1500ms);  // past failback_after: no connection left on node 2
        first_ok_elsewhere = 0;
        const auto killed = steady::now();
        galera("kill", 1);
        const auto give_up = killed + 15s;
        while (first_ok_elsewhere.load() == 0 && steady::now() < give_up) std::this_thread::sleep_for(1ms);
        const std::int64_t killed_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(killed.time_since_epoch()).count();
        out.ms.push_back(first_ok_elsewhere.load() == 0 ? 15000.0
                                                        : static_cast<double>(first_ok_elsewhere.load() - killed_ns) / 1e6);
        galera("restart", 1);
    }
    stop = true;
    worker.join();
    wait_synced(1);
    std::set<long> present;
    for (const auto& row : rows(node_url(2), "SELECT seq FROM bench_failover")) present.insert(std::stol(row.at(0)));
    out.acknowledged = static_cast<long>(acked.size());
    for (long seq : acked) out.lost += present.count(seq) == 0 ? 1 : 0;
    return out;
}

// Point reads per second with 4 threads; the nodes the connections used.
std::pair<double, int> throughput(const std::string& url, std::chrono::milliseconds run) {
    lifeguard::PoolOptions o;
    o.max_size = 6;
    o.min_idle = 6;
    o.acquire_timeout = 5s;
    lifeguard::ConnectionPool<Db, lifeguard::LoadBalance> pool(Db(url), o, lifeguard::LoadBalance(60s));
    std::atomic<bool> stop{false};
    std::atomic<long> done{0};
    std::mutex m;
    std::set<int> nodes;
    std::vector<std::thread> workers;
    for (int t = 0; t < 4; ++t)
        workers.emplace_back([&] {
            std::set<int> mine;
            while (!stop.load()) {
                auto lease = pool.acquire();
                if (mysql_query(lease.get(), "SELECT seq FROM bench_failover WHERE writer = 1 AND seq = 1") == 0) {
                    if (MYSQL_RES* r = mysql_store_result(lease.get())) mysql_free_result(r);
                    ++done;
                }
                mine.insert(node_of(lease.get()));
            }
            std::lock_guard lock(m);
            nodes.insert(mine.begin(), mine.end());
        });
    const auto start = steady::now();
    std::this_thread::sleep_for(run);
    stop = true;
    for (auto& w : workers) w.join();
    const double seconds = std::chrono::duration<double>(steady::now() - start).count();
    return {static_cast<double>(done.load()) / seconds, static_cast<int>(nodes.size())};
}

// Microseconds per ping, median over `n` after a warm-up.
double ping_us(const std::string& url, int n) {
    Db d(url);
    MYSQL* m = d.connect();
    std::vector<double> us;
    for (int i = 0; i < n + n / 10; ++i) {
        const auto t0 = steady::now();
        if (!d.ping(m, 5s)) throw std::runtime_error("ping failed on " + url.substr(0, url.find('@')));
        if (i >= n / 10) us.push_back(std::chrono::duration<double, std::micro>(steady::now() - t0).count());
    }
    d.close(m);
    return median(us);
}

// Microseconds of one SHOW STATUS LIKE 'wsrep_ready', median over `n`.
double status_query_us(const std::string& url, int n) {
    Db d(url);
    MYSQL* m = d.connect();
    std::vector<double> us;
    for (int i = 0; i < n; ++i) {
        const auto t0 = steady::now();
        if (mysql_query(m, "SHOW STATUS LIKE 'wsrep_ready'") != 0) throw std::runtime_error(mysql_error(m));
        if (MYSQL_RES* r = mysql_store_result(m)) mysql_free_result(r);
        us.push_back(std::chrono::duration<double, std::micro>(steady::now() - t0).count());
    }
    d.close(m);
    return median(us);
}

} // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::string(argv[1]) == "quick";
    try {
        const int pings = quick ? 300 : 2000;
        const std::string node1 = read_line(dir() + "/node1/url");
        const double com_ping = ping_us(node1, pings);
        const double status_ping = ping_us(node1 + "?galera=on", pings);
        const double com_ping_again = ping_us(node1, pings);  // interleaved: the VM's round trip drifts
        const double status_query = status_query_us(node1, pings / 4);
        const auto f = failover(quick ? 2 : 5);
        const auto run = quick ? 1000ms : 5000ms;
        const std::string one = read_line(dir() + "/node1/url") + "?galera=on";
        const auto [qps1, used1] = throughput(one, run);
        const auto [qps3, used3] = throughput(cluster_url(), run);
        (void)used1;
        std::string kills;
        for (double ms : f.ms) kills += (kills.empty() ? "" : ", ") + std::to_string(ms);
        std::printf("{\"failover_ms_p50\": %.1f, \"failover_ms_max\": %.1f, \"failover_ms\": [%s], "
                    "\"lost_acknowledged_writes\": %ld, \"acknowledged_writes\": %ld, \"failed_requests\": %ld, \"refused_acquires\": %ld, "
                    "\"nodes_used\": %d, \"reads_per_s_1_node\": %.0f, \"reads_per_s_3_nodes\": %.0f, "
                    "\"three_over_one\": %.3f, \"com_ping_us\": %.1f, \"galera_check_us\": %.1f, \"wsrep_status_query_us\": %.1f}\n",
                    median(f.ms), f.ms.empty() ? 0.0 : *std::max_element(f.ms.begin(), f.ms.end()), kills.c_str(),
                    f.lost, f.acknowledged, f.failed, f.refused, used3, qps1, qps3, qps1 > 0 ? qps3 / qps1 : 0.0,
                    (com_ping + com_ping_again) / 2, status_ping, status_query);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lifeguard_bench_cluster: %s\n", e.what());
        return 1;
    }
    return 0;
}
