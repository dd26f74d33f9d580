// Optional driver capabilities. A Driver (driver.hpp) needs none of them; the pool uses each
// one a driver offers, detected at compile time, and behaves as without it otherwise.
// Full list and rationale: docs/driver.md.
#ifndef LIFEGUARD_DRIVER_CAPABILITIES_HPP
#define LIFEGUARD_DRIVER_CAPABILITIES_HPP

#include <chrono>
#include <concepts>
#include <cstddef>

namespace lifeguard {

/// `d.connect(timeout)`: open a connection within `timeout` or throw. The pool passes what is
/// left of an acquire's deadline, so acquire(100ms) cannot take a 10 s connect_timeout.
template <class D>
concept TimedConnect = requires(D& d, std::chrono::milliseconds timeout) {
    { d.connect(timeout) } -> std::same_as<typename D::connection_type>;
};

/// `d.detach(c)`: async-signal-safe, no I/O: make this process stop holding the
/// connection's socket (e.g. point the descriptor at /dev/null) without freeing anything.
/// Called in a forked child for every inherited connection, so a child cannot keep a
/// session (and its locks) alive on the server after the parent is gone.
template <class D>
concept DetachableDriver = requires(D& d, typename D::connection_type& c) {
    { d.detach(c) } noexcept;
};

/// What a look at a connection's socket, without sending a byte, tells.
enum class SocketState {
    open,    ///< nothing arrived while it sat idle: as far as a socket can tell, alive
    closed,  ///< the server closed it (end of file, reset, error): dead
    unsure,  ///< data arrived while idle (an error packet, or TLS records): ask the server
};

/// `d.socket_state(c)`: one non-blocking system call, no byte sent or consumed. Lets a
/// validation policy find connections the server closed (idle kill, KILL, restart) without
/// a round trip. It cannot see a network partition (nothing arrives): only a ping can.
template <class D>
concept SocketCheckDriver = requires(const D& d, const typename D::connection_type& c) {
    { d.socket_state(c) } noexcept -> std::same_as<SocketState>;
};

/// `d.idle_limit(c)`: how long the server lets this connection sit idle before it closes
/// it (MariaDB: the session's wait_timeout); zero if unknown. Called once per connection,
/// right after connect (a round trip is acceptable there: with maintenance it is off the
/// request path). The pool never hands out a connection idle longer than this, less a margin.
template <class D>
concept IdleLimitDriver = requires(D& d, typename D::connection_type& c) {
    { d.idle_limit(c) } -> std::same_as<std::chrono::milliseconds>;
};

/// A session reset in two halves, so the request that releases a connection does not wait
/// for it: `d.reset_start(c)` sends it and returns at once; `d.reset_finish(c)` waits for
/// its reply (usually there already when the connection is next handed out) and restores
/// the session's setup. Either returning false means the connection cannot be reused.
enum class ResetProgress { failed, done, pending };
template <class D>
concept AsyncResetDriver = requires(D& d, typename D::connection_type& c) {
    { d.reset_start(c) } -> std::same_as<ResetProgress>;
    { d.reset_finish(c) } -> std::same_as<bool>;
};

/// Several servers behind one driver (a cluster's nodes): `d.host_count()` of them, and
/// `d.connect_to(host, timeout)` opens a connection to one (0-based) within `timeout`, or
/// throws an error that names that host. A host policy (Failover, LoadBalance) picks which.
template <class D>
concept MultiHostDriver = requires(D& d, const D& cd, std::size_t host, std::chrono::milliseconds timeout) {
    { cd.host_count() } noexcept -> std::same_as<std::size_t>;
    { d.connect_to(host, timeout) } -> std::same_as<typename D::connection_type>;
};

} // namespace lifeguard

#endif
