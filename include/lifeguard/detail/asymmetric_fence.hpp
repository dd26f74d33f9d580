// Asymmetric fences for the release/wait handshake (detail/basic_pool.hpp).
//
// A releaser parks its connection and then reads waiters_; a waiter raises waiters_ and
// then scans for parked connections. Each side's store must be ordered before its load,
// or both can miss each other (a lost wake-up). Symmetric seq_cst costs the releaser a
// locked instruction on every release. Here the releaser only stops the compiler from
// reordering (light), and the rare waiter pays for both with membarrier(2)'s
// MEMBARRIER_CMD_PRIVATE_EXPEDITED (heavy): it runs a full memory barrier on every CPU
// running a thread of this process, so any releaser is either before its barrier (its
// park is visible to the scan that follows) or after it (it sees the raised waiters_).
//
// The process registers once; registration is inherited by fork() and dropped by exec.
// Where the system call is missing or refused (old kernel, seccomp), available() is false
// and the pool tells its releasers to use seq_cst instead (basic_pool's strong_bit);
// LIFEGUARD_NO_MEMBARRIER=1 in the environment forces that fallback (tests run both).
// ThreadSanitizer does not model store-load reordering at all, so it neither needs nor
// sees this fence: data handed over still synchronizes through the release store of the
// park and the acquire CAS of the claim. tests/unit/handshake_model_test.cpp checks the
// handshake itself, exhaustively, on a model with store buffers.
#ifndef LIFEGUARD_DETAIL_ASYMMETRIC_FENCE_HPP
#define LIFEGUARD_DETAIL_ASYMMETRIC_FENCE_HPP

#include <atomic>
#include <cstdlib>

#if defined(__linux__)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace lifeguard::detail {

struct asymmetric_fence {
    /// True if heavy() works in this process (registered on first call; thread-safe).
    [[nodiscard]] static bool available() noexcept {
        static const bool registered = register_process();
        return registered;
    }

    /// The releaser's side: the compiler keeps its store before its load; heavy() does the rest.
    static void light() noexcept { std::atomic_signal_fence(std::memory_order_seq_cst); }

    /// The waiter's side. False if the system call failed (it cannot after registration,
    /// but the caller then falls back rather than trusting it).
    [[nodiscard]] static bool heavy() noexcept {
#if defined(__linux__) && defined(SYS_membarrier)
        return syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0;
#else
        return false;
#endif
    }

private:
    static bool register_process() noexcept {
        if (const char* off = std::getenv("LIFEGUARD_NO_MEMBARRIER"); off != nullptr && *off != '\0' && *off != '0')
            return false;
#if defined(__linux__) && defined(SYS_membarrier)
        const long commands = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
        if (commands < 0 || (commands & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) return false;
        return syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0 && heavy();
#else
        return false;
#endif
    }
};

} // namespace lifeguard::detail

#endif
