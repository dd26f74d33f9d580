// The pool itself, instantiated once per canonical policy configuration.
//
// Fast lane: an idle connection is *parked* (its record's state word is record_idle) and
// whoever claims it with one CAS owns it. A releasing thread parks its connection and
// remembers it in a thread-local hint; its next acquire claims it back without touching
// the lock or any shared cache line, so threads with their own connections scale. The hint
// is trusted only if it points into this pool's record storage (record_store::owns).
//
// Slow lane, under mutex_: opening and closing connections, finding another thread's
// parked connection, and waiting. Invariants under mutex_:
//   open_    = connections counted against max_size: idle + leased + being opened
//   store_   = every opened record in a dense list; parked ones are the idle set
//   waiters_ = length of the FIFO waiter queue (also read without the lock), plus
//              slow_bit while every release must take the lock (the pool is closed, or
//              invalidated connections are still leased) and closed_bit once closed
// Release and wait meet Dekker-style: a releaser parks, *then* reads waiters_; a waiter
// raises waiters_, *then* scans for parked records. So either the waiter finds the
// connection or the releaser sees the waiter, takes the connection back and hands it over
// under the lock: a thread that releases and re-acquires in a loop cannot starve a waiter
// (first come, first served), and no wake-up is lost. The store-before-load order on both
// sides comes from an asymmetric fence (detail/asymmetric_fence.hpp): free for the
// releaser, one membarrier(2) for the waiter; without membarrier, seq_cst on both sides.
// Driver I/O (connect, ping, close, reset) always runs outside mutex_.
// With BackgroundMaintenance, connects happen on the pool's worker threads only
// (detail/maintenance.hpp); requests wait for whichever comes first, a release or a connect.
#ifndef LIFEGUARD_DETAIL_BASIC_POOL_HPP
#define LIFEGUARD_DETAIL_BASIC_POOL_HPP

#include <lifeguard/detail/asymmetric_fence.hpp>
#include <lifeguard/detail/config.hpp>
#include <lifeguard/detail/connection_state.hpp>
#include <lifeguard/detail/deadline.hpp>
#include <lifeguard/detail/fork_registry.hpp>
#include <lifeguard/detail/lock.hpp>
#include <lifeguard/detail/maintenance.hpp>
#include <lifeguard/detail/observe.hpp>
#include <lifeguard/detail/record.hpp>
#include <lifeguard/detail/record_store.hpp>
#include <lifeguard/detail/spin.hpp>
#include <lifeguard/detail/waiter_queue.hpp>
#include <lifeguard/driver_capabilities.hpp>
#include <lifeguard/errors.hpp>
#include <lifeguard/lease.hpp>
#include <lifeguard/pool_options.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <type_traits>
#include <thread>
#include <utility>
#include <string>
#include <vector>

namespace lifeguard::detail {

// Fork bookkeeping of a pool; empty unless the ForkPolicy detects forks.
template <bool Detects>
struct fork_link {};
template <>
struct fork_link<true> {
    fork_participant participant;
    std::uint32_t generation = 0;  // process generation the pool's counters belong to
};

// A pool destroyed with leases out cannot close their connections, and the leases would
// write into freed memory when they end: stop here, saying why, in every build.
[[noreturn]] inline void leases_outlive_pool(std::size_t leases) noexcept {
    std::fprintf(stderr,
                 "lifeguard::ConnectionPool destroyed while %zu lease(s) are still out. A Lease must be "
                 "released or destroyed before its pool: release every lease first (close(deadline) waits "
                 "for them). Stopping the process instead of corrupting memory.\n",
                 leases);
    std::fflush(stderr);
    std::abort();
}

template <class D, class Config>
class basic_pool {
    using recycle_policy = typename Config::recycle;
    using validation_policy = typename Config::validation;
    using fork_policy = typename Config::fork;
    using reset_policy = typename Config::reset;
    using maintenance_policy = typename Config::maintenance;
    using observer_policy = typename Config::observer;
    using setup_policy = typename Config::setup;
    using host_policy = typename Config::host;

    template <class H>
    static constexpr bool host_reads_clock() {
        if constexpr (H::multi_host) return H::uses_clock;
        else return false;
    }

public:
    using driver_type = D;
    using connection_type = typename D::connection_type;
    using clock = typename Config::clock;
    using time_point = typename clock::time_point;
    using lease_type = Lease<basic_pool>;

    static constexpr bool detects_fork = fork_policy::detects_fork;
    static constexpr bool uses_clock =
        recycle_policy::uses_clock || validation_policy::uses_clock || host_reads_clock<host_policy>();
    static constexpr bool multi_host = host_policy::multi_host;
    static constexpr bool maintains = maintenance_policy::runs_in_background;
    // Pools whose lock other threads of theirs may hold (maintenance workers) or that detect
    // forks take part in the pthread_atfork handlers: a child never inherits their lock held.
    static constexpr bool joins_fork_handlers = detects_fork || maintains;
    static constexpr bool tracks_leases = observer_policy::tracks_leases;

