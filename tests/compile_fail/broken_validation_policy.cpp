// expect: a policy tagged validation_tag does not model ValidationPolicy
#include "use_pool.hpp"

// A custom policy that forgot on_release.
struct PingEveryOther {
    using policy_kind = lifeguard::validation_tag;
    static constexpr bool uses_clock = false;
    template <class S, class T> void on_connect(S&, T) const noexcept {}
    template <class S, class T> bool needs_ping(const S&, T) const noexcept { return true; }
#ifdef LIFEGUARD_POSITIVE_TWIN
    template <class S, class T> void on_release(S&, T) const noexcept {}
#endif
};
int main() { return use_pool<lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, PingEveryOther>>(fake_driver()); }
