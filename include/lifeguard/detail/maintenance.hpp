// Background maintenance: the pool's lifecycle work, done by worker threads of the pool's own
// so that no request pays for it (policies/maintenance.hpp lists the duties).
//
// Threads: max_connecting workers per pool, started with the pool, idle on a condition
// variable until there is work: a waiter or a refill that needs a connect, or the next tick.
// Per pool rather than one shared by all pools: a connect blocks its thread for up to
// connect_timeout (Connector/C has no connect that shares a thread), so a shared thread
// would let one pool's unreachable server delay every other pool's keepalives and connects.
//
// Locking: the engine's state is guarded by the pool's own mutex, so the pthread_atfork
// handlers that take that mutex (DisposeAfterFork) also freeze the engine: a forked child
// never inherits half-updated maintenance state. Driver I/O happens outside the lock, on
// connections the engine has claimed (state word busy), exactly as a lease would.
//
// Idle time without a clock read on the hot path: a release parks a connection as
// record_idle; each sweep re-parks every idle connection as record_idle_marked, noting when
// it first saw it idle. A connection still marked at the next sweep has been idle since
// then. The fast lane claims only record_idle, so the first acquire of a marked connection
// takes the slow lane once; releases are untouched.
#ifndef LIFEGUARD_DETAIL_MAINTENANCE_HPP
#define LIFEGUARD_DETAIL_MAINTENANCE_HPP

#include <lifeguard/detail/connection_state.hpp>
#include <lifeguard/detail/deadline.hpp>
#include <lifeguard/detail/lock.hpp>
#include <lifeguard/detail/observe.hpp>
#include <lifeguard/detail/record.hpp>
#include <lifeguard/errors.hpp>
#include <lifeguard/events.hpp>
#include <lifeguard/policies/maintenance.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <unistd.h>

namespace lifeguard::detail {

/// What maintenance keeps per connection (in the record): since when no lease has used it
/// (for idle_timeout), and when the server last heard from it (for keepalive).
template <class TimePoint>
struct maintenance_state {
    TimePoint idle_since{};
    TimePoint last_contact{};
    std::uint64_t serial = 0;  // tells a reused record slot from the connection a duty was for
};

/// No maintenance: every hook compiles to nothing; the pool keeps no state.
struct no_maintenance {
    static constexpr bool active = false;
    template <class P>
    explicit no_maintenance(const P&) noexcept {}
};

inline std::string what_of(const std::exception_ptr& e) {
    try {
        if (e) std::rethrow_exception(e);
    } catch (const std::exception& x) {
        return x.what();
    } catch (...) {
    }
    return "an exception that is not a std::exception";
}

// `Core` (the pool) is a template parameter of each member function, not of the class: the
// engine is a member of the pool, instantiated while the pool's type is still incomplete.
template <class Record, class TimePoint>
class background_maintenance {
    using record = Record;
    using time_point = TimePoint;
    using steady = std::chrono::steady_clock;

public:
    static constexpr bool active = true;

    template <class P>
    explicit background_maintenance(const P& policy)
        : settings_(policy.settings()), threads_wanted_(P::spawns_threads) {}
    background_maintenance(const background_maintenance&) = delete;
    background_maintenance& operator=(const background_maintenance&) = delete;

    [[nodiscard]] const MaintenanceSettings& settings() const noexcept { return settings_; }
    /// Whether worker threads open connections (false for testing::StepMaintenance, where the
    /// acquiring thread connects as without maintenance and step() does the rest).
    [[nodiscard]] bool connects_in_background() const noexcept { return threads_wanted_; }

    // --- lifecycle (called without the pool's lock) -------------------------------------

    template <class Core>
    void start(Core& core) {
        std::lock_guard lock(core.mutex_);
        start_locked(core);
    }

    /// Stops and joins the workers. In a process that did not start them (a forked child)
    /// there is nothing to join: they do not exist here.
    template <class Core>
    void stop(Core& core) noexcept {
        std::unique_ptr<std::thread[]> threads;
        std::size_t n = 0;
        {
            std::lock_guard lock(core.mutex_);
            stopping_ = true;
            threads = std::move(threads_);
            n = std::exchange(thread_count_, 0);
            if (owner_ != ::getpid()) {  // inherited handles of threads that are not ours
                forget(threads, n);
                return;
            }
            wake_.notify_all();
        }
        for (std::size_t i = 0; i < n; ++i)
            if (threads[i].joinable()) threads[i].join();
    }

    // --- hooks from the pool, under its lock ---------------------------------------------

    /// Something changed that may need a connect (a waiter queued, a slot freed): wake a worker.
    void wake_locked() noexcept { wake_.notify_one(); }

    /// try_acquire() found nothing: open one connection for a later call.
    void request_locked() noexcept {
        ++requested_;
        wake_.notify_one();
    }

