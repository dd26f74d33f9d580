// expect: the first template argument does not model lifeguard::Driver
#include <lifeguard/connection_pool.hpp>
#include <lifeguard/testing/fake_driver.hpp>

struct NotADriver {
    using connection_type = int;
};

#ifdef LIFEGUARD_POSITIVE_TWIN
using D = lifeguard::testing::FakeDriver;
#else
using D = NotADriver;
#endif
template class lifeguard::ConnectionPool<D>;
int main() {}
