// What every compile-fail case does with its pool: construct it and use it as a program
// would. A mistake must give exactly one error (tests/compile_fail/check.cmake counts them),
// not the sentence followed by "no matching constructor" and "no member named acquire".
#ifndef LIFEGUARD_TESTS_COMPILE_FAIL_USE_POOL_HPP
#define LIFEGUARD_TESTS_COMPILE_FAIL_USE_POOL_HPP

#include <lifeguard/lifeguard.hpp>
#include <lifeguard/testing/fake_driver.hpp>

#include <utility>

template <class Pool, class Driver, class... Values>
int use_pool(Driver driver, Values... values) {
    Pool pool(std::move(driver), lifeguard::PoolOptions{}, std::move(values)...);
    auto lease = pool.acquire();
    auto& connection = lease.get();
    (void)connection;
    if (auto other = pool.try_acquire()) other->release();
    lease.release();
    return static_cast<int>(pool.stats().open + pool.options().max_size);
}

inline lifeguard::testing::FakeServer fake_server;
inline lifeguard::testing::FakeDriver fake_driver() { return lifeguard::testing::FakeDriver(fake_server); }

#endif
