// HostPolicy: which of a driver's hosts a new connection goes to, and when a connection
// should move. Requirements: docs/custom-policies.md; the shipped policies: docs/cluster.md.
#ifndef LIFEGUARD_HOST_POLICY_HPP
#define LIFEGUARD_HOST_POLICY_HPP

#include <lifeguard/detail/connection_state.hpp>
#include <lifeguard/policy.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace lifeguard {

/// `multi_host` false (SingleHost, the default): the pool calls nothing and keeps nothing.
/// Otherwise, with a MultiHostDriver, the pool calls, outside its lock:
///   attach(hosts)                      once, with the driver's host_count();
///   choose(now, tried)                 the host for a new connection, not in the `tried`
///                                      bit set, or npos when none is left to try;
///   connected(state, host, now)        after a connect to `host` succeeded;
///   connect_failed(host, now)          after it failed; true if the host just went down
///                                      (the pool then retires every connection to it);
///   broken(state, now)                 a lease gave back a broken connection; same answer;
///   closed(state)                      a connection is gone;
///   retire(state, now)                 true: move it (failback, rebalancing), as an expiry;
///   host_of(state)                     its host.
template <class P, class TimePoint>
concept HostPolicy = PolicyOfKind<P, host_tag> &&
    requires {
        { P::multi_host } -> std::convertible_to<bool>;
    } &&
    (!P::multi_host ||
     requires(const P& p, detail::connection_state_t<P, TimePoint>& s, TimePoint now, std::size_t host,
              std::uint64_t tried) {
         { P::uses_clock } -> std::convertible_to<bool>;
         p.attach(host);
         { p.choose(now, tried) } -> std::same_as<std::size_t>;
         { p.connected(s, host, now) } noexcept;
         { p.connect_failed(host, now) } noexcept -> std::same_as<bool>;
         { p.broken(std::as_const(s), now) } noexcept -> std::same_as<bool>;
         { p.closed(std::as_const(s)) } noexcept;
         { p.retire(std::as_const(s), now) } noexcept -> std::same_as<bool>;
         { p.host_of(std::as_const(s)) } noexcept -> std::same_as<std::size_t>;
     });

} // namespace lifeguard

#endif
