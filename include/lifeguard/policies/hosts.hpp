// Host policies (kind: host_tag): which of several servers a new connection goes to.
//   SingleHost                 - default; the driver's one host. Costs nothing.
//   Failover{failback_after}   - the first healthy host in the driver's order; while the
//                                preferred (first) host is down, connections go to the next;
//                                connections on another host are retired failback_after
//                                after they opened (when idle or given back, never from a
//                                lease), so the pool returns to the first host once it is back.
//   LoadBalance{rebalance_after} - the healthy host with the fewest open connections; a
//                                connection older than rebalance_after on a host with two
//                                more than the emptiest healthy host is retired, so a host
//                                that comes back gets connections again.
// Health is per host: a failed connect, or a lease that gives back a broken connection
// (server gone, killed, Galera node not ready: error 1047), marks its host down for a
// backoff (retry_initial doubling to retry_max); the pool then retires every connection to
// that host and leaves the others alone. A host past its backoff is tried again.
// Needs a MultiHostDriver (the MariaDB driver with a URL listing several hosts).
#ifndef LIFEGUARD_POLICIES_HOSTS_HPP
#define LIFEGUARD_POLICIES_HOSTS_HPP

#include <lifeguard/policy.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

namespace lifeguard {

struct SingleHost {
    using policy_kind = host_tag;
    static constexpr bool multi_host = false;
};

/// Per-host backoff after failures. retry_initial doubles per failure in a row, up to retry_max.
struct HostBackoff {
    std::chrono::milliseconds retry_initial{200};
    std::chrono::milliseconds retry_max{std::chrono::seconds(5)};
};

namespace detail {

// Health and connection counts of a pool's hosts, shared by the copies of its host policy.
// Atomics only: choose() and retire() run on request threads without the pool's lock.
class host_health {
public:
    static constexpr std::size_t max_hosts = 64;  // choose()'s `tried` is a 64-bit set

    explicit host_health(HostBackoff backoff) : backoff_(backoff) {
        if (backoff.retry_initial.count() <= 0 || backoff.retry_max < backoff.retry_initial)
            throw std::invalid_argument("lifeguard: HostBackoff needs 0 < retry_initial <= retry_max");
    }

    void attach(std::size_t n) {
        if (n == 0 || n > max_hosts)
            throw std::invalid_argument("lifeguard: a multi-host pool needs 1 to " + std::to_string(max_hosts) +
                                        " hosts, the driver has " + std::to_string(n));
        hosts_ = std::make_unique<entry[]>(n);
        count_ = n;
    }
    [[nodiscard]] std::size_t count() const noexcept { return count_; }

    // Down, and its backoff not over yet.
    [[nodiscard]] bool resting(std::size_t h, std::int64_t now) const noexcept {
        return hosts_[h].down.load(std::memory_order_relaxed) &&
               now < hosts_[h].down_until.load(std::memory_order_relaxed);
    }
    [[nodiscard]] int open(std::size_t h) const noexcept { return hosts_[h].open.load(std::memory_order_relaxed); }

    // Marks h down for its backoff; true if it was up.
    bool mark_down(std::size_t h, std::int64_t now) noexcept {
        entry& e = hosts_[h];
        const unsigned failures = e.failures.fetch_add(1, std::memory_order_relaxed) + 1;
        std::int64_t pause = std::chrono::nanoseconds(backoff_.retry_initial).count();
        const std::int64_t most = std::chrono::nanoseconds(backoff_.retry_max).count();
        for (unsigned i = 1; i < failures && pause < most; ++i) pause *= 2;
        e.down_until.store(now + std::min(pause, most), std::memory_order_relaxed);
        return !e.down.exchange(true, std::memory_order_relaxed);
    }
    void mark_up(std::size_t h) noexcept {
        entry& e = hosts_[h];
        e.failures.store(0, std::memory_order_relaxed);
        e.down.store(false, std::memory_order_relaxed);
    }
    void opened(std::size_t h) noexcept { hosts_[h].open.fetch_add(1, std::memory_order_relaxed); }
    void closed(std::size_t h) noexcept { hosts_[h].open.fetch_sub(1, std::memory_order_relaxed); }

    // Among hosts not in `tried`: the first for which better(h, best) holds over all resting-free
    // hosts; if every untried host rests, the one whose backoff ends first (all down: try one).
    template <class Better>
    [[nodiscard]] std::size_t pick(std::int64_t now, std::uint64_t tried, Better better) const noexcept {
        std::size_t best = npos, fallback = npos;
        for (std::size_t h = 0; h < count_; ++h) {
            if (tried & (std::uint64_t{1} << h)) continue;
            if (resting(h, now)) {
                if (fallback == npos || hosts_[h].down_until.load(std::memory_order_relaxed) <
                                            hosts_[fallback].down_until.load(std::memory_order_relaxed))
                    fallback = h;
            } else if (best == npos || better(h, best)) {
                best = h;
            }
        }
        return best != npos ? best : fallback;
    }

