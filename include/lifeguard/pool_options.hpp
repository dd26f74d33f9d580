// Run-time settings of a pool: sizes and durations. Behaviour is chosen at compile time
// by policies; values that differ between deployments live here.
#ifndef LIFEGUARD_POOL_OPTIONS_HPP
#define LIFEGUARD_POOL_OPTIONS_HPP

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace lifeguard {

struct PoolOptions {
    /// Connections opened by the constructor (fail fast: a wrong password or an
    /// unreachable server throws there). Must be <= max_size.
    std::size_t min_idle = 0;
    /// Upper bound on open connections, in use or idle. Must be > 0.
    std::size_t max_size = 10;
    /// How long acquire() waits for a connection when all max_size are in use.
    std::chrono::milliseconds acquire_timeout{std::chrono::seconds(30)};
    /// Deadline handed to Driver::ping by validation policies.
    std::chrono::milliseconds ping_timeout{std::chrono::seconds(5)};

    /// @throws std::invalid_argument naming the field that is wrong.
    void validate() const {
        if (max_size == 0)
            throw std::invalid_argument("lifeguard::PoolOptions: max_size must be at least 1");
        if (min_idle > max_size)
            throw std::invalid_argument("lifeguard::PoolOptions: min_idle (" + std::to_string(min_idle) +
                                        ") must not exceed max_size (" + std::to_string(max_size) + ")");
        if (acquire_timeout.count() < 0)
            throw std::invalid_argument("lifeguard::PoolOptions: acquire_timeout must not be negative");
        if (ping_timeout.count() <= 0)
            throw std::invalid_argument("lifeguard::PoolOptions: ping_timeout must be positive");
    }
};

/// A snapshot of a pool's counters.
struct PoolStats {
    std::size_t max_size = 0;
    std::size_t open = 0;     ///< connections counted against max_size (in use, idle or opening)
    std::size_t idle = 0;
    std::size_t in_use = 0;   ///< open - idle
    std::size_t waiters = 0;  ///< threads blocked in acquire()
};

} // namespace lifeguard

#endif
