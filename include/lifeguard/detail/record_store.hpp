// Storage for a pool's connection records: max_size slots of record_stride bytes, taken from
// boost::pool as one block when the pool is built and kept until it is destroyed. A thread's
// stale hint may name any slot (a record another thread closed, a slot reused for a new
// record): its compare-and-swap on the slot's state word is defined behaviour because the
// slot's memory lives as long as the pool, and it fails because a free slot reads
// record_dead and a reused one is busy until parked.
//
// Also kept here, under the pool's lock: the dense list of open records, so the slow lane,
// stats() and maintenance visit open connections only, never the max_size slots; and each
// slot's "doomed" flag for invalidate().
#ifndef LIFEGUARD_DETAIL_RECORD_STORE_HPP
#define LIFEGUARD_DETAIL_RECORD_STORE_HPP

#include <lifeguard/detail/record.hpp>
#include <lifeguard/detail/sanitizer.hpp>

#include <boost/pool/pool.hpp>

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

namespace lifeguard::detail {

// boost::pool UserAllocator handing out blocks aligned to record_stride.
struct stride_aligned_allocator {
    using size_type = std::size_t;
    using difference_type = std::ptrdiff_t;
    static char* malloc(size_type bytes) {
        return static_cast<char*>(::operator new(bytes, std::align_val_t(record_stride), std::nothrow));
    }
    static void free(char* block) { ::operator delete(block, std::align_val_t(record_stride)); }
};

template <class Record>
class record_store {
    static_assert(sizeof(Record) <= record_stride,
                  "lifeguard: the policies' per-connection states do not fit in a connection record "
                  "(128 bytes); keep large data behind a pointer in your policy's connection_state");

public:
    /// @throws std::bad_alloc
    explicit record_store(std::size_t capacity)
        : slots_(record_stride, capacity, capacity), open_(std::make_unique<Record*[]>(capacity)),
          doomed_(std::make_unique<bool[]>(capacity)) {
        void* block = slots_.ordered_malloc(capacity);
        if (block == nullptr) throw std::bad_alloc();
        base_ = reinterpret_cast<std::uintptr_t>(block);
        span_ = capacity * record_stride;
        for (std::size_t i = 0; i < capacity; ++i) {
            void* slot = static_cast<char*>(block) + i * record_stride;
            state_of(slot).store(record_dead, std::memory_order_relaxed);
            poison_freed(slot, record_stride);
        }
        slots_.ordered_free(block, capacity);  // every slot on boost::pool's free list, in order
    }
    record_store(const record_store&) = delete;
    record_store& operator=(const record_store&) = delete;

    /// Whether `p` (a hint) names one of this store's records. Exact: see record_stride.
    [[nodiscard]] bool owns(const void* p) const noexcept {
        return reinterpret_cast<std::uintptr_t>(p) - base_ < span_;
    }

    /// A free slot. The pool's accounting (open_ <= max_size) guarantees there is one.
    [[nodiscard]] void* take_locked() noexcept {
        void* slot = slots_.malloc();
        assert(slot != nullptr && owns(slot) && "lifeguard: more records than max_size");
        unpoison_allocated(slot, record_stride);
        return slot;
    }

    /// Returns a slot (a destroyed record, or memory that never became one).
    void give_back_locked(void* slot) noexcept {
        undoom_locked(slot);
        state_of(slot).store(record_dead, std::memory_order_seq_cst);
        slots_.free(slot);
        poison_freed(slot, record_stride);
    }

    void add_open_locked(Record* r) noexcept {
        r->open_pos = static_cast<std::uint32_t>(open_count_);
        open_[open_count_++] = r;
    }
    void remove_open_locked(Record* r) noexcept {
        Record* last = open_[--open_count_];
        open_[r->open_pos] = last;
        last->open_pos = r->open_pos;
    }
    /// Forgets every open record (a forked child: they are the parent's).
    void clear_open_locked() noexcept { open_count_ = 0; }

    [[nodiscard]] std::size_t open_count() const noexcept { return open_count_; }

    // Invalidation (ConnectionPool::invalidate): a doomed slot's connection is closed when it
    // comes back instead of being reused; `invalidations` tells a connect that was under way
    // during an invalidation that its connection is doomed too.
    void doom_locked(const void* slot) noexcept {
        bool& d = doomed_[index_of(slot)];
        if (!d) ++doomed_count_;
        d = true;
    }
    /// True if the slot was doomed; it is not any more.
    bool undoom_locked(const void* slot) noexcept {
        bool& d = doomed_[index_of(slot)];
        if (!d) return false;
        d = false;
        --doomed_count_;
        return true;
    }
    [[nodiscard]] bool doomed_locked(const void* slot) const noexcept { return doomed_[index_of(slot)]; }
    [[nodiscard]] std::size_t doomed_count_locked() const noexcept { return doomed_count_; }
    [[nodiscard]] std::uint64_t invalidations_locked() const noexcept { return invalidations_; }
    void count_invalidation_locked() noexcept { ++invalidations_; }
    [[nodiscard]] Record* open_at(std::size_t i) const noexcept { return open_[i]; }

private:
    [[nodiscard]] std::size_t index_of(const void* slot) const noexcept {
        return (reinterpret_cast<std::uintptr_t>(slot) - base_) / record_stride;
    }

    // The state word of a slot whether or not a record lives there, exactly as a hint's CAS
    // reaches it.
    static state_ref state_of(void* slot) noexcept { return static_cast<Record*>(slot)->state(); }
    static_assert(alignof(Record) <= record_stride);

    // The fast lane reads base_ and span_ together: keep them adjacent.
    std::uintptr_t base_ = 0;
    std::size_t span_ = 0;
    boost::pool<stride_aligned_allocator> slots_;
    std::unique_ptr<Record*[]> open_;
    std::size_t open_count_ = 0;
    std::unique_ptr<bool[]> doomed_;
    std::size_t doomed_count_ = 0;
    std::uint64_t invalidations_ = 0;
};

} // namespace lifeguard::detail

#endif