    /// Opens options.min_idle connections before returning; if one fails, the ones already
    /// opened are closed and the driver's exception propagates.
    /// @param values values for the pool's policies (e.g. RecycleAfter{280s}), any order;
    ///        a policy without a value is default-constructed.
    template <class... Values>
    explicit basic_pool(D driver, PoolOptions options, Values&&... values)
        : driver_(std::move(driver)), options_((options.validate(), options)),
          recycle_(pick_policy<recycle_policy>(std::forward<Values>(values)...)),
          validation_(pick_policy<validation_policy>(std::forward<Values>(values)...)),
          fork_policy_(pick_policy<fork_policy>(std::forward<Values>(values)...)),
          reset_(pick_policy<reset_policy>(std::forward<Values>(values)...)),
          store_(storage_slots(options_.max_size)),
          hint_way_(next_hint_way.fetch_add(1, std::memory_order_relaxed) % hint_ways),
          maint_(pick_policy<maintenance_policy>(std::forward<Values>(values)...)),
          observer_(pick_policy<observer_policy>(std::forward<Values>(values)...)),
          setup_(pick_policy<setup_policy>(std::forward<Values>(values)...)),
          host_(pick_policy<host_policy>(std::forward<Values>(values)...)) {
        // Checked (with a sentence) inside; not asserted again here: one mistake, one error.
        [[maybe_unused]] constexpr bool values_ok = check_constructor_values<Config, Values...>();
        if (!asymmetric_fence::available()) waiters_.store(strong_bit, std::memory_order_relaxed);
        if constexpr (multi_host) host_.attach(driver_.host_count());
        if constexpr (joins_fork_handlers) {
            if constexpr (detects_fork) fork_.generation = fork_policy_.generation();
            fork_.participant.self = this;
            fork_.participant.prepare = [](void* p) noexcept { static_cast<basic_pool*>(p)->mutex_.lock(); };
            fork_.participant.parent = [](void* p) noexcept { static_cast<basic_pool*>(p)->mutex_.unlock(); };
            fork_.participant.child = [](void* p) noexcept { static_cast<basic_pool*>(p)->after_fork_in_child(); };
            fork_registry::instance().add(fork_.participant);
        }
        try {
            for (std::size_t i = 0; i < options_.min_idle; ++i) {  // here, not in the background: fail fast
                std::unique_lock lock(mutex_);
                ++open_;
                record* r = open_new(lock, never);
                lock.lock();
                (void)give_locked(r);
            }
            if constexpr (maintains) maint_.start(*this);
        } catch (...) {
            shutdown();
            throw;
        }
    }

    /// A pool with default PoolOptions and default-constructed policies.
    explicit basic_pool(D driver) : basic_pool(std::move(driver), PoolOptions{}) {}

    basic_pool(const basic_pool&) = delete;
    basic_pool& operator=(const basic_pool&) = delete;

    /// Closes idle connections. With leases still out it prints their number and aborts:
    /// a lease must not outlive its pool, in any build.
    ~basic_pool() { shutdown(); }

    /// A connection, waiting up to options().acquire_timeout for one; the timeout also
    /// bounds a connect this call makes (for drivers with TimedConnect).
    /// @throws AcquireTimeout, or the driver's exception if a new connection fails to open.
    [[nodiscard]] lease_type acquire() { return lease_type(this, acquire_impl(true, use_option)); }

    /// As acquire(), waiting up to `timeout` (milliseconds::max() and other huge values: no limit).
    [[nodiscard]] lease_type acquire(std::chrono::milliseconds timeout) {
        return lease_type(this, acquire_impl(true, timeout < std::chrono::milliseconds::zero()
                                                       ? std::chrono::milliseconds::zero()
                                                       : timeout));
    }

    /// An idle connection, or a new one if fewer than max_size are open; empty if the pool
    /// is exhausted. Never waits for another thread to release a lease.
    [[nodiscard]] std::optional<lease_type> try_acquire() {
        if (record* r = acquire_impl(false, std::chrono::milliseconds(0))) return lease_type(this, r);
        return std::nullopt;
    }

    /// A consistent snapshot of the counters. Costs a pass over the open connections.
    [[nodiscard]] PoolStats stats() const {
        auto* self = const_cast<basic_pool*>(this);  // a child's first look disposes of the parent's
        if constexpr (detects_fork) detect_unhandled_fork();
        const report_on_exit reporter{*self};
        std::lock_guard lock(mutex_);
        self->after_fork_locked();
        return stats_locked();
    }

    [[nodiscard]] const PoolOptions& options() const noexcept { return options_; }
    [[nodiscard]] D& driver() noexcept { return driver_; }
    [[nodiscard]] const D& driver() const noexcept { return driver_; }

    /// Closes the pool: it hands out nothing more (acquire() throws PoolClosed, and so do
    /// waits under way), idle connections are closed now, and leased ones when they come
    /// back. Waits up to `wait` for the leases (a drain); true if every connection is closed.
    /// Safe to call again; the destructor calls it with no wait.
    bool close(std::chrono::milliseconds wait = std::chrono::milliseconds::zero()) {
        if constexpr (detects_fork) detect_unhandled_fork();
        std::vector<record*> idle;
        {
            std::lock_guard lock(mutex_);
            if ((waiters_.load(std::memory_order_relaxed) & closed_bit) == 0) {
                see_fast_lane_parks(waiters_.fetch_or(closed_bit | slow_bit, std::memory_order_seq_cst));
                fail_waiters_locked(std::make_exception_ptr(PoolClosed()));
            }
            after_fork_locked();  // in a child: the parent's connections are abandoned, not closed
            idle = claim_all_idle_locked();
        }
        if constexpr (maintains) maint_.stop(*this);
        report_inherited();
        for (record* r : idle) close_record(r, CloseReason::pool_closed);
        const auto deadline = saturating_add(steady::now(), wait);
        for (auto pause = std::chrono::milliseconds(1);; pause = std::min(pause * 2, std::chrono::milliseconds(20))) {
            {
                std::lock_guard lock(mutex_);
                if (open_ == 0) return true;
            }
            if (steady::now() >= deadline) return false;
            std::this_thread::sleep_for(std::min<steady::duration>(pause, deadline - steady::now()));
        }
    }

    /// Retires every connection open now, e.g. after a failover or a password change: idle
    /// ones are closed at once, leased ones when they come back (and connects under way when
    /// they finish). New connections replace them as needed. Leases keep working meanwhile.
    void invalidate() {
        retire_open([](const record*) { return true; }, true);
    }

private:
    friend lease_type;
    friend struct pool_access;     // tests
    friend struct testing_access;  // lifeguard/testing/maintenance.hpp
    template <class, class>
    friend class background_maintenance;

    using record = detail::record<connection_type, connection_state_t<recycle_policy, time_point>,
                                  connection_state_t<validation_policy, time_point>,
                                  connection_state_t<reset_policy, time_point>,
                                  maintenance_state_t<maintenance_policy, time_point>,
                                  observer_state_t<observer_policy, time_point>, detects_fork,
                                  connection_state_t<host_policy, time_point>>;
    using maintenance_engine = maintenance_engine_t<maintenance_policy, record, time_point>;
    using waiter_type = waiter<record>;
    using steady = std::chrono::steady_clock;
    static_assert(alignof(record) <= alignof(void*), "lifeguard: a policy's connection_state needs more "
                                                     "alignment than a pointer; reduce its alignment");

