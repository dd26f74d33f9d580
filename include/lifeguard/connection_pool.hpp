// ConnectionPool<Driver, Policies...>: a thread-safe pool of database connections whose
// behaviour (recycling, validation, fork handling, session reset) is chosen at compile
// time. Policies not given default to doing nothing, at no cost.
#ifndef LIFEGUARD_CONNECTION_POOL_HPP
#define LIFEGUARD_CONNECTION_POOL_HPP

#include <lifeguard/detail/basic_pool.hpp>
#include <lifeguard/detail/config.hpp>

#include <optional>
#include <type_traits>

namespace lifeguard {

namespace detail {

// Stands in for the pool after a diagnostic, so that one mistake gives one error: code that
// constructs and uses the pool still compiles against it (it is never run).
struct any_connection {
    template <class T>
    operator T&() const noexcept;  // NOLINT: converts to whatever the caller expects
    template <class T>
    operator T() const noexcept;
};
template <class D>
struct connection_of {
    using type = any_connection;
};
template <class D>
    requires requires { typename D::connection_type; }
struct connection_of<D> {
    using type = typename D::connection_type;
};

template <class C>
struct invalid_lease {
    using connection_type = C;
    explicit operator bool() const noexcept { return false; }
    connection_type& get() const noexcept;
    auto operator->() const noexcept {
        if constexpr (std::is_pointer_v<connection_type>) return get();
        else return &get();
    }
    void release() noexcept {}
    void discard() noexcept {}
};

template <class D>
struct invalid_pool {
    using driver_type = D;
    using connection_type = typename connection_of<D>::type;
    using lease_type = invalid_lease<connection_type>;
    template <class... Args>
    explicit invalid_pool(Args&&...) noexcept {}
    lease_type acquire() { return {}; }
    template <class Timeout>
    lease_type acquire(Timeout) { return {}; }
    std::optional<lease_type> try_acquire() { return {}; }
    PoolStats stats() const { return {}; }
    const PoolOptions& options() const noexcept;
    D& driver() noexcept;
};

template <class D, class... Policies>
using pool_base_t = std::conditional_t<check_pool<D, Policies...>(),
                                       basic_pool<D, make_config_t<Policies...>>, invalid_pool<D>>;
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
