// Acquire + release with the fake driver: the pool's own cost.
//   cycle/*       one thread, 4 idle connections (lifeguard none/all, baseline, SOCI)
//   scaling/*     lifeguard none with 1 and 2 threads, 4 connections: total throughput
//   clock/*       one read of the pool's default clock and of std::chrono::steady_clock
//   fence/*       the waiter's heavy fence (membarrier), alone and with a busy sibling thread
#include <pools.hpp>

#include <lifeguard/detail/asymmetric_fence.hpp>
#include <lifeguard/detail/spin.hpp>

#include <benchmark/benchmark.h>

#ifdef LIFEGUARD_HAVE_SOCI
#include <soci/connection-pool.h>
#endif

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>

namespace {

template <class Pool>
void cycle(benchmark::State& state) {
    bench::FakeServer server;
    auto pool = bench::make<Pool>(server, 4);
    for (auto _ : state) {
        auto lease = pool.acquire();
        benchmark::DoNotOptimize(lease.get());  // users take the handle; ResetOnReturn sees it
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK_TEMPLATE(cycle, bench::baseline_pool)->Name("cycle/baseline");
BENCHMARK_TEMPLATE(cycle, bench::none_pool)->Name("cycle/lifeguard_none");
BENCHMARK_TEMPLATE(cycle, bench::all_pool)->Name("cycle/lifeguard_all");
BENCHMARK_TEMPLATE(cycle, bench::maintained_pool)->Name("cycle/lifeguard_maintained");
BENCHMARK_TEMPLATE(cycle, bench::metrics_pool)->Name("cycle/lifeguard_metrics");

#ifdef LIFEGUARD_HAVE_SOCI
void cycle_soci(benchmark::State& state) {
    soci::connection_pool pool(4);  // lease/give_back never touch the (unopened) sessions
    for (auto _ : state) {
        std::size_t pos = pool.lease();
        benchmark::DoNotOptimize(pos);
        pool.give_back(pos);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(cycle_soci)->Name("cycle/soci");
#endif

// A thread holding one lease takes a second: the slow lane (another thread's parked
// connection, under the lock), with max_size far above the connections open. Its cost must
// not grow with max_size (it visits open connections only).
void slow_lane(benchmark::State& state) {
    bench::FakeServer server;
    auto o = bench::options(static_cast<std::size_t>(state.range(0)));
    o.min_idle = 2;
    bench::none_pool pool(bench::FakeDriver(server), o);
    auto first = pool.acquire();
    for (auto _ : state) {
        auto second = pool.acquire();
        benchmark::DoNotOptimize(second.get());
    }
}
BENCHMARK(slow_lane)->Name("slow_lane/second_lease")->Arg(4)->Arg(1000)->Arg(10000);

void stats(benchmark::State& state) {
    bench::FakeServer server;
    auto o = bench::options(static_cast<std::size_t>(state.range(0)));
    o.min_idle = 2;
    bench::none_pool pool(bench::FakeDriver(server), o);
    for (auto _ : state) benchmark::DoNotOptimize(pool.stats());
}
BENCHMARK(stats)->Name("slow_lane/stats")->Arg(4)->Arg(1000)->Arg(10000);

// One thread alternating between two pools: each keeps its own hint (fast lane for both).
void two_pools(benchmark::State& state) {
    bench::FakeServer server;
    auto a = bench::make<bench::none_pool>(server, 4);
    auto b = bench::make<bench::none_pool>(server, 4);
    for (auto _ : state) {
        { auto lease = a.acquire(); benchmark::DoNotOptimize(lease.get()); }
        { auto lease = b.acquire(); benchmark::DoNotOptimize(lease.get()); }
    }
}
BENCHMARK(two_pools)->Name("cycle/two_pools_alternating");

// The hardware floor of a pool cycle: claim with one uncontended CAS, give back with one
// release store, on a cache line of its own.
void floor_cycle(benchmark::State& state) {
    alignas(128) static std::atomic<std::uint32_t> word{0};
    for (auto _ : state) {
        std::uint32_t expected = 0;
        benchmark::DoNotOptimize(word.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                                              std::memory_order_relaxed));
        word.store(0, std::memory_order_release);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(floor_cycle)->Name("floor/cas_release_store");

// What a time-based policy adds per read: the default coarse clock against steady_clock.
template <class Clock>
void clock_read(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(Clock::now());
}
BENCHMARK_TEMPLATE(clock_read, lifeguard::CoarseSteadyClock)->Name("clock/coarse_steady_clock");
BENCHMARK_TEMPLATE(clock_read, std::chrono::steady_clock)->Name("clock/steady_clock");

// What a waiter that fences pays: membarrier(2) interrupts every CPU running a thread of the
// process, so its cost depends on whether another thread is running (run unpinned).
void heavy_fence(benchmark::State& state) {
    if (!lifeguard::detail::asymmetric_fence::available()) {
        state.SkipWithError("membarrier(2) is unavailable here");
        return;
    }
    std::atomic<bool> stop{false};
    std::thread sibling;
    if (state.range(0) != 0)
        sibling = std::thread([&] {
            while (!stop.load(std::memory_order_relaxed)) lifeguard::detail::cpu_relax();
        });
    for (auto _ : state) benchmark::DoNotOptimize(lifeguard::detail::asymmetric_fence::heavy());
    stop = true;
    if (sibling.joinable()) sibling.join();
}
BENCHMARK(heavy_fence)->Name("fence/membarrier")->ArgName("busy_sibling")->Arg(0)->Arg(1)->UseRealTime();

// One pool shared by the benchmark's threads.
std::unique_ptr<bench::FakeServer> shared_server;
std::unique_ptr<bench::none_pool> shared_pool;

void scaling(benchmark::State& state) {
    if (state.thread_index() == 0) {
        shared_server = std::make_unique<bench::FakeServer>();
        shared_pool = std::make_unique<bench::none_pool>(bench::FakeDriver(*shared_server), bench::options(4));
    }
    for (auto _ : state) {
        auto lease = shared_pool->acquire();
        benchmark::DoNotOptimize(lease.get());
    }
    state.SetItemsProcessed(state.iterations());
    if (state.thread_index() == 0) {
        shared_pool.reset();
        shared_server.reset();
    }
}
BENCHMARK(scaling)->Name("scaling/lifeguard_none")->Threads(1)->Threads(2)->UseRealTime();

} // namespace

BENCHMARK_MAIN();
