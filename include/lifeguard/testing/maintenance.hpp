// Driving BackgroundMaintenance by hand in tests: StepMaintenance is BackgroundMaintenance
// without threads, and step_maintenance(pool) runs every duty that is due, once, on the
// calling thread. With UseClock<ManualClock>, a test moves time and then steps: no sleeps.
#ifndef LIFEGUARD_TESTING_MAINTENANCE_HPP
#define LIFEGUARD_TESTING_MAINTENANCE_HPP

#include <lifeguard/policies/maintenance.hpp>

namespace lifeguard {
namespace detail {
struct testing_access {
    template <class Pool>
    static void step(Pool& pool) {
        pool.maint_.step(pool);
    }
};
} // namespace detail

namespace testing {

/// BackgroundMaintenance that starts no thread: call step_maintenance(pool) instead.
class StepMaintenance : public BackgroundMaintenance {
public:
    static constexpr bool spawns_threads = false;
    using BackgroundMaintenance::BackgroundMaintenance;
};

/// Runs every maintenance duty that is due now (by the pool's clock), once: connects wanted
/// (refill, waiters) until none is, then the timed duties of a tick.
template <class Pool>
void step_maintenance(Pool& pool) {
    detail::testing_access::step(pool);
}

} // namespace testing
} // namespace lifeguard

#endif
