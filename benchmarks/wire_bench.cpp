// Round trips that validation and reset no longer make, against a real MariaDB server
// (tools/bench runs it under tools/throwaway_mariadb, TCP loopback):
//   tiers     acquire + release of a live idle connection, by TieredValidation tier: none,
//             socket check, ping; the check's cost is the difference to "none" (medians of
//             interleaved rounds), plus the driver's socket_state() alone
//   reset     2 threads, pool of 4, each request SELECT 1 and then 1 ms of think time (open
//             loop): request latency p50 with ResetOnReturn (pipelined) over without; and the
//             same back to back (closed loop), where the next request must wait for the reset
//   idle      what learning the server's idle limit adds to a connect (median)
// Prints one JSON object. Usage: lifeguard_bench_wire [quick]
#include <lifeguard/lifeguard.hpp>
#include <lifeguard/mariadb.hpp>
#include <select1.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using Db = lifeguard::mariadb::Driver;
using clock_type = std::chrono::steady_clock;
using us = std::chrono::duration<double, std::micro>;

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

using bench::select1;

lifeguard::PoolOptions sized(std::size_t n, std::size_t min_idle) {
    lifeguard::PoolOptions o;
    o.max_size = n;
    o.min_idle = min_idle;
    return o;
}

// Median microseconds of one acquire + release, per tier, in interleaved rounds.
struct tier_costs {
    double none = 0, socket = 0, ping = 0, socket_call = 0;
};
tier_costs tiers(const lifeguard::mariadb::ConnectOptions& o, int rounds, int per_round) {
    using Pool = lifeguard::ConnectionPool<Db, lifeguard::TieredValidation>;
    using namespace std::chrono_literals;
    Pool none(Db(o), sized(1, 1), lifeguard::TieredValidation(1h, 1h));
    Pool socket(Db(o), sized(1, 1), lifeguard::TieredValidation(0ns, 1h));
    Pool ping(Db(o), sized(1, 1), lifeguard::TieredValidation(0ns, 0ns));
    auto time = [&](Pool& p) {
        const auto t0 = clock_type::now();
        for (int i = 0; i < per_round; ++i) (void)p.acquire();
        return us(clock_type::now() - t0).count() / per_round;
    };
    std::vector<double> n, s, g, call;
    Db d(o);
    MYSQL* m = d.connect();
    for (int r = 0; r < rounds; ++r) {
        n.push_back(time(none));
        s.push_back(time(socket));
        g.push_back(time(ping));
        const auto t0 = clock_type::now();
        for (int i = 0; i < per_round; ++i)
            if (d.socket_state(m) != lifeguard::SocketState::open) throw std::runtime_error("socket not open");
        call.push_back(us(clock_type::now() - t0).count() / per_round);
    }
    d.close(m);
    return {median(n), median(s), median(g), median(call)};
}

// Request latency p50 (acquire + SELECT 1 + release), 2 threads, pool of 4.
template <class... Policies>
double requests_p50(const lifeguard::mariadb::ConnectOptions& o, int per_thread, std::chrono::microseconds think) {
    lifeguard::ConnectionPool<Db, Policies...> pool(Db(o), sized(4, 4));
    std::vector<std::vector<double>> latency(2);
    std::atomic<bool> failed{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                const auto t0 = clock_type::now();
                {
                    auto lease = pool.acquire();
                    if (!select1(lease.get())) failed = true;
                }
                latency[t].push_back(us(clock_type::now() - t0).count());
                if (think.count() > 0) std::this_thread::sleep_for(think);
            }
        });
    for (auto& th : threads) th.join();
    if (failed) throw std::runtime_error("a request failed");
    latency[0].insert(latency[0].end(), latency[1].begin(), latency[1].end());
    return median(latency[0]);
}

// Median microseconds of connect + close, without and with learning the idle limit.
std::pair<double, double> connect_cost(const lifeguard::mariadb::ConnectOptions& o, int rounds) {
    Db d(o);
    std::vector<double> plain, learning;
    for (int i = 0; i < rounds; ++i) {
        auto t0 = clock_type::now();
        MYSQL* m = d.connect();
        d.close(m);
        plain.push_back(us(clock_type::now() - t0).count());
        t0 = clock_type::now();
        m = d.connect();
        if (d.idle_limit(m).count() == 0) throw std::runtime_error("no idle limit");
        d.close(m);
        learning.push_back(us(clock_type::now() - t0).count());
    }
    return {median(plain), median(learning)};
}

} // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "quick") == 0;
    const char* url = std::getenv("LIFEGUARD_TEST_URL");
    if (url == nullptr) {
        std::fprintf(stderr, "set LIFEGUARD_TEST_URL (tools/bench runs this under tools/throwaway_mariadb)\n");
        return 2;
    }
    const auto o = lifeguard::mariadb::parse_url(url);
    const auto t = tiers(o, quick ? 5 : 15, quick ? 200 : 1000);
    const int per_thread = quick ? 300 : 1500;
    const auto think = std::chrono::microseconds(1000);
    double open_with = 0, open_without = 0, closed_with = 0, closed_without = 0;
    std::vector<double> open_ratio, closed_ratio;
    for (int rep = 0; rep < (quick ? 1 : 3); ++rep) {  // alternate, so drift hits both alike
        open_without = requests_p50<>(o, per_thread, think);
        open_with = requests_p50<lifeguard::ResetOnReturn>(o, per_thread, think);
        closed_without = requests_p50<>(o, per_thread, std::chrono::microseconds(0));
        closed_with = requests_p50<lifeguard::ResetOnReturn>(o, per_thread, std::chrono::microseconds(0));
        open_ratio.push_back(open_with / open_without);
        closed_ratio.push_back(closed_with / closed_without);
    }
    const auto [plain, learning] = connect_cost(o, quick ? 50 : 200);
    std::printf("{\"socket_check_us\": %.3f, \"socket_state_call_us\": %.3f, \"ping_us\": %.2f, "
                "\"checkout_us\": {\"none\": %.3f, \"socket\": %.3f, \"ping\": %.2f}, "
                "\"reset_open_loop_p50_ratio\": %.4f, \"reset_closed_loop_ratio\": %.4f, "
                "\"request_p50_us\": {\"open_without_reset\": %.1f, \"open_with_reset\": %.1f, "
                "\"closed_without_reset\": %.1f, \"closed_with_reset\": %.1f}, "
                "\"idle_limit_connect_cost_us\": %.1f, \"connect_us\": %.1f}\n",
                t.socket - t.none, t.socket_call, t.ping - t.none, t.none, t.socket, t.ping, median(open_ratio),
                median(closed_ratio), open_without, open_with, closed_without, closed_with, learning - plain, plain);
}
