// expect: unknown policy_kind. Use one of lifeguard::recycle_tag
#include <lifeguard/lifeguard.hpp>
#include <lifeguard/testing/fake_driver.hpp>

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
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, LogEverything>;
Pool::lease_type* lease = nullptr;
int main() {}
