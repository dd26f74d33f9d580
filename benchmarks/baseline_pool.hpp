// The hand-written baseline: the smallest thread-safe pool with lifeguard's semantics
// (LIFO reuse, max_size, min_idle, timed acquire, try_acquire, connect outside the lock,
// broken connections dropped on release, records from boost::pool) and no policy
// machinery at all. The zero-overhead claim is measured against it: the layout tests
// compare sizes, the benchmarks compare time and instructions.
#ifndef LIFEGUARD_BENCHMARKS_BASELINE_POOL_HPP
#define LIFEGUARD_BENCHMARKS_BASELINE_POOL_HPP

#include <lifeguard/errors.hpp>
#include <lifeguard/pool_options.hpp>

#include <boost/pool/pool.hpp>

#include <chrono>
#include <condition_variable>
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
            void* memory;
            {
                std::lock_guard lock(mutex_);
                memory = reserve_locked();
            }
            record* r = open(memory);
            std::lock_guard lock(mutex_);
            push(r);
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
        for (;;) {
            if (record* r = idle_head_) {
                idle_head_ = r->next;
                --idle_;
                return Lease(this, r);
            }
            if (open_ < options_.max_size) {
                void* memory = reserve_locked();
                lock.unlock();
                return Lease(this, open(memory));
            }
            if (!deadline) deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
            ++waiters_;
            const bool ready = cv_.wait_until(lock, *deadline, [this] {
                return idle_head_ != nullptr || open_ < options_.max_size;
            });
            --waiters_;
            if (!ready)
                throw lifeguard::AcquireTimeout({options_.max_size, open_, idle_, open_ - idle_, waiters_},
                                                options_.acquire_timeout);
        }
    }

    void release(record* r) noexcept {
        if (driver_.is_broken(r->connection)) {
            driver_.close(r->connection);
            std::lock_guard lock(mutex_);
            records_.free(r);
            --open_;
            if (waiters_) cv_.notify_one();
            return;
        }
        std::lock_guard lock(mutex_);
        push(r);
    }

private:
    void push(record* r) noexcept {
        r->next = idle_head_;
        idle_head_ = r;
        ++idle_;
        if (waiters_) cv_.notify_one();
    }
    void* reserve_locked() {
        void* memory = records_.malloc();
        if (!memory) throw std::bad_alloc();
        ++open_;
        return memory;
    }
    record* open(void* memory) {
        try {
            return ::new (memory) record{driver_.connect(), nullptr};
        } catch (...) {
            std::lock_guard lock(mutex_);
            records_.free(memory);
            --open_;
            if (waiters_) cv_.notify_one();
            throw;
        }
    }

    D driver_;
    lifeguard::PoolOptions options_;
    std::mutex mutex_;
    std::condition_variable cv_;
    record* idle_head_ = nullptr;
    std::size_t idle_ = 0;
    std::size_t open_ = 0;
    std::size_t waiters_ = 0;
    boost::pool<> records_;
};

} // namespace baseline

#endif
