// expect: more than one RecyclePolicy given; keep one
#include <lifeguard/lifeguard.hpp>
#include <lifeguard/testing/fake_driver.hpp>

#ifdef LIFEGUARD_POSITIVE_TWIN
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::RecycleAfter>;
#else
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::RecycleAfter, lifeguard::NoRecycle>;
#endif
Pool::lease_type* lease = nullptr;
int main() {}
