// The pool's per-connection record: the native connection, the idle-list link, and the
// state of each policy that keeps any. Empty policy states take no space.
#ifndef LIFEGUARD_DETAIL_RECORD_HPP
#define LIFEGUARD_DETAIL_RECORD_HPP

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

namespace lifeguard::detail {

// The process generation a connection was opened in; only kept by fork-detecting pools.
template <bool Detects>
struct fork_stamp {
    static constexpr std::uint32_t generation = 0;
};
template <>
struct fork_stamp<true> {
    std::uint32_t generation = 0;
};

// A record's `parked` word. Only `idle` may be claimed, by one compare-and-swap.
enum record_state : std::uint32_t {
    record_busy = 0,  // owned by a lease, being opened or closed, or held under the pool's lock
    record_idle = 1,  // parked: free for any acquirer
    record_dead = 2,  // freed; a stale thread-local hint's CAS fails on it
};

// A record's state word, always accessed atomically. It is a plain integer that record
// construction never writes: a stale hint may CAS it while a freed block is being reused
// for a new record, and an atomic member's constructor would be a plain, racing store.
using state_ref = std::atomic_ref<std::uint32_t>;

// Claims a parked record: one CAS, idle -> busy.
inline bool claim(state_ref state) noexcept {
    std::uint32_t expected = record_idle;
    return state.compare_exchange_strong(expected, record_busy, std::memory_order_seq_cst);
}

// Records are carved from boost::pool in chunks of whole cache lines, from blocks that
// start on a cache line, so two threads' records never share a line: their state words
// are written on every acquire and release. (boost::pool's default allocator aligns to 16
// bytes only; whether two records then shared a line depended on where the heap began.)
inline constexpr std::size_t cache_line = 64;
template <class Record>
inline constexpr std::size_t record_block_size = (sizeof(Record) + cache_line - 1) / cache_line * cache_line;

// boost::pool UserAllocator handing out cache-line-aligned blocks.
struct cache_aligned_allocator {
    using size_type = std::size_t;
    using difference_type = std::ptrdiff_t;
    static char* malloc(size_type bytes) {
        return static_cast<char*>(::operator new(bytes, std::align_val_t(cache_line), std::nothrow));
    }
    static void free(char* block) { ::operator delete(block, std::align_val_t(cache_line)); }
};

// The record this thread parked last, and the pool it belongs to. A pool is named by a
// serial number, never by its address: a new pool may live where a destroyed one did.
struct thread_hint {
    std::uint64_t pool = 0;
    void* record = nullptr;
};
inline thread_local thread_hint hint;
inline std::atomic<std::uint64_t> next_pool_serial{1};

template <class Connection, class RecycleState, class ValidationState, class ResetState, bool DetectsFork>
struct record {
    explicit record(Connection&& c) noexcept : connection(std::move(c)) {}

    // Layout: boost::pool writes its free-list link over a freed block's first word, so
    // `next` comes first and `parked` second, outside it: a stale hint may still CAS a freed
    // record's `parked` (it reads `record_dead`). Everything after is poisoned under ASan when freed.
    record* next = nullptr;  // scratch link for lists built under the lock
    std::uint32_t parked;    // no initializer on purpose: see state_ref; use state()
    // Small states next, in the padding after `parked`.
    [[no_unique_address]] fork_stamp<DetectsFork> fork{};
    [[no_unique_address]] ResetState reset{};
    Connection connection;
    [[no_unique_address]] RecycleState recycle{};
    [[no_unique_address]] ValidationState validation{};

    state_ref state() noexcept { return state_ref(parked); }
};

} // namespace lifeguard::detail

#endif
