// The C++ side of the peers comparison (tools/bench step "peers"), measured the way the Java
// and Python peers measure themselves (benchmarks/peers/): each thread runs the operation in
// a loop for a fixed time; a repetition's figure is wall time x threads / operations (the
// time one operation takes a thread); the figure reported is the median of the repetitions.
//   cycle     acquire + release, no I/O: baseline, lifeguard (no policies, all), SOCI; 1 and 2 threads
//   mariadb   acquire + SELECT 1 + release on the throwaway server (LIFEGUARD_TEST_URL):
//             lifeguard (no policies, RecommendedPool), SOCI; 1 and 2 threads
//   tail      16 threads on 4 connections, each holding its connection 20 us (busy): the
//             acquire wait's p50/p99/p99.9/max and the threads' min/max share of acquisitions
// Usage: lifeguard_bench_peers cycle|mariadb|tail <repetitions> <ms per repetition>
// Prints JSON.
#include <pools.hpp>

#include <lifeguard/mariadb.hpp>
#include <select1.hpp>

#ifdef LIFEGUARD_HAVE_SOCI
#include <soci/connection-pool.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Runs `op` on `threads` threads for `ms`; ns of one operation for one thread.
template <class Op>
double timed(int threads, int ms, const Op& op) {
    std::atomic<bool> go{false}, stop{false};
    std::vector<long> counts(static_cast<std::size_t>(threads), 0);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
            long n = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                op();
                ++n;
            }
            counts[static_cast<std::size_t>(t)] = n;
        });
    const auto start = clock_type::now();
    go.store(true, std::memory_order_release);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    stop.store(true, std::memory_order_relaxed);
    for (auto& th : pool) th.join();
    const double elapsed = std::chrono::duration<double, std::nano>(clock_type::now() - start).count();
    long total = 0;
    for (long c : counts) total += c;
    return total > 0 ? elapsed * threads / static_cast<double>(total) : 0.0;
}

template <class Op>
double repeated(int reps, int threads, int ms, const Op& op) {
    timed(threads, std::max(ms / 4, 20), op);  // warm-up: caches, connections, the spin tuner
    std::vector<double> v;
    for (int r = 0; r < reps; ++r) v.push_back(timed(threads, ms, op));
    return median(v);
}

std::string figures(const std::map<std::string, std::map<int, double>>& m, double scale) {
    std::string out = "{";
    for (auto it = m.begin(); it != m.end(); ++it) {
        if (it != m.begin()) out += ", ";
        out += "\"" + it->first + "\": {";
        for (auto jt = it->second.begin(); jt != it->second.end(); ++jt) {
            if (jt != it->second.begin()) out += ", ";
            char buf[64];
            std::snprintf(buf, sizeof buf, "\"%d\": %.3f", jt->first, jt->second * scale);
            out += buf;
        }
        out += "}";
    }
    return out + "}";
}

void cycle(int reps, int ms) {
    std::map<std::string, std::map<int, double>> ns;
    for (int threads : {1, 2}) {
        {
            bench::FakeServer server;
            bench::baseline_pool p(bench::FakeDriver(server), bench::options(4));
            ns["baseline"][threads] = repeated(reps, threads, ms, [&] { auto l = p.acquire(); });
        }
        {
            bench::FakeServer server;
            bench::none_pool p(bench::FakeDriver(server), bench::options(4));
            ns["lifeguard_none"][threads] = repeated(reps, threads, ms, [&] { auto l = p.acquire(); });
        }
        {
            bench::FakeServer server;
            bench::all_pool p(bench::FakeDriver(server), bench::options(4), lifeguard::RecycleAfter(std::chrono::hours(1)));
            ns["lifeguard_all"][threads] = repeated(reps, threads, ms, [&] {
                auto l = p.acquire();
                (void)l.get();
            });
        }
#ifdef LIFEGUARD_HAVE_SOCI
        {
            soci::connection_pool p(4);  // lease/give_back never touch the (unopened) sessions
            ns["soci"][threads] = repeated(reps, threads, ms, [&] { p.give_back(p.lease()); });
        }
#endif
    }
    std::printf("{\"cycle_ns\": %s}\n", figures(ns, 1.0).c_str());
}

using Db = lifeguard::mariadb::Driver;

using bench::select1;

