// expect: more than one MaintenancePolicy given; keep one
#include "use_pool.hpp"

#ifdef LIFEGUARD_POSITIVE_TWIN
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::BackgroundMaintenance>;
#else
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::BackgroundMaintenance,
                                       lifeguard::NoMaintenance>;
#endif
int main() { return use_pool<Pool>(fake_driver()); }
