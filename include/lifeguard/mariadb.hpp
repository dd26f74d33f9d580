// lifeguard::mariadb::Driver: MariaDB Connector/C behind the lifeguard::Driver concept.
// The only lifeguard header that includes <mysql.h>; link with lifeguard::mariadb.
#ifndef LIFEGUARD_MARIADB_HPP
#define LIFEGUARD_MARIADB_HPP

#include <lifeguard/driver.hpp>
#include <lifeguard/mariadb/connect_options.hpp>

#include <mysql.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace lifeguard::mariadb {

/// Error codes after which a connection cannot be used again: the server went away
/// (2006), the connection was lost (2013, 2055), the server closed it for inactivity
/// (4031, MySQL 8.0.24+), it was killed (1927), the server is shutting down (1053), or
/// the protocol is out of sync (2014). A lease released after one of these is closed
/// instead of reused.
[[nodiscard]] constexpr bool is_disconnect(unsigned code) noexcept {
    switch (code) {
    case 2006: case 2013: case 2055: case 4031: case 1927: case 1053: case 2014: return true;
    default: return false;
    }
}

/// A Connector/C failure, with the server's code and SQLSTATE.
class Error : public std::runtime_error {
public:
    Error(const std::string& what, unsigned code, std::string sqlstate)
        : std::runtime_error(what), code_(code), sqlstate_(std::move(sqlstate)) {}
    [[nodiscard]] unsigned code() const noexcept { return code_; }
    [[nodiscard]] const std::string& sqlstate() const noexcept { return sqlstate_; }
    [[nodiscard]] bool is_disconnect() const noexcept { return mariadb::is_disconnect(code_); }

private:
    unsigned code_;
    std::string sqlstate_;
};

/// Models lifeguard::Driver (plus in_transaction/rollback/reset_session for the reset
/// policies). Copies share nothing but the options. connection_type is MYSQL*.
class Driver {
public:
    using connection_type = MYSQL*;

    explicit Driver(ConnectOptions options) : options_(std::move(options)) { library_init(); }
    /// @throws UrlError for a malformed URL.
    explicit Driver(std::string_view url) : Driver(parse_url(url)) {}

    [[nodiscard]] const ConnectOptions& options() const noexcept { return options_; }

    /// Opens a connection. Auto-reconnect stays off: a reconnect would silently lose
    /// session state and transactions, and the pool replaces dead connections anyway.
    /// @throws Error naming user and endpoint (never the password).
    connection_type connect() {
        MYSQL* m = mysql_init(nullptr);
        if (m == nullptr) throw Error("lifeguard::mariadb: mysql_init failed (out of memory)", 2008, "HY000");
        auto set_seconds = [&](mysql_option opt, std::chrono::seconds s) {
            if (s.count() > 0) {
                const unsigned v = static_cast<unsigned>(s.count());
                mysql_optionsv(m, opt, &v);
            }
        };
        const my_bool off = 0;
        mysql_optionsv(m, MYSQL_OPT_RECONNECT, &off);
        set_seconds(MYSQL_OPT_CONNECT_TIMEOUT, options_.connect_timeout);
        set_seconds(MYSQL_OPT_READ_TIMEOUT, options_.read_timeout);
        set_seconds(MYSQL_OPT_WRITE_TIMEOUT, options_.write_timeout);
        // Non-blocking mode only enables the *_start/_cont calls; blocking calls work as
        // before. ping() needs it to honour a deadline shorter than read_timeout.
        mysql_optionsv(m, MYSQL_OPT_NONBLOCK, 0);
        if (!options_.charset.empty()) mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, options_.charset.c_str());
        if (!options_.init_command.empty()) mysql_optionsv(m, MYSQL_INIT_COMMAND, options_.init_command.c_str());
        if (!options_.unix_socket.empty()) {
            const unsigned protocol = MYSQL_PROTOCOL_SOCKET;
            mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &protocol);
        }
        configure_tls(m);
        const bool ok = mysql_real_connect(m, options_.host.c_str(), options_.user.c_str(),
                                           options_.password.c_str(),
                                           options_.database.empty() ? nullptr : options_.database.c_str(),
                                           options_.port,
                                           options_.unix_socket.empty() ? nullptr : options_.unix_socket.c_str(),
                                           CLIENT_MULTI_RESULTS) != nullptr;
        if (!ok) {
            Error e("lifeguard::mariadb: cannot connect to " + options_.endpoint() +
                        (options_.database.empty() ? "" : " (database '" + options_.database + "')") +
                        ": error " + std::to_string(mysql_errno(m)) + ": " + mysql_error(m),
                    mysql_errno(m), mysql_sqlstate(m));
            mysql_close(m);
            throw e;
        }
        require_tls_if_asked(m);
        return m;
    }

    /// Frees the connection politely (COM_QUIT).
    void close(connection_type& m) noexcept {
        mysql_close(m);
        m = nullptr;
    }

    /// Frees the connection without a byte on the wire. mysql_close always sends
    /// COM_QUIT (and a TLS close_notify); in a forked child that would end the parent's
    /// session. So the socket descriptor is first pointed at /dev/null: the goodbye goes
    /// nowhere and closing the descriptor leaves the parent's socket open.
    void abandon(connection_type& m) noexcept {
        detach_socket(m);
        mysql_close(m);
        m = nullptr;
    }

    /// COM_PING, answered within `timeout` (and within read_timeout). On a timeout the
    /// connection is unusable mid-command: its socket is detached so closing it later
    /// cannot block.
    bool ping(connection_type& m, std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        int result = 0;
        int status = mysql_ping_start(&result, m);
        while (status != 0) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                detach_socket(m);
                return false;
            }
            pollfd pfd{mysql_get_socket(m), 0, 0};
            if (status & MYSQL_WAIT_READ) pfd.events |= POLLIN;
            if (status & MYSQL_WAIT_WRITE) pfd.events |= POLLOUT;
            if (status & MYSQL_WAIT_EXCEPT) pfd.events |= POLLPRI;
            int wait_ms = static_cast<int>(left.count());
            if (status & MYSQL_WAIT_TIMEOUT) {
                const auto lib_ms = static_cast<int>(mysql_get_timeout_value_ms(m));
                if (lib_ms < wait_ms) wait_ms = lib_ms;
            }
            const int n = ::poll(&pfd, 1, wait_ms);
            int ready = 0;
            if (n > 0) {
                if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) ready |= MYSQL_WAIT_READ;
                if (pfd.revents & POLLOUT) ready |= MYSQL_WAIT_WRITE;
                if (pfd.revents & POLLPRI) ready |= MYSQL_WAIT_EXCEPT;
            } else if (n == 0) {
                if (!(status & MYSQL_WAIT_TIMEOUT)) continue;  // our deadline: checked above
                ready = MYSQL_WAIT_TIMEOUT;
            } else {
                continue;  // EINTR
            }
            status = mysql_ping_cont(&result, m, ready);
        }
        return result == 0;
    }

    /// The last command failed with a disconnect error (see is_disconnect).
    bool is_broken(const connection_type& m) const noexcept { return is_disconnect(mysql_errno(m)); }

    /// The server's status after the last command says a transaction is open. Exact:
    /// the flag describes the session now, not just the last statement.
    bool in_transaction(connection_type& m) noexcept { return (m->server_status & SERVER_STATUS_IN_TRANS) != 0; }
    bool rollback(connection_type& m) { return mysql_rollback(m) == 0; }
    /// COM_RESET_CONNECTION: rolls back, drops temporary tables and user variables,
    /// resets session variables and closes prepared statements, without re-authenticating.
    bool reset_session(connection_type& m) { return mysql_reset_connection(m) == 0; }

