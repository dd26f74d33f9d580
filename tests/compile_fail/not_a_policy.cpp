// expect: an argument after the Driver is not a policy
#include "use_pool.hpp"

#ifdef LIFEGUARD_POSITIVE_TWIN
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::PingIfIdle>;
#else
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::PingIfIdle, int>;
#endif
int main() { return use_pool<Pool>(fake_driver()); }
