// How long a queued waiter spins before it sleeps.
//
// A waiter that sleeps pays for a futex wake-up from another CPU (10-20 us on our VM) when
// it is served; one that spins takes a CPU the whole time. Spinning pays off only when
// connections come back sooner than a sleep would cost, and only while a CPU is free: a
// spinning waiter on a busy machine steals the CPU a lease holder needs to finish and
// release (8 threads on 2 connections ran at half the throughput with a fixed 2,000-round
// spin). So the budget is adaptive and bounded by time:
//   - it follows recent waits (join the queue -> served): twice their moving average;
//   - never more than max_spin; none when the average wait exceeds it;
//   - none when the waiters already number as many as the CPUs;
//   - while the budget is zero, every probe_every-th waiter spins briefly anyway, so a
//     return to short waits is noticed.
#ifndef LIFEGUARD_DETAIL_SPIN_HPP
#define LIFEGUARD_DETAIL_SPIN_HPP

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>

namespace lifeguard::detail {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

inline std::size_t online_cpus() noexcept {
    static const std::size_t n = [] {
        const unsigned c = std::thread::hardware_concurrency();
        return c == 0 ? std::size_t{1} : std::size_t{c};
    }();
    return n;
}

class spin_tuner {
public:
    using nanoseconds = std::chrono::nanoseconds;
    static constexpr nanoseconds max_spin{20'000};
    static constexpr nanoseconds probe{1'000};
    static constexpr unsigned probe_every = 8;

    /// How long the waiter that made `waiters` queued threads may spin.
    [[nodiscard]] nanoseconds budget(std::size_t waiters) noexcept {
        if (waiters >= online_cpus()) return nanoseconds::zero();
        const std::int64_t average = average_ns_.load(std::memory_order_relaxed);
        if (average <= max_spin.count() / 2) return nanoseconds(2 * average + 500);
        const unsigned n = probes_.fetch_add(1, std::memory_order_relaxed);
        return n % probe_every == 0 ? probe : nanoseconds::zero();
    }

    /// A waiter was served after waiting `waited` (spinning or sleeping).
    void record(nanoseconds waited) noexcept {
        const std::int64_t w = waited.count() < 0 ? 0 : waited.count();
        const std::int64_t old = average_ns_.load(std::memory_order_relaxed);
        average_ns_.store(old + (w - old) / 8, std::memory_order_relaxed);  // racy on purpose: a hint
    }

    [[nodiscard]] nanoseconds average() const noexcept {
        return nanoseconds(average_ns_.load(std::memory_order_relaxed));
    }

private:
    std::atomic<std::int64_t> average_ns_{0};
    std::atomic<unsigned> probes_{0};
};

/// Spins until `ready` is set or `budget` has passed; true if it was set.
inline bool spin_until(const std::atomic<bool>& ready, std::chrono::nanoseconds budget) noexcept {
    if (budget <= std::chrono::nanoseconds::zero()) return ready.load(std::memory_order_acquire);
    const auto until = std::chrono::steady_clock::now() + budget;
    for (unsigned i = 1;; ++i) {
        if (ready.load(std::memory_order_acquire)) return true;
        cpu_relax();
        if (i % 32 == 0 && std::chrono::steady_clock::now() >= until) return ready.load(std::memory_order_acquire);
    }
}

} // namespace lifeguard::detail

#endif
