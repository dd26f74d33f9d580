// Steady-state acquire/release allocates nothing from the general-purpose heap: records
// come from boost::pool, reserved when the pool is built.
#include "test_support.hpp"

#include <lifeguard/detail/sanitizer.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

#if defined(LIFEGUARD_ASAN) || defined(__SANITIZE_THREAD__)
#define LIFEGUARD_COUNT_WITH_SANITIZER_HOOKS 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LIFEGUARD_COUNT_WITH_SANITIZER_HOOKS 1
#endif
#endif

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
void count_one() noexcept {
    if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
}
} // namespace

#ifdef LIFEGUARD_COUNT_WITH_SANITIZER_HOOKS
// Sanitizers own operator new; they report every allocation to these hooks instead.
// Exported by the ASan and TSan runtimes (declared here: g++ ships no header for it).
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*)(const volatile void*, std::size_t),
                                                         void (*)(const volatile void*));
namespace {
void on_malloc(const volatile void*, std::size_t) { count_one(); }
void on_free(const volatile void*) {}
const int hooks_installed = __sanitizer_install_malloc_and_free_hooks(&on_malloc, &on_free);
} // namespace
#else
void* operator new(std::size_t n) {
    count_one();
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#endif

using namespace lifeguard_test;

namespace {
// Keeps the compiler from eliding the allocation the counter must see.
void benchmark_escape(void* p) { asm volatile("" : : "g"(p) : "memory"); }
} // namespace

BOOST_FIXTURE_TEST_SUITE(allocation, server_fixture)

template <class Pool, class... Values>
long allocations_in_steady_state(FakeDriver d, Values... values) {
    Pool pool(d, sized(4, 4), values...);
    for (int i = 0; i < 8; ++i) (void)pool.acquire();  // warm up thread-locals, if any
    allocations = 0;
    counting = true;
    for (int i = 0; i < 10000; ++i) {
        auto a = pool.acquire();
        auto b = pool.try_acquire();
    }
    counting = false;
    return allocations.load();
}

BOOST_AUTO_TEST_CASE(no_heap_allocation_per_cycle) {
    using namespace lifeguard;
    BOOST_TEST((allocations_in_steady_state<ConnectionPool<FakeDriver>>(driver())) == 0);
    BOOST_TEST((allocations_in_steady_state<ConnectionPool<FakeDriver, RecycleAfter, PingIfIdle, DisposeAfterFork,
                                                           ResetOnReturn>>(driver(), RecycleAfter(1h))) == 0);
}

BOOST_AUTO_TEST_CASE(the_counter_sees_allocations) {  // so the test above cannot pass vacuously
    allocations = 0;
    counting = true;
    auto* p = new int(1);
    benchmark_escape(p);
    counting = false;
    delete p;
    BOOST_TEST(allocations.load() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
