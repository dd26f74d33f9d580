// Clock policy (kind: clock_tag). UseClock<CoarseSteadyClock> (CLOCK_MONOTONIC_COARSE) is
// the default; UseClock<std::chrono::steady_clock> gives nanosecond resolution at about
// four times the cost per read; tests pass UseClock<lifeguard::testing::ManualClock> to
// drive time by hand.
// Only time-based policies (RecycleAfter, PingIfIdle) read the clock; a pool without them
// never calls now(). Acquire timeouts always wait in real (steady) time.
#ifndef LIFEGUARD_POLICIES_CLOCK_HPP
#define LIFEGUARD_POLICIES_CLOCK_HPP

#include <lifeguard/policy.hpp>

#include <chrono>

namespace lifeguard {

template <class Clock>
struct UseClock {
    using policy_kind = clock_tag;
    using clock = Clock;
};

} // namespace lifeguard

#endif