    static constexpr steady::time_point never = steady::time_point::max();
    // How long a waiter sleeps before it pays for the heavy fence (see wait_locked).
    [[nodiscard]] std::chrono::nanoseconds unfenced_sleep() const noexcept {
        return std::clamp<std::chrono::nanoseconds>(4 * spin_.average(), std::chrono::milliseconds(1),
                                                    std::chrono::milliseconds(50));
    }
    // waiters_ bits: slow_bit sends every release through the lock (see release());
    // closed_bit marks a closed pool; strong_bit, set for good where membarrier(2) is
    // unavailable, makes releases park with seq_cst. The rest counts waiters.
    static constexpr std::size_t slow_bit = std::size_t{1} << (sizeof(std::size_t) * 8 - 2);
    static constexpr std::size_t closed_bit = std::size_t{1} << (sizeof(std::size_t) * 8 - 3);
    static constexpr std::size_t strong_bit = std::size_t{1} << (sizeof(std::size_t) * 8 - 4);
    static constexpr std::size_t rescan_bit = std::size_t{1} << (sizeof(std::size_t) * 8 - 5);
    static constexpr std::size_t count_mask = rescan_bit - 1;

    // A child may hold up to max_size leases inherited from its parent (never released if
    // their threads were the parent's) and still open max_size of its own.
    static std::size_t storage_slots(std::size_t max_size) noexcept {
        return detects_fork ? 2 * max_size : max_size;
    }

    [[nodiscard]] static time_point now() noexcept {
        if constexpr (uses_clock) return clock::now();
        else return time_point{};
    }
    [[nodiscard]] bool connects_in_background() const noexcept {
        if constexpr (maintains) return maint_.connects_in_background();
        else return false;
    }
    void wake_maintenance_locked() noexcept {
        if constexpr (maintains) maint_.wake_locked();
    }
    // Maintenance always reads the clock (on its own threads, never on the hot path).
    [[nodiscard]] static time_point clock_now() noexcept { return clock::now(); }

    // Stands for options_.acquire_timeout, read only when the caller has to wait (reading it
    // up front cost two instructions a cycle against the baseline).
    static constexpr std::chrono::milliseconds use_option = std::chrono::milliseconds::min();

    // A checked-out connection; nullptr only if !wait and the pool is exhausted.
    record* acquire_impl(bool wait, std::chrono::milliseconds timeout) {
        void* hinted = hint_cache[hint_way_];
        if (store_.owns(hinted)) {  // fast lane: the connection this thread parked last
            auto* r = static_cast<record*>(hinted);
            if (claim(r->state())) {
                if (inherited(r)) release_inherited(r);
                else if (checkout(r)) return handed_out(r, wait_started{});
            }
        }
        return acquire_slow(wait, timeout);
    }

    // When an acquire began to wait, for observers of events::Acquired; empty (no clock read)
    // when nobody listens or the connection came without waiting.
    struct wait_started {
        std::int64_t ns = 0;  // when the slow lane began (only when observed)
        bool queued = false;  // whether the caller waited in the queue
    };
    static constexpr bool times_acquires =
        observes<observer_policy, events::Acquired> || observes<observer_policy, events::AcquireTimedOut>;

    // Every lease, new connection or reused, passes here once.
    record* handed_out(record* r, wait_started waited) noexcept {
        if constexpr (CheckoutHook<recycle_policy, time_point>) recycle_.on_checkout(r->recycle, now());
        if constexpr (tracks_leases || observes<observer_policy, events::Acquired>) {
            const std::int64_t t = waited.ns != 0 || tracks_leases ? steady_ns() : 0;
            notify(observer_, events::Acquired{std::chrono::nanoseconds(waited.ns != 0 ? t - waited.ns : 0),
                                               waited.queued});
            if constexpr (tracks_leases) {
                r->observer.lease.started_ns.store(t, std::memory_order_relaxed);
                if constexpr (requires { observer_.lease_started(r->observer.state); })
                    observer_.lease_started(r->observer.state);
            }
        }
        return r;
    }

    record* acquire_slow(bool wait, std::chrono::milliseconds timeout) {
        if constexpr (detects_fork) detect_unhandled_fork();
        wait_started started{times_acquires ? steady_ns() : 0, false};
        // Read only when needed (connecting or waiting); min(): not read yet.
        steady::time_point deadline = steady::time_point::min();
        auto deadline_now = [&] {
            if (deadline == steady::time_point::min()) {
                if (timeout == use_option) timeout = options_.acquire_timeout;
                deadline = wait ? saturating_add(steady::now(), timeout) : never;
            }
            return deadline;
        };
        const report_on_exit reporter{*this};  // events of a forked child's first use, after unlocking
        std::unique_lock lock(mutex_);
        for (;;) {
            after_fork_locked();
            if (waiters_.load(std::memory_order_relaxed) & closed_bit) throw PoolClosed();
            record* r = claim_any_locked();
            if (r == nullptr) {
                if constexpr (maintains) {
                    // While connects keep failing, fail at once (the circuit breaker).
                    if (auto down = maint_.unavailable_locked(clock_now())) std::rethrow_exception(down);
                }
                if (connects_in_background()) {
                    // Wait for whichever comes first, a release or a new connection.
                    if (!wait) {
                        if constexpr (maintains) maint_.request_locked();
                        return nullptr;
                    }
                    wake_maintenance_locked();
                } else {
                    if (has_room_locked()) {
                        ++open_;
                        return handed_out(open_new(lock, deadline_now()), started);
                    }
                    if (!wait) return nullptr;
                }
                bool timed_out = false;
                started.queued = true;
                r = wait_locked(lock, deadline_now(), timed_out);
                if (timed_out) {
                    AcquireTimeout error(stats_locked(), timeout, timeout_detail_locked());  // deadline_now() set it
                    lock.unlock();
                    if constexpr (times_acquires)
                        notify(observer_, events::AcquireTimedOut{std::chrono::nanoseconds(steady_ns() - started.ns)});
                    throw error;
                }
                if (r == nullptr) return handed_out(open_new(lock, deadline), started);  // handed a free slot
            }
            lock.unlock();
            if (checkout(r)) return handed_out(r, started);
            lock.lock();
        }
    }

