// The hand-written baseline: the smallest thread-safe pool with lifeguard's semantics and
// design — a lock-free fast lane (parked connections claimed by CAS, a thread-local hint),
// a locked slow lane (open, close, find another thread's parked connection, wait), first-
// come-first-served hand-off to waiters, max_size, min_idle, timed acquire, connect outside
// the lock, broken connections dropped on release, records from boost::pool — and no
// policy machinery at all. It uses lifeguard's lock primitives and state word, so a
// comparison measures the policy machinery only. The layout tests compare sizes with it,
// the benchmarks time and instructions.
#ifndef LIFEGUARD_BENCHMARKS_BASELINE_POOL_HPP
#define LIFEGUARD_BENCHMARKS_BASELINE_POOL_HPP

#include <lifeguard/detail/lock.hpp>
#include <lifeguard/detail/record.hpp>
#include <lifeguard/errors.hpp>
#include <lifeguard/pool_options.hpp>

#include <boost/pool/pool.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <utility>

namespace baseline {

namespace lg = lifeguard::detail;

template <class D>
class Pool {
public:
    using connection_type = typename D::connection_type;

    struct record {
        record* next;
        std::uint32_t parked;  // accessed only through state(), as in lifeguard
        connection_type connection;
        lg::state_ref state() noexcept { return lg::state_ref(parked); }
    };

    class Lease {
    public:
        Lease() noexcept = default;
        Lease(Pool* p, record* r) noexcept : pool_(p), record_(r) {}
        Lease(Lease&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), record_(o.record_) {}
        Lease& operator=(Lease&& o) noexcept {
            if (pool_) pool_->release(record_);
            pool_ = std::exchange(o.pool_, nullptr);
            record_ = o.record_;
            return *this;
        }
        ~Lease() {
            if (pool_) pool_->release(record_);
        }
        connection_type& get() const noexcept { return record_->connection; }

    private:
        Pool* pool_ = nullptr;
        record* record_ = nullptr;
    };
    using lease_type = Lease;

    Pool(D driver, lifeguard::PoolOptions options)
        : driver_(std::move(driver)), options_(options),
          slots_(std::make_unique<record*[]>(options.max_size)),
          serial_(lg::next_pool_serial.fetch_add(1, std::memory_order_relaxed)),
          records_(lg::record_block_size<record>, options.max_size) {
        for (std::size_t i = 0; i < options_.min_idle; ++i) {
            std::unique_lock lock(mutex_);
            ++open_;
            record* r = open(lock);
            lock.lock();
            give(r);
        }
    }
    ~Pool() {
        for (std::size_t i = 0; i < options_.max_size; ++i) {
            if (record* r = slots_[i]; r && lg::claim(r->state())) {
                driver_.close(r->connection);
                records_.free(r);
            }
        }
    }

    Lease acquire() {
        if (lg::hint.pool == serial_) {
            auto* r = static_cast<record*>(lg::hint.record);
            if (lg::claim(r->state())) return Lease(this, r);
        }
        std::unique_lock lock(mutex_);
        if (record* r = claim_any()) return Lease(this, r);
        if (open_ < options_.max_size) {
            ++open_;
            return Lease(this, open(lock));
        }
        const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
        waiter w;
        (wait_tail_ ? wait_tail_->next : wait_head_) = &w;
        wait_tail_ = &w;
        waiters_.fetch_add(1, std::memory_order_seq_cst);
        if (record* r = claim_any()) {
            unlink(w);
            return Lease(this, r);
        }
        lock.unlock();
        const bool fast = lg::spin_until(w.served);
        lock.lock();
        while (!fast && !w.served.load(std::memory_order_relaxed)) {
            if (w.cv.wait_until(mutex_, deadline) || w.served.load(std::memory_order_relaxed)) continue;
            unlink(w);
            const std::size_t waiting = waiters_.load(std::memory_order_relaxed);
            throw lifeguard::AcquireTimeout({options_.max_size, open_, 0, open_, waiting}, options_.acquire_timeout);
        }
        if (w.may_open) return Lease(this, open(lock));
        return Lease(this, w.handed);
    }

