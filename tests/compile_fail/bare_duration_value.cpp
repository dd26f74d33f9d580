// expect: a bare duration was passed to the constructor. Durations configure a policy: write the policy around it, e.g. RecycleAfter\(280s\)
#include "use_pool.hpp"

#include <chrono>

using namespace std::chrono_literals;

int main() {
    using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::RecycleAfter>;
#ifdef LIFEGUARD_POSITIVE_TWIN
    return use_pool<Pool>(fake_driver(), lifeguard::RecycleAfter(280s));
#else
    return use_pool<Pool>(fake_driver(), 280s);  // meant RecycleAfter(280s)
#endif
}