    // What AcquireTimeout adds: the last connect error while connects fail, the oldest lease.
    [[nodiscard]] std::string timeout_detail_locked() const {
        std::string detail;
        if constexpr (maintains) {
            if (auto failing = maint_.failing_locked()) detail += "; connects are failing: " + what_of(failing);
        }
        if constexpr (tracks_leases) {
            std::int64_t oldest = 0;
            for (std::size_t i = 0; i < store_.open_count(); ++i) {
                record* r = store_.open_at(i);
                if (is_parked(r->state().load(std::memory_order_relaxed))) continue;
                const std::int64_t started = r->observer.lease.started_ns.load(std::memory_order_relaxed);
                if (started != 0 && (oldest == 0 || started < oldest)) oldest = started;
            }
            if (oldest != 0)
                detail += "; the longest-held lease has been out for " +
                          std::to_string((steady_ns() - oldest) / 1'000'000) + " ms";
        }
        return detail;
    }

    // Queues the caller until a release hands it a connection (returned) or a freed slot
    // (nullptr; counted in open_, lock held), or the deadline passes (`timed_out`, lock held).
    record* wait_locked(std::unique_lock<adaptive_mutex>& lock, steady::time_point deadline, bool& timed_out) {
        waiter_type w;
        queue_.push(w);
        const std::size_t waiting = waiters_.fetch_add(1, std::memory_order_seq_cst) + 1;
        auto leave_unserved = [&] {  // nobody served us: serving needs the lock we hold
            queue_.remove(w);
            waiters_.fetch_sub(1, std::memory_order_relaxed);
        };
        // A connection parked before its releaser could see us is ours to take.
        if (record* r = claim_any_locked()) {
            leave_unserved();
            return r;
        }
        const auto queued_at = steady::now();
        lock.unlock();
        const bool fast = spin_until(w.served, spin_.budget(waiting & count_mask));
        lock.lock();
        // A release under way may have parked without seeing us (detail/asymmetric_fence.hpp).
        // Any later release serves us, so the heavy fence that makes such a park visible is
        // left for a waiter still unserved after four times the recent average wait (1 to
        // 50 ms), or at its deadline: most waits never pay for it (a fence interrupts every
        // CPU running this process), and the rare missed park costs one waiter that delay.
        bool fenced = false;
        const auto quiet_until = std::min(deadline, saturating_add(queued_at, unfenced_sleep()));
        while (!fast && !w.served.load(std::memory_order_relaxed)) {
            // After a failed heavy fence a release may have parked unseen: look every 1 ms.
            const bool rescan = (waiters_.load(std::memory_order_relaxed) & rescan_bit) != 0;
            auto until = fenced ? deadline : quiet_until;
            if (rescan) until = std::min(until, steady::now() + std::chrono::milliseconds(1));
            if (w.cv.wait_until(mutex_, until) || w.served.load(std::memory_order_relaxed)) continue;
            if (!fenced || rescan) {
                if (!fenced) {
                    fenced = true;
                    lock.unlock();
                    see_fast_lane_parks(waiting);
                    lock.lock();
                    if (w.served.load(std::memory_order_relaxed)) break;
                }
                if (record* r = claim_any_locked()) {
                    leave_unserved();
                    spin_.record(steady::now() - queued_at);
                    return r;
                }
            }
            if (steady::now() >= deadline) {
                leave_unserved();
                spin_.record(steady::now() - queued_at);
                timed_out = true;
                return nullptr;
            }
        }
        spin_.record(steady::now() - queued_at);
        if (w.failure) std::rethrow_exception(w.failure);
        return w.may_open ? nullptr : w.handed;
    }

    // Claims any parked record, most recently opened first; under mutex_ (fast-lane claims
    // race by CAS). O(open connections), never O(max_size).
    record* claim_any_locked() noexcept {
        for (std::size_t i = store_.open_count(); i-- > 0;) {
            record* r = store_.open_at(i);
            if (claim_any_parked(r->state())) return r;
        }
        return nullptr;
    }

    // A new connection may be opened: below max_size, and a storage slot is free (a forked
    // child may still hold slots of leases inherited from its parent).
    [[nodiscard]] bool has_room_locked() const noexcept {
        if constexpr (detects_fork) return open_ < options_.max_size && open_ + inherited_busy_ < 2 * options_.max_size;
        else return open_ < options_.max_size;
    }

    [[nodiscard]] bool closed_locked() const noexcept { return (waiters_.load(std::memory_order_relaxed) & closed_bit) != 0; }

    // After raising waiters_ (a waiter, slow_bit, closed_bit), before scanning for parked
    // records: the heavy half of the release handshake (detail/asymmetric_fence.hpp). A
    // failed fence (never seen after registration) switches this pool to seq_cst releases;
    // a release under way may then still park unseen, so waiters rescan (rescan_bit).
    void see_fast_lane_parks(std::size_t before) noexcept {
        if (before & strong_bit) return;  // releases park with seq_cst: nothing to do
        if (!asymmetric_fence::heavy()) [[unlikely]]
            waiters_.fetch_or(strong_bit | rescan_bit, std::memory_order_seq_cst);
    }

    [[nodiscard]] std::size_t waiting_locked() const noexcept {
        return waiters_.load(std::memory_order_relaxed) & count_mask;
    }

    [[nodiscard]] std::size_t idle_count_locked() const noexcept {
        std::size_t idle = 0;
        for (std::size_t i = 0; i < store_.open_count(); ++i)
            idle += is_parked(store_.open_at(i)->state().load(std::memory_order_relaxed)) ? 1 : 0;
        return idle;
    }

