// Many threads, few connections (8 threads, 2 connections by default): each thread acquires,
// holds its connection, releases, repeats. The hold is a sleep (a request waiting for the
// database) or busy work (a request's CPU). A waiter that spins takes a CPU from the threads
// that hold connections, so what counts is throughput against the ceiling (connections /
// hold) and the CPU burnt per acquisition beyond the holders' own work.
// Compared in one run: lifeguard (adaptive spin), and the hand-written baseline with the
// fixed 2,000-round spin lifeguard shipped before (what the adaptive spin changed).
// Prints JSON: {"threads", "connections", "cpus", "runs": [{"pool", "hold", "hold_us",
//   "acquisitions_per_s": [...], "efficiency": [...], "cpu_us_per_acquisition": [...]}]}
// Usage: lifeguard_bench_contention [threads] [connections] [ms per run] [repetitions]
#include <pools.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>

namespace {
double cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void busy_for(std::chrono::microseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < until) {
    }
}

// What sleep_for(d) really takes here (timer slack and wake-up included).
double measured_sleep_us(std::chrono::microseconds d) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 50; ++i) std::this_thread::sleep_for(d);
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / 50;
}

struct result {
    std::vector<double> rate, efficiency, cpu_us;
};

template <class Pool>
void run(result& out, int threads, int connections, int millis, bool sleeping, std::chrono::microseconds hold,
         double ceiling) {
    bench::FakeServer server;
    Pool pool(bench::FakeDriver(server), bench::options(static_cast<std::size_t>(connections)));
    std::atomic<bool> go{false}, stop{false};
    std::atomic<long> total{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&] {
            while (!go) std::this_thread::yield();
            long n = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                auto lease = pool.acquire();
                if (sleeping) std::this_thread::sleep_for(hold);
                else busy_for(hold);
                ++n;
            }
            total += n;
        });
    const double cpu0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    go = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(millis));
    stop = true;
    for (auto& w : workers) w.join();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = cpu_seconds() - cpu0;
    const double n = static_cast<double>(total.load());
    const double own_work = sleeping ? 0.0 : n * static_cast<double>(hold.count()) * 1e-6;
    out.rate.push_back(n / wall);
    out.efficiency.push_back(n / wall / ceiling);
    out.cpu_us.push_back(n > 0 ? (cpu - own_work) / n * 1e6 : 0.0);
}

void print(const char* key, const std::vector<double>& v, const char* end) {
    std::printf("\"%s\": [", key);
    for (std::size_t i = 0; i < v.size(); ++i) std::printf("%s%.3f", i ? ", " : "", v[i]);
    std::printf("]%s", end);
}
} // namespace

int main(int argc, char** argv) {
    const int threads = argc > 1 ? std::atoi(argv[1]) : 8;
    const int connections = argc > 2 ? std::atoi(argv[2]) : 2;
    const int millis = argc > 3 ? std::atoi(argv[3]) : 1000;
    const int reps = argc > 4 ? std::atoi(argv[4]) : 3;
    const int cpus = static_cast<int>(std::thread::hardware_concurrency());
    using fixed_pool = baseline::Pool<bench::FakeDriver, baseline::fixed_spin>;
    std::printf("{\"threads\": %d, \"connections\": %d, \"cpus\": %d, \"runs\": [", threads, connections, cpus);
    struct shape {
        const char* hold;
        int us;
    };
    bool first = true;
    for (const shape s : {shape{"sleep", 10}, shape{"sleep", 100}, shape{"sleep", 1000}, shape{"busy", 100}}) {
        const bool sleeping = std::string(s.hold) == "sleep";
        const auto hold = std::chrono::microseconds(s.us);
        // Ceiling: every connection always held. Busy holds also need a CPU each.
        const double per_hold_us = sleeping ? measured_sleep_us(hold) : static_cast<double>(s.us);
        const int parallel = sleeping ? connections : std::min(connections, cpus);
        const double ceiling = static_cast<double>(parallel) / (per_hold_us * 1e-6);
        result adaptive, fixed;
        for (int rep = 0; rep < reps; ++rep) {  // alternate, so drift hits both alike
            run<bench::none_pool>(adaptive, threads, connections, millis, sleeping, hold, ceiling);
            run<fixed_pool>(fixed, threads, connections, millis, sleeping, hold, ceiling);
        }
        for (auto [name, r] : {std::pair{"lifeguard", &adaptive}, std::pair{"fixed_spin", &fixed}}) {
            std::printf("%s{\"pool\": \"%s\", \"hold\": \"%s\", \"hold_us\": %d, \"real_hold_us\": %.1f, ",
                        first ? "" : ", ", name, s.hold, s.us, per_hold_us);
            first = false;
            print("acquisitions_per_s", r->rate, ", ");
            print("efficiency", r->efficiency, ", ");
            print("cpu_us_per_acquisition", r->cpu_us, "}");
        }
    }
    std::printf("]}\n");
}
