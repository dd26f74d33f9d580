// LeakDetection: an observer that reports a lease held longer than a threshold, once, with the
// thread and the place it was acquired (a stack trace, Boost.Stacktrace), and again when it is
// finally released (HikariCP: "previously reported leaked connection was returned").
// docs/observability.md.
#ifndef LIFEGUARD_LEAK_DETECTION_HPP
#define LIFEGUARD_LEAK_DETECTION_HPP

#include <lifeguard/policy.hpp>

#include <boost/stacktrace.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace lifeguard {

/// One report of LeakDetection.
struct LeakReport {
    std::chrono::nanoseconds held{};  ///< how long the lease had been (or was) held
    std::thread::id thread;           ///< the thread that acquired it
    std::string acquired_at;          ///< the stack trace of that acquire()
    bool returned = false;            ///< false: still held; true: the lease has just ended
};

/// The default sink: one block on stderr.
inline void print_leak_report(const LeakReport& r) {
    std::ostringstream thread;
    thread << r.thread;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(r.held).count();
    if (r.returned)
        std::fprintf(stderr, "lifeguard: a previously reported leaked lease was returned after %lld ms (thread %s)\n",
                     static_cast<long long>(ms), thread.str().c_str());
    else
        std::fprintf(stderr,
                     "lifeguard: possible lease leak: held for %lld ms by thread %s, acquired at:\n%s",
                     static_cast<long long>(ms), thread.str().c_str(), r.acquired_at.c_str());
    std::fflush(stderr);
}

class LeakDetection {
public:
    using policy_kind = observer_tag;
    static constexpr bool tracks_leases = true;

    /// Per lease: who acquired it, where, and whether it was reported. A stack trace is taken
    /// at every acquire while leak detection is on (an allocation and an unwind: microseconds).
    template <class TimePoint>
    struct connection_state {
        std::unique_ptr<boost::stacktrace::stacktrace> trace;
        std::thread::id thread;
        std::atomic<bool> reported{false};
        std::atomic_flag busy = ATOMIC_FLAG_INIT;  // a sweep's look and the lease's end exclude each other
        connection_state() = default;
        connection_state(const connection_state&) = delete;
    };

    /// @param threshold a lease held longer is reported (HikariCP leakDetectionThreshold)
    /// @param sink receives the reports (default: stderr); called outside the pool's lock
    /// @throws std::invalid_argument unless threshold > 0
    explicit LeakDetection(std::chrono::milliseconds threshold,
                           std::function<void(const LeakReport&)> sink = print_leak_report)
        : shared_(std::make_shared<shared>(threshold, std::move(sink))) {
        if (threshold.count() <= 0)
            throw std::invalid_argument("lifeguard::LeakDetection: the threshold must be positive");
    }

    [[nodiscard]] std::chrono::milliseconds threshold() const noexcept { return shared_->threshold; }

    template <class State>
    void lease_started(State& s) const noexcept {
        lock(s);
        try {
            s.trace = std::make_unique<boost::stacktrace::stacktrace>();
        } catch (...) {
            s.trace.reset();
        }
        s.thread = std::this_thread::get_id();
        s.reported.store(false, std::memory_order_relaxed);
        s.busy.clear(std::memory_order_release);
    }

    /// From maintenance sweeps (under the pool's lock) for a lease still out: queue a report
    /// the first time it is over the threshold; flush() symbolizes the stack trace (slow:
    /// it reads debug information) and delivers the report after the lock is released.
    template <class State>
    void lease_check(State& s, std::chrono::nanoseconds held) const noexcept {
        if (held < shared_->threshold || s.reported.load(std::memory_order_relaxed)) return;
        if (s.busy.test_and_set(std::memory_order_acquire)) return;  // the lease is ending right now
        if (!s.reported.exchange(true, std::memory_order_relaxed)) {
            try {
                pending_report r{held, s.thread, s.trace ? *s.trace : boost::stacktrace::stacktrace(0, 0)};
                std::lock_guard lock(shared_->mutex);
                shared_->pending.push_back(std::move(r));
            } catch (...) {
            }
        }
        s.busy.clear(std::memory_order_release);
    }

    /// When a lease ends: a reported lease is reported again as returned; without maintenance
    /// (no sweeps) a lease over the threshold is reported here, once, as returned.
    template <class State>
    void lease_ended(State& s, std::chrono::nanoseconds held) const noexcept {
        lock(s);
        const bool reported = s.reported.load(std::memory_order_relaxed);
        const bool late = !reported && held >= shared_->threshold;
        std::string trace;
        if (late && s.trace) {
            try {
                trace = boost::stacktrace::to_string(*s.trace);
            } catch (...) {
            }
        }
        const std::thread::id thread = s.thread;
        s.trace.reset();
        s.busy.clear(std::memory_order_release);
        if (reported || late) deliver(LeakReport{held, thread, std::move(trace), true});
    }

    /// Delivers the reports sweeps queued (called by the pool outside its lock).
    void flush() const noexcept {
        std::vector<pending_report> reports;
        {
            std::lock_guard lock(shared_->mutex);
            reports.swap(shared_->pending);
        }
        for (const auto& r : reports) {
            std::string where;
            try {
                where = boost::stacktrace::to_string(r.trace);
            } catch (...) {
            }
            deliver(LeakReport{r.held, r.thread, std::move(where), false});
        }
    }

private:
    // A report queued under the pool's lock: the frames only (copied), not yet symbolized.
    struct pending_report {
        std::chrono::nanoseconds held;
        std::thread::id thread;
        boost::stacktrace::stacktrace trace;
    };
    struct shared {
        shared(std::chrono::milliseconds t, std::function<void(const LeakReport&)> s)
            : threshold(t), sink(std::move(s)) {}
        std::chrono::milliseconds threshold;
        std::function<void(const LeakReport&)> sink;
        std::mutex mutex;
        std::vector<pending_report> pending;
    };

    template <class State>
    static void lock(State& s) noexcept {
        while (s.busy.test_and_set(std::memory_order_acquire)) std::this_thread::yield();
    }
    void deliver(const LeakReport& r) const noexcept {
        try {
            if (shared_->sink) shared_->sink(r);
        } catch (...) {  // a failing sink does not break the pool
        }
    }

    std::shared_ptr<shared> shared_;
};

} // namespace lifeguard

#endif