    // Claims every parked connection and takes it out of the open list's reach.
    std::vector<record*> claim_all_idle_locked() {
        std::vector<record*> idle;
        for (std::size_t i = store_.open_count(); i-- > 0;) {
            record* r = store_.open_at(i);
            if (claim_any_parked(r->state())) idle.push_back(r);
        }
        return idle;
    }

    [[nodiscard]] bool inherited(const record* r) const noexcept {
        if constexpr (detects_fork) return r->fork.generation != fork_policy_.generation();
        else return false;
    }

    // Opens a connection in a slot already counted in open_, on the calling thread. Unlocks
    // `lock`. On failure the slot is given up (a waiter may use it) and the driver's
    // exception propagates.
    record* open_new(std::unique_lock<adaptive_mutex>& lock, steady::time_point deadline) {
        void* memory = store_.take_locked();
        const std::uint64_t epoch = store_.invalidations_locked();
        lock.unlock();
        record* r;
        try {
            r = construct_record(memory, deadline, false);
        } catch (...) {
            std::lock_guard relock(mutex_);
            store_.give_back_locked(memory);  // never became a record
            slot_freed_locked();
            throw;
        }
        std::lock_guard relock(mutex_);
        publish_locked(r, epoch);
        return r;
    }

    // For maintenance: counts a new connection in open_ and reserves its slot.
    void* reserve_locked() noexcept {
        ++open_;
        return store_.take_locked();
    }
    // For maintenance: a connect failed; the slot is free again (no waiter is handed it: the
    // maintenance connects for waiters itself).
    void unreserve_locked(void* memory) noexcept {
        store_.give_back_locked(memory);
        --open_;
    }
    // For maintenance: opens a connection into a reserved slot (outside the lock) and
    // publishes it; returns it busy. Throws what the driver threw.
    record* connect_into(void* memory) {
        std::unique_lock lock(mutex_);
        const std::uint64_t epoch = store_.invalidations_locked();
        lock.unlock();
        record* r = construct_record(memory, never, true);
        lock.lock();
        publish_locked(r, epoch);
        return r;
    }

    connection_type connect_until(steady::time_point deadline, std::size_t& host) {
        if constexpr (multi_host) {
            return connect_to_a_host(deadline, host);
        } else {
            (void)host;
            if constexpr (TimedConnect<D>) {
                if (deadline != never) return driver_.connect(time_left(deadline, steady::now()));
            }
            return driver_.connect();
        }
    }

    // The host policy picks a host; one that fails is marked down (its connections retired
    // when it just went down) and the next is tried, until one answers, every host failed
    // (AllHostsFailed, naming each error) or the deadline passed (the last error).
    connection_type connect_to_a_host(steady::time_point deadline, std::size_t& host) {
        std::uint64_t tried = 0;
        std::vector<std::string> errors;
        std::exception_ptr last;
        for (;;) {
            const std::size_t h = host_.choose(clock_now(), tried);
            if (h == host_policy::npos) throw AllHostsFailed(errors, last);
            tried |= std::uint64_t{1} << h;
            try {
                connection_type c = driver_.connect_to(
                    h, deadline == never ? std::chrono::milliseconds::max() : time_left(deadline, steady::now()));
                host = h;
                return c;
            } catch (...) {
                last = std::current_exception();
                errors.push_back(what_of(last));
            }
            if (host_.connect_failed(h, clock_now())) retire_host(h);
            if (deadline != never && steady::now() >= deadline) std::rethrow_exception(last);
        }
    }

    // Retires the open connections `chosen` picks (all of them: invalidate(); one host's): the
    // idle ones are closed now, the leased ones when they come back (releases take the lock
    // while any is doomed), connects under way when they finish (if `count` bumps the epoch).
    template <class Chosen>
    void retire_open(Chosen chosen, bool count) {
        std::vector<record*> idle;
        {
            std::lock_guard lock(mutex_);
            after_fork_locked();
            if (count) store_.count_invalidation_locked();
            see_fast_lane_parks(waiters_.fetch_or(slow_bit, std::memory_order_seq_cst));
            for (std::size_t i = store_.open_count(); i-- > 0;) {
                record* r = store_.open_at(i);
                if (!chosen(std::as_const(r))) continue;
                if (claim_any_parked(r->state())) idle.push_back(r);
                store_.doom_locked(r);
            }
            if (store_.doomed_count_locked() == 0 && !closed_locked())
                waiters_.fetch_and(~slow_bit, std::memory_order_relaxed);  // nothing leased to doom
        }
        report_inherited();
        for (record* r : idle) close_record(r, CloseReason::invalidated);
    }

    // A host failed (a connect, or a connection given back broken): its connections are
    // retired; the other hosts' are left alone.
    void retire_host(std::size_t h) noexcept {
        try {
            retire_open([&](const record* r) { return host_.host_of(r->host) == h; }, false);
        } catch (...) {  // no memory for the list: the connections fail validation or on use instead
        }
    }

    // Closes a connection that failed a check or broke in use. A multi-host pool asks its
    // host policy whether the host is to blame (gone, frozen; Galera: not ready): then that
    // host's other connections are retired too.
    void close_failed(record* r, CloseReason reason, time_point t) noexcept {
        if constexpr (multi_host) {
            if (host_.broken(std::as_const(r->host), t)) {
                const std::size_t h = host_.host_of(std::as_const(r->host));
                close_record(r, reason);
                retire_host(h);
                return;
            }
        }
        (void)t;
        close_record(r, reason);
    }

    // For maintenance: the host policy wants this connection on another host.
    [[nodiscard]] bool host_move_due(const record* r, time_point t) const noexcept {
        if constexpr (multi_host) return host_.retire(r->host, t);
        else return false;
    }

    // A policy wants this connection gone: retired by the recycle policy, or moved by the
    // host policy (failback, rebalancing).
    [[nodiscard]] bool retirement_due(const record* r, time_point t) const noexcept {
        return recycle_.expired(r->recycle, t) || host_move_due(r, t);
    }

