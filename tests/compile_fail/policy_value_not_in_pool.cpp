// expect: a value passed to the constructor is not one of the policies
#include <lifeguard/lifeguard.hpp>
#include <lifeguard/testing/fake_driver.hpp>

int main() {
    lifeguard::testing::FakeServer server;
#ifdef LIFEGUARD_POSITIVE_TWIN
    lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::PingIfIdle> pool(
        lifeguard::testing::FakeDriver(server), lifeguard::PoolOptions{}, lifeguard::PingIfIdle{});
#else
    // PingIfIdle is not among the pool's policies.
    lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::RecycleAfter> pool(
        lifeguard::testing::FakeDriver(server), lifeguard::PoolOptions{}, lifeguard::PingIfIdle{});
#endif
}
