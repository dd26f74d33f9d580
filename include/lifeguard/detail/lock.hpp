// The pool's lock and its waiters' condition variable. The lock spins briefly before it
// sleeps (glibc's adaptive mutex); waiters spin as detail/spin.hpp decides.
#ifndef LIFEGUARD_DETAIL_LOCK_HPP
#define LIFEGUARD_DETAIL_LOCK_HPP

#include <atomic>
#include <cerrno>
#include <chrono>
#include <ctime>

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
    void notify_all() noexcept { ::pthread_cond_broadcast(&cond_); }

    /// One wait, releasing `m` (held by the caller); false if the deadline passed.
    /// `time_point::max()` waits without a deadline: a far deadline as a timespec could be
    /// rejected (EINVAL) without sleeping, which would turn a wait loop into a spin that
    /// holds `m`.
    bool wait_until(adaptive_mutex& m, std::chrono::steady_clock::time_point deadline) noexcept {
        if (deadline == std::chrono::steady_clock::time_point::max()) {
            ::pthread_cond_wait(&cond_, m.native_handle());
            return true;
        }
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
        if (ns < 0) ns = 0;
        timespec ts{};
        ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
        ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
        return ::pthread_cond_timedwait(&cond_, m.native_handle(), &ts) != ETIMEDOUT;
    }

private:
    pthread_cond_t cond_;
};

} // namespace lifeguard::detail

#endif