    // Connects into reserved memory, outside the lock, and sets the session up; the record is
    // busy, not yet listed. A failed connect or setup leaves nothing behind and throws.
    record* construct_record(void* memory, steady::time_point deadline, bool in_background) {
        constexpr bool timed = observes<observer_policy, events::ConnectionOpened> ||
                               observes<observer_policy, events::ConnectFailed>;
        const std::int64_t t0 = timed ? steady_ns() : 0;
        record* r = nullptr;
        std::size_t host = 0;
        try {
            r = ::new (memory) record(connect_until(deadline, host));
            if constexpr (setup_policy::active) {
                try {
                    setup_.setup(driver_, r->connection);
                } catch (...) {
                    driver_.close(r->connection);
                    r->~record();
                    throw;
                }
            }
        } catch (...) {
            if constexpr (timed)
                notify(observer_, events::ConnectFailed{std::current_exception(),
                                                        std::chrono::nanoseconds(steady_ns() - t0), in_background});
            throw;
        }
        if constexpr (timed)
            notify(observer_, events::ConnectionOpened{std::chrono::nanoseconds(steady_ns() - t0), in_background});
        r->state().store(record_busy, std::memory_order_relaxed);  // published under the lock later
        const time_point t = now();
        if constexpr (multi_host) host_.connected(r->host, host, t);
        recycle_.on_connect(r->recycle, t);
        validation_.on_connect(r->validation, t);
        if constexpr (TieredValidationPolicy<validation_policy, time_point> && IdleLimitDriver<D>) {
            std::chrono::milliseconds limit{0};
            try {
                limit = driver_.idle_limit(r->connection);
            } catch (...) {  // unknown: the other tiers still apply
            }
            validation_.on_idle_limit(r->validation, limit);
        }
        if constexpr (maintains) {
            r->maintenance.idle_since = r->maintenance.last_contact = clock_now();
            r->maintenance.serial = maint_.next_serial();
        }
        if constexpr (detects_fork) r->fork.generation = fork_policy_.generation();
        return r;
    }

    // Lists a new connection as open. Doomed if invalidate() ran while it was being opened.
    void publish_locked(record* r, std::uint64_t epoch) noexcept {
        store_.add_open_locked(r);
        if (epoch != store_.invalidations_locked()) {
            store_.doom_locked(r);
            waiters_.fetch_or(slow_bit, std::memory_order_seq_cst);
        }
    }

    // A slot was given up (connection closed, connect failed): the oldest waiter may open a
    // connection in it, or, with maintenance, the maintenance opens one for it.
    void slot_freed_locked() noexcept {
        if (connects_in_background()) {
            --open_;
            wake_maintenance_locked();
        } else if (!queue_.empty()) {
            waiters_.fetch_sub(1, std::memory_order_relaxed);
            waiter_queue<waiter_type>::serve(*queue_.pop(), [](waiter_type& w) { w.may_open = true; });
        } else {
            --open_;
        }
    }

    // Every waiter fails with `error` (pool closed, database unavailable).
    void fail_waiters_locked(const std::exception_ptr& error) noexcept {
        while (!queue_.empty()) {
            waiters_.fetch_sub(1, std::memory_order_relaxed);
            waiter_queue<waiter_type>::serve(*queue_.pop(), [&](waiter_type& w) { w.failure = error; });
        }
    }

    // A reused connection: false if a policy retired it (it is closed and its slot freed).
    bool checkout(record* r) {
        const time_point t = now();
        if (retirement_due(r, t)) {
            close_record(r, CloseReason::expired);
            return false;
        }
        if constexpr (PipelinedResetPolicy<reset_policy, D, time_point>) {
            if (reset_.pending(std::as_const(r->reset))) {  // the server answers: nothing to validate
                CloseReason failed = CloseReason::failed_reset;
                if (!finish_reset(r) || failed_setup_after_reset(r, failed)) {
                    close_record(r, failed);
                    return false;
                }
                return true;
            }
        }
        if (!validate(r, t)) {
            close_failed(r, CloseReason::failed_validation, t);
            return false;
        }
        return true;
    }

    // After a reset that cleared the session: the setup again. True if it failed (`reason` set).
    bool failed_setup_after_reset(record* r, CloseReason& reason) noexcept {
        if constexpr (setup_policy::active && resets_session<reset_policy>) {
            try {
                setup_.setup(driver_, r->connection);
            } catch (...) {
                reason = CloseReason::failed_setup;
                return true;
            }
        }
        (void)r;
        (void)reason;
        return false;
    }

    // The validation policy's verdict, with the cheapest check that answers it.
    bool validate(record* r, time_point t) {
        if constexpr (TieredValidationPolicy<validation_policy, time_point>) {
            switch (validation_.decide(std::as_const(r->validation), t)) {
            case ValidationStep::none: return true;
            case ValidationStep::discard: return validated(ValidationStep::discard, false);  // past the server's limit
            case ValidationStep::socket:
                if constexpr (SocketCheckDriver<D>) {
                    const SocketState s = driver_.socket_state(r->connection);
                    if (s != SocketState::unsure) return validated(ValidationStep::socket, s == SocketState::open);
                }
                [[fallthrough]];
            case ValidationStep::ping: return validated(ValidationStep::ping, ping_claimed(r));
            }
            return false;
        } else {
            return !validation_.needs_ping(std::as_const(r->validation), t) ||
                   validated(ValidationStep::ping, ping_claimed(r));
        }
    }

    bool validated(ValidationStep check, bool passed) noexcept {
        notify(observer_, events::Validated{check, passed});
        return passed;
    }

    // Completes a pipelined reset; false if it failed (or threw).
    bool finish_reset(record* r) noexcept {
        if constexpr (PipelinedResetPolicy<reset_policy, D, time_point>) {
            try {
                return reset_.on_checkout(driver_, r->connection, r->reset);
            } catch (...) {
                return false;
            }
        } else {
            (void)r;
            return true;
        }
    }

    void on_use(record& r) noexcept { reset_.on_use(r.reset); }

