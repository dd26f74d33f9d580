// expect: a policy tagged setup_tag does not model SetupPolicy
#include "use_pool.hpp"

// Its setup takes the connection only; the pool passes the driver too.
struct MySetup {
    using policy_kind = lifeguard::setup_tag;
    static constexpr bool active = true;
#ifdef LIFEGUARD_POSITIVE_TWIN
    void setup(lifeguard::testing::FakeDriver&, lifeguard::testing::FakeDriver::connection_type&) const {}
#else
    void setup(lifeguard::testing::FakeDriver::connection_type&) const {}
#endif
};
int main() { return use_pool<lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, MySetup>>(fake_driver()); }
