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

// boost::pool keeps its free-list link in a freed block's first pointer; the rest of
// the block is poisoned while it is free.
inline void poison_freed(void* block, std::size_t size) noexcept {
#ifdef LIFEGUARD_ASAN
    ASAN_POISON_MEMORY_REGION(static_cast<char*>(block) + sizeof(void*), size - sizeof(void*));
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
