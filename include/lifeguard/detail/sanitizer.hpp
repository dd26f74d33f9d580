// Makes connection records freed to boost::pool visible to AddressSanitizer: boost::pool
// is a plain free list, so without this a use of a freed record goes unreported.
#ifndef LIFEGUARD_DETAIL_SANITIZER_HPP
#define LIFEGUARD_DETAIL_SANITIZER_HPP

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define LIFEGUARD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LIFEGUARD_ASAN 1
#endif
#endif

#ifdef LIFEGUARD_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace lifeguard::detail {

// A freed record's first two words stay readable: boost::pool's free-list link, and the
// state word a stale thread-local hint may still compare-and-swap (it reads "dead").
inline constexpr std::size_t unpoisoned_prefix = 2 * sizeof(void*);

inline void poison_freed(void* block, std::size_t size) noexcept {
#ifdef LIFEGUARD_ASAN
    ASAN_POISON_MEMORY_REGION(static_cast<char*>(block) + unpoisoned_prefix, size - unpoisoned_prefix);
#else
    (void)block;
    (void)size;
#endif
}

inline void unpoison_allocated(void* block, std::size_t size) noexcept {
#ifdef LIFEGUARD_ASAN
    ASAN_UNPOISON_MEMORY_REGION(block, size);
#else
    (void)block;
    (void)size;
#endif
}

} // namespace lifeguard::detail

#endif
