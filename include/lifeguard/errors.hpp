// Exceptions thrown by the pool itself. Driver errors (a refused connection, a wrong
// password) reach the caller as the driver threw them.
#ifndef LIFEGUARD_ERRORS_HPP
#define LIFEGUARD_ERRORS_HPP

#include <lifeguard/pool_options.hpp>

#include <chrono>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>
#include <utility>

namespace lifeguard {

/// acquire() found every connection in use for the whole acquire_timeout.
class AcquireTimeout : public std::runtime_error {
public:
    /// @param detail what the pool adds: the last connect error while connects fail, the age of
    ///        the longest-held lease (with an observer that tracks leases); starts with "; ".
    AcquireTimeout(const PoolStats& stats, std::chrono::milliseconds waited, const std::string& detail = {})
        : std::runtime_error(describe(stats, waited, detail)), stats_(stats) {}

    /// The pool's counters when the wait gave up.
    [[nodiscard]] const PoolStats& stats() const noexcept { return stats_; }

private:
    static std::string describe(const PoolStats& s, std::chrono::milliseconds waited, const std::string& detail) {
        return "lifeguard: no connection available after waiting " + std::to_string(waited.count()) +
               " ms (max_size " + std::to_string(s.max_size) + ", in use " + std::to_string(s.in_use) +
               ", idle " + std::to_string(s.idle) + ", other waiters " + std::to_string(s.waiters) + detail +
               "). Release leases sooner (a lease held across slow work blocks others), or raise "
               "PoolOptions::max_size or acquire_timeout";
    }
    PoolStats stats_;
};

/// acquire() on a pool that close() has begun to close, or a wait that close() ended.
class PoolClosed : public std::runtime_error {
public:
    PoolClosed()
        : std::runtime_error("lifeguard: the pool is closed (close() was called): it hands out no more "
                             "connections. Create a new pool, or stop using this one") {}
};

/// With BackgroundMaintenance: connects have been failing, so acquire() fails at once
/// instead of waiting for a connection that will not come (a circuit breaker). It closes on
/// the first successful connect; the maintenance keeps retrying with backoff meanwhile.
class DatabaseUnavailable : public std::runtime_error {
public:
    DatabaseUnavailable(std::exception_ptr last_error, std::string last_message, unsigned failures,
                        std::chrono::milliseconds retry_in)
        : std::runtime_error(describe(last_message, failures, retry_in)), last_error_(std::move(last_error)),
          last_message_(std::move(last_message)), failures_(failures), retry_in_(retry_in) {}

    /// The driver's exception from the last failed connect (rethrow it to get its type,
    /// e.g. lifeguard::mariadb::Error with its code), or use last_error_as<E>().
    [[nodiscard]] std::exception_ptr last_error() const noexcept { return last_error_; }
    [[nodiscard]] const std::string& last_error_message() const noexcept { return last_message_; }
    /// The last error as E, or nullptr if it is not an E.
    template <class E>
    [[nodiscard]] const E* last_error_as() const noexcept {
        try {
            if (last_error_) std::rethrow_exception(last_error_);
        } catch (const E& e) {
            return &e;  // the exception object lives as long as last_error_ refers to it
        } catch (...) {
        }
        return nullptr;
    }
    [[nodiscard]] unsigned consecutive_failures() const noexcept { return failures_; }
    [[nodiscard]] std::chrono::milliseconds retry_in() const noexcept { return retry_in_; }

private:
    static std::string describe(const std::string& last, unsigned failures, std::chrono::milliseconds retry_in) {
        return "lifeguard: the database is unavailable: the last " + std::to_string(failures) +
               " connect(s) failed, the last with: " + last + ". Requests fail at once until a connect "
               "succeeds; the pool retries in the background (next attempt in " + std::to_string(retry_in.count()) +
               " ms)";
    }
    std::exception_ptr last_error_;
    std::string last_message_;
    unsigned failures_;
    std::chrono::milliseconds retry_in_;
};

/// A multi-host pool (Failover, LoadBalance) tried every host for a new connection and
/// every one failed. The message gives each host's error (never a password).
class AllHostsFailed : public std::runtime_error {
public:
    AllHostsFailed(const std::vector<std::string>& errors, std::exception_ptr last)
        : std::runtime_error(describe(errors)), last_(std::move(last)) {}
    /// The last host's error, as the driver threw it.
    [[nodiscard]] std::exception_ptr last_error() const noexcept { return last_; }

private:
    static std::string describe(const std::vector<std::string>& errors) {
        std::string s = "lifeguard: no host accepted a connection (" + std::to_string(errors.size()) + " tried):";
        for (std::size_t i = 0; i < errors.size(); ++i) s += " [" + std::to_string(i + 1) + "] " + errors[i];
        return s + ". Check that the cluster's nodes run and accept connections; the pool tries them again "
                   "after a backoff";
    }
    std::exception_ptr last_;
};

} // namespace lifeguard

#endif