void mariadb(int reps, int ms) {
    const char* url = std::getenv("LIFEGUARD_TEST_URL");
    if (url == nullptr) throw std::runtime_error("set LIFEGUARD_TEST_URL (tools/throwaway_mariadb run -- ...)");
    const auto o = lifeguard::mariadb::parse_url(url);
    lifeguard::PoolOptions po;
    po.max_size = 2;
    po.min_idle = 2;
    std::map<std::string, std::map<int, double>> ns;
    auto check = [](bool ok) {
        if (!ok) throw std::runtime_error("SELECT 1 failed");
    };
    for (int threads : {1, 2}) {
        {
            lifeguard::ConnectionPool<Db> p(Db(o), po);
            ns["lifeguard_none"][threads] = repeated(reps, threads, ms, [&] { check(select1(p.acquire().get())); });
        }
        {
            lifeguard::RecommendedPool<Db> p(Db(o), po, lifeguard::RecycleAfter(std::chrono::seconds(280)));
            ns["lifeguard_recommended"][threads] =
                repeated(reps, threads, ms, [&] { check(select1(p.acquire().get())); });
        }
#ifdef LIFEGUARD_HAVE_SOCI
        {
            std::string conn = "db=" + o.database + " user=" + o.user + " password='" + o.password + "' host=" +
                               o.host + " port=" + std::to_string(o.port);
            soci::connection_pool sessions(2);
            for (std::size_t i = 0; i < 2; ++i) sessions.at(i).open(soci::mysql, conn);
            ns["soci"][threads] = repeated(reps, threads, ms, [&] {
                soci::session sql(sessions);
                int one = 0;
                sql << "SELECT 1", soci::into(one);
                check(one == 1);
            });
        }
#endif
    }
    std::printf("{\"mariadb_us\": %s}\n", figures(ns, 1e-3).c_str());
}

// 16 threads, 4 connections, 20 us busy holds: how long acquire() waits, and how fairly.
void tail(int reps, int ms) {
    constexpr int threads = 16;
    constexpr auto hold = std::chrono::microseconds(20);
    std::vector<double> p50, p99, p999, max, share;
    for (int r = 0; r < reps + 1; ++r) {  // the first repetition warms up and is dropped
        bench::FakeServer server;
        bench::none_pool pool(bench::FakeDriver(server), bench::options(4));
        std::vector<std::vector<double>> waits(threads);
        std::atomic<bool> go{false}, stop{false};
        std::vector<std::thread> workers;
        for (int t = 0; t < threads; ++t)
            workers.emplace_back([&, t] {
                auto& mine = waits[static_cast<std::size_t>(t)];
                mine.reserve(1 << 16);
                while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
                while (!stop.load(std::memory_order_relaxed)) {
                    const auto asked = clock_type::now();
                    auto lease = pool.acquire();
                    const auto got = clock_type::now();
                    mine.push_back(std::chrono::duration<double, std::micro>(got - asked).count());
                    while (clock_type::now() - got < hold) lifeguard::detail::cpu_relax();
                }
            });
        go.store(true, std::memory_order_release);
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        stop.store(true, std::memory_order_relaxed);
        for (auto& w : workers) w.join();
        if (r == 0) continue;
        std::vector<double> all;
        std::size_t lo = SIZE_MAX, hi = 0;
        for (auto& w : waits) {
            all.insert(all.end(), w.begin(), w.end());
            lo = std::min(lo, w.size());
            hi = std::max(hi, w.size());
        }
        std::sort(all.begin(), all.end());
        auto at = [&](double q) { return all[std::min(all.size() - 1, static_cast<std::size_t>(q * static_cast<double>(all.size())))]; };
        p50.push_back(at(0.5));
        p99.push_back(at(0.99));
        p999.push_back(at(0.999));
        max.push_back(all.back());
        share.push_back(hi > 0 ? static_cast<double>(lo) / static_cast<double>(hi) : 0.0);
    }
    std::printf("{\"tail\": {\"threads\": %d, \"connections\": 4, \"hold_us\": 20, \"p50_us\": %.2f, \"p99_us\": %.2f, "
                "\"p999_us\": %.2f, \"max_us\": %.1f, \"min_max_share\": %.3f}}\n",
                threads, median(p50), median(p99), median(p999), median(max), median(share));
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s cycle|mariadb|tail <repetitions> <ms per repetition>\n", argv[0]);
        return 2;
    }
    const std::string what = argv[1];
    const int reps = std::atoi(argv[2]);
    const int ms = std::atoi(argv[3]);
    try {
        if (what == "cycle") cycle(reps, ms);
        else if (what == "mariadb") mariadb(reps, ms);
        else if (what == "tail") tail(reps, ms);
        else throw std::invalid_argument("unknown benchmark '" + what + "'");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lifeguard_bench_peers: %s\n", e.what());
        return 1;
    }
    return 0;
}
