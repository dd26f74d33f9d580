// Fork policies (kind: fork_tag).
//   IgnoreFork        - default; the program promises not to fork() while a pool holds
//                       connections. Costs nothing.
//   DisposeAfterFork  - a child process never uses or closes the parent's connections:
//                       it abandons them (no I/O) and opens its own. The parent's stay
//                       untouched. Costs one integer compare per acquire and release.
#ifndef LIFEGUARD_POLICIES_FORK_HPP
#define LIFEGUARD_POLICIES_FORK_HPP

#include <lifeguard/detail/fork_registry.hpp>
#include <lifeguard/policy.hpp>

#include <atomic>
#include <cstdint>

namespace lifeguard {

struct IgnoreFork {
    using policy_kind = fork_tag;
    static constexpr bool detects_fork = false;
    [[nodiscard]] constexpr std::uint32_t generation() const noexcept { return 0; }
    template <class D>
    void dispose_inherited(D& driver, typename D::connection_type& c) const noexcept {
        driver.abandon(c);
    }
};

struct DisposeAfterFork {
    using policy_kind = fork_tag;
    static constexpr bool detects_fork = true;
    [[nodiscard]] std::uint32_t generation() const noexcept {
        return detail::process_generation.load(std::memory_order_relaxed);
    }
    // close() would send COM_QUIT (and a TLS close_notify) on the socket the parent still
    // uses; abandon() frees the connection without a byte on the wire.
    template <class D>
    void dispose_inherited(D& driver, typename D::connection_type& c) const noexcept {
        driver.abandon(c);
    }
};

} // namespace lifeguard

#endif