    /// The circuit breaker: an exception to throw at once if connects keep failing.
    [[nodiscard]] std::exception_ptr unavailable_locked(time_point now) const {
        if (failures_ < settings_.breaker_after) return nullptr;
        return std::make_exception_ptr(
            DatabaseUnavailable(last_error_, what_of(last_error_), failures_, retry_in(now)));
    }

    /// The last connect error while connects are failing (for AcquireTimeout's message).
    [[nodiscard]] std::exception_ptr failing_locked() const noexcept { return failures_ > 0 ? last_error_ : nullptr; }

    [[nodiscard]] std::size_t connecting_locked() const noexcept { return in_flight_; }

    /// Frees the handles of a parent's threads in a forked child without joining or
    /// detaching them (they do not exist here; a joinable std::thread's destructor would
    /// terminate): each is replaced by an empty one first.
    static void forget(std::unique_ptr<std::thread[]>& threads, std::size_t n) noexcept {
        if (!threads) return;
        for (std::size_t i = 0; i < n; ++i) ::new (&threads[i]) std::thread();
        threads.reset();
    }

    /// A new connection's serial (any thread).
    std::uint64_t next_serial() noexcept { return serials_.fetch_add(1, std::memory_order_relaxed) + 1; }

    /// pthread_atfork child handler (pool lock held, only the forking thread exists): the
    /// condition variable's waiters were the parent's workers; a notify on it could wait for
    /// them for ever. Make it new.
    void reset_in_child() noexcept { ::new (&wake_) monotonic_condition(); }

    /// First use in a forked child (pool lock held): the workers and their connects were the
    /// parent's. Forget them and start this process's own.
    template <class Core>
    void after_fork_locked(Core& core) noexcept {
        forget(threads_, thread_count_);
        thread_count_ = 0;
        in_flight_ = 0;
        requested_ = 0;
        owner_ = 0;
        reset_in_child();  // again: a child made without fork() skipped the atfork handler
        try {
            start_locked(core);
        } catch (...) {
            // No thread here: a later slow-lane use tries again.
        }
    }

    /// Runs every due duty once on the calling thread: for tests with a manual clock
    /// (lifeguard::testing::step_maintenance), and for pools with spawns_threads = false.
    template <class Core>
    void step(Core& core) {
        std::unique_lock lock(core.mutex_);
        next_sweep_ = time_point{};  // due now
        while (do_one_locked(core, lock)) {
        }
    }

private:
    template <class Core>
    void start_locked(Core& core) {
        if (!threads_wanted_ || thread_count_ != 0 || stopping_ || core.closed_locked()) return;
        owner_ = ::getpid();
        next_sweep_ = core.clock_now() + std::chrono::duration_cast<typename time_point::duration>(settings_.tick);
        const std::size_t n = settings_.max_connecting;
        auto threads = std::make_unique<std::thread[]>(n);
        for (std::size_t i = 0; i < n; ++i) threads[i] = std::thread([this, &core] { run(core); });
        threads_ = std::move(threads);
        thread_count_ = n;
    }

    template <class Core>
    void run(Core& core) noexcept {
        std::unique_lock lock(core.mutex_);
        while (!stopping_) {
            if (do_one_locked(core, lock)) continue;
            wake_.wait_until(core.mutex_, saturating_add(steady::now(), next_wait(core.clock_now())));
        }
    }

    // How long an idle worker sleeps: until the next tick, or the next connect attempt.
    [[nodiscard]] std::chrono::milliseconds next_wait(time_point now) const noexcept {
        std::chrono::milliseconds wait = settings_.tick;
        if (failures_ > 0) wait = std::min(wait, std::max(retry_in(now), std::chrono::milliseconds(1)));
        return wait;
    }

    // One piece of work, if there is any due; under the lock (released during I/O).
    template <class Core>
    bool do_one_locked(Core& core, std::unique_lock<adaptive_mutex>& lock) {
        if (stopping_) return false;
        if (connect_wanted_locked(core)) {
            connect_one(core, lock);
            return true;
        }
        if (core.clock_now() >= next_sweep_) {
            sweep(core, lock);
            return true;
        }
        return false;
    }

    // Connections wanted now: one per queued waiter, plus the idle ones missing to min_idle,
    // less those being opened.
    template <class Core>
    [[nodiscard]] bool connect_wanted_locked(Core& core) const {
        if (in_flight_ >= settings_.max_connecting || !core.has_room_locked()) return false;
        if (failures_ > 0) {  // backing off: one attempt per step, when it is due
            if (in_flight_ > 0 || core.clock_now() < next_attempt_) return false;
        }
        const std::size_t idle = core.idle_count_locked();
        const std::size_t min_idle = core.options_.min_idle;
        const std::size_t want = core.waiting_locked() + requested_ + (idle < min_idle ? min_idle - idle : 0);
        return want > in_flight_;
    }

