// Metrics: an observer with lock-free counters and histograms of a pool's activity, and a
// snapshot named after OpenTelemetry's semantic conventions for database client connection
// pools (db.client.connection.*). docs/observability.md; exported over HTTP in Prometheus'
// text format by examples/prometheus_exporter.cpp.
#ifndef LIFEGUARD_METRICS_HPP
#define LIFEGUARD_METRICS_HPP

#include <lifeguard/events.hpp>
#include <lifeguard/policy.hpp>
#include <lifeguard/pool_options.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace lifeguard {

/// A histogram's buckets: counts per upper bound (seconds), the last bound +infinity.
struct HistogramSnapshot {
    static constexpr std::size_t bucket_count = 23;
    /// Upper bounds in seconds: 1 µs, 2 µs, 5 µs, 10 µs ... 5 s, 10 s, then +inf.
    static constexpr std::array<double, bucket_count> bounds = {
        1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3,
        1e-2, 2e-2, 5e-2, 0.1,  0.2,  0.5,  1.0,  2.0,  5.0,  10.0, 1e300};
    std::array<std::uint64_t, bucket_count> counts{};  ///< per bucket (not cumulative)
    std::uint64_t count = 0;
    double sum_seconds = 0;
};

/// What Metrics saw, with the pool's gauges. Counters only grow. Under concurrent use the
/// counters are read in an order that keeps derived values sane (released before acquired,
/// closed before opened); they add up exactly whenever the pool is quiet.
struct MetricsSnapshot {
    // OpenTelemetry semantic conventions (db.client.connection.*):
    std::size_t used = 0;              ///< db.client.connection.count{db.client.connection.state="used"}
    std::size_t idle = 0;              ///< db.client.connection.count{db.client.connection.state="idle"}
    std::size_t max = 0;               ///< db.client.connection.max
    std::size_t idle_min = 0;          ///< db.client.connection.idle.min
    std::size_t pending_requests = 0;  ///< db.client.connection.pending_requests
    std::uint64_t timeouts = 0;        ///< db.client.connection.timeouts
    HistogramSnapshot wait_time;       ///< db.client.connection.wait_time (s): acquire waits
    HistogramSnapshot use_time;        ///< db.client.connection.use_time (s): lease hold times
    HistogramSnapshot create_time;     ///< db.client.connection.create_time (s): connects
    // lifeguard's own:
    std::uint64_t opened = 0;               ///< connections opened
    std::uint64_t connect_failures = 0;     ///< connects (or setups) that failed
    std::uint64_t closed = 0;               ///< connections closed or abandoned, all reasons
    std::array<std::uint64_t, close_reason_count> closed_by_reason{};  ///< indexed by CloseReason
    std::uint64_t acquired = 0;             ///< leases handed out
    std::uint64_t acquired_after_wait = 0;  ///< ... of which after waiting
    std::uint64_t released = 0;             ///< leases ended
    std::uint64_t validations = 0;          ///< socket checks and pings before a handout
    std::uint64_t validation_failures = 0;  ///< ... that found the connection dead
};

class Metrics {
public:
    using policy_kind = observer_tag;
    static constexpr bool tracks_leases = true;  // for use_time: two clock reads per lease

    /// A fresh set of metrics. Copies share it: keep one to read, give one to the pool.
    Metrics() : data_(std::make_shared<data>()) {}

