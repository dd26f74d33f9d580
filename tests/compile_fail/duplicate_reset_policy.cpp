// expect: more than one ResetPolicy given; keep one
#include "use_pool.hpp"

#ifdef LIFEGUARD_POSITIVE_TWIN
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::ResetOnReturn>;
#else
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::ResetOnReturn, lifeguard::NoReset>;
#endif
int main() { return use_pool<Pool>(fake_driver()); }
