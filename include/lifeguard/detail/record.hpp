// The pool's per-connection record: the native connection, the idle-list link, and the
// state of each policy that keeps any. Empty policy states take no space.
#ifndef LIFEGUARD_DETAIL_RECORD_HPP
#define LIFEGUARD_DETAIL_RECORD_HPP

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

template <class Connection, class RecycleState, class ValidationState, class ResetState, bool DetectsFork>
struct record {
    explicit record(Connection&& c) noexcept : connection(std::move(c)) {}

    // `next` first: a freed record's first word is boost::pool's free-list link, the rest
    // (the connection) is poisoned under AddressSanitizer.
    record* next = nullptr;  // idle list, LIFO
    Connection connection;
    [[no_unique_address]] RecycleState recycle{};
    [[no_unique_address]] ValidationState validation{};
    [[no_unique_address]] ResetState reset{};
    [[no_unique_address]] fork_stamp<DetectsFork> fork{};
};

} // namespace lifeguard::detail

#endif
