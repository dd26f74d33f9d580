// expect: unknown policy_kind. Use one of lifeguard::recycle_tag
#include "use_pool.hpp"

struct logging_tag {};
struct LogEverything {
#ifdef LIFEGUARD_POSITIVE_TWIN
    using policy_kind = lifeguard::reset_tag;
    template <class S> void on_use(S&) const noexcept {}
    template <class D, class S> bool on_return(D&, typename D::connection_type&, S&) const { return true; }
#else
    using policy_kind = logging_tag;
#endif
};
int main() { return use_pool<lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, LogEverything>>(fake_driver()); }
