// The hand-written baseline: the smallest thread-safe pool with lifeguard's semantics and
// design — a lock-free fast lane (parked connections claimed by CAS, a thread-local hint),
// a locked slow lane (open, close, find another thread's parked connection, wait), first-
// come-first-served hand-off to waiters, max_size, min_idle, timed acquire, connect outside
// the lock, broken connections dropped on release, records in one boost::pool block — and
// no policy machinery at all. It uses lifeguard's building blocks (lock, state word, record
// store, waiter queue, spin tuner), so a comparison measures the policy machinery only. The layout tests compare sizes with it,
// the benchmarks time and instructions.
#ifndef LIFEGUARD_BENCHMARKS_BASELINE_POOL_HPP
#define LIFEGUARD_BENCHMARKS_BASELINE_POOL_HPP

#include <lifeguard/detail/asymmetric_fence.hpp>
#include <lifeguard/detail/deadline.hpp>
#include <lifeguard/detail/lock.hpp>
#include <lifeguard/detail/record.hpp>
#include <lifeguard/detail/record_store.hpp>
#include <lifeguard/detail/spin.hpp>
#include <lifeguard/detail/waiter_queue.hpp>
#include <lifeguard/errors.hpp>
#include <lifeguard/pool_options.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <thread>
#include <utility>

namespace baseline {

namespace lg = lifeguard::detail;

// The waiter spin lifeguard shipped before its adaptive one: 2,000 rounds, whatever the
// load. Kept here only so tools/bench can show what the adaptive spin changed.
struct fixed_spin {
    static std::chrono::nanoseconds budget(std::size_t) noexcept { return std::chrono::nanoseconds::zero(); }
    static void record(std::chrono::nanoseconds) noexcept {}
    static std::chrono::nanoseconds average() noexcept { return std::chrono::nanoseconds::zero(); }
    static bool spin(const std::atomic<bool>& ready, std::chrono::nanoseconds) noexcept {
        for (int i = 0; i < 2000; ++i) {
            if (ready.load(std::memory_order_acquire)) return true;
            if (i % 128 == 127) std::this_thread::yield();
            else lg::cpu_relax();
        }
        return ready.load(std::memory_order_acquire);
    }
};
// lifeguard's own: adaptive and bounded by time (lifeguard/detail/spin.hpp).
struct adaptive_spin : lg::spin_tuner {
    static bool spin(const std::atomic<bool>& ready, std::chrono::nanoseconds budget) noexcept {
        return lg::spin_until(ready, budget);
    }
};

template <class D, class Spin = adaptive_spin>
class Pool {
public:
    using connection_type = typename D::connection_type;

    struct record {
        record* next;
        std::uint32_t parked;    // accessed only through state(), as in lifeguard
        std::uint32_t open_pos;  // position in the store's open list
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
        : driver_(std::move(driver)), options_(options), store_(options.max_size),
          hint_way_(lg::next_hint_way.fetch_add(1, std::memory_order_relaxed) % lg::hint_ways) {
        if (!lg::asymmetric_fence::available()) waiters_.store(strong_bit, std::memory_order_relaxed);
        for (std::size_t i = 0; i < options_.min_idle; ++i) {
            std::unique_lock lock(mutex_);
            ++open_;
            record* r = open(lock);
            lock.lock();
            give(r);
        }
    }
    ~Pool() {
        for (std::size_t i = store_.open_count(); i-- > 0;) {
            if (record* r = store_.open_at(i); lg::claim_any_parked(r->state())) {
                driver_.close(r->connection);
                store_.remove_open_locked(r);
                store_.give_back_locked(r);
            }
        }
    }

    Lease acquire() { return Lease(this, acquire_record()); }

    void release(record* r) noexcept {
        if (driver_.is_broken(r->connection)) {
            driver_.close(r->connection);
            std::lock_guard lock(mutex_);
            store_.remove_open_locked(r);
            store_.give_back_locked(r);
            free_slot();
            return;
        }
        // Park, then look for waiters; a waiter raises waiters_, then fences and scans.
        const std::size_t w = waiters_.load(std::memory_order_relaxed);
        if (w == 0) {
            r->state().store(lg::record_idle, std::memory_order_release);
            lg::hint_cache[hint_way_] = r;
            lg::asymmetric_fence::light();
            if (waiters_.load(std::memory_order_relaxed) == 0) return;
            if (!lg::claim(r->state())) return;
        } else if (w == strong_bit) {  // no membarrier: seq_cst on both sides
            r->state().store(lg::record_idle, std::memory_order_seq_cst);
            lg::hint_cache[hint_way_] = r;
            if (waiters_.load(std::memory_order_seq_cst) == strong_bit) return;
            if (!lg::claim(r->state())) return;
        }
        std::lock_guard lock(mutex_);
        give(r);
    }

private:
    using waiter = lg::waiter<record>;

