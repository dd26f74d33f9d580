// Per-connection state a policy keeps in the pool's connection record.
#ifndef LIFEGUARD_DETAIL_CONNECTION_STATE_HPP
#define LIFEGUARD_DETAIL_CONNECTION_STATE_HPP

#include <cstddef>
#include <tuple>
#include <utility>

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

// A composite policy (RecycleWhenAny, Observers) keeps a tuple of its parts' states: calls
// f(part, its state) for each part, in order.
template <class Parts, class States, class F>
void for_each_part(const Parts& parts, States& states, F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (f(std::get<I>(parts), std::get<I>(states)), ...);
    }(std::make_index_sequence<std::tuple_size_v<Parts>>{});
}

} // namespace lifeguard::detail

#endif
