// expect: more than one ValidationPolicy given; keep one
#include "use_pool.hpp"

#ifdef LIFEGUARD_POSITIVE_TWIN
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::PingIfIdle>;
#else
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::PingIfIdle, lifeguard::PingOnCheckout>;
#endif
int main() { return use_pool<Pool>(fake_driver()); }
