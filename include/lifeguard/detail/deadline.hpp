// Saturating time arithmetic, and the steady clock as plain nanoseconds. A timeout of "forever" (milliseconds::max(), years(1000))
// must mean forever: `now + timeout` that overflows would otherwise wrap to the past (an
// immediate timeout) or to a negative timespec that pthread_cond_timedwait rejects.
#ifndef LIFEGUARD_DETAIL_DEADLINE_HPP
#define LIFEGUARD_DETAIL_DEADLINE_HPP

#include <chrono>
#include <cstdint>
#include <ratio>

namespace lifeguard::detail {

/// `t + d`, or `TimePoint::max()` if that does not fit. `d` must not be negative.
template <class TimePoint, class Rep, class Period>
[[nodiscard]] constexpr TimePoint saturating_add(TimePoint t, std::chrono::duration<Rep, Period> d) noexcept {
    using own = typename TimePoint::duration;
    using given = std::chrono::duration<Rep, Period>;
    if (d <= given::zero()) return t;
    const own room = TimePoint::max() - t;
    if constexpr (std::ratio_greater_equal_v<Period, typename own::period>) {
        // Coarser (or equal) units: compare in the caller's units, where `room` cannot overflow.
        if (d > std::chrono::duration_cast<given>(room)) return TimePoint::max();
        return t + std::chrono::duration_cast<own>(d);
    } else {
        const own converted = std::chrono::duration_cast<own>(d);  // finer to coarser: no overflow
        return converted >= room ? TimePoint::max() : t + converted;
    }
}

/// The time left until `deadline`, never negative; `max()` for a deadline of "never".
template <class TimePoint>
[[nodiscard]] std::chrono::milliseconds time_left(TimePoint deadline, TimePoint now) noexcept {
    if (deadline == TimePoint::max()) return std::chrono::milliseconds::max();
    if (deadline <= now) return std::chrono::milliseconds::zero();
    return std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
}

/// The steady clock in nanoseconds, for stamps kept in atomics.
inline std::int64_t steady_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

} // namespace lifeguard::detail

#endif