    void release(record* r, bool discard) noexcept {
        if (inherited(r)) [[unlikely]] {
            release_inherited(r);
            return;
        }
        if constexpr (tracks_leases) lease_ended(r);
        CloseReason reason = discard ? CloseReason::discarded : CloseReason::broken;
        bool reuse = !discard && !driver_.is_broken(r->connection);
        if constexpr (!std::is_same_v<reset_policy, NoReset>) {
            if (reuse) {
                reason = CloseReason::failed_reset;
                try {
                    reuse = reset_.on_return(driver_, r->connection, r->reset);
                } catch (...) {
                    reuse = false;
                }
                if constexpr (setup_policy::active && resets_session<reset_policy>) {
                    // A synchronous reset is complete here: set the session up again (a pipelined
                    // one is completed, and set up, by the next checkout).
                    bool pending = false;
                    if constexpr (PipelinedResetPolicy<reset_policy, D, time_point>)
                        pending = reset_.pending(std::as_const(r->reset));
                    if (reuse && !pending && failed_setup_after_reset(r, reason)) reuse = false;
                }
            }
        }
        const time_point t = now();
        if (reuse && retirement_due(r, t)) {
            reuse = false;
            reason = CloseReason::expired;
        }
        if (!reuse) {
            if (reason == CloseReason::broken) close_failed(r, reason, t);  // its host may be gone
            else close_record(r, reason);
            return;
        }
        validation_.on_release(r->validation, t);
        const std::size_t w = waiters_.load(std::memory_order_relaxed);
        if (w == 0) [[likely]] {  // fast lane: park it
            r->state().store(record_idle, std::memory_order_release);
            hint_cache[hint_way_] = r;
            asymmetric_fence::light();  // a waiter's heavy fence orders the park before this load
            if (waiters_.load(std::memory_order_relaxed) == 0) return;
            if (!claim(r->state())) return;  // a waiter (or anyone) already took it
        } else if (w == strong_bit && park_seq_cst(r)) {
            return;
        }
        give_or_close(r, record_idle);
    }

    // The fast lane's park where membarrier(2) is unavailable: the same handshake with
    // seq_cst on this side. True if done; false if a waiter must be served (lock).
    [[gnu::noinline]] bool park_seq_cst(record* r) noexcept {
        r->state().store(record_idle, std::memory_order_seq_cst);
        hint_cache[hint_way_] = r;
        return waiters_.load(std::memory_order_seq_cst) == strong_bit || !claim(r->state());
    }

    // A lease ends: the time held, to the observer.
    void lease_ended(record* r) noexcept {
        if constexpr (tracks_leases) {
            const std::int64_t started = r->observer.lease.started_ns.exchange(0, std::memory_order_relaxed);
            const auto held = std::chrono::nanoseconds(started != 0 ? steady_ns() - started : 0);
            if constexpr (requires { observer_.lease_ended(r->observer.state, held); })
                observer_.lease_ended(r->observer.state, held);
            notify(observer_, events::Released{held});
        }
    }

    // Slow release: under the lock, to a waiter, parked, or closed (pool closed, invalidated).
    [[gnu::noinline]] void give_or_close(record* r, std::uint32_t parked_as) noexcept {
        std::unique_lock lock(mutex_);
        if (!give_locked(r, parked_as)) {
            const CloseReason why = refused_locked();
            lock.unlock();
            close_record(r, why);
        }
    }

    // Why give_locked() refused a connection: the pool is closed, or invalidate() doomed it.
    [[nodiscard]] CloseReason refused_locked() const noexcept {
        return closed_locked() ? CloseReason::pool_closed : CloseReason::invalidated;
    }

    // An idle connection goes to the oldest waiter, or is parked (as `parked_as`: maintenance
    // parks record_idle_marked). False if it must be closed instead: the pool is closed, or
    // invalidate() doomed it.
    [[nodiscard]] bool give_locked(record* r, std::uint32_t parked_as = record_idle) noexcept {
        if (waiters_.load(std::memory_order_relaxed) & (slow_bit | closed_bit)) [[unlikely]] {
            if (waiters_.load(std::memory_order_relaxed) & closed_bit) return false;
            if (store_.undoom_locked(r)) {
                if (store_.doomed_count_locked() == 0) waiters_.fetch_and(~slow_bit, std::memory_order_seq_cst);
                return false;
            }
        }
        if (!queue_.empty()) [[unlikely]] {
            waiters_.fetch_sub(1, std::memory_order_relaxed);
            waiter_queue<waiter_type>::serve(*queue_.pop(), [r](waiter_type& w) { w.handed = r; });
            return true;
        }
        r->state().store(parked_as, std::memory_order_seq_cst);
        return true;
    }

    // For maintenance: an idle connection it has looked at goes back (or to a waiter); false
    // if it must be closed instead.
    [[nodiscard]] bool park_marked_locked(record* r) noexcept { return give_locked(r, record_idle_marked); }

    // For maintenance: a claimed connection passes a ping (no policy decides here).
    bool ping_claimed(record* r) noexcept {
        try {
            return driver_.ping(r->connection, options_.ping_timeout);
        } catch (...) {
            return false;
        }
    }

    // For maintenance: the idle time after which the server drops this connection, less a
    // margin, if the validation policy learned it (TieredValidation); zero if unknown.
    [[nodiscard]] std::chrono::milliseconds server_idle_limit(const record* r) const noexcept {
        if constexpr (requires { r->validation.idle_limit_ms; })
            return std::chrono::milliseconds(r->validation.idle_limit_ms);
        else
            return std::chrono::milliseconds(0);
    }
    // For maintenance: a keepalive ping succeeded; for validation the connection has just
    // been in touch with the server, as after a release.
    void server_answered(record* r) noexcept { validation_.on_release(r->validation, now()); }

    // For maintenance: a lease still out, to observers that watch leases (under the lock).
    void observer_lease_check(record* r, std::chrono::nanoseconds held) noexcept {
        if constexpr (tracks_leases && requires { observer_.lease_check(r->observer.state, held); })
            observer_.lease_check(r->observer.state, held);
    }
    // For maintenance: what observers queued under the lock, delivered after it.
    void observer_flush() noexcept {
        if constexpr (requires { observer_.flush(); }) observer_.flush();
    }

