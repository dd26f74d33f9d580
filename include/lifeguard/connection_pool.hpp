// ConnectionPool<Driver, Policies...>: a thread-safe pool of database connections whose
// behaviour (recycling, validation, fork handling, session reset) is chosen at compile
// time. Policies not given default to doing nothing, at no cost.
#ifndef LIFEGUARD_CONNECTION_POOL_HPP
#define LIFEGUARD_CONNECTION_POOL_HPP

#include <lifeguard/detail/basic_pool.hpp>
#include <lifeguard/detail/config.hpp>

#include <type_traits>

namespace lifeguard {

namespace detail {
struct invalid_pool {};  // stands in after a diagnostic, so no error cascade follows it

template <class D, class... Policies>
using pool_base_t = std::conditional_t<check_pool<D, Policies...>(),
                                       basic_pool<D, make_config_t<Policies...>>, invalid_pool>;
} // namespace detail

/// A pool of `Driver` connections.
///
/// `Policies` is an unordered list of at most one policy per kind (RecyclePolicy,
/// ValidationPolicy, ForkPolicy, ResetPolicy, ClockPolicy). Policy *values* (durations)
/// are given to the constructor: `ConnectionPool<D, RecycleAfter>(driver, options,
/// RecycleAfter{std::chrono::seconds(280)})`.
///
/// \par Thread safety
/// All member functions may be called concurrently. Connections are opened, pinged and
/// closed outside the pool's lock.
///
/// \par Fork safety
/// With DisposeAfterFork, a child process may keep using the pool: it abandons every
/// connection inherited from the parent and opens its own. With the default IgnoreFork
/// the program must not use, or destroy, a pool inherited across fork().
template <class Driver, class... Policies>
class ConnectionPool : public detail::pool_base_t<Driver, Policies...> {
public:
    using detail::pool_base_t<Driver, Policies...>::pool_base_t;
};

} // namespace lifeguard

#endif
