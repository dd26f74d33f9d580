// ForkPolicy: what the pool does with connections a child process inherits from fork().
// Requirements and an example: docs/custom-policies.md.
#ifndef LIFEGUARD_FORK_POLICY_HPP
#define LIFEGUARD_FORK_POLICY_HPP

#include <lifeguard/policy.hpp>

#include <concepts>
#include <cstdint>

namespace lifeguard {

/// `detects_fork` switches the pool's fork machinery on at compile time: a per-connection
/// generation stamp and pthread_atfork handlers that keep the pool's lock usable in the
/// child. generation() must change in a child process and be cheap (no syscall): it is
/// read on every acquire and release. dispose_inherited() frees a connection that
/// belongs to the parent process; it must not do I/O on the parent's socket.
template <class P, class D>
concept ForkPolicy = PolicyOfKind<P, fork_tag> &&
    requires(const P& p, D& d, typename D::connection_type& c) {
        { P::detects_fork } -> std::convertible_to<bool>;
        { p.generation() } noexcept -> std::same_as<std::uint32_t>;
        { p.dispose_inherited(d, c) } noexcept;
    };

} // namespace lifeguard

#endif
