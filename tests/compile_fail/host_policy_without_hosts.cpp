// expect: Failover and LoadBalance choose among a driver's hosts, but this Driver has no host_count
#include "use_pool.hpp"

#ifdef LIFEGUARD_POSITIVE_TWIN
using Driver = lifeguard::testing::FakeClusterDriver;
Driver make() { return Driver({&fake_server}); }
#else
using Driver = lifeguard::testing::FakeDriver;  // one server: nothing to fail over to
Driver make() { return fake_driver(); }
#endif
int main() { return use_pool<lifeguard::ConnectionPool<Driver, lifeguard::Failover>>(make()); }