    void release(record* r) noexcept {
        if (driver_.is_broken(r->connection)) {
            driver_.close(r->connection);
            std::lock_guard lock(mutex_);
            for (std::size_t i = 0; i < options_.max_size; ++i)
                if (slots_[i] == r) slots_[i] = nullptr;
            r->state().store(lg::record_dead, std::memory_order_seq_cst);
            records_.free(r);
            free_slot();
            return;
        }
        if (waiters_.load(std::memory_order_seq_cst) == 0) {
            r->state().store(lg::record_idle, std::memory_order_seq_cst);
            lg::hint = lg::thread_hint{serial_, r};
            if (waiters_.load(std::memory_order_seq_cst) == 0) return;
            if (!lg::claim(r->state())) return;
        }
        std::lock_guard lock(mutex_);
        give(r);
    }

private:
    struct waiter {
        waiter* next = nullptr;
        record* handed = nullptr;
        bool may_open = false;
        std::atomic<bool> served{false};
        lg::monotonic_condition cv;
    };

    record* claim_any() noexcept {
        for (std::size_t i = options_.max_size; i-- > 0;)
            if (record* r = slots_[i]; r && lg::claim(r->state())) return r;
        return nullptr;
    }
    void unlink(waiter& w) noexcept {
        waiter* prev = nullptr;
        for (waiter* p = wait_head_; p; prev = p, p = p->next) {
            if (p != &w) continue;
            (prev ? prev->next : wait_head_) = w.next;
            if (wait_tail_ == &w) wait_tail_ = prev;
            waiters_.fetch_sub(1, std::memory_order_relaxed);
            return;
        }
    }
    waiter* pop_waiter() noexcept {
        waiter* w = wait_head_;
        wait_head_ = w->next;
        if (!wait_head_) wait_tail_ = nullptr;
        waiters_.fetch_sub(1, std::memory_order_relaxed);
        return w;
    }
    void give(record* r) noexcept {
        if (wait_head_) {
            waiter* w = pop_waiter();
            w->handed = r;
            w->served.store(true, std::memory_order_release);
            w->cv.notify_one();
            return;
        }
        r->state().store(lg::record_idle, std::memory_order_seq_cst);
    }
    void free_slot() noexcept {
        if (wait_head_) {
            waiter* w = pop_waiter();
            w->may_open = true;
            w->served.store(true, std::memory_order_release);
            w->cv.notify_one();
        } else {
            --open_;
        }
    }
    // Called with the lock held and the slot counted; returns unlocked.
    record* open(std::unique_lock<lg::adaptive_mutex>& lock) {
        void* memory = records_.malloc();
        if (!memory) {
            free_slot();
            throw std::bad_alloc();
        }
        lock.unlock();
        record* r;
        try {
            r = static_cast<record*>(memory);
            ::new (static_cast<void*>(&r->connection)) connection_type(driver_.connect());
            r->state().store(lg::record_busy, std::memory_order_relaxed);
        } catch (...) {
            std::lock_guard relock(mutex_);
            records_.free(memory);
            free_slot();
            throw;
        }
        std::lock_guard relock(mutex_);
        for (std::size_t i = 0; i < options_.max_size; ++i) {
            if (!slots_[i]) {
                slots_[i] = r;
                break;
            }
        }
        return r;
    }

    D driver_;
    lifeguard::PoolOptions options_;
    lg::adaptive_mutex mutex_;
    waiter* wait_head_ = nullptr;
    waiter* wait_tail_ = nullptr;
    std::unique_ptr<record*[]> slots_;
    std::size_t open_ = 0;
    std::atomic<std::size_t> waiters_{0};
    std::uint64_t serial_;
    boost::pool<lg::cache_aligned_allocator> records_;
};

} // namespace baseline

#endif
