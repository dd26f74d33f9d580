// Errors of the MariaDB driver, and which error codes mean the connection is gone.
// No <mysql.h> here: code that only classifies errors needs no client library.
#ifndef LIFEGUARD_MARIADB_ERROR_HPP
#define LIFEGUARD_MARIADB_ERROR_HPP

#include <stdexcept>
#include <string>
#include <utility>

namespace lifeguard::mariadb {

/// Error codes, reported by an established connection, after which it cannot be used
/// again. A lease released after one of these is closed instead of reused.
///   Connector/C: 2006 server gone away, 2013 lost connection during a query, 2055 lost
///   connection (extended), 2014 commands out of sync (protocol state unknown), 2026 TLS
///   error (over TLS a killed or timed-out session reads "unexpected eof"), 2027 malformed
///   packet, 5013 / 5014 network read / write error.
///   Server: 1053 shutdown in progress, 1927 connection killed, 4031 disconnected for
///   inactivity (MySQL 8.0.24+), 1152 / 1184 aborted connection, 1159 / 1161 network
///   read / write interrupted (the server drops the session), 1047 Galera: the node is not
///   ready for queries (not synced, or not in the primary component).
/// A failure to *open* a connection (wrong password, TLS handshake or certificate, refused
/// port) is a connect error, never a disconnect: see Error::during_connect().
[[nodiscard]] constexpr bool is_disconnect(unsigned code) noexcept {
    switch (code) {
    case 2006: case 2013: case 2055: case 2014: case 2026: case 2027: case 5013: case 5014:
    case 1053: case 1927: case 4031: case 1152: case 1184: case 1159: case 1161: case 1047:
        return true;
    default:
        return false;
    }
}

/// A Connector/C failure, with the server's code and SQLSTATE. Messages name user and
/// endpoint, never the password.
class Error : public std::runtime_error {
public:
    enum class phase { connect, use };

    Error(const std::string& what, unsigned code, std::string sqlstate, phase when = phase::use)
        : std::runtime_error(what), code_(code), sqlstate_(std::move(sqlstate)), phase_(when) {}
    [[nodiscard]] unsigned code() const noexcept { return code_; }
    [[nodiscard]] const std::string& sqlstate() const noexcept { return sqlstate_; }
    /// The connection could not be opened (the server may be down, refusing, or unreachable).
    [[nodiscard]] bool during_connect() const noexcept { return phase_ == phase::connect; }
    /// An open connection was lost: retrying the work on another connection may succeed.
    [[nodiscard]] bool is_disconnect() const noexcept {
        return phase_ == phase::use && mariadb::is_disconnect(code_);
    }

private:
    unsigned code_;
    std::string sqlstate_;
    phase phase_;
};

} // namespace lifeguard::mariadb

#endif
