// How the pool talks to its ObserverPolicy: events built only for observers that handle them,
// delivered with what the observer throws caught, and per-lease stamps only for observers
// that track leases. With NoObserver every call here compiles to nothing.
#ifndef LIFEGUARD_DETAIL_OBSERVE_HPP
#define LIFEGUARD_DETAIL_OBSERVE_HPP

#include <lifeguard/detail/connection_state.hpp>
#include <lifeguard/detail/deadline.hpp>
#include <lifeguard/events.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace lifeguard::detail {

template <class O, class E>
inline constexpr bool observes = requires(const O& o, const E& e) { o.on(e); };

template <class O, class E>
void notify(const O& o, const E& e) noexcept {
    if constexpr (observes<O, E>) {
        try {
            o.on(e);
        } catch (...) {  // an observer's failure never breaks the pool (docs/observability.md)
        }
    }
}

// When a lease started, for observers that track leases. Atomic: maintenance reads it for
// leases still out while their holders may release them.
struct lease_stamp {
    std::atomic<std::int64_t> started_ns{0};
};

template <class O, class TimePoint>
struct observed_record {
    lease_stamp lease;
    [[no_unique_address]] connection_state_t<O, TimePoint> state{};
};

template <class O, class TimePoint>
using observer_state_t =
    std::conditional_t<O::tracks_leases, observed_record<O, TimePoint>, no_state<observed_record<O, TimePoint>>>;

} // namespace lifeguard::detail

#endif
