// expect: a value passed to the constructor is not one of the policies
#include "use_pool.hpp"

int main() {
#ifdef LIFEGUARD_POSITIVE_TWIN
    return use_pool<lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::PingIfIdle>>(
        fake_driver(), lifeguard::PingIfIdle{});
#else
    // PingIfIdle is not among the pool's policies.
    return use_pool<lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::RecycleAfter>>(
        fake_driver(), lifeguard::PingIfIdle{});
#endif
}