    template <class Core>
    void connect_one(Core& core, std::unique_lock<adaptive_mutex>& lock) {
        void* memory = core.reserve_locked();
        ++in_flight_;
        lock.unlock();
        record* r = nullptr;
        std::exception_ptr error;
        try {
            r = core.connect_into(memory);
        } catch (...) {
            error = std::current_exception();
        }
        lock.lock();
        --in_flight_;
        if (r != nullptr) {
            failures_ = 0;  // the breaker closes
            if (requested_ > 0) --requested_;
            if (!core.give_locked(r)) {  // the pool was closed meanwhile
                lock.unlock();
                core.retire(r, CloseReason::pool_closed);
                lock.lock();
            }
        } else {
            core.unreserve_locked(memory);
            last_error_ = error;
            ++failures_;
            const time_point now = core.clock_now();
            next_attempt_ = now + std::chrono::duration_cast<typename time_point::duration>(backoff());
            if (failures_ >= settings_.breaker_after) core.fail_waiters_locked(unavailable_locked(now));
        }
    }

    // Backoff before the next attempt: retry_initial doubling to retry_max, +-20 % jitter.
    [[nodiscard]] std::chrono::milliseconds backoff() noexcept {
        auto base = settings_.retry_initial;
        for (unsigned i = 1; i < failures_ && base < settings_.retry_max; ++i) base *= 2;
        base = std::min(base, settings_.retry_max);
        jitter_seed_ = jitter_seed_ * 6364136223846793005ULL + 1442695040888963407ULL;
        const auto spread = base.count() / 5;
        const auto offset = spread > 0 ? static_cast<std::int64_t>((jitter_seed_ >> 33) %
                                                                   static_cast<std::uint64_t>(2 * spread + 1)) - spread
                                       : 0;
        return std::chrono::milliseconds(base.count() + offset);
    }

    [[nodiscard]] std::chrono::milliseconds retry_in(time_point now) const noexcept {
        const auto left = next_attempt_ - now;
        return left <= decltype(left)::zero() ? std::chrono::milliseconds(0)
                                              : std::chrono::ceil<std::chrono::milliseconds>(left);
    }

    // Per-connection keepalive jitter in [0, keepalive_jitter): keepalives of connections
    // opened together spread out.
    [[nodiscard]] std::chrono::milliseconds jitter_of(const record* r) const noexcept {
        if (settings_.keepalive_jitter.count() <= 0) return std::chrono::milliseconds(0);
        auto x = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(r)) * 0x9e3779b97f4a7c15ULL;
        x ^= x >> 29;
        return std::chrono::milliseconds(static_cast<std::int64_t>(
            x % static_cast<std::uint64_t>(settings_.keepalive_jitter.count())));
    }

    enum class duty { keep, ping, replace, retire_idle, retire_silent, retire_claimed };
    struct job {
        record* r;
        std::uint64_t serial;
        duty what;
        CloseReason why = CloseReason::expired;  // for retire_claimed
    };

    // The timed duties. Decided in one pass under the lock, which claims every idle
    // connection only long enough to look at it; then each job claims its connection again
    // just before its I/O (a request may have taken it meanwhile: then it is in use and
    // needs nothing), so requests never find every idle connection held by a sweep.
    template <class Core>
    void sweep(Core& core, std::unique_lock<adaptive_mutex>& lock) {
        const time_point now = core.clock_now();
        next_sweep_ = now + std::chrono::duration_cast<typename time_point::duration>(settings_.tick);
        std::vector<record*> idle;
        for (std::size_t i = 0; i < core.store_.open_count(); ++i) {
            record* r = core.store_.open_at(i);
            std::uint32_t seen;
            if (!claim_any_parked(r->state(), seen)) continue;
            if (seen == record_idle) r->maintenance.idle_since = r->maintenance.last_contact = now;  // used since
            idle.push_back(r);
        }
        // Idle timeout keeps min_idle: the longest idle go first, down to min_idle.
        std::sort(idle.begin(), idle.end(), [](const record* a, const record* b) {
            return a->maintenance.idle_since < b->maintenance.idle_since;
        });
        std::size_t remaining = idle.size();
        std::vector<job> jobs;
        for (record* r : idle) {
            duty d = classify(core, r, now);
            if (d == duty::retire_idle) {
                if (remaining > core.options_.min_idle) --remaining;
                else d = duty::keep;
            }
            CloseReason why = CloseReason::expired;
            if (!core.park_marked_locked(r)) {  // closed or invalidated: still ours, to close
                d = duty::retire_claimed;
                why = core.refused_locked();
            }
            if (d != duty::keep) jobs.push_back({r, r->maintenance.serial, d, why});
        }
        if constexpr (Core::tracks_leases) check_leases(core);
        lock.unlock();
        if constexpr (Core::tracks_leases) core.observer_flush();
        for (const job& j : jobs) {
            if (j.what == duty::retire_claimed) {
                core.retire(j.r, j.why);
                continue;
            }
            if (j.what == duty::replace) {  // the successor first, while the old one still serves
                lock.lock();
                if (core.has_room_locked() && failures_ == 0 && !stopping_) connect_one(core, lock);
                lock.unlock();
            }
            lock.lock();
            const claim_result got = claim_again_locked(core, j);
            const CloseReason other = core.refused_locked();
            lock.unlock();
            if (got == claim_result::someone_elses_to_close) core.retire(j.r, other);
            if (got != claim_result::mine) continue;
            CloseReason why = CloseReason::failed_validation;  // a failed keepalive, or idle past the server's limit
            if (j.what == duty::ping && core.ping_claimed(j.r)) {
                lock.lock();
                j.r->maintenance.last_contact = core.clock_now();  // the server just heard from it
                core.server_answered(j.r);
                const bool parked = core.park_marked_locked(j.r);
                why = core.refused_locked();
                lock.unlock();
                if (parked) continue;
            }
            if (j.what == duty::retire_idle) why = CloseReason::idle_timeout;
            if (j.what == duty::replace) why = CloseReason::expired;
            core.retire(j.r, why);  // the refill replaces it
        }
        lock.lock();
    }

