// Exceptions thrown by the pool itself. Driver errors (a refused connection, a wrong
// password) reach the caller as the driver threw them.
#ifndef LIFEGUARD_ERRORS_HPP
#define LIFEGUARD_ERRORS_HPP

#include <lifeguard/pool_options.hpp>

#include <chrono>
#include <stdexcept>
#include <string>

namespace lifeguard {

/// acquire() found every connection in use for the whole acquire_timeout.
class AcquireTimeout : public std::runtime_error {
public:
    AcquireTimeout(const PoolStats& stats, std::chrono::milliseconds waited)
        : std::runtime_error(describe(stats, waited)), stats_(stats) {}

    /// The pool's counters when the wait gave up.
    [[nodiscard]] const PoolStats& stats() const noexcept { return stats_; }

private:
    static std::string describe(const PoolStats& s, std::chrono::milliseconds waited) {
        return "lifeguard: no connection available after waiting " + std::to_string(waited.count()) +
               " ms (max_size " + std::to_string(s.max_size) + ", in use " + std::to_string(s.in_use) +
               ", idle " + std::to_string(s.idle) + ", other waiters " + std::to_string(s.waiters) +
               "). Release leases sooner (a lease held across slow work blocks others), or raise "
               "PoolOptions::max_size or acquire_timeout";
    }
    PoolStats stats_;
};

} // namespace lifeguard

#endif
