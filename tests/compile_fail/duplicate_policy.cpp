// expect: more than one RecyclePolicy given; keep one
#include "use_pool.hpp"

#ifdef LIFEGUARD_POSITIVE_TWIN
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::RecycleAfter>;
#else
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::RecycleAfter, lifeguard::NoRecycle>;
#endif
int main() { return use_pool<Pool>(fake_driver(), lifeguard::RecycleAfter(std::chrono::seconds(280))); }
