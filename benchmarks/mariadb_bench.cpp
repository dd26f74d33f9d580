// Against a real MariaDB server (tools/bench starts a throwaway one): microseconds per
// operation over TCP loopback (/0) and the unix socket (/1).
//   select1_held          SELECT 1 on a connection held for the whole run
//   pool_*                acquire + SELECT 1 + release, per policy
//   connect_per_request   connect + SELECT 1 + close, no pool
//   soci_pool             SOCI's connection_pool: soci::session(pool) + SELECT 1
//   paired_*              held SELECT 1 and pooled acquire + SELECT 1 + release, alternating
//                         in one loop so both see the same scheduling; counters held_us,
//                         pool_us and ratio (a round trip here varies 3x between runs)
#include <lifeguard/lifeguard.hpp>
#include <lifeguard/mariadb.hpp>
#include <select1.hpp>

#include <benchmark/benchmark.h>

#ifdef LIFEGUARD_HAVE_SOCI
#include <soci/connection-pool.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#endif

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace {

using Db = lifeguard::mariadb::Driver;

lifeguard::mariadb::ConnectOptions connect_options(const benchmark::State& state) {
    const char* url = std::getenv(state.range(0) == 0 ? "LIFEGUARD_TEST_URL" : "LIFEGUARD_TEST_SOCKET_URL");
    if (url == nullptr) throw std::runtime_error("set LIFEGUARD_TEST_URL and LIFEGUARD_TEST_SOCKET_URL");
    return lifeguard::mariadb::parse_url(url);
}

using bench::select1;

void select1_held(benchmark::State& state) {
    Db d(connect_options(state));
    MYSQL* m = d.connect();
    for (auto _ : state)
        if (!select1(m)) state.SkipWithError(mysql_error(m));
    d.close(m);
}

template <class... Policies>
void pool(benchmark::State& state) {
    lifeguard::PoolOptions o;
    o.min_idle = 1;
    o.max_size = 1;
    lifeguard::ConnectionPool<Db, Policies...> p(Db(connect_options(state)), o);
    for (auto _ : state) {
        auto lease = p.acquire();
        if (!select1(lease.get())) state.SkipWithError(mysql_error(lease.get()));
    }
}

template <class... Policies>
void paired(benchmark::State& state) {
    // One connection for both halves: the pool's only one, held through a lease for the
    // "held" half. Two different connections would compare two server threads' luck.
    lifeguard::PoolOptions o;
    o.min_idle = 1;
    o.max_size = 1;
    lifeguard::ConnectionPool<Db, Policies...> p(Db(connect_options(state)), o);
    auto held = p.acquire();
    std::chrono::nanoseconds held_time{0}, pool_time{0};
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        if (!select1(held.get())) state.SkipWithError(mysql_error(held.get()));
        const auto t1 = std::chrono::steady_clock::now();
        held.release();
        const auto t2 = std::chrono::steady_clock::now();
        {
            auto lease = p.acquire();
            if (!select1(lease.get())) state.SkipWithError(mysql_error(lease.get()));
        }
        const auto t3 = std::chrono::steady_clock::now();
        held = p.acquire();
        held_time += t1 - t0;
        pool_time += t3 - t2;
    }
    const auto n = static_cast<double>(state.iterations());
    state.counters["held_us"] = static_cast<double>(held_time.count()) / n / 1e3;
    state.counters["pool_us"] = static_cast<double>(pool_time.count()) / n / 1e3;
    state.counters["ratio"] = static_cast<double>(pool_time.count()) / static_cast<double>(held_time.count());
}

void connect_per_request(benchmark::State& state) {
    Db d(connect_options(state));
    for (auto _ : state) {
        MYSQL* m = d.connect();
        if (!select1(m)) state.SkipWithError(mysql_error(m));
        d.close(m);
    }
}

#ifdef LIFEGUARD_HAVE_SOCI
void soci_pool(benchmark::State& state) {
    const auto o = connect_options(state);
    std::string conn = "db=" + o.database + " user=" + o.user + " password='" + o.password + "'";
    conn += o.unix_socket.empty() ? " host=" + o.host + " port=" + std::to_string(o.port) : " unix_socket=" + o.unix_socket;
    soci::connection_pool sessions(1);
    sessions.at(0).open(soci::mysql, conn);
    for (auto _ : state) {
        soci::session sql(sessions);
        int one = 0;
        sql << "SELECT 1", soci::into(one);
        benchmark::DoNotOptimize(one);
    }
}
#endif

void transports(benchmark::internal::Benchmark* b) {
    b->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->UseRealTime();
}

BENCHMARK(select1_held)->Name("mariadb/select1_held")->Apply(transports);
BENCHMARK_TEMPLATE(pool)->Name("mariadb/pool_none")->Apply(transports);
BENCHMARK_TEMPLATE(pool, lifeguard::PingIfIdle)->Name("mariadb/pool_ping_if_idle")->Apply(transports);
BENCHMARK_TEMPLATE(pool, lifeguard::PingOnCheckout)->Name("mariadb/pool_ping_on_checkout")->Apply(transports);
BENCHMARK_TEMPLATE(pool, lifeguard::ResetOnReturn)->Name("mariadb/pool_reset_on_return")->Apply(transports);
BENCHMARK(connect_per_request)->Name("mariadb/connect_per_request")->Apply(transports);
BENCHMARK_TEMPLATE(paired)->Name("mariadb/paired_none")->Apply(transports);
BENCHMARK_TEMPLATE(paired, lifeguard::PingIfIdle)->Name("mariadb/paired_ping_if_idle")->Apply(transports);
#ifdef LIFEGUARD_HAVE_SOCI
BENCHMARK(soci_pool)->Name("mariadb/soci_pool")->Apply(transports);
#endif

} // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    // Record what was measured: server and client library versions.
    if (const char* url = std::getenv("LIFEGUARD_TEST_URL")) {
        Db d(lifeguard::mariadb::parse_url(url));
        MYSQL* m = d.connect();
        benchmark::AddCustomContext("server_version", mysql_get_server_info(m));
        d.close(m);
    }
    benchmark::AddCustomContext("client_version", mysql_get_client_info());
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
