// expect: a policy tagged host_tag does not model HostPolicy
#include "use_pool.hpp"

// Says it picks hosts but not whether it handles several.
struct MyHosts {
    using policy_kind = lifeguard::host_tag;
#ifdef LIFEGUARD_POSITIVE_TWIN
    static constexpr bool multi_host = false;
#endif
};
int main() { return use_pool<lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, MyHosts>>(fake_driver()); }
