// expect: a policy tagged reset_tag does not model ResetPolicy with this Driver; it needs on_use\(state\) and on_return
#include "use_pool.hpp"

// A custom reset policy that forgot on_use.
struct RollbackAlways {
    using policy_kind = lifeguard::reset_tag;
#ifdef LIFEGUARD_POSITIVE_TWIN
    template <class S> void on_use(S&) const noexcept {}
#endif
    template <class D, class S> bool on_return(D& d, typename D::connection_type& c, S&) const { return d.rollback(c); }
};
int main() { return use_pool<lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, RollbackAlways>>(fake_driver()); }
