// What background maintenance changes for requests (fake driver, real threads and time):
//   recycle  2 threads, pool of 4, requests of 200 us (busy) with 300 us of think time, for
//            4 s, RecycleAfter(1 s, 200 ms jitter), connects of 5 ms: request latency p50,
//            p99 and max, with and without BackgroundMaintenance. Without it, a request that
//            finds an expired connection pays the connect.
//   spike    32 threads arrive at once at a pool of max 8 with 1 warm connection; connects
//            take 50 ms; each request holds its connection 100 us. Acquire wait p50/p99/max
//            over 10 bursts, with and without maintenance.
//   outage   every connect fails; once the circuit breaker is open, how long acquire()
//            takes to fail (p50/p99/max over 2,000 calls).
// Prints one JSON object. Usage: lifeguard_bench_maintenance [quick]
#include <pools.hpp>

#include <lifeguard/lifeguard.hpp>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include <pthread.h>
#include <sched.h>

namespace {

using clock_type = std::chrono::steady_clock;
using us = std::chrono::duration<double, std::micro>;

void busy_for(std::chrono::microseconds d) {
    const auto until = clock_type::now() + d;
    while (clock_type::now() < until) {
    }
}

void pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<unsigned>(cpu) % std::max(1u, std::thread::hardware_concurrency()), &set);
    (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

struct percentiles {
    double p50 = 0, p99 = 0, max = 0;
};
percentiles summarize(std::vector<double> v) {
    if (v.empty()) return {};
    std::sort(v.begin(), v.end());
    return {v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 99 / 100)], v.back()};
}

template <class Pool, class... Values>
percentiles recycle_run(std::chrono::milliseconds duration, Values... values) {
    bench::FakeServer server;
    auto o = bench::options(4);
    o.min_idle = 2;
    Pool pool(bench::FakeDriver(server), o, lifeguard::RecycleAfter(std::chrono::seconds(1), std::chrono::milliseconds(200)),
              values...);
    server.set_connect_delay(std::chrono::milliseconds(5));
    std::vector<std::vector<double>> latencies(2), waits(2);
    std::vector<std::thread> threads;
    const auto until = clock_type::now() + duration;
    for (int t = 0; t < 2; ++t)
        threads.emplace_back([&, t] {
            pin_to_cpu(t);  // one request thread per CPU: preemption is the VM's, not each other's
            while (clock_type::now() < until) {
                const auto start = clock_type::now();
                {
                    auto lease = pool.acquire();
                    waits[t].push_back(us(clock_type::now() - start).count());
                    busy_for(std::chrono::microseconds(200));
                }
                latencies[t].push_back(us(clock_type::now() - start).count());
                std::this_thread::sleep_for(std::chrono::microseconds(300));
            }
        });
    for (auto& t : threads) t.join();
    latencies[0].insert(latencies[0].end(), latencies[1].begin(), latencies[1].end());
    if (std::getenv("LIFEGUARD_BENCH_DEBUG")) {
        auto v = latencies[0];
        std::sort(v.begin(), v.end());
        std::fprintf(stderr, "n=%zu top:", v.size());
        for (std::size_t i = v.size() > 10 ? v.size() - 10 : 0; i < v.size(); ++i) std::fprintf(stderr, " %.0f", v[i]);
        std::fprintf(stderr, " connects=%llu", (unsigned long long)server.connects.load());
        auto w = waits[0];
        w.insert(w.end(), waits[1].begin(), waits[1].end());
        std::sort(w.begin(), w.end());
        std::fprintf(stderr, " acquire top:");
        for (std::size_t i = w.size() > 6 ? w.size() - 6 : 0; i < w.size(); ++i) std::fprintf(stderr, " %.0f", w[i]);
        std::fprintf(stderr, "\n");
    }
    return summarize(latencies[0]);
}

template <class Pool, class... Values>
percentiles spike(int bursts, Values... values) {
    std::vector<double> waits;
    for (int b = 0; b < bursts; ++b) {
        bench::FakeServer server;
        auto o = bench::options(8);
        o.min_idle = 1;
        Pool pool(bench::FakeDriver(server), o, values...);
        server.set_connect_delay(std::chrono::milliseconds(50));
        std::barrier start(32);
        std::vector<double> mine(32);
        std::vector<std::thread> threads;
        for (int t = 0; t < 32; ++t)
            threads.emplace_back([&, t] {
                start.arrive_and_wait();
                const auto t0 = clock_type::now();
                auto lease = pool.acquire();
                mine[t] = us(clock_type::now() - t0).count();
                busy_for(std::chrono::microseconds(100));
            });
        for (auto& t : threads) t.join();
        waits.insert(waits.end(), mine.begin(), mine.end());
    }
    return summarize(waits);
}

percentiles outage(int calls) {
    bench::FakeServer server;
    auto o = bench::options(4);
    o.min_idle = 0;
    o.acquire_timeout = std::chrono::seconds(5);
    lifeguard::MaintenanceSettings s;
    s.retry_initial = std::chrono::milliseconds(10);
    s.retry_max = std::chrono::milliseconds(50);
    bench::maintained_pool pool(bench::FakeDriver(server), o, lifeguard::BackgroundMaintenance(s));
    server.fail_next_connects(1'000'000'000);
    for (;;) {  // until the breaker is open
        try {
            (void)pool.acquire(std::chrono::milliseconds(100));
        } catch (const lifeguard::DatabaseUnavailable&) {
            break;
        } catch (const std::exception&) {
        }
    }
    std::vector<double> took;
    for (int i = 0; i < calls; ++i) {
        const auto t0 = clock_type::now();
        try {
            (void)pool.acquire();
        } catch (const lifeguard::DatabaseUnavailable&) {
        }
        took.push_back(us(clock_type::now() - t0).count());
    }
    return summarize(took);
}

void print(const char* name, const percentiles& p, const char* end) {
    std::printf("\"%s\": {\"p50_us\": %.1f, \"p99_us\": %.1f, \"max_us\": %.1f}%s", name, p.p50, p.p99, p.max, end);
}

} // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "quick") == 0;
    using with_maintenance = lifeguard::ConnectionPool<bench::FakeDriver, lifeguard::RecycleAfter,
                                                       lifeguard::BackgroundMaintenance>;
    using without = lifeguard::ConnectionPool<bench::FakeDriver, lifeguard::RecycleAfter>;
    lifeguard::MaintenanceSettings s;
    s.tick = std::chrono::milliseconds(100);
    s.replace_before = std::chrono::milliseconds(400);
    const auto duration = std::chrono::milliseconds(quick ? 2500 : 4000);
    const auto r_with = recycle_run<with_maintenance>(duration, lifeguard::BackgroundMaintenance(s));
    const auto r_without = recycle_run<without>(duration);
    const int bursts = quick ? 4 : 10;
    const auto s_with = spike<bench::maintained_pool>(bursts, lifeguard::BackgroundMaintenance());
    const auto s_without = spike<bench::none_pool>(bursts);
    const auto o = outage(quick ? 500 : 2000);
    std::printf("{");
    print("recycle_with_maintenance", r_with, ", ");
    print("recycle_without_maintenance", r_without, ", ");
    print("spike_with_maintenance", s_with, ", ");
    print("spike_without_maintenance", s_without, ", ");
    print("breaker_open_acquire", o, "}\n");
}
