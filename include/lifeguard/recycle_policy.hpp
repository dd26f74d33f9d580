// RecyclePolicy: decides when a connection is too old to hand out again.
// Requirements and an example: docs/custom-policies.md.
#ifndef LIFEGUARD_RECYCLE_POLICY_HPP
#define LIFEGUARD_RECYCLE_POLICY_HPP

#include <lifeguard/detail/connection_state.hpp>
#include <lifeguard/policy.hpp>

#include <concepts>
#include <utility>

namespace lifeguard {

/// `TimePoint` is the pool clock's time_point. The pool reads the clock only if some
/// policy sets `uses_clock`; otherwise hooks receive a default-constructed TimePoint.
template <class P, class TimePoint>
concept RecyclePolicy = PolicyOfKind<P, recycle_tag> &&
    requires(const P& p, detail::connection_state_t<P, TimePoint>& s, TimePoint now) {
        { P::uses_clock } -> std::convertible_to<bool>;
        { p.on_connect(s, now) } noexcept;
        { p.expired(std::as_const(s), now) } noexcept -> std::same_as<bool>;
    };

} // namespace lifeguard

#endif