    // The fewest connections on a host that is not resting (max if all rest).
    [[nodiscard]] int fewest_open(std::int64_t now) const noexcept {
        int fewest = std::numeric_limits<int>::max();
        for (std::size_t h = 0; h < count_; ++h)
            if (!resting(h, now)) fewest = std::min(fewest, open(h));
        return fewest;
    }

    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

private:
    struct entry {
        std::atomic<int> open{0};
        std::atomic<std::int64_t> down_until{0};
        std::atomic<unsigned> failures{0};
        std::atomic<bool> down{false};
    };
    HostBackoff backoff_;
    std::unique_ptr<entry[]> hosts_;
    std::size_t count_ = 0;
};

template <class TimePoint>
std::int64_t ticks(TimePoint t) noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// What Failover and LoadBalance share: the health table and the per-connection state.
class multi_host_base {
public:
    using policy_kind = host_tag;
    static constexpr bool multi_host = true;
    static constexpr bool uses_clock = true;
    static constexpr std::size_t npos = host_health::npos;

    template <class TimePoint>
    struct connection_state {
        std::uint32_t host = 0;
        TimePoint since{};
    };

    void attach(std::size_t hosts) const { health_->attach(hosts); }

    template <class TimePoint>
    void connected(connection_state<TimePoint>& s, std::size_t host, TimePoint now) const noexcept {
        s.host = static_cast<std::uint32_t>(host);
        s.since = now;
        health_->opened(host);
        health_->mark_up(host);
    }
    template <class TimePoint>
    bool connect_failed(std::size_t host, TimePoint now) const noexcept {
        return health_->mark_down(host, ticks(now));
    }
    template <class TimePoint>
    bool broken(const connection_state<TimePoint>& s, TimePoint now) const noexcept {
        return health_->mark_down(s.host, ticks(now));
    }
    template <class TimePoint>
    void closed(const connection_state<TimePoint>& s) const noexcept {
        health_->closed(s.host);
    }
    template <class TimePoint>
    std::size_t host_of(const connection_state<TimePoint>& s) const noexcept {
        return s.host;
    }

    /// Connections open to host h now (for tests and monitoring).
    [[nodiscard]] int open_on(std::size_t h) const noexcept { return health_->open(h); }
    /// Whether host h is down and resting now (by the steady clock's reading `now`).
    template <class TimePoint>
    [[nodiscard]] bool resting(std::size_t h, TimePoint now) const noexcept {
        return health_->resting(h, ticks(now));
    }

protected:
    explicit multi_host_base(HostBackoff backoff) : health_(std::make_shared<host_health>(backoff)) {}
    std::shared_ptr<host_health> health_;
};

} // namespace detail

class Failover : public detail::multi_host_base {
public:
    /// @throws std::invalid_argument unless failback_after > 0 and the backoff is sane.
    explicit Failover(std::chrono::milliseconds failback_after = std::chrono::seconds(30), HostBackoff backoff = {})
        : multi_host_base(backoff), failback_after_(failback_after) {
        if (failback_after.count() <= 0) throw std::invalid_argument("lifeguard::Failover: failback_after must be positive");
    }

    template <class TimePoint>
    std::size_t choose(TimePoint now, std::uint64_t tried) const noexcept {
        return health_->pick(detail::ticks(now), tried, [](std::size_t, std::size_t) { return false; });  // in order
    }
    template <class TimePoint>
    bool retire(const connection_state<TimePoint>& s, TimePoint now) const noexcept {
        return s.host != 0 && now - s.since >= failback_after_ && !health_->resting(0, detail::ticks(now));
    }
    [[nodiscard]] std::chrono::milliseconds failback_after() const noexcept { return failback_after_; }

private:
    std::chrono::milliseconds failback_after_;
};

class LoadBalance : public detail::multi_host_base {
public:
    /// @throws std::invalid_argument unless rebalance_after > 0 and the backoff is sane.
    explicit LoadBalance(std::chrono::milliseconds rebalance_after = std::chrono::seconds(30), HostBackoff backoff = {})
        : multi_host_base(backoff), rebalance_after_(rebalance_after) {
        if (rebalance_after.count() <= 0)
            throw std::invalid_argument("lifeguard::LoadBalance: rebalance_after must be positive");
    }

    template <class TimePoint>
    std::size_t choose(TimePoint now, std::uint64_t tried) const noexcept {
        return health_->pick(detail::ticks(now), tried,
                             [&](std::size_t h, std::size_t best) { return health_->open(h) < health_->open(best); });
    }
    template <class TimePoint>
    bool retire(const connection_state<TimePoint>& s, TimePoint now) const noexcept {
        return now - s.since >= rebalance_after_ &&
               health_->open(s.host) > health_->fewest_open(detail::ticks(now)) + 1;
    }
    [[nodiscard]] std::chrono::milliseconds rebalance_after() const noexcept { return rebalance_after_; }

private:
    std::chrono::milliseconds rebalance_after_;
};

} // namespace lifeguard

#endif
