// A steady clock that moves only when a test says so.
#ifndef LIFEGUARD_TESTING_MANUAL_CLOCK_HPP
#define LIFEGUARD_TESTING_MANUAL_CLOCK_HPP

#include <atomic>
#include <chrono>
#include <cstdint>

namespace lifeguard::testing {

/// Use with `lifeguard::UseClock<ManualClock>`. Process-wide, like std::chrono clocks.
struct ManualClock {
    using rep = std::int64_t;
    using period = std::nano;
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::time_point<ManualClock>;
    static constexpr bool is_steady = true;

    static time_point now() noexcept { return time_point(duration(ticks_.load(std::memory_order_relaxed))); }
    static void advance(duration d) noexcept { ticks_.fetch_add(d.count(), std::memory_order_relaxed); }
    static void reset() noexcept { ticks_.store(0, std::memory_order_relaxed); }

private:
    static inline std::atomic<rep> ticks_{0};
};

} // namespace lifeguard::testing

#endif
