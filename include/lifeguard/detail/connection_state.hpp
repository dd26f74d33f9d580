// Per-connection state a policy keeps in the pool's connection record.
#ifndef LIFEGUARD_DETAIL_CONNECTION_STATE_HPP
#define LIFEGUARD_DETAIL_CONNECTION_STATE_HPP

namespace lifeguard::detail {

// A policy without `template <class TimePoint> struct connection_state` keeps nothing.
// The empty stand-in is a distinct type per policy: two empty members of the *same*
// type may not share an address, so [[no_unique_address]] would cost a byte each.
template <class P>
struct no_state {};

template <class P, class TimePoint>
struct connection_state_of {
    using type = no_state<P>;
};

template <class P, class TimePoint>
    requires requires { typename P::template connection_state<TimePoint>; }
struct connection_state_of<P, TimePoint> {
    using type = typename P::template connection_state<TimePoint>;
};

template <class P, class TimePoint>
using connection_state_t = typename connection_state_of<P, TimePoint>::type;

} // namespace lifeguard::detail

#endif
