// The pool's lock and its waiters' condition variable. Both spin briefly before sleeping:
// on a machine where waking a thread on another CPU costs 10-20 us, sleeping at the first
// sign of contention makes two threads slower than one (docs/benchmarks.md).
#ifndef LIFEGUARD_DETAIL_LOCK_HPP
#define LIFEGUARD_DETAIL_LOCK_HPP

#include <atomic>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <thread>

#include <pthread.h>

namespace lifeguard::detail {

// A pthread mutex; on glibc of the adaptive kind, which spins a little before it sleeps.
// Same size as std::mutex (a pthread_mutex_t).
class adaptive_mutex {
public:
    adaptive_mutex() noexcept {
        pthread_mutexattr_t attr;
        ::pthread_mutexattr_init(&attr);
#ifdef __GLIBC__
        ::pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
        ::pthread_mutex_init(&mutex_, &attr);
        ::pthread_mutexattr_destroy(&attr);
    }
    adaptive_mutex(const adaptive_mutex&) = delete;
    adaptive_mutex& operator=(const adaptive_mutex&) = delete;
    ~adaptive_mutex() { ::pthread_mutex_destroy(&mutex_); }

    void lock() noexcept { ::pthread_mutex_lock(&mutex_); }
    bool try_lock() noexcept { return ::pthread_mutex_trylock(&mutex_) == 0; }
    void unlock() noexcept { ::pthread_mutex_unlock(&mutex_); }
    pthread_mutex_t* native_handle() noexcept { return &mutex_; }

private:
    pthread_mutex_t mutex_;
};

// A condition variable on CLOCK_MONOTONIC (the clock of std::chrono::steady_clock).
class monotonic_condition {
public:
    monotonic_condition() noexcept {
        pthread_condattr_t attr;
        ::pthread_condattr_init(&attr);
        ::pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        ::pthread_cond_init(&cond_, &attr);
        ::pthread_condattr_destroy(&attr);
    }
    monotonic_condition(const monotonic_condition&) = delete;
    monotonic_condition& operator=(const monotonic_condition&) = delete;
    ~monotonic_condition() { ::pthread_cond_destroy(&cond_); }

    void notify_one() noexcept { ::pthread_cond_signal(&cond_); }

    // One wait, releasing `m` (held by the caller); false if the deadline passed.
    bool wait_until(adaptive_mutex& m, std::chrono::steady_clock::time_point deadline) noexcept {
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
        timespec ts{};
        ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
        ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
        return ::pthread_cond_timedwait(&cond_, m.native_handle(), &ts) != ETIMEDOUT;
    }

private:
    pthread_cond_t cond_;
};

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

// Spins until `ready` is set, for a bounded number of rounds (a few microseconds); true if
// it was set. Yields now and then so it cannot starve the thread it waits for.
inline bool spin_until(const std::atomic<bool>& ready) noexcept {
    constexpr int rounds = 2000;
    for (int i = 0; i < rounds; ++i) {
        if (ready.load(std::memory_order_acquire)) return true;
        if (i % 128 == 127) std::this_thread::yield();
        else cpu_relax();
    }
    return ready.load(std::memory_order_acquire);
}

} // namespace lifeguard::detail

#endif
