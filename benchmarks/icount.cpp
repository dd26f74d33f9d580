// Runs N acquire+release cycles of one pool inside a named, non-inlined function, so
// callgrind can count the instructions of exactly those cycles:
//   valgrind --tool=callgrind --toggle-collect='*run_cycles*' lifeguard_bench_icount none 100000
#include <pools.hpp>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

template <class Pool>
[[gnu::noinline]] void run_cycles(Pool& pool, long n) {
    for (long i = 0; i < n; ++i) {
        auto lease = pool.acquire();
        benchmark::DoNotOptimize(lease.get());
    }
}

template <class Pool>
int run(long n) {
    bench::FakeServer server;
    auto pool = bench::make<Pool>(server, 4);
    run_cycles(pool, n);
    return 0;
}

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s baseline|none|all|maintained cycles\n", argv[0]);
        return 2;
    }
    const long n = std::atol(argv[2]);
    if (!std::strcmp(argv[1], "baseline")) return run<bench::baseline_pool>(n);
    if (!std::strcmp(argv[1], "none")) return run<bench::none_pool>(n);
    if (!std::strcmp(argv[1], "all")) return run<bench::all_pool>(n);
    if (!std::strcmp(argv[1], "maintained")) return run<bench::maintained_pool>(n);
    return 2;
}
