// Two threads sharing one connection: ns per hand-off and fairness (the smaller thread's
// share of acquisitions). Prints JSON: {"handoff_ns": [...], "min_share": [...]}.
// Usage: lifeguard_bench_handoff [runs] [milliseconds per run]
#include <pools.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <vector>
#include <thread>

int main(int argc, char** argv) {
    const int runs = argc > 1 ? std::atoi(argv[1]) : 7;
    const int millis = argc > 2 ? std::atoi(argv[2]) : 500;
    std::vector<double> ns, share;
    for (int run = 0; run < runs; ++run) {
        bench::FakeServer server;
        bench::none_pool pool(bench::FakeDriver(server), bench::options(1));
        std::atomic<bool> go{false}, stop{false};
        long counts[2] = {0, 0};
        auto worker = [&](int id) {
            while (!go) std::this_thread::yield();
            long n = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                auto lease = pool.acquire();
                ++n;
            }
            counts[id] = n;
        };
        std::thread a(worker, 0), b(worker, 1);
        const auto start = std::chrono::steady_clock::now();
        go = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(millis));
        stop = true;
        a.join();
        b.join();
        const double elapsed = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
        const long total = counts[0] + counts[1];
        ns.push_back(total ? elapsed / static_cast<double>(total) : 0.0);
        share.push_back(total ? static_cast<double>(std::min(counts[0], counts[1])) / static_cast<double>(total) : 0.0);
    }
    auto print = [](const char* key, const std::vector<double>& v, const char* end) {
        std::printf("\"%s\": [", key);
        for (std::size_t i = 0; i < v.size(); ++i) std::printf("%s%.4f", i ? ", " : "", v[i]);
        std::printf("]%s", end);
    };
    std::printf("{");
    print("handoff_ns", ns, ", ");
    print("min_share", share, "}\n");
}
