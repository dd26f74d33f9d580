// ClockPolicy: which clock the time-based policies read (tests use a manual clock).
#ifndef LIFEGUARD_CLOCK_POLICY_HPP
#define LIFEGUARD_CLOCK_POLICY_HPP

#include <lifeguard/policy.hpp>

#include <chrono>

namespace lifeguard {

template <class P>
concept ClockPolicy = PolicyOfKind<P, clock_tag> &&
    requires {
        typename P::clock;
        requires std::chrono::is_clock_v<typename P::clock>;
        requires P::clock::is_steady;
    };

} // namespace lifeguard

#endif