    void on(const events::ConnectionOpened& e) const noexcept {
        data_->opened.fetch_add(1, std::memory_order_relaxed);
        data_->create_time.record(e.took);
    }
    void on(const events::ConnectFailed& e) const noexcept {
        data_->connect_failures.fetch_add(1, std::memory_order_relaxed);
        data_->create_time.record(e.took);
    }
    void on(const events::ConnectionClosed& e) const noexcept {
        data_->closed[static_cast<std::size_t>(e.reason)].fetch_add(1, std::memory_order_relaxed);
    }
    void on(const events::Acquired& e) const noexcept {
        data_->acquired.fetch_add(1, std::memory_order_relaxed);
        if (e.did_wait) data_->acquired_after_wait.fetch_add(1, std::memory_order_relaxed);
        data_->wait_time.record(e.waited);
    }
    void on(const events::AcquireTimedOut& e) const noexcept {
        data_->timeouts.fetch_add(1, std::memory_order_relaxed);
        data_->wait_time.record(e.waited);
    }
    void on(const events::Released& e) const noexcept {
        data_->released.fetch_add(1, std::memory_order_relaxed);
        data_->use_time.record(e.held);
    }
    void on(const events::Validated& e) const noexcept {
        data_->validations.fetch_add(1, std::memory_order_relaxed);
        if (!e.passed) data_->validation_failures.fetch_add(1, std::memory_order_relaxed);
    }

    /// The counters alone (the pool's gauges zero).
    [[nodiscard]] MetricsSnapshot snapshot() const noexcept {
        MetricsSnapshot s;
        const data& d = *data_;
        s.released = d.released.load(std::memory_order_acquire);  // before acquired: acquired >= released
        s.acquired = d.acquired.load(std::memory_order_acquire);
        s.acquired_after_wait = d.acquired_after_wait.load(std::memory_order_relaxed);
        for (std::size_t i = 0; i < s.closed_by_reason.size(); ++i) {  // before opened
            s.closed_by_reason[i] = d.closed[i].load(std::memory_order_acquire);
            s.closed += s.closed_by_reason[i];
        }
        s.opened = d.opened.load(std::memory_order_acquire);
        s.connect_failures = d.connect_failures.load(std::memory_order_relaxed);
        s.timeouts = d.timeouts.load(std::memory_order_relaxed);
        s.validations = d.validations.load(std::memory_order_relaxed);
        s.validation_failures = d.validation_failures.load(std::memory_order_relaxed);
        s.wait_time = d.wait_time.snapshot();
        s.use_time = d.use_time.snapshot();
        s.create_time = d.create_time.snapshot();
        return s;
    }

    /// The counters and `pool`'s gauges (pool.stats(), pool.options()).
    template <class Pool>
    [[nodiscard]] MetricsSnapshot snapshot(const Pool& pool) const {
        MetricsSnapshot s = snapshot();
        const PoolStats st = pool.stats();
        s.used = st.in_use;
        s.idle = st.idle;
        s.max = st.max_size;
        s.idle_min = pool.options().min_idle;
        s.pending_requests = st.waiters;
        return s;
    }

private:
    struct histogram {
        std::array<std::atomic<std::uint64_t>, HistogramSnapshot::bucket_count> buckets{};
        std::atomic<std::uint64_t> count{0};
        std::atomic<std::uint64_t> sum_ns{0};
        void record(std::chrono::nanoseconds d) noexcept {
            const std::int64_t ns = d.count() < 0 ? 0 : d.count();
            const double seconds = static_cast<double>(ns) * 1e-9;
            std::size_t i = 0;
            while (seconds > HistogramSnapshot::bounds[i]) ++i;  // the last bound is +inf
            buckets[i].fetch_add(1, std::memory_order_relaxed);
            sum_ns.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
            count.fetch_add(1, std::memory_order_release);
        }
        [[nodiscard]] HistogramSnapshot snapshot() const noexcept {
            HistogramSnapshot h;
            h.count = count.load(std::memory_order_acquire);
            for (std::size_t i = 0; i < h.counts.size(); ++i) h.counts[i] = buckets[i].load(std::memory_order_relaxed);
            h.sum_seconds = static_cast<double>(sum_ns.load(std::memory_order_relaxed)) * 1e-9;
            return h;
        }
    };
    struct data {
        std::atomic<std::uint64_t> opened{0}, connect_failures{0}, acquired{0}, acquired_after_wait{0},
            released{0}, timeouts{0}, validations{0}, validation_failures{0};
        std::array<std::atomic<std::uint64_t>, close_reason_count> closed{};
        histogram wait_time, use_time, create_time;
    };
    std::shared_ptr<data> data_;
};

} // namespace lifeguard

#endif
