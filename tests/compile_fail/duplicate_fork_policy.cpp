// expect: more than one ForkPolicy given; keep one
#include "use_pool.hpp"

#ifdef LIFEGUARD_POSITIVE_TWIN
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::DisposeAfterFork>;
#else
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::DisposeAfterFork,
                                       lifeguard::PingIfIdle, lifeguard::IgnoreFork>;
#endif
int main() { return use_pool<Pool>(fake_driver()); }
