// Observer policies (kind: observer_tag): who hears of the pool's events.
//   NoObserver          - default; no event is built, nothing is stored. Costs nothing.
//   Observers<P...>     - several observers at once; each gets the events it handles.
// Ready-made observers: Metrics (lifeguard/metrics.hpp), LeakDetection
// (lifeguard/leak_detection.hpp). Writing one: docs/observability.md.
#ifndef LIFEGUARD_POLICIES_OBSERVERS_HPP
#define LIFEGUARD_POLICIES_OBSERVERS_HPP

#include <lifeguard/detail/connection_state.hpp>
#include <lifeguard/detail/observe.hpp>
#include <lifeguard/events.hpp>
#include <lifeguard/policy.hpp>

#include <chrono>
#include <tuple>
#include <utility>

namespace lifeguard {

struct NoObserver {
    using policy_kind = observer_tag;
    static constexpr bool tracks_leases = false;
};

/// Every listed observer, in order. Its per-connection state holds each one's.
template <class... Ps>
class Observers {
    static_assert(sizeof...(Ps) > 0, "lifeguard::Observers: list at least one observer");

public:
    using policy_kind = observer_tag;
    static constexpr bool tracks_leases = (false || ... || Ps::tracks_leases);

    template <class TimePoint>
    struct connection_state {
        std::tuple<detail::connection_state_t<Ps, TimePoint>...> each{};
    };

    Observers() = default;
    explicit Observers(Ps... observers) : observers_(std::move(observers)...) {}

    // Each observer that handles the event; one observer's failure does not silence the others.
    template <class Event>
        requires(false || ... || detail::observes<Ps, Event>)
    void on(const Event& e) const noexcept {
        std::apply([&](const auto&... p) { (detail::notify(p, e), ...); }, observers_);
    }

    template <class State>
    void lease_started(State& s) const noexcept {
        detail::for_each_part(observers_, s.each, [](const auto& p, auto& state) {
            if constexpr (requires { p.lease_started(state); }) p.lease_started(state);
        });
    }
    template <class State>
    void lease_ended(State& s, std::chrono::nanoseconds held) const noexcept {
        detail::for_each_part(observers_, s.each, [&](const auto& p, auto& state) {
            if constexpr (requires { p.lease_ended(state, held); }) p.lease_ended(state, held);
        });
    }
    template <class State>
    void lease_check(State& s, std::chrono::nanoseconds held) const noexcept {
        detail::for_each_part(observers_, s.each, [&](const auto& p, auto& state) {
            if constexpr (requires { p.lease_check(state, held); }) p.lease_check(state, held);
        });
    }
    void flush() const noexcept {
        std::apply(
            [](const auto&... p) {
                (
                    [&] {
                        if constexpr (requires { p.flush(); }) p.flush();
                    }(),
                    ...);
            },
            observers_);
    }

    template <std::size_t I>
    [[nodiscard]] const auto& get() const noexcept { return std::get<I>(observers_); }

private:
    std::tuple<Ps...> observers_;
};

} // namespace lifeguard

#endif
