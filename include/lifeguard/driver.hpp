// Driver: the contract between the pool and a database client library.
// Full requirements and rationale: docs/driver.md.
#ifndef LIFEGUARD_DRIVER_HPP
#define LIFEGUARD_DRIVER_HPP

#include <chrono>
#include <concepts>
#include <type_traits>

namespace lifeguard {

/// A Driver opens, checks and frees native connections. The pool never touches a
/// native connection except through these calls.
///   - connect(): open a connection or throw an exception that says why (never a password).
///   - close(c): free it politely (may send a goodbye such as COM_QUIT).
///   - abandon(c): free it without any I/O on the wire; used for connections inherited
///     across fork(), whose socket the parent process still uses.
///   - ping(c, timeout): true if the server answered within `timeout`.
///   - is_broken(c): cheap, local check on release: did the last operation fail in a way
///     that makes the connection unusable (server gone, connection killed)?
template <class D>
concept Driver = std::is_nothrow_move_constructible_v<D> &&
    requires(D& d, typename D::connection_type& c, const typename D::connection_type& cc,
             std::chrono::milliseconds timeout) {
        requires std::is_nothrow_move_constructible_v<typename D::connection_type>;
        { d.connect() } -> std::same_as<typename D::connection_type>;
        { d.close(c) } noexcept;
        { d.abandon(c) } noexcept;
        { d.ping(c, timeout) } -> std::same_as<bool>;
        { d.is_broken(cc) } noexcept -> std::same_as<bool>;
    };

} // namespace lifeguard

#endif
