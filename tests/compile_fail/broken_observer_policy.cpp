// expect: a policy tagged observer_tag does not model ObserverPolicy
#include "use_pool.hpp"

// Handles an event but does not say whether the pool must time leases for it.
struct MyObserver {
    using policy_kind = lifeguard::observer_tag;
#ifdef LIFEGUARD_POSITIVE_TWIN
    static constexpr bool tracks_leases = false;
#endif
    void on(const lifeguard::events::Acquired&) const {}
};
int main() { return use_pool<lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, MyObserver>>(fake_driver()); }