    // For maintenance: closes a claimed connection.
    void retire(record* r, CloseReason reason) noexcept { close_record(r, reason); }

    [[gnu::noinline]] void close_record(record* r, CloseReason reason) noexcept {
        notify(observer_, events::ConnectionClosed{reason});
        driver_.close(r->connection);
        std::lock_guard lock(mutex_);
        store_.remove_open_locked(r);
        free_record_locked(r);
        slot_freed_locked();
        if (store_.doomed_count_locked() == 0 && (waiters_.load(std::memory_order_relaxed) & closed_bit) == 0)
            waiters_.fetch_and(~slow_bit, std::memory_order_seq_cst);
    }

    // Destroys a record (no longer in the open list) and frees its slot.
    void free_record_locked(record* r) noexcept {
        if constexpr (multi_host) host_.closed(std::as_const(r->host));
        r->~record();
        store_.give_back_locked(r);
    }

    // A lease taken before fork() and released in the child: its connection is the
    // parent's. Not counted in the child's open_ (after_fork_locked reset it).
    void release_inherited(record* r) noexcept {
        fork_policy_.dispose_inherited(driver_, r->connection);  // no I/O
        {
            std::lock_guard lock(mutex_);
            after_fork_locked();
            if constexpr (detects_fork) --inherited_busy_;
            free_record_locked(r);
        }
        notify(observer_, events::ConnectionClosed{CloseReason::inherited});
        report_inherited();
    }

    // Inherited connections abandoned under the lock are reported after it is released.
    static constexpr bool reports_closes = observes<observer_policy, events::ConnectionClosed>;
    void report_inherited() noexcept {
        if constexpr (reports_closes && detects_fork) {
            for (std::size_t n = inherited_to_report_.exchange(0, std::memory_order_relaxed); n > 0; --n)
                notify(observer_, events::ConnectionClosed{CloseReason::inherited});
        }
    }
    struct report_on_exit {
        basic_pool& pool;
        ~report_on_exit() { pool.report_inherited(); }
    };

    [[nodiscard]] bool forked_locked() const noexcept {
        if constexpr (detects_fork) return fork_.generation != fork_policy_.generation();
        else return false;
    }

    // First use of the pool in a child process: every idle connection belongs to the
    // parent. Dispose of them (no I/O, so under the lock) and forget leases held by threads
    // that do not exist here; the child opens its own connections.
    void after_fork_locked() noexcept {
        if constexpr (detects_fork) {
            if (!forked_locked()) [[likely]] return;
            fork_.generation = fork_policy_.generation();
            for (std::size_t i = 0; i < store_.open_count(); ++i) {
                record* r = store_.open_at(i);
                if (claim_any_parked(r->state())) {  // idle in the parent
                    fork_policy_.dispose_inherited(driver_, r->connection);
                    free_record_locked(r);
                    if constexpr (reports_closes) inherited_to_report_.fetch_add(1, std::memory_order_relaxed);
                } else {  // leased in the parent: disposed of if released here (release_inherited)
                    ++inherited_busy_;
                }
            }
            store_.clear_open_locked();
            open_ = 0;
            queue_.clear();  // a child made without fork() skipped after_fork_in_child
            waiters_.fetch_and(~count_mask, std::memory_order_relaxed);
            if constexpr (maintains) maint_.after_fork_locked(*this);
        }
    }

    // pthread_atfork child handler: only the forking thread exists now. It holds mutex_
    // (taken in prepare); the queued waiters were other threads of the parent. Every
    // inherited socket is detached (async-signal-safe), so the child cannot keep the
    // parent's sessions open on the server after the parent exits.
    void after_fork_in_child() noexcept {
        if constexpr (DetachableDriver<D> && detects_fork) {
            for (std::size_t i = 0; i < store_.open_count(); ++i) driver_.detach(store_.open_at(i)->connection);
        }
        queue_.clear();
        waiters_.fetch_and(~count_mask, std::memory_order_relaxed);
        if constexpr (maintains) maint_.reset_in_child();
        mutex_.unlock();
    }

    [[nodiscard]] PoolStats stats_locked() const noexcept {
        const std::size_t idle = idle_count_locked();
        return PoolStats{options_.max_size, open_, idle, open_ - idle, waiting_locked()};
    }

    void shutdown() noexcept {
        if constexpr (joins_fork_handlers) {
            if (fork_.participant.self != nullptr) {
                fork_registry::instance().remove(fork_.participant);
                fork_.participant.self = nullptr;
            }
        }
        if constexpr (detects_fork) detect_unhandled_fork();
        try {
            (void)close();
        } catch (...) {  // only std::bad_alloc could get here; leases are checked below anyway
        }
        std::lock_guard lock(mutex_);
        if (open_ != 0) leases_outlive_pool(open_);
    }

    D driver_;
    PoolOptions options_;
    [[no_unique_address]] recycle_policy recycle_;
    [[no_unique_address]] validation_policy validation_;
    [[no_unique_address]] fork_policy fork_policy_;
    [[no_unique_address]] reset_policy reset_;
    record_store<record> store_;
    std::uint32_t hint_way_;
    mutable adaptive_mutex mutex_;
    waiter_queue<waiter_type> queue_;
    std::size_t open_ = 0;
    std::atomic<std::size_t> waiters_{0};
    spin_tuner spin_;
    [[no_unique_address]] maintenance_engine maint_;
    [[no_unique_address]] observer_policy observer_;
    [[no_unique_address]] setup_policy setup_;
    [[no_unique_address]] host_policy host_;
    [[no_unique_address]] std::conditional_t<reports_closes && detects_fork, std::atomic<std::size_t>,
                                             no_state<observer_policy>> inherited_to_report_{};
    [[no_unique_address]] fork_link<joins_fork_handlers> fork_;
    [[no_unique_address]] std::conditional_t<detects_fork, std::size_t, no_state<long>> inherited_busy_{};
};

} // namespace lifeguard::detail

#endif
