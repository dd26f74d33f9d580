// expect: more than one ForkPolicy given; keep one
#include <lifeguard/lifeguard.hpp>
#include <lifeguard/testing/fake_driver.hpp>

#ifdef LIFEGUARD_POSITIVE_TWIN
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::DisposeAfterFork>;
#else
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::DisposeAfterFork,
                                       lifeguard::PingIfIdle, lifeguard::IgnoreFork>;
#endif
Pool::lease_type* lease = nullptr;
int main() {}
