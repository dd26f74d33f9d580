// Validation policies (kind: validation_tag). A failed ping closes the connection and the
// pool tries the next idle one or opens a new one; the caller never sees the dead one.
//   NoValidation        - default; connections are handed out unchecked.
//   PingOnCheckout      - ping every reused connection before handing it out. One round
//                         trip per acquire (about 50 us on loopback).
//   PingIfIdle{window}  - ping only connections idle for longer than `window` (default
//                         500 ms, HikariCP's aliveBypassWindow). Under load this costs
//                         nothing; after a quiet spell it catches dead connections.
#ifndef LIFEGUARD_POLICIES_VALIDATION_HPP
#define LIFEGUARD_POLICIES_VALIDATION_HPP

#include <lifeguard/policy.hpp>

#include <chrono>
#include <stdexcept>

namespace lifeguard {

struct NoValidation {
    using policy_kind = validation_tag;
    static constexpr bool uses_clock = false;
    template <class State, class TimePoint>
    constexpr void on_connect(State&, TimePoint) const noexcept {}
    template <class State, class TimePoint>
    [[nodiscard]] constexpr bool needs_ping(const State&, TimePoint) const noexcept { return false; }
    template <class State, class TimePoint>
    constexpr void on_release(State&, TimePoint) const noexcept {}
};

struct PingOnCheckout {
    using policy_kind = validation_tag;
    static constexpr bool uses_clock = false;
    template <class State, class TimePoint>
    constexpr void on_connect(State&, TimePoint) const noexcept {}
    template <class State, class TimePoint>
    [[nodiscard]] constexpr bool needs_ping(const State&, TimePoint) const noexcept { return true; }
    template <class State, class TimePoint>
    constexpr void on_release(State&, TimePoint) const noexcept {}
};

class PingIfIdle {
public:
    using policy_kind = validation_tag;
    static constexpr bool uses_clock = true;

    template <class TimePoint>
    struct connection_state {
        TimePoint idle_since{};
    };

    PingIfIdle() noexcept = default;

    /// @throws std::invalid_argument if window is negative.
    explicit PingIfIdle(std::chrono::nanoseconds window) : window_(window) {
        if (window < std::chrono::nanoseconds(0))
            throw std::invalid_argument("lifeguard::PingIfIdle: window must not be negative");
    }

    [[nodiscard]] std::chrono::nanoseconds window() const noexcept { return window_; }

    template <class TimePoint>
    void on_connect(connection_state<TimePoint>& s, TimePoint now) const noexcept { s.idle_since = now; }
    template <class TimePoint>
    [[nodiscard]] bool needs_ping(const connection_state<TimePoint>& s, TimePoint now) const noexcept {
        return now - s.idle_since > window_;
    }
    template <class TimePoint>
    void on_release(connection_state<TimePoint>& s, TimePoint now) const noexcept { s.idle_since = now; }

private:
    std::chrono::nanoseconds window_{std::chrono::milliseconds(500)};
};

} // namespace lifeguard

#endif
