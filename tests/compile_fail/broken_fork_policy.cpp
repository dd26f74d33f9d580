// expect: a policy tagged fork_tag does not model ForkPolicy
#include "use_pool.hpp"

#include <cstdint>

struct ForkByPid {
    using policy_kind = lifeguard::fork_tag;
    static constexpr bool detects_fork = true;
#ifdef LIFEGUARD_POSITIVE_TWIN
    std::uint32_t generation() const noexcept { return 0; }
#else
    int generation() const { return 0; }  // must be noexcept and return std::uint32_t
#endif
    template <class D> void dispose_inherited(D& d, typename D::connection_type& c) const noexcept { d.abandon(c); }
};
int main() { return use_pool<lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, ForkByPid>>(fake_driver()); }