    record* acquire_record() {
        void* hinted = lg::hint_cache[hint_way_];
        if (store_.owns(hinted)) {
            auto* r = static_cast<record*>(hinted);
            if (lg::claim(r->state())) return r;
        }
        return acquire_slow();
    }

    record* acquire_slow() {
        std::unique_lock lock(mutex_);
        if (record* r = claim_any()) return r;
        if (open_ < options_.max_size) {
            ++open_;
            return open(lock);
        }
        const auto deadline = lg::saturating_add(std::chrono::steady_clock::now(), options_.acquire_timeout);
        waiter w;
        queue_.push(w);
        const std::size_t raised = waiters_.fetch_add(1, std::memory_order_seq_cst) + 1;
        const std::size_t waiting = raised & ~strong_bit;
        if (record* r = claim_any()) {
            queue_.remove(w);
            waiters_.fetch_sub(1, std::memory_order_relaxed);
            return r;
        }
        const auto queued_at = std::chrono::steady_clock::now();
        lock.unlock();
        const bool fast = Spin::spin(w.served, spin_.budget(waiting));
        lock.lock();
        // As lifeguard: the heavy fence only for a waiter unserved after 4x the average wait
        // (1-50 ms) or at its deadline; then one more look for a park it could not see.
        bool fenced = (raised & strong_bit) != 0;
        const auto quiet = std::clamp<std::chrono::nanoseconds>(4 * spin_.average(), std::chrono::milliseconds(1),
                                                                 std::chrono::milliseconds(50));
        const auto quiet_until = std::min(deadline, lg::saturating_add(queued_at, quiet));
        while (!fast && !w.served.load(std::memory_order_relaxed)) {
            if (w.cv.wait_until(mutex_, fenced ? deadline : quiet_until) || w.served.load(std::memory_order_relaxed))
                continue;
            if (!fenced) {
                fenced = true;
                lock.unlock();
                // Registered in the constructor, the fence cannot fail (lifeguard still falls back).
                if (!lg::asymmetric_fence::heavy()) std::abort();
                lock.lock();
                if (w.served.load(std::memory_order_relaxed)) break;
                if (record* r = claim_any()) {
                    queue_.remove(w);
                    waiters_.fetch_sub(1, std::memory_order_relaxed);
                    return r;
                }
            }
            if (std::chrono::steady_clock::now() < deadline) continue;
            queue_.remove(w);
            const std::size_t left = (waiters_.fetch_sub(1, std::memory_order_relaxed) - 1) & ~strong_bit;
            throw lifeguard::AcquireTimeout({options_.max_size, open_, 0, open_, left}, options_.acquire_timeout);
        }
        spin_.record(std::chrono::steady_clock::now() - queued_at);
        if (w.may_open) return open(lock);
        return w.handed;
    }

    record* claim_any() noexcept {
        for (std::size_t i = store_.open_count(); i-- > 0;)
            if (record* r = store_.open_at(i); lg::claim_any_parked(r->state())) return r;
        return nullptr;
    }
    void give(record* r) noexcept {
        if (!queue_.empty()) {
            waiters_.fetch_sub(1, std::memory_order_relaxed);
            lg::waiter_queue<waiter>::serve(*queue_.pop(), [r](waiter& w) { w.handed = r; });
            return;
        }
        r->state().store(lg::record_idle, std::memory_order_seq_cst);
    }
    void free_slot() noexcept {
        if (!queue_.empty()) {
            waiters_.fetch_sub(1, std::memory_order_relaxed);
            lg::waiter_queue<waiter>::serve(*queue_.pop(), [](waiter& w) { w.may_open = true; });
        } else {
            --open_;
        }
    }
    // Called with the lock held and the slot counted; returns unlocked.
    record* open(std::unique_lock<lg::adaptive_mutex>& lock) {
        void* memory = store_.take_locked();
        lock.unlock();
        record* r = static_cast<record*>(memory);
        try {
            ::new (static_cast<void*>(&r->connection)) connection_type(driver_.connect());
            r->state().store(lg::record_busy, std::memory_order_relaxed);
        } catch (...) {
            std::lock_guard relock(mutex_);
            store_.give_back_locked(memory);
            free_slot();
            throw;
        }
        std::lock_guard relock(mutex_);
        store_.add_open_locked(r);
        return r;
    }

    D driver_;
    lifeguard::PoolOptions options_;
    lg::record_store<record> store_;
    std::uint32_t hint_way_;
    lg::adaptive_mutex mutex_;
    lg::waiter_queue<waiter> queue_;
    std::size_t open_ = 0;
    std::atomic<std::size_t> waiters_{0};  // + strong_bit where membarrier(2) is unavailable
    static constexpr std::size_t strong_bit = std::size_t{1} << (sizeof(std::size_t) * 8 - 4);
    Spin spin_;
};

} // namespace baseline

#endif
