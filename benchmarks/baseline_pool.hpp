// The hand-written baseline: the smallest thread-safe pool with lifeguard's semantics
// (LIFO reuse, max_size, min_idle, timed acquire, try_acquire, connect outside the lock,
// first-come-first-served hand-off to waiters, broken connections dropped on release,
// records from boost::pool) and no policy machinery at all. It uses the same lock
// primitives as lifeguard (detail/lock.hpp), so a comparison measures the policy
// machinery, not the choice of mutex. The zero-overhead claim is
// measured against it: the layout tests compare sizes, the benchmarks compare time and
// instructions.
#ifndef LIFEGUARD_BENCHMARKS_BASELINE_POOL_HPP
#define LIFEGUARD_BENCHMARKS_BASELINE_POOL_HPP

#include <lifeguard/detail/lock.hpp>
#include <lifeguard/errors.hpp>
#include <lifeguard/pool_options.hpp>

#include <boost/pool/pool.hpp>

#include <chrono>
#include <atomic>
#include <mutex>
#include <new>
#include <optional>
#include <utility>

namespace baseline {

template <class D>
class Pool {
public:
    using connection_type = typename D::connection_type;

    struct record {
        connection_type connection;
        record* next;
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
        : driver_(std::move(driver)), options_(options), records_(sizeof(record), options.max_size) {
        for (std::size_t i = 0; i < options_.min_idle; ++i) {
            std::unique_lock lock(mutex_);
            ++open_;
            record* r = open(lock);
            lock.lock();
            give(r);
        }
    }
    ~Pool() {
        while (idle_head_) {
            record* r = idle_head_;
            idle_head_ = r->next;
            driver_.close(r->connection);
            records_.free(r);
        }
    }

    Lease acquire() {
        std::optional<std::chrono::steady_clock::time_point> deadline;
        std::unique_lock lock(mutex_);
        if (record* r = idle_head_) {
            idle_head_ = r->next;
            --idle_;
            return Lease(this, r);
        }
        if (open_ < options_.max_size) {
            ++open_;
            return Lease(this, open(lock));
        }
        deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
        waiter w;
        (wait_tail_ ? wait_tail_->next : wait_head_) = &w;
        wait_tail_ = &w;
        ++waiters_;
        lock.unlock();
        const bool fast = lifeguard::detail::spin_until(w.served);
        lock.lock();
        while (!fast && !w.served.load(std::memory_order_relaxed)) {
            if (w.cv.wait_until(mutex_, *deadline) || w.served.load(std::memory_order_relaxed)) continue;
            waiter* prev = nullptr;
            for (waiter* p = wait_head_; p; prev = p, p = p->next) {
                if (p != &w) continue;
                (prev ? prev->next : wait_head_) = w.next;
                if (wait_tail_ == &w) wait_tail_ = prev;
                --waiters_;
                break;
            }
            throw lifeguard::AcquireTimeout({options_.max_size, open_, idle_, open_ - idle_, waiters_},
                                            options_.acquire_timeout);
        }
        if (w.may_open) return Lease(this, open(lock));
        return Lease(this, w.handed);
    }

    void release(record* r) noexcept {
        if (driver_.is_broken(r->connection)) {
            driver_.close(r->connection);
            std::lock_guard lock(mutex_);
            records_.free(r);
            free_slot();
            return;
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
        lifeguard::detail::monotonic_condition cv;
    };

    waiter* pop_waiter() noexcept {
        waiter* w = wait_head_;
        wait_head_ = w->next;
        if (!wait_head_) wait_tail_ = nullptr;
        --waiters_;
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
        r->next = idle_head_;
        idle_head_ = r;
        ++idle_;
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
    record* open(std::unique_lock<lifeguard::detail::adaptive_mutex>& lock) {
        void* memory = records_.malloc();
        if (!memory) {
            free_slot();
            throw std::bad_alloc();
        }
        lock.unlock();
        try {
            return ::new (memory) record{driver_.connect(), nullptr};
        } catch (...) {
            std::lock_guard relock(mutex_);
            records_.free(memory);
            free_slot();
            throw;
        }
    }

    D driver_;
    lifeguard::PoolOptions options_;
    lifeguard::detail::adaptive_mutex mutex_;
    waiter* wait_head_ = nullptr;
    waiter* wait_tail_ = nullptr;
    record* idle_head_ = nullptr;
    std::size_t idle_ = 0;
    std::size_t open_ = 0;
    std::size_t waiters_ = 0;
    boost::pool<> records_;
};

} // namespace baseline

#endif
