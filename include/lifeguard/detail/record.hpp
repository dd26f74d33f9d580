// The pool's per-connection record: the native connection, its state word, and the state of
// each policy that keeps any. Empty policy states take no space.
#ifndef LIFEGUARD_DETAIL_RECORD_HPP
#define LIFEGUARD_DETAIL_RECORD_HPP

#include <lifeguard/detail/connection_state.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
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

// A record's state word. Only a parked (odd) value may be claimed, by one compare-and-swap.
enum record_state : std::uint32_t {
    record_busy = 0,         // owned: by a lease, by maintenance, or being opened or closed
    record_idle = 1,         // parked by a release: the fast lane claims exactly this value
    record_dead = 2,         // a free storage slot; a stale thread-local hint's CAS fails on it
    record_idle_marked = 3,  // parked and seen idle by maintenance; claimed by the slow lane only
};

// A record's state word, always accessed atomically. It is a plain integer that record
// construction never writes: a stale hint may CAS it while a free slot is being reused for
// a new record, and an atomic member's constructor would be a plain, racing store.
using state_ref = std::atomic_ref<std::uint32_t>;

// Claims a record parked by a release: one CAS, idle -> busy.
inline bool claim(state_ref state) noexcept {
    std::uint32_t expected = record_idle;
    return state.compare_exchange_strong(expected, record_busy, std::memory_order_seq_cst);
}

// Claims a record in either parked state (the slow lane and maintenance); `was` tells which.
inline bool claim_any_parked(state_ref state, std::uint32_t& was) noexcept {
    was = state.load(std::memory_order_relaxed);
    return (was & 1u) != 0 && state.compare_exchange_strong(was, record_busy, std::memory_order_seq_cst);
}
inline bool claim_any_parked(state_ref state) noexcept {
    std::uint32_t was;
    return claim_any_parked(state, was);
}

inline bool is_parked(std::uint32_t state) noexcept { return (state & 1u) != 0; }

// Every record of every pool sits at a multiple of record_stride from its pool's storage,
// which is aligned to record_stride. So an address that lies inside a pool's storage and came
// from any pool's thread-local hint is the start of one of that pool's records: the fast lane
// proves ownership by a range check, with no pool serial (serials were per program image).
inline constexpr std::size_t record_stride = 128;
inline constexpr std::size_t cache_line = 64;

// Per-thread hints: the record this thread parked last, one per "way"; a pool uses the way
// chosen at its construction, so a thread alternating between pools keeps a hint for each.
inline constexpr std::size_t hint_ways = 4;
inline thread_local void* hint_cache[hint_ways] = {};
inline std::atomic<unsigned> next_hint_way{0};

template <class Connection, class RecycleState, class ValidationState, class ResetState,
          class MaintenanceState, class ObserverState, bool DetectsFork, class HostState = no_state<void>>
struct record {
    explicit record(Connection&& c) noexcept : connection(std::move(c)) {}

    // Layout: boost::pool writes its free-list link over a free slot's first word, so `next`
    // comes first and `parked` second, outside it: a stale hint may still CAS a free slot's
    // `parked` (it reads `record_dead`). Everything after is poisoned under ASan when freed.
    record* next = nullptr;     // scratch link for lists built under the lock
    std::uint32_t parked;       // no initializer on purpose: see state_ref; use state()
    std::uint32_t open_pos = 0; // position in the pool's list of open records (under the lock)
    // Small states next, where they pack best.
    [[no_unique_address]] fork_stamp<DetectsFork> fork{};
    [[no_unique_address]] ResetState reset{};
    Connection connection;
    [[no_unique_address]] RecycleState recycle{};
    [[no_unique_address]] ValidationState validation{};
    [[no_unique_address]] MaintenanceState maintenance{};
    [[no_unique_address]] ObserverState observer{};
    [[no_unique_address]] HostState host{};

    state_ref state() noexcept { return state_ref(parked); }
};

} // namespace lifeguard::detail

#endif
