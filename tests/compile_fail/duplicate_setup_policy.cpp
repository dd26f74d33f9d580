// expect: more than one SetupPolicy given; keep one
#include "use_pool.hpp"

inline void set_time_zone(lifeguard::testing::FakeDriver::connection_type&) {}
using Setup = lifeguard::SessionSetup<decltype(&set_time_zone)>;
#ifdef LIFEGUARD_POSITIVE_TWIN
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, Setup>;
#else
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, Setup, lifeguard::NoSetup>;
#endif
int main() { return use_pool<Pool>(fake_driver(), Setup(&set_time_zone)); }
