#include <lifeguard/lifeguard.hpp>
#include <lifeguard/testing/fake_driver.hpp>

int main() {
    lifeguard::testing::FakeServer server;
    lifeguard::RecommendedPool<lifeguard::testing::FakeDriver> pool(lifeguard::testing::FakeDriver(server),
                                                                    lifeguard::PoolOptions{});
    auto lease = pool.acquire();
    return server.query(lease.get()) ? 0 : 1;
}
