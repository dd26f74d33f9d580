// Validation policies (kind: validation_tag). A failed ping closes the connection and the
// pool tries the next idle one or opens a new one; the caller never sees the dead one.
//   NoValidation        - default; connections are handed out unchecked.
//   PingOnCheckout      - ping every reused connection before handing it out. One round
//                         trip per acquire (about 50 us on loopback).
//   PingIfIdle{window}  - ping only connections idle for longer than `window` (default
//                         500 ms, HikariCP's aliveBypassWindow). Under load this costs
//                         nothing; after a quiet spell it catches dead connections.
//   TieredValidation{socket_after, ping_after}
//                       - no round trip unless needed. A connection idle less than
//                         socket_after (500 ms) is handed out; up to ping_after (30 s) its
//                         socket is looked at (one system call: finds connections the server
//                         closed); beyond that it is pinged (finds network partitions too).
//                         And with a driver that reports the server's idle limit (MariaDB:
//                         wait_timeout, learned at connect), a connection idle past that limit
//                         less a margin is closed without a ping: no need to know wait_timeout.
#ifndef LIFEGUARD_POLICIES_VALIDATION_HPP
#define LIFEGUARD_POLICIES_VALIDATION_HPP

#include <lifeguard/policy.hpp>
#include <lifeguard/validation_policy.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
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

class TieredValidation {
public:
    using policy_kind = validation_tag;
    static constexpr bool uses_clock = true;

    template <class TimePoint>
    struct connection_state {
        TimePoint idle_since{};
        std::int64_t idle_limit_ms = 0;  // the server's, learned at connect; 0: unknown
    };

    TieredValidation() noexcept = default;
    /// @throws std::invalid_argument unless 0 <= socket_after <= ping_after.
    TieredValidation(std::chrono::nanoseconds socket_after, std::chrono::nanoseconds ping_after)
        : socket_after_(socket_after), ping_after_(ping_after) {
        if (socket_after < std::chrono::nanoseconds(0) || ping_after < socket_after)
            throw std::invalid_argument("lifeguard::TieredValidation: need 0 <= socket_after <= ping_after");
    }

    [[nodiscard]] std::chrono::nanoseconds socket_after() const noexcept { return socket_after_; }
    [[nodiscard]] std::chrono::nanoseconds ping_after() const noexcept { return ping_after_; }

    /// A connection idle this long is closed without a ping, for a server idle limit `limit`:
    /// the limit less a tenth of it, less at least 500 ms (clocks and scheduling), and never
    /// less than half of it.
    [[nodiscard]] static std::chrono::milliseconds usable_idle(std::chrono::milliseconds limit) noexcept {
        auto margin = std::max(limit / 10, std::chrono::milliseconds(500));
        margin = std::min(margin, limit / 2);
        return limit - margin;
    }

    template <class TimePoint>
    void on_connect(connection_state<TimePoint>& s, TimePoint now) const noexcept { s.idle_since = now; }
    template <class TimePoint>
    void on_idle_limit(connection_state<TimePoint>& s, std::chrono::milliseconds limit) const noexcept {
        s.idle_limit_ms = limit.count() > 0 ? usable_idle(limit).count() : 0;
    }
    template <class TimePoint>
    [[nodiscard]] ValidationStep decide(const connection_state<TimePoint>& s, TimePoint now) const noexcept {
        const auto idle = now - s.idle_since;
        if (s.idle_limit_ms > 0 && idle >= std::chrono::milliseconds(s.idle_limit_ms)) return ValidationStep::discard;
        if (idle >= ping_after_) return ValidationStep::ping;
        if (idle >= socket_after_) return ValidationStep::socket;
        return ValidationStep::none;
    }
    template <class TimePoint>
    [[nodiscard]] bool needs_ping(const connection_state<TimePoint>& s, TimePoint now) const noexcept {
        return decide(s, now) != ValidationStep::none;  // for callers that only know pings
    }
    template <class TimePoint>
    void on_release(connection_state<TimePoint>& s, TimePoint now) const noexcept { s.idle_since = now; }

private:
    std::chrono::nanoseconds socket_after_{std::chrono::milliseconds(500)};
    std::chrono::nanoseconds ping_after_{std::chrono::seconds(30)};
};

} // namespace lifeguard

#endif
