// expect: a policy tagged clock_tag does not model ClockPolicy; use lifeguard::UseClock<C> with a steady clock C
#include "use_pool.hpp"

#include <chrono>

#ifdef LIFEGUARD_POSITIVE_TWIN
using Clock = lifeguard::UseClock<std::chrono::steady_clock>;
#else
using Clock = lifeguard::UseClock<std::chrono::system_clock>;  // not steady: wall-clock jumps
#endif
int main() { return use_pool<lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::RecycleAfter, Clock>>(fake_driver()); }
