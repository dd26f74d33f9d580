// expect: more than one HostPolicy given; keep one
#include "use_pool.hpp"

using lifeguard::testing::FakeClusterDriver;
#ifdef LIFEGUARD_POSITIVE_TWIN
using Pool = lifeguard::ConnectionPool<FakeClusterDriver, lifeguard::LoadBalance>;
#else
using Pool = lifeguard::ConnectionPool<FakeClusterDriver, lifeguard::Failover, lifeguard::LoadBalance>;
#endif
int main() { return use_pool<Pool>(FakeClusterDriver({&fake_server})); }
