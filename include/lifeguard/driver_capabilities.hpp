// Optional driver capabilities. A Driver (driver.hpp) needs none of them; the pool uses each
// one a driver offers, detected at compile time, and behaves as without it otherwise.
// Full list and rationale: docs/driver.md.
#ifndef LIFEGUARD_DRIVER_CAPABILITIES_HPP
#define LIFEGUARD_DRIVER_CAPABILITIES_HPP

#include <chrono>
#include <concepts>

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

} // namespace lifeguard

#endif
