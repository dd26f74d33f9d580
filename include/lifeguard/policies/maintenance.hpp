// Maintenance policies (kind: maintenance_tag): what a pool does between requests.
//   NoMaintenance           - default; nothing runs between requests: connects happen on
//                             the acquiring thread, min_idle is opened once by the
//                             constructor. Costs nothing (no state, no thread).
//   BackgroundMaintenance{s} - worker threads of the pool's own do every piece of lifecycle
//                             work off the request path (docs/policies.md):
//       refill to min_idle idle connections after closes and failed connects;
//       idle timeout: close connections idle longer than idle_timeout, never below min_idle;
//       keepalive: ping connections idle longer than keepalive (per-connection jitter);
//       replacement before expiry: a connection RecycleAfter will retire within
//         replace_before is replaced while idle (the new one opened first);
//       connects for waiters: a waiting acquire() gets whichever comes first, a released
//         connection or a new one; closes of retired connections happen here too;
//       connect retry with capped, jittered exponential backoff, and a circuit breaker: after
//         breaker_after failed connects in a row acquire() fails fast (DatabaseUnavailable,
//         with the last connect error) until a connect succeeds;
//       at most max_connecting connects at a time (a spike or a recovery does not stampede).
#ifndef LIFEGUARD_POLICIES_MAINTENANCE_HPP
#define LIFEGUARD_POLICIES_MAINTENANCE_HPP

#include <lifeguard/policy.hpp>

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace lifeguard {

/// Settings of BackgroundMaintenance. Defaults next to HikariCP's and Boost.MySQL's in
/// docs/policies.md. A zero duration switches its duty off.
struct MaintenanceSettings {
    /// How often the timed duties (idle timeout, keepalive, replacement, refill) look at the
    /// idle connections. Also the resolution of idle_timeout and keepalive. HikariCP: 30 s.
    std::chrono::milliseconds tick{std::chrono::seconds(1)};
    /// Close connections idle this long, keeping min_idle. HikariCP idleTimeout: 10 min.
    std::chrono::milliseconds idle_timeout{std::chrono::minutes(10)};
    /// Ping connections idle this long, so they never reach the server's idle limit.
    /// HikariCP keepaliveTime: 2 min; Boost.MySQL ping_interval: 1 h.
    std::chrono::milliseconds keepalive{std::chrono::minutes(2)};
    /// Up to this much earlier, chosen per connection, so keepalives do not come in waves.
    std::chrono::milliseconds keepalive_jitter{std::chrono::seconds(10)};
    /// Replace an idle connection this long before RecycleAfter would retire it.
    std::chrono::milliseconds replace_before{std::chrono::seconds(30)};
    /// Backoff between failed connects: doubles from retry_initial up to retry_max, with
    /// +-20 % jitter. Boost.MySQL retry_interval: 30 s (fixed).
    std::chrono::milliseconds retry_initial{std::chrono::milliseconds(100)};
    std::chrono::milliseconds retry_max{std::chrono::seconds(1)};
    /// Failed connects in a row after which acquire() fails fast instead of waiting.
    unsigned breaker_after = 2;
    /// Connects in flight at most (also the number of worker threads).
    unsigned max_connecting = 2;

    /// @throws std::invalid_argument naming the field that is wrong.
    void validate() const {
        auto positive = [](std::chrono::milliseconds v, const char* name) {
            if (v.count() <= 0)
                throw std::invalid_argument(std::string("lifeguard::MaintenanceSettings: ") + name + " must be positive");
        };
        auto not_negative = [](std::chrono::milliseconds v, const char* name) {
            if (v.count() < 0)
                throw std::invalid_argument(std::string("lifeguard::MaintenanceSettings: ") + name +
                                            " must not be negative (zero switches the duty off)");
        };
        positive(tick, "tick");
        not_negative(idle_timeout, "idle_timeout");
        not_negative(keepalive, "keepalive");
        not_negative(keepalive_jitter, "keepalive_jitter");
        not_negative(replace_before, "replace_before");
        positive(retry_initial, "retry_initial");
        if (retry_max < retry_initial)
            throw std::invalid_argument("lifeguard::MaintenanceSettings: retry_max must be at least retry_initial");
        if (breaker_after == 0)
            throw std::invalid_argument("lifeguard::MaintenanceSettings: breaker_after must be at least 1");
        if (max_connecting == 0 || max_connecting > 64)
            throw std::invalid_argument("lifeguard::MaintenanceSettings: max_connecting must be from 1 to 64");
        if (keepalive.count() > 0 && keepalive_jitter >= keepalive)
            throw std::invalid_argument("lifeguard::MaintenanceSettings: keepalive_jitter must be below keepalive");
    }
};

struct NoMaintenance {
    using policy_kind = maintenance_tag;
    static constexpr bool runs_in_background = false;
};

class BackgroundMaintenance {
public:
    using policy_kind = maintenance_tag;
    static constexpr bool runs_in_background = true;
    static constexpr bool spawns_threads = true;  // testing::StepMaintenance: false

    /// The defaults of MaintenanceSettings.
    BackgroundMaintenance() = default;
    /// @throws std::invalid_argument for a setting out of range, naming it.
    explicit BackgroundMaintenance(const MaintenanceSettings& s) : settings_(s) { settings_.validate(); }

    [[nodiscard]] const MaintenanceSettings& settings() const noexcept { return settings_; }

private:
    MaintenanceSettings settings_;
};

} // namespace lifeguard

#endif
