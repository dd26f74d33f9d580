// expect: the same policy was given two values in the constructor; pass one
#include "use_pool.hpp"

#include <chrono>

using namespace std::chrono_literals;

int main() {
    using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::RecycleAfter>;
#ifdef LIFEGUARD_POSITIVE_TWIN
    return use_pool<Pool>(fake_driver(), lifeguard::RecycleAfter(280s));
#else
    return use_pool<Pool>(fake_driver(), lifeguard::RecycleAfter(280s), lifeguard::RecycleAfter(10s));
#endif
}
