// Process generation and the pthread_atfork handlers shared by every pool that uses a
// fork-detecting ForkPolicy.
#ifndef LIFEGUARD_DETAIL_FORK_REGISTRY_HPP
#define LIFEGUARD_DETAIL_FORK_REGISTRY_HPP

#include <atomic>
#include <cstdint>
#include <mutex>

#include <pthread.h>
#include <unistd.h>

namespace lifeguard::detail {

// Bumped in every child process. Reading it is one relaxed load: a fork check on the
// hot path costs no getpid() syscall (141 ns on our machine, docs/benchmarks.md).
inline std::atomic<std::uint32_t> process_generation{0};

// The process the generation belongs to. Children made without fork() (_Fork(), clone(),
// syscall(SYS_fork)) skip the pthread_atfork handlers; the pools notice them off the hot path
// (slow lane, shutdown, maintenance) by comparing getpid() with this.
inline std::atomic<pid_t> generation_pid{0};

// Bumps the generation if this process is not the one it belongs to. Only the first caller
// in a new process bumps it, so every pool sees one change per process.
inline void detect_unhandled_fork() noexcept {
    const pid_t self = ::getpid();
    pid_t known = generation_pid.load(std::memory_order_acquire);
    if (known == self) return;
    if (known == 0) {  // first use in this program: nothing was inherited
        generation_pid.compare_exchange_strong(known, self, std::memory_order_acq_rel);
        return;
    }
    if (generation_pid.compare_exchange_strong(known, self, std::memory_order_acq_rel))
        process_generation.fetch_add(1, std::memory_order_acq_rel);
}

// A pool that takes part in fork handling. Function pointers rather than virtuals:
// the pool stays a standard-layout type and the registry needs no RTTI.
struct fork_participant {
    fork_participant* prev = nullptr;
    fork_participant* next = nullptr;
    void* self = nullptr;
    void (*prepare)(void*) noexcept = nullptr;  // lock the pool
    void (*parent)(void*) noexcept = nullptr;   // unlock the pool
    void (*child)(void*) noexcept = nullptr;    // detach inherited sockets, unlock the pool
};

// Every participating pool's lock is taken before fork() and released after it in both
// processes. Without this a child that forks while another thread holds a pool's lock
// inherits a locked mutex that nobody will ever unlock.
class fork_registry {
public:
    static fork_registry& instance() {
        // Never destroyed: pools with static storage may unregister after exit starts.
        static fork_registry* registry = new fork_registry;
        return *registry;
    }

    void add(fork_participant& p) {
        std::lock_guard lock(mutex_);
        p.next = head_.next;
        p.prev = &head_;
        if (head_.next != nullptr) head_.next->prev = &p;
        head_.next = &p;
    }

    void remove(fork_participant& p) noexcept {
        std::lock_guard lock(mutex_);
        p.prev->next = p.next;
        if (p.next != nullptr) p.next->prev = p.prev;
        p.prev = p.next = nullptr;
    }

private:
    fork_registry() {
        detect_unhandled_fork();  // records this process
        ::pthread_atfork(&on_prepare, &on_parent, &on_child);
    }

    static void on_prepare() noexcept {
        auto& r = instance();
        r.mutex_.lock();
        for (auto* p = r.head_.next; p != nullptr; p = p->next) p->prepare(p->self);
    }
    static void on_parent() noexcept {
        auto& r = instance();
        for (auto* p = r.head_.next; p != nullptr; p = p->next) p->parent(p->self);
        r.mutex_.unlock();
    }
    static void on_child() noexcept {
        auto& r = instance();
        generation_pid.store(::getpid(), std::memory_order_relaxed);  // async-signal-safe
        process_generation.fetch_add(1, std::memory_order_relaxed);
        for (auto* p = r.head_.next; p != nullptr; p = p->next) p->child(p->self);
        r.mutex_.unlock();  // held by this thread since on_prepare
    }

    std::mutex mutex_;
    fork_participant head_;
};

} // namespace lifeguard::detail

#endif
