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
//              force_slow while every release must take the lock (pool closed)
// Release and wait meet Dekker-style: a releaser parks, *then* reads waiters_; a waiter
// raises waiters_, *then* scans for parked records (all seq_cst). So either the waiter
// finds the connection or the releaser sees the waiter, takes the connection back and
// hands it over under the lock: a thread that releases and re-acquires in a loop cannot
// starve a waiter (first come, first served), and no wake-up is lost.
// Driver I/O (connect, ping, close, reset) always runs outside mutex_.
#ifndef LIFEGUARD_DETAIL_BASIC_POOL_HPP
#define LIFEGUARD_DETAIL_BASIC_POOL_HPP

#include <lifeguard/detail/config.hpp>
#include <lifeguard/detail/connection_state.hpp>
#include <lifeguard/detail/deadline.hpp>
#include <lifeguard/detail/fork_registry.hpp>
#include <lifeguard/detail/lock.hpp>
#include <lifeguard/detail/record.hpp>
#include <lifeguard/detail/record_store.hpp>
#include <lifeguard/detail/spin.hpp>
#include <lifeguard/detail/waiter_queue.hpp>
#include <lifeguard/driver_capabilities.hpp>
#include <lifeguard/errors.hpp>
#include <lifeguard/lease.hpp>
#include <lifeguard/pool_options.hpp>

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
#include <utility>

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

