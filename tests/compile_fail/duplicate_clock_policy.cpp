// expect: more than one ClockPolicy \(UseClock\) given; keep one
#include "use_pool.hpp"

#include <chrono>

#ifdef LIFEGUARD_POSITIVE_TWIN
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::UseClock<std::chrono::steady_clock>>;
#else
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::UseClock<std::chrono::steady_clock>,
                                       lifeguard::UseClock<lifeguard::CoarseSteadyClock>>;
#endif
int main() { return use_pool<Pool>(fake_driver()); }