    // Leases still out, for observers that watch them (leak detection): under the lock,
    // without touching the leases (their state is the observer's, made for this).
    template <class Core>
    void check_leases(Core& core) noexcept {
        const std::int64_t now_ns = steady_ns();
        for (std::size_t i = 0; i < core.store_.open_count(); ++i) {
            record* r = core.store_.open_at(i);
            const std::int64_t started = r->observer.lease.started_ns.load(std::memory_order_relaxed);
            if (started != 0) core.observer_lease_check(r, std::chrono::nanoseconds(now_ns - started));
        }
    }

    enum class claim_result { mine, not_idle, someone_elses_to_close };

    // Claims a job's connection again if it is still idle and still the same connection.
    template <class Core>
    claim_result claim_again_locked(Core& core, const job& j) noexcept {
        if (!claim_any_parked(j.r->state())) return claim_result::not_idle;
        if (j.r->maintenance.serial == j.serial) return claim_result::mine;
        // Another connection now lives in that slot: give it back untouched (or, if the pool
        // was closed or invalidated meanwhile, close it as a release would).
        return core.park_marked_locked(j.r) ? claim_result::not_idle : claim_result::someone_elses_to_close;
    }

    template <class Core>
    [[nodiscard]] duty classify(Core& core, const record* r, time_point now) const {
        if (settings_.replace_before.count() > 0 &&
            core.recycle_.expired(r->recycle, saturating_add(now, settings_.replace_before)))
            return duty::replace;
        if (core.host_move_due(r, now)) return duty::replace;  // failback, rebalancing
        if (settings_.idle_timeout.count() > 0 && now - r->maintenance.idle_since >= settings_.idle_timeout)
            return duty::retire_idle;
        // The server's own idle limit, when the validation policy learned it: past it the
        // connection is dead or about to be (retire, no ping); keepalives come at half of it.
        const std::chrono::milliseconds usable = core.server_idle_limit(r);
        const auto silent = now - r->maintenance.last_contact;
        if (usable.count() > 0 && silent >= usable) return duty::retire_silent;
        auto due = settings_.keepalive;
        if (usable.count() > 0 && (due.count() == 0 || usable / 2 < due)) due = usable / 2;
        if (due.count() > 0 && silent >= due - std::min(jitter_of(r), due / 4)) return duty::ping;
        return duty::keep;
    }

    MaintenanceSettings settings_;
    bool threads_wanted_;
    bool stopping_ = false;
    std::unique_ptr<std::thread[]> threads_;
    std::size_t thread_count_ = 0;
    pid_t owner_ = 0;  // the process the threads run in
    monotonic_condition wake_;
    std::size_t in_flight_ = 0;
    std::size_t requested_ = 0;  // by try_acquire()
    unsigned failures_ = 0;
    time_point next_attempt_{};
    std::exception_ptr last_error_;
    time_point next_sweep_{};
    std::uint64_t jitter_seed_ = 0x853c49e6748fea9bULL;
    std::atomic<std::uint64_t> serials_{0};
};

template <class Policy, class Record, class TimePoint>
using maintenance_engine_t = std::conditional_t<Policy::runs_in_background, background_maintenance<Record, TimePoint>,
                                                no_maintenance>;

template <class Policy, class TimePoint>
using maintenance_state_t = std::conditional_t<Policy::runs_in_background, maintenance_state<TimePoint>,
                                               no_state<no_maintenance>>;

} // namespace lifeguard::detail

#endif