public:
    using driver_type = D;
    using connection_type = typename D::connection_type;
    using clock = typename Config::clock;
    using time_point = typename clock::time_point;
    using lease_type = Lease<basic_pool>;

    static constexpr bool detects_fork = fork_policy::detects_fork;
    static constexpr bool uses_clock = recycle_policy::uses_clock || validation_policy::uses_clock;

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
          hint_way_(next_hint_way.fetch_add(1, std::memory_order_relaxed) % hint_ways) {
        // Checked (with a sentence) inside; not asserted again here: one mistake, one error.
        [[maybe_unused]] constexpr bool values_ok = check_constructor_values<Config, Values...>();
        if constexpr (detects_fork) {
            fork_.generation = fork_policy_.generation();
            fork_.participant.self = this;
            fork_.participant.prepare = [](void* p) noexcept { static_cast<basic_pool*>(p)->mutex_.lock(); };
            fork_.participant.parent = [](void* p) noexcept { static_cast<basic_pool*>(p)->mutex_.unlock(); };
            fork_.participant.child = [](void* p) noexcept { static_cast<basic_pool*>(p)->after_fork_in_child(); };
            fork_registry::instance().add(fork_.participant);
        }
        try {
            for (std::size_t i = 0; i < options_.min_idle; ++i) {
                std::unique_lock lock(mutex_);
                ++open_;
                record* r = open_new(lock, never);
                lock.lock();
                give_locked(r);
            }
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
        std::lock_guard lock(mutex_);
        self->after_fork_locked();
        return stats_locked();
    }

    [[nodiscard]] const PoolOptions& options() const noexcept { return options_; }
    [[nodiscard]] D& driver() noexcept { return driver_; }
    [[nodiscard]] const D& driver() const noexcept { return driver_; }

private:
    friend lease_type;
    friend struct pool_access;  // tests

    using record = detail::record<connection_type, connection_state_t<recycle_policy, time_point>,
                                  connection_state_t<validation_policy, time_point>,
                                  connection_state_t<reset_policy, time_point>, no_state<void>,
                                  no_state<int>, detects_fork>;
    using waiter_type = waiter<record>;
    using steady = std::chrono::steady_clock;
    static_assert(alignof(record) <= alignof(void*), "lifeguard: a policy's connection_state needs more "
                                                     "alignment than a pointer; reduce its alignment");

    static constexpr steady::time_point never = steady::time_point::max();
    // waiters_ bit that sends every release through the lock (see release()).
    static constexpr std::size_t force_slow = std::size_t{1} << (sizeof(std::size_t) * 8 - 2);

    // A child may hold up to max_size leases inherited from its parent (never released if
    // their threads were the parent's) and still open max_size of its own.
    static std::size_t storage_slots(std::size_t max_size) noexcept {
        return detects_fork ? 2 * max_size : max_size;
    }

    [[nodiscard]] static time_point now() noexcept {
        if constexpr (uses_clock) return clock::now();
        else return time_point{};
    }

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
                else if (checkout(r)) return handed_out(r);
            }
        }
        return acquire_slow(wait, timeout);
    }

    // Every lease, new connection or reused, passes here once.
    record* handed_out(record* r) noexcept {
        if constexpr (CheckoutHook<recycle_policy, time_point>) recycle_.on_checkout(r->recycle, now());
        return r;
    }

    record* acquire_slow(bool wait, std::chrono::milliseconds timeout) {
        if constexpr (detects_fork) detect_unhandled_fork();
        // Read only when needed: connecting or waiting.
        steady::time_point deadline{};
        bool have_deadline = false;
        auto deadline_now = [&] {
            if (!have_deadline) {
                if (!wait) {
                    deadline = never;
                } else {
                    if (timeout == use_option) timeout = options_.acquire_timeout;
                    deadline = saturating_add(steady::now(), timeout);
                }
                have_deadline = true;
            }
            return deadline;
        };
        std::unique_lock lock(mutex_);
        for (;;) {
            after_fork_locked();
            record* r = claim_any_locked();
            if (r == nullptr) {
                if (open_ < options_.max_size && store_has_room_locked()) {
                    ++open_;
                    return handed_out(open_new(lock, deadline_now()));
                }
                if (!wait) return nullptr;
                r = wait_locked(lock, deadline_now(), timeout);
                if (r == nullptr) return handed_out(open_new(lock, deadline));  // handed a free slot
            }
            lock.unlock();
            if (checkout(r)) return handed_out(r);
            lock.lock();
        }
    }

    // Queues the caller until a release hands it a connection (returned) or a freed slot
    // (nullptr; counted in open_, lock held), or the deadline passes (AcquireTimeout).
    record* wait_locked(std::unique_lock<adaptive_mutex>& lock, steady::time_point deadline,
                        std::chrono::milliseconds timeout) {
        waiter_type w;
        queue_.push(w);
        const std::size_t waiting = waiters_.fetch_add(1, std::memory_order_seq_cst) + 1;
        // A connection parked before its releaser could see us is ours to take.
        if (record* r = claim_any_locked()) {
            queue_.remove(w);  // nobody served us: serving needs the lock we hold
            waiters_.fetch_sub(1, std::memory_order_relaxed);
            return r;
        }
        const auto queued_at = steady::now();
        lock.unlock();
        const bool fast = spin_until(w.served, spin_.budget(waiting & (force_slow - 1)));
        lock.lock();
        if (!fast) {
            while (!w.served.load(std::memory_order_relaxed)) {
                if (!w.cv.wait_until(mutex_, deadline) && !w.served.load(std::memory_order_relaxed)) {
                    queue_.remove(w);
                    waiters_.fetch_sub(1, std::memory_order_relaxed);
                    spin_.record(steady::now() - queued_at);
                    throw AcquireTimeout(stats_locked(), timeout == use_option ? options_.acquire_timeout : timeout);
                }
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

    [[nodiscard]] bool store_has_room_locked() const noexcept {
        if constexpr (detects_fork) return open_ + inherited_busy_ < 2 * options_.max_size;
        else return true;
    }

    [[nodiscard]] bool inherited(const record* r) const noexcept {
        if constexpr (detects_fork) return r->fork.generation != fork_policy_.generation();
        else return false;
    }

    // Opens a connection in a slot already counted in open_. Unlocks `lock`.
    record* open_new(std::unique_lock<adaptive_mutex>& lock, steady::time_point deadline) {
        void* memory = store_.take_locked();
        lock.unlock();
        return open_record(memory, deadline);
    }

    connection_type connect_until(steady::time_point deadline) {
        if constexpr (TimedConnect<D>) {
            if (deadline != never) return driver_.connect(time_left(deadline, steady::now()));
        }
        return driver_.connect();
    }

    // Opens a connection into reserved memory outside the lock. On failure the slot is
    // returned (a waiter may use it) and the driver's exception propagates.
    record* open_record(void* memory, steady::time_point deadline) {
        record* r;
        try {
            r = ::new (memory) record(connect_until(deadline));
        } catch (...) {
            std::lock_guard lock(mutex_);
            store_.give_back_locked(memory);  // never became a record
            slot_freed_locked();
            throw;
        }
        r->state().store(record_busy, std::memory_order_relaxed);  // published under the lock below
        const time_point t = now();
        recycle_.on_connect(r->recycle, t);
        validation_.on_connect(r->validation, t);
        if constexpr (detects_fork) r->fork.generation = fork_policy_.generation();
        std::lock_guard lock(mutex_);
        store_.add_open_locked(r);
        return r;
    }

    // A slot was given up (connection closed, connect failed): the oldest waiter may
    // open a connection in it.
    void slot_freed_locked() noexcept {
        if (!queue_.empty()) {
            waiters_.fetch_sub(1, std::memory_order_relaxed);
            waiter_queue<waiter_type>::serve(*queue_.pop(), [](waiter_type& w) { w.may_open = true; });
        } else {
            --open_;
        }
    }

    // A reused connection: false if a policy retired it (it is closed and its slot freed).
    bool checkout(record* r) {
        const time_point t = now();
        bool ok = !recycle_.expired(r->recycle, t);
        if (ok && validation_.needs_ping(std::as_const(r->validation), t)) {
            try {
                ok = driver_.ping(r->connection, options_.ping_timeout);
            } catch (...) {
                ok = false;  // a driver that throws from ping reports a dead connection
            }
        }
        if (!ok) close_record(r);
        return ok;
    }

    void on_use(record& r) noexcept { reset_.on_use(r.reset); }

    void release(record* r, bool discard) noexcept {
        if (inherited(r)) [[unlikely]] {
            release_inherited(r);
            return;
        }
        bool reuse = !discard && !driver_.is_broken(r->connection);
        if constexpr (!std::is_same_v<reset_policy, NoReset>) {
            if (reuse) {
                try {
                    reuse = reset_.on_return(driver_, r->connection, r->reset);
                } catch (...) {
                    reuse = false;
                }
            }
        }
        const time_point t = now();
        if (reuse && recycle_.expired(std::as_const(r->recycle), t)) reuse = false;
        if (!reuse) {
            close_record(r);
            return;
        }
        validation_.on_release(r->validation, t);
        if (waiters_.load(std::memory_order_seq_cst) == 0) {  // fast lane: park it
            r->state().store(record_idle, std::memory_order_seq_cst);
            hint_cache[hint_way_] = r;
            if (waiters_.load(std::memory_order_seq_cst) == 0) return;
            if (!claim(r->state())) return;  // a waiter (or anyone) already took it
        }
        std::lock_guard lock(mutex_);
        give_locked(r);
    }

    // An idle connection goes to the oldest waiter, or is parked.
    void give_locked(record* r) noexcept {
        if (!queue_.empty()) [[unlikely]] {
            waiters_.fetch_sub(1, std::memory_order_relaxed);
            waiter_queue<waiter_type>::serve(*queue_.pop(), [r](waiter_type& w) { w.handed = r; });
            return;
        }
        r->state().store(record_idle, std::memory_order_seq_cst);
    }

    void close_record(record* r) noexcept {
        driver_.close(r->connection);
        std::lock_guard lock(mutex_);
        store_.remove_open_locked(r);
        free_record_locked(r);
        slot_freed_locked();
    }

    // Destroys a record (no longer in the open list) and frees its slot.
    void free_record_locked(record* r) noexcept {
        r->~record();
        store_.give_back_locked(r);
    }

    // A lease taken before fork() and released in the child: its connection is the
    // parent's. Not counted in the child's open_ (after_fork_locked reset it).
    void release_inherited(record* r) noexcept {
        fork_policy_.dispose_inherited(driver_, r->connection);  // no I/O
        std::lock_guard lock(mutex_);
        after_fork_locked();
        if constexpr (detects_fork) --inherited_busy_;
        free_record_locked(r);
    }

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
                } else {  // leased in the parent: disposed of if released here (release_inherited)
                    ++inherited_busy_;
                }
            }
            store_.clear_open_locked();
            open_ = 0;
            queue_.clear();  // a child made without fork() skipped after_fork_in_child
            waiters_.fetch_and(force_slow, std::memory_order_relaxed);
        }
    }

    // pthread_atfork child handler: only the forking thread exists now. It holds mutex_
    // (taken in prepare); the queued waiters were other threads of the parent. Every
    // inherited socket is detached (async-signal-safe), so the child cannot keep the
    // parent's sessions open on the server after the parent exits.
    void after_fork_in_child() noexcept {
        if constexpr (DetachableDriver<D>) {
            for (std::size_t i = 0; i < store_.open_count(); ++i) driver_.detach(store_.open_at(i)->connection);
        }
        queue_.clear();
        waiters_.fetch_and(force_slow, std::memory_order_relaxed);
        mutex_.unlock();
    }

    [[nodiscard]] PoolStats stats_locked() const noexcept {
        std::size_t idle = 0;
        for (std::size_t i = 0; i < store_.open_count(); ++i)
            idle += is_parked(store_.open_at(i)->state().load(std::memory_order_relaxed)) ? 1 : 0;
        return PoolStats{options_.max_size, open_, idle, open_ - idle,
                         waiters_.load(std::memory_order_relaxed) & (force_slow - 1)};
    }

    void shutdown() noexcept {
        if constexpr (detects_fork) {
            if (fork_.participant.self != nullptr) {
                fork_registry::instance().remove(fork_.participant);
                fork_.participant.self = nullptr;
            }
            detect_unhandled_fork();
        }
        std::unique_lock lock(mutex_);
        after_fork_locked();
        record* list = nullptr;
        for (std::size_t i = store_.open_count(); i-- > 0;) {
            record* r = store_.open_at(i);
            if (claim_any_parked(r->state())) {
                r->next = list;
                list = r;
            }
        }
        lock.unlock();
        while (list != nullptr) {
            record* next = list->next;
            close_record(list);
            list = next;
        }
        lock.lock();
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
    [[no_unique_address]] fork_link<detects_fork> fork_;
    [[no_unique_address]] std::conditional_t<detects_fork, std::size_t, no_state<long>> inherited_busy_{};
};

} // namespace lifeguard::detail

#endif
