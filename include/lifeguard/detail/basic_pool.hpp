// The pool itself, instantiated once per canonical policy configuration.
//
// Fast lane: an idle connection is *parked* (its record's state word is record_idle) and
// whoever claims it with one CAS owns it. A releasing thread parks its connection and
// remembers it in a thread-local hint; its next acquire claims it back without touching
// the lock or any shared cache line, so threads with their own connections scale.
//
// Slow lane, under mutex_: opening and closing connections, finding another thread's
// parked connection, and waiting. Invariants under mutex_:
//   open_    = connections counted against max_size: idle + leased + being opened
//   slots_   = every opened record (nullptr: a free entry); parked ones are the idle set
//   waiters_ = length of the FIFO waiter queue (also read without the lock)
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
#include <lifeguard/detail/fork_registry.hpp>
#include <lifeguard/detail/lock.hpp>
#include <lifeguard/detail/record.hpp>
#include <lifeguard/detail/sanitizer.hpp>
#include <lifeguard/errors.hpp>
#include <lifeguard/lease.hpp>
#include <lifeguard/pool_options.hpp>

#include <boost/pool/pool.hpp>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <cstddef>
#include <cstdint>
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

// A thread blocked in acquire(): lives on its stack, linked into the pool's FIFO queue.
// The thread that serves it pops it and fills in what it gets, under the pool's lock.
template <class Record>
struct waiter {
    waiter* next = nullptr;
    Record* handed = nullptr;         // a connection released to this waiter
    bool may_open = false;            // a free slot, already counted in open_, for this waiter
    std::atomic<bool> served{false};  // set (after the fields above) when it is popped
    monotonic_condition cv;
};

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
    /// @param policies values for the pool's policies (e.g. RecycleAfter{280s}), any order.
    template <class... Policies>
    explicit basic_pool(D driver, PoolOptions options, Policies&&... policies)
        : driver_(std::move(driver)), options_((options.validate(), options)),
          slots_(std::make_unique<record*[]>(options.max_size)),
          serial_(next_pool_serial.fetch_add(1, std::memory_order_relaxed)),
          records_(record_block_size<record>, options.max_size) {
        (assign_policy(std::forward<Policies>(policies)), ...);
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
                record* r = open_new(lock);
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

    /// Closes idle connections. Every lease must have been released (checked by assert).
    ~basic_pool() { shutdown(); }

    /// A connection, waiting up to options().acquire_timeout when all are in use.
    /// @throws AcquireTimeout, or the driver's exception if a new connection fails to open.
    [[nodiscard]] lease_type acquire() { return lease_type(this, acquire_impl(true, use_option)); }

    /// As acquire(), waiting up to `timeout`.
    [[nodiscard]] lease_type acquire(std::chrono::milliseconds timeout) {
        return lease_type(this, acquire_impl(true, timeout));
    }

    /// An idle connection, or a new one if fewer than max_size are open; empty if the pool
    /// is exhausted. Never waits for another thread to release a lease.
    [[nodiscard]] std::optional<lease_type> try_acquire() {
        if (record* r = acquire_impl(false, std::chrono::milliseconds(0))) return lease_type(this, r);
        return std::nullopt;
    }

    [[nodiscard]] PoolStats stats() const {
        std::lock_guard lock(mutex_);
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
                                  connection_state_t<reset_policy, time_point>, detects_fork>;
    using waiter_type = waiter<record>;
    // Records start on cache lines (cache_aligned_allocator, record_block_size); policy states
    // are kept to pointer alignment so a record stays compact.
    static_assert(alignof(record) <= alignof(void*), "lifeguard: a policy's connection_state needs more "
                                                     "alignment than a pointer; reduce its alignment");

    template <class P>
    void assign_policy(P&& value) {
        using T = std::remove_cvref_t<P>;
        if constexpr (std::is_same_v<T, recycle_policy>) recycle_ = std::forward<P>(value);
        else if constexpr (std::is_same_v<T, validation_policy>) validation_ = std::forward<P>(value);
        else if constexpr (std::is_same_v<T, fork_policy>) fork_policy_ = std::forward<P>(value);
        else if constexpr (std::is_same_v<T, reset_policy>) reset_ = std::forward<P>(value);
        else static_assert(always_false<T>, "lifeguard::ConnectionPool: a value passed to the constructor is "
                                            "not one of the policies in the pool's template arguments");
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
        if (hint.pool == serial_) {  // fast lane: the connection this thread parked last
            auto* r = static_cast<record*>(hint.record);
            if (claim(r->state())) {
                if (inherited(r)) release_inherited(r);
                else if (checkout(r)) return r;
            }
        }
        std::optional<std::chrono::steady_clock::time_point> deadline;  // read only if we must wait
        std::unique_lock lock(mutex_);
        for (;;) {
            after_fork_locked();
            record* r = claim_any_locked();
            if (r == nullptr) {
                if (open_ < options_.max_size) {
                    ++open_;
                    return open_new(lock);
                }
                if (!wait) return nullptr;
                if (timeout == use_option) timeout = options_.acquire_timeout;
                if (!deadline) deadline = std::chrono::steady_clock::now() + timeout;
                waiter_type w;
                enqueue_locked(w);
                // A connection parked before its releaser could see us is ours to take.
                r = claim_any_locked();
                if (r != nullptr) {
                    dequeue_locked(w);  // nobody served us: serving needs the lock we hold
                } else {
                    // A release usually comes within microseconds: spin for it before paying
                    // for a sleep and a cross-CPU wake-up.
                    lock.unlock();
                    const bool fast = spin_until(w.served);
                    lock.lock();
                    if (!fast) {
                        while (!w.served.load(std::memory_order_relaxed)) {
                            if (!w.cv.wait_until(mutex_, *deadline) && !w.served.load(std::memory_order_relaxed)) {
                                dequeue_locked(w);
                                throw AcquireTimeout(stats_locked(), timeout);
                            }
                        }
                    }
                    if (w.may_open) return open_new(lock);
                    r = w.handed;
                }
            }
            lock.unlock();
            if (checkout(r)) return r;
            lock.lock();
        }
    }

    // Claims any parked record, newest slot first; under mutex_ (fast-lane claims race by CAS).
    record* claim_any_locked() noexcept {
        for (std::size_t i = options_.max_size; i-- > 0;) {
            record* r = slots_[i];
            if (r != nullptr && claim(r->state())) return r;
        }
        return nullptr;
    }

    void add_slot_locked(record* r) noexcept {
        for (std::size_t i = 0; i < options_.max_size; ++i) {
            if (slots_[i] == nullptr) {
                slots_[i] = r;
                return;
            }
        }
        assert(false && "lifeguard: more records than max_size");
    }

    void remove_slot_locked(record* r) noexcept {
        for (std::size_t i = 0; i < options_.max_size; ++i) {
            if (slots_[i] == r) {
                slots_[i] = nullptr;
                return;
            }
        }
    }

    [[nodiscard]] bool inherited(const record* r) const noexcept {
        if constexpr (detects_fork) return r->fork.generation != fork_policy_.generation();
        else return false;
    }

    // Opens a connection in a slot already counted in open_. Unlocks `lock`.
    record* open_new(std::unique_lock<adaptive_mutex>& lock) {
        void* memory = records_.malloc();
        if (memory == nullptr) {
            slot_freed_locked();
            throw std::bad_alloc();
        }
        unpoison_allocated(memory, sizeof(record));
        lock.unlock();
        return open_record(static_cast<record*>(memory));
    }

    void enqueue_locked(waiter_type& w) noexcept {
        if (wait_tail_ != nullptr) wait_tail_->next = &w;
        else wait_head_ = &w;
        wait_tail_ = &w;
        waiters_.fetch_add(1, std::memory_order_seq_cst);
    }

    waiter_type* pop_waiter_locked() noexcept {
        waiter_type* w = wait_head_;
        wait_head_ = w->next;
        if (wait_head_ == nullptr) wait_tail_ = nullptr;
        waiters_.fetch_sub(1, std::memory_order_relaxed);
        return w;
    }

    // A waiter that timed out is still queued (nobody served it): unlink it.
    void dequeue_locked(waiter_type& w) noexcept {
        waiter_type* prev = nullptr;
        for (waiter_type* p = wait_head_; p != nullptr; prev = p, p = p->next) {
            if (p != &w) continue;
            (prev != nullptr ? prev->next : wait_head_) = w.next;
            if (wait_tail_ == &w) wait_tail_ = prev;
            waiters_.fetch_sub(1, std::memory_order_relaxed);
            return;
        }
    }

    // A slot was given up (connection closed, connect failed): the oldest waiter may
    // open a connection in it.
    void slot_freed_locked() noexcept {
        if (wait_head_ != nullptr) {
            waiter_type* w = pop_waiter_locked();
            w->may_open = true;
            w->served.store(true, std::memory_order_release);
            w->cv.notify_one();  // under the lock: w cannot leave (and destroy cv) before this returns
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

    // Opens a connection into reserved memory outside the lock. On failure the slot is
    // returned (a waiter may use it) and the driver's exception propagates.
    record* open_record(record* memory) {
        record* r;
        try {
            r = ::new (static_cast<void*>(memory)) record(driver_.connect());
        } catch (...) {
            std::lock_guard lock(mutex_);
            free_block_locked(memory);  // never became a record
            slot_freed_locked();
            throw;
        }
        r->state().store(record_busy, std::memory_order_relaxed);  // published under the lock below
        const time_point t = now();
        recycle_.on_connect(r->recycle, t);
        validation_.on_connect(r->validation, t);
        if constexpr (detects_fork) r->fork.generation = fork_policy_.generation();
        std::lock_guard lock(mutex_);
        add_slot_locked(r);
        return r;
    }

    void on_use(record& r) noexcept { reset_.on_use(r.reset); }

    // Destroys and frees a record.
    void free_record_locked(record* r) noexcept {
        r->~record();
        free_block_locked(r);
    }

    // Returns a record's memory to boost::pool. Its state word stays record_dead, so a
    // thread whose hint still names it fails to claim it.
    void free_block_locked(record* block) noexcept {
        block->state().store(record_dead, std::memory_order_seq_cst);
        records_.free(block);
        poison_freed(block, sizeof(record));
    }

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
            hint = thread_hint{serial_, r};
            if (waiters_.load(std::memory_order_seq_cst) == 0) return;
            if (!claim(r->state())) return;  // a waiter (or anyone) already took it
        }
        std::lock_guard lock(mutex_);
        give_locked(r);
    }

    // An idle connection goes to the oldest waiter, or is parked.
    void give_locked(record* r) noexcept {
        if (wait_head_ != nullptr) [[unlikely]] {
            waiter_type* w = pop_waiter_locked();
            w->handed = r;
            w->served.store(true, std::memory_order_release);
            w->cv.notify_one();  // under the lock: see slot_freed_locked
            return;
        }
        r->state().store(record_idle, std::memory_order_seq_cst);
    }

    void close_record(record* r) noexcept {
        driver_.close(r->connection);
        std::lock_guard lock(mutex_);
        remove_slot_locked(r);
        free_record_locked(r);
        slot_freed_locked();
    }

    // A lease taken before fork() and released in the child: its connection is the
    // parent's. Not counted in the child's open_ (after_fork_locked reset it).
    void release_inherited(record* r) noexcept {
        fork_policy_.dispose_inherited(driver_, r->connection);
        std::lock_guard lock(mutex_);
        after_fork_locked();
        free_record_locked(r);
    }

    [[nodiscard]] bool forked_locked() const noexcept {
        if constexpr (detects_fork) return fork_.generation != fork_policy_.generation();
        else return false;
    }

    // First use of the pool in a child process: every idle connection belongs to the
    // parent. Dispose of them (no I/O) and forget leases held by threads that do not
    // exist here; the child opens its own connections.
    void after_fork_locked() noexcept {
        if constexpr (detects_fork) {
            if (!forked_locked()) [[likely]] return;
            fork_.generation = fork_policy_.generation();
            for (std::size_t i = 0; i < options_.max_size; ++i) {
                record* r = std::exchange(slots_[i], nullptr);
                if (r != nullptr && claim(r->state())) {  // idle in the parent
                    fork_policy_.dispose_inherited(driver_, r->connection);
                    free_record_locked(r);
                }  // else leased in the parent: disposed if released here (release_inherited)
            }
            open_ = 0;
        }
    }

    // pthread_atfork child handler: only the forking thread exists now. It holds mutex_
    // (taken in prepare); the queued waiters were other threads of the parent.
    void after_fork_in_child() noexcept {
        wait_head_ = wait_tail_ = nullptr;
        waiters_.store(0, std::memory_order_relaxed);
        mutex_.unlock();
    }

    [[nodiscard]] PoolStats stats_locked() const noexcept {
        std::size_t idle = 0;
        for (std::size_t i = 0; i < options_.max_size; ++i)
            idle += slots_[i] != nullptr && slots_[i]->state().load(std::memory_order_relaxed) == record_idle;
        return PoolStats{options_.max_size, open_, idle, open_ - idle, waiters_.load(std::memory_order_relaxed)};
    }

    void shutdown() noexcept {
        if constexpr (detects_fork) {
            if (fork_.participant.self != nullptr) {
                fork_registry::instance().remove(fork_.participant);
                fork_.participant.self = nullptr;
            }
        }
        std::unique_lock lock(mutex_);
        after_fork_locked();
        record* list = nullptr;
        for (std::size_t i = 0; i < options_.max_size; ++i) {
            record* r = slots_[i];
            if (r != nullptr && claim(r->state())) {
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
        assert(open_ == 0 && "lifeguard::ConnectionPool destroyed while leases are outstanding");
    }

    D driver_;
    PoolOptions options_;
    [[no_unique_address]] recycle_policy recycle_{};
    [[no_unique_address]] validation_policy validation_{};
    [[no_unique_address]] fork_policy fork_policy_{};
    [[no_unique_address]] reset_policy reset_{};
    mutable adaptive_mutex mutex_;
    waiter_type* wait_head_ = nullptr;
    waiter_type* wait_tail_ = nullptr;
    std::unique_ptr<record*[]> slots_;
    std::size_t open_ = 0;
    std::atomic<std::size_t> waiters_{0};
    std::uint64_t serial_;
    boost::pool<cache_aligned_allocator> records_;
    [[no_unique_address]] fork_link<detects_fork> fork_;
};

} // namespace lifeguard::detail

#endif
