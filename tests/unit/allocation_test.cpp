// Steady-state acquire/release allocates nothing from the general-purpose heap: records
// come from boost::pool, reserved when the pool is built.
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
} // namespace

void* operator new(std::size_t n) {
    if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace lifeguard_test;

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
    counting = false;
    delete p;
    BOOST_TEST(allocations.load() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
