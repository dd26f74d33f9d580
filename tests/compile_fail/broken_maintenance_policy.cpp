// expect: a policy tagged maintenance_tag does not model MaintenancePolicy
#include "use_pool.hpp"

// Says it runs in the background but has no settings() to run with.
struct MyMaintenance {
    using policy_kind = lifeguard::maintenance_tag;
#ifdef LIFEGUARD_POSITIVE_TWIN
    static constexpr bool runs_in_background = false;
#else
    static constexpr bool runs_in_background = true;
#endif
};
int main() { return use_pool<lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, MyMaintenance>>(fake_driver()); }
