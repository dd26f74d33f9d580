// expect: an argument after the Driver is not a policy
#include <lifeguard/lifeguard.hpp>
#include <lifeguard/testing/fake_driver.hpp>

#ifdef LIFEGUARD_POSITIVE_TWIN
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::PingIfIdle>;
#else
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::PingIfIdle, int>;
#endif
Pool::lease_type* lease = nullptr;
int main() {}
