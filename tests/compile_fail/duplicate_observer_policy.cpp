// expect: more than one ObserverPolicy given; combine them
#include "use_pool.hpp"

#include <lifeguard/leak_detection.hpp>
#include <lifeguard/metrics.hpp>

#include <chrono>

using lifeguard::LeakDetection;
using lifeguard::Metrics;
#ifdef LIFEGUARD_POSITIVE_TWIN
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, lifeguard::Observers<Metrics, LeakDetection>>;
int main() {
    return use_pool<Pool>(fake_driver(), lifeguard::Observers(Metrics(), LeakDetection(std::chrono::seconds(60))));
}
#else
using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, Metrics, LeakDetection>;
int main() { return use_pool<Pool>(fake_driver(), LeakDetection(std::chrono::seconds(60))); }
#endif
