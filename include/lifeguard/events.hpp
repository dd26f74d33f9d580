// The pool's events, as an ObserverPolicy receives them (docs/observability.md). Each is
// delivered outside the pool's lock, on the thread where it happened (a request's, or a
// maintenance worker's).
#ifndef LIFEGUARD_EVENTS_HPP
#define LIFEGUARD_EVENTS_HPP

#include <lifeguard/validation_policy.hpp>

#include <chrono>
#include <exception>

namespace lifeguard {

/// Why a connection was closed.
enum class CloseReason {
    expired,            ///< a RecyclePolicy retired it (age, uses), or maintenance replaced it
    idle_timeout,       ///< maintenance: idle longer than idle_timeout
    broken,             ///< a lease gave it back after a disconnect error (Driver::is_broken)
    failed_validation,  ///< a socket check, ping or keepalive found it dead, or it sat idle past the server's limit
    failed_reset,       ///< the ResetPolicy could not reset it
    failed_setup,       ///< the SetupPolicy's setup failed on it
    discarded,          ///< Lease::discard()
    invalidated,        ///< ConnectionPool::invalidate()
    pool_closed,        ///< ConnectionPool::close() or the destructor
    inherited,          ///< a forked child let go of its parent's connection (abandoned: no I/O)
};

/// Text for logs: "expired", "idle_timeout", ...
[[nodiscard]] constexpr const char* to_string(CloseReason r) noexcept {
    switch (r) {
    case CloseReason::expired: return "expired";
    case CloseReason::idle_timeout: return "idle_timeout";
    case CloseReason::broken: return "broken";
    case CloseReason::failed_validation: return "failed_validation";
    case CloseReason::failed_reset: return "failed_reset";
    case CloseReason::failed_setup: return "failed_setup";
    case CloseReason::discarded: return "discarded";
    case CloseReason::invalidated: return "invalidated";
    case CloseReason::pool_closed: return "pool_closed";
    case CloseReason::inherited: return "inherited";
    }
    return "unknown";
}
inline constexpr int close_reason_count = 10;

namespace events {

/// A new connection is open (setup included). `in_background`: opened by maintenance.
struct ConnectionOpened {
    std::chrono::nanoseconds took;
    bool in_background;
};
/// A connect (or the setup after it) failed. `error` is what the driver (or setup) threw.
struct ConnectFailed {
    std::exception_ptr error;
    std::chrono::nanoseconds took;
    bool in_background;
};
/// A connection was closed (or abandoned, for `inherited`).
struct ConnectionClosed {
    CloseReason reason;
};
/// acquire() or try_acquire() handed out a lease. `waited` is zero when the connection was
/// taken without waiting (no clock is read then).
struct Acquired {
    std::chrono::nanoseconds waited;
    bool did_wait;
};
/// acquire() gave up after its timeout (AcquireTimeout).
struct AcquireTimedOut {
    std::chrono::nanoseconds waited;
};
/// A lease ended (released or discarded) after `held`. Delivered to observers that track
/// leases (their `tracks_leases` is true); zero otherwise.
struct Released {
    std::chrono::nanoseconds held;
};
/// A validation check before a handout: a socket check or a ping, and whether it passed.
struct Validated {
    ValidationStep check;
    bool passed;
};

} // namespace events
} // namespace lifeguard

#endif
