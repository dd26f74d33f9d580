// expect: a policy tagged recycle_tag does not model RecyclePolicy
#include <lifeguard/lifeguard.hpp>
#include <lifeguard/testing/fake_driver.hpp>

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
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, RecycleAfterUses>;
Pool::lease_type* lease = nullptr;
int main() {}