private:
    static void library_init() {
        // mysql_init() initialises the library on first use, which is not thread-safe.
        static std::once_flag once;
        std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
    }

    static void detach_socket(MYSQL* m) noexcept {
        const auto fd = mysql_get_socket(m);
        if (fd < 0) return;
        const int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull >= 0) {
            ::dup2(devnull, fd);
            ::close(devnull);
        }
    }

    // Connector/C tries TLS whenever use_ssl is set and the server offers it, and refuses
    // a server without TLS before authentication only when it must verify the
    // certificate. It checks certificate and host name together, so VERIFY_CA is as
    // strict as VERIFY_IDENTITY. REQUIRED without verification is checked after connect.
    void configure_tls(MYSQL* m) const {
        if (options_.ssl_mode == SslMode::disabled) return;
        if (!options_.ssl_ca.empty()) mysql_optionsv(m, MYSQL_OPT_SSL_CA, options_.ssl_ca.c_str());
        if (!options_.ssl_cert.empty()) mysql_optionsv(m, MYSQL_OPT_SSL_CERT, options_.ssl_cert.c_str());
        if (!options_.ssl_key.empty()) mysql_optionsv(m, MYSQL_OPT_SSL_KEY, options_.ssl_key.c_str());
        const my_bool on = 1;
        mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &on);
        if (options_.ssl_mode == SslMode::verify_ca || options_.ssl_mode == SslMode::verify_identity)
            mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
    }

    // A plaintext connection where the options demand TLS is closed, not used.
    void require_tls_if_asked(MYSQL* m) const {
        if (options_.ssl_mode == SslMode::disabled || options_.ssl_mode == SslMode::preferred) return;
        if (mysql_get_ssl_cipher(m) != nullptr) return;
        Error e("lifeguard::mariadb: ssl_mode=" + std::string(detail::ssl_mode_name(options_.ssl_mode)) +
                    " but the connection to " + options_.endpoint() +
                    " is not encrypted: the server does not offer TLS. Configure TLS on the server, or use "
                    "ssl_mode=PREFERRED to accept a plaintext connection",
                2026, "HY000");
        mysql_close(m);
        throw e;
    }

    ConnectOptions options_;
};

static_assert(lifeguard::Driver<Driver>);

} // namespace lifeguard::mariadb

#endif
