// expect: the first template argument does not model lifeguard::Driver
#include "use_pool.hpp"

struct NotADriver {
    using connection_type = int;
};

int main() {
#ifdef LIFEGUARD_POSITIVE_TWIN
    return use_pool<lifeguard::ConnectionPool<lifeguard::testing::FakeDriver>>(fake_driver());
#else
    return use_pool<lifeguard::ConnectionPool<NotADriver>>(NotADriver{});
#endif
}
