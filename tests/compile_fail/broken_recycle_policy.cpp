// expect: a policy tagged recycle_tag does not model RecyclePolicy
#include "use_pool.hpp"

// A custom policy whose expired() is not const: a common slip.
struct RecycleAfterUses {
    using policy_kind = lifeguard::recycle_tag;
    static constexpr bool uses_clock = false;
    template <class S, class T> void on_connect(S&, T) const noexcept {}
#ifdef LIFEGUARD_POSITIVE_TWIN
    template <class S, class T> bool expired(const S&, T) const noexcept { return false; }
#else
    template <class S, class T> bool expired(const S&, T) noexcept { return false; }
#endif
};
int main() { return use_pool<lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, RecycleAfterUses>>(fake_driver()); }
