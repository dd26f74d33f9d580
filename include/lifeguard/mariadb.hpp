// lifeguard::mariadb::Driver: MariaDB Connector/C behind the lifeguard::Driver concept.
// The only lifeguard header that includes <mysql.h>; link with lifeguard::mariadb.
#ifndef LIFEGUARD_MARIADB_HPP
#define LIFEGUARD_MARIADB_HPP

#include <lifeguard/detail/deadline.hpp>
#include <lifeguard/driver.hpp>
#include <lifeguard/driver_capabilities.hpp>
#include <lifeguard/mariadb/connect_options.hpp>
#include <lifeguard/mariadb/error.hpp>

#include <mysql.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace lifeguard::mariadb {

/// Models lifeguard::Driver (plus in_transaction/rollback/reset_session for the reset
/// policies). Copies share nothing but the options. connection_type is MYSQL*.
class Driver {
public:
    using connection_type = MYSQL*;

    explicit Driver(ConnectOptions options)
        : options_(std::move(options)),
          ready_until_(options_.galera ? std::make_shared<ready_table>(options_.host_count()) : nullptr) {
        library_init();
    }
    /// @throws UrlError for a malformed URL.
    explicit Driver(std::string_view url) : Driver(parse_url(url)) {}

    [[nodiscard]] const ConnectOptions& options() const noexcept { return options_; }

    /// Opens a connection. Auto-reconnect stays off: a reconnect would silently lose
    /// session state and transactions, and the pool replaces dead connections anyway.
    /// @throws Error (during_connect()) naming user and endpoint, never the password.
    connection_type connect() { return connect_to(0, std::chrono::milliseconds::max()); }

    /// Models lifeguard::TimedConnect: as connect(), but gives up after `timeout` (the pool
    /// passes what is left of an acquire's deadline), whatever connect_timeout says.
    connection_type connect(std::chrono::milliseconds timeout) { return connect_to(0, timeout); }

    /// Models lifeguard::MultiHostDriver: the URL's hosts (mariadb://u@h1:3306,h2:3306/db).
    [[nodiscard]] std::size_t host_count() const noexcept { return options_.host_count(); }

    /// Opens a connection to host `host` (0-based, in the URL's order) within `timeout`
    /// (milliseconds::max(): connect_timeout alone). With galera=on, a node that is not ready
    /// for queries (wsrep_ready OFF: joining, donor, outside the primary component) is refused
    /// with error 1047.
    /// @throws Error (during_connect()) naming user and host, never the password.
    connection_type connect_to(std::size_t host, std::chrono::milliseconds timeout) {
        const HostAddress where = options_.host_at(host);
        const Credentials who = credentials();
        MYSQL* m = new_handle();
        const auto deadline = timeout == std::chrono::milliseconds::max()
                                  ? std::chrono::steady_clock::time_point::max()
                                  : lifeguard::detail::saturating_add(std::chrono::steady_clock::now(), timeout);
        if (timeout == std::chrono::milliseconds::max()) {
            if (mysql_real_connect(m, where.host.c_str(), who.user.c_str(), who.password.c_str(), database(),
                                   where.port, unix_socket(), CLIENT_MULTI_RESULTS) == nullptr)
                fail_connect(m, who.user, host);
        } else {
            MYSQL* ret = nullptr;
            int status = mysql_real_connect_start(&ret, m, where.host.c_str(), who.user.c_str(), who.password.c_str(),
                                                  database(), where.port, unix_socket(), CLIENT_MULTI_RESULTS);
            if (!drive(m, status, deadline, [&](int ready) { return mysql_real_connect_cont(&ret, m, ready); })) {
                detach_socket(m);  // mid-handshake: nothing more goes on the wire
                mysql_close(m);
                throw Error("lifeguard::mariadb: cannot connect to " + endpoint(who.user, host) + ": no answer within " +
                                std::to_string(timeout.count()) + " ms (what was left of the acquire timeout)",
                            2013, "HY000", Error::phase::connect);
            }
            if (ret == nullptr) fail_connect(m, who.user, host);
        }
        require_tls_if_asked(m);
        if (options_.galera) require_ready_node(m, who.user, host, deadline);
        return m;
    }

    /// Frees the connection politely (COM_QUIT).
    void close(connection_type& m) noexcept {
        mysql_close(m);
        m = nullptr;
    }

    /// Models lifeguard::DetachableDriver. Async-signal-safe, no I/O: points the socket
    /// descriptor at /dev/null, so this process no longer holds the server connection open;
    /// the handle itself stays allocated (abandon() frees it).
    void detach(connection_type& m) noexcept { detach_socket(m); }

    /// Frees the connection without a byte on the wire. mysql_close always sends
    /// COM_QUIT (and a TLS close_notify); in a forked child that would end the parent's
    /// session. So the socket descriptor is first pointed at /dev/null: the goodbye goes
    /// nowhere and closing the descriptor leaves the parent's socket open.
    void abandon(connection_type& m) noexcept {
        detach_socket(m);
        mysql_close(m);
        m = nullptr;
    }

    /// COM_PING, answered within `timeout` (and within read_timeout). galera=on: the node's
    /// wsrep_ready, read at most once a second per node (COM_PING in between). On a timeout the
    /// connection is unusable mid-command: its socket is detached so closing it later
    /// cannot block.
    bool ping(connection_type& m, std::chrono::milliseconds timeout) {
        const auto deadline = lifeguard::detail::saturating_add(std::chrono::steady_clock::now(), timeout);
        int result = 0;
        if (options_.galera && !ready_recently(m)) return node_ready(m, deadline);
        const int status = mysql_ping_start(&result, m);
        if (!drive(m, status, deadline, [&](int ready) { return mysql_ping_cont(&result, m, ready); })) {
            detach_socket(m);
            return false;
        }
        return result == 0;
    }

    /// Models lifeguard::SocketCheckDriver: poll() with no timeout. End of file, a reset or
    /// an error (the server closed the session: idle kill, KILL, restart) is `closed`; bytes
    /// waiting while the connection sat idle are `unsure` (an error packet, or TLS records
    /// such as a session ticket: only a ping can tell), never `closed`.
    [[nodiscard]] SocketState socket_state(const connection_type& m) const noexcept {
        pollfd pfd{mysql_get_socket(m), POLLIN | POLLRDHUP, 0};
        if (pfd.fd < 0) return SocketState::closed;
        const int n = ::poll(&pfd, 1, 0);
        if (n == 0) return SocketState::open;
        if (n < 0) return SocketState::unsure;
        if (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) return SocketState::closed;
        return SocketState::unsure;
    }

    /// Models lifeguard::IdleLimitDriver: the session's wait_timeout (after init_command,
    /// which may change it), one round trip. Zero if it cannot be read.
    [[nodiscard]] std::chrono::milliseconds idle_limit(connection_type& m) {
        static constexpr char sql[] = "SELECT @@SESSION.wait_timeout";
        if (mysql_real_query(m, sql, sizeof sql - 1) != 0) return std::chrono::milliseconds(0);
        MYSQL_RES* r = mysql_store_result(m);
        if (r == nullptr) return std::chrono::milliseconds(0);
        long long seconds = 0;
        if (MYSQL_ROW row = mysql_fetch_row(r); row != nullptr && row[0] != nullptr) seconds = std::atoll(row[0]);
        mysql_free_result(r);
        return std::chrono::milliseconds(seconds > 0 ? seconds * 1000 : 0);
    }

    /// The last command failed with a disconnect error (see is_disconnect).
    bool is_broken(const connection_type& m) const noexcept { return is_disconnect(mysql_errno(m)); }

    /// The server's status after the last command says a transaction is open. Exact:
    /// the flag describes the session now, not just the last statement.
    bool in_transaction(connection_type& m) noexcept { return (m->server_status & SERVER_STATUS_IN_TRANS) != 0; }
    bool rollback(connection_type& m) { return mysql_rollback(m) == 0; }
    /// COM_RESET_CONNECTION: rolls back, drops temporary tables and user variables,
    /// resets session variables and closes prepared statements, without re-authenticating.
    /// It keeps the handshake's character set but undoes what init_command set (time_zone,
    /// sql_mode, the isolation level...), so init_command runs again: every lease sees the
    /// session a new connection would have.
    bool reset_session(connection_type& m) {
        if (mysql_reset_connection(m) != 0) return false;
        return options_.init_command.empty() || run(m, options_.init_command);
    }

    /// Models lifeguard::AsyncResetDriver: sends COM_RESET_CONNECTION without waiting for
    /// the reply (mysql_reset_connection_start). About 10 us on loopback.
    ResetProgress reset_start(connection_type& m) {
        int result = 0;
        if (mysql_reset_connection_start(&result, m) != 0) return ResetProgress::pending;
        if (result != 0) return ResetProgress::failed;
        return options_.init_command.empty() || run(m, options_.init_command) ? ResetProgress::done
                                                                                : ResetProgress::failed;
    }
    /// Reads the reply of reset_start() (within read_timeout) and runs init_command again.
    bool reset_finish(connection_type& m) {
        int result = 0;
        const auto deadline = options_.read_timeout.count() > 0
                                  ? std::chrono::steady_clock::now() + options_.read_timeout
                                  : std::chrono::steady_clock::time_point::max();
        if (!drive(m, MYSQL_WAIT_READ, deadline,
                   [&](int ready) { return mysql_reset_connection_cont(&result, m, ready); })) {
            detach_socket(m);  // mid-command: nothing more goes on the wire
            return false;
        }
        if (result != 0) return false;
        return options_.init_command.empty() || run(m, options_.init_command);
    }

private:
    MYSQL* new_handle() {
        MYSQL* m = mysql_init(nullptr);
        if (m == nullptr)
            throw Error("lifeguard::mariadb: mysql_init failed (out of memory)", 2008, "HY000", Error::phase::connect);
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
        // before. ping() and connect(timeout) need it to honour their deadlines.
        mysql_optionsv(m, MYSQL_OPT_NONBLOCK, 0);
        if (!options_.charset.empty()) mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, options_.charset.c_str());
        if (!options_.init_command.empty()) mysql_optionsv(m, MYSQL_INIT_COMMAND, options_.init_command.c_str());
        if (!options_.unix_socket.empty()) {
            const unsigned protocol = MYSQL_PROTOCOL_SOCKET;
            mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &protocol);
        }
        configure_tls(m);
        return m;
    }

    [[nodiscard]] const char* database() const noexcept {
        return options_.database.empty() ? nullptr : options_.database.c_str();
    }
    [[nodiscard]] const char* unix_socket() const noexcept {
        return options_.unix_socket.empty() ? nullptr : options_.unix_socket.c_str();
    }

    // The user and password for a new connection: the callback's, or the options'.
    [[nodiscard]] Credentials credentials() const {
        if (options_.credentials) return options_.credentials();
        return {options_.user, options_.password};
    }
    [[nodiscard]] std::string endpoint(const std::string& user, std::size_t host = 0) const {
        if (!options_.unix_socket.empty()) return user + "@" + options_.unix_socket;
        const HostAddress a = options_.host_at(host);
        return user + "@" + a.host + ":" + std::to_string(a.port);
    }

    // galera=on. A node outside the primary component answers COM_PING and table-less
    // queries alike; its wsrep_ready status says whether it serves data. Reading it costs
    // several round trips' worth (~300 us against ~60 us for a ping, docs/benchmarks.md), so a
    // node found ready is trusted for ready_for, per host: pings in between are COM_PING.
    static constexpr std::chrono::milliseconds ready_for{1000};
    struct ready_table {
        explicit ready_table(std::size_t hosts) : until(std::make_unique<std::atomic<std::int64_t>[]>(hosts)), count(hosts) {}
        std::unique_ptr<std::atomic<std::int64_t>[]> until;  // steady ns
        std::size_t count;
    };
    // Which of the URL's hosts a connection went to (by its host and port); npos if unknown.
    [[nodiscard]] std::size_t host_index(MYSQL* m) const noexcept {
        const char* host = nullptr;
        unsigned port = 0;
        if (mariadb_get_infov(m, MARIADB_CONNECTION_HOST, &host) != 0 || host == nullptr) return std::size_t(-1);
        if (mariadb_get_infov(m, MARIADB_CONNECTION_PORT, &port) != 0) return std::size_t(-1);
        for (std::size_t i = 0; i < options_.host_count(); ++i) {
            const HostAddress a = options_.host_at(i);
            if (a.port == port && a.host == host) return i;
        }
        return std::size_t(-1);
    }
    [[nodiscard]] bool ready_recently(MYSQL* m) const noexcept {
        const std::size_t i = host_index(m);
        return i < ready_until_->count &&
               lifeguard::detail::steady_ns() < ready_until_->until[i].load(std::memory_order_relaxed);
    }
    void mark_ready(MYSQL* m) const noexcept {
        const std::size_t i = host_index(m);
        if (i < ready_until_->count)
            ready_until_->until[i].store(lifeguard::detail::steady_ns() + std::chrono::nanoseconds(ready_for).count(),
                                         std::memory_order_relaxed);
    }
    // The node's wsrep_ready ("ON", "OFF"; empty: not a Galera node, or the query failed),
    // read within `deadline`; nullopt if no answer came by then (the socket is detached).
    std::optional<std::string> wsrep_ready(MYSQL* m, std::chrono::steady_clock::time_point deadline) const {
        static constexpr char sql[] = "SHOW STATUS LIKE 'wsrep_ready'";
        int result = 0;
        int status = mysql_real_query_start(&result, m, sql, sizeof sql - 1);
        MYSQL_RES* res = nullptr;
        if (!drive(m, status, deadline, [&](int ready) { return mysql_real_query_cont(&result, m, ready); }) ||
            (result == 0 &&
             !drive(m, mysql_store_result_start(&res, m), deadline,
                    [&](int ready) { return mysql_store_result_cont(&res, m, ready); }))) {
            detach_socket(m);
            return std::nullopt;
        }
        std::string value;
        if (res != nullptr) {
            if (MYSQL_ROW row = mysql_fetch_row(res); row != nullptr && row[1] != nullptr) value = row[1];
            mysql_free_result(res);
        }
        if (value == "ON") mark_ready(m);
        return value;
    }

    // galera=on, at checkout: false if the node is not ready or did not answer in time.
    bool node_ready(MYSQL* m, std::chrono::steady_clock::time_point deadline) const {
        return wsrep_ready(m, deadline) == "ON";
    }

    // galera=on, at connect: a node that is not ready for queries is refused like a failed
    // connect, within what is left of the connect's deadline.
    void require_ready_node(MYSQL* m, const std::string& user, std::size_t host,
                            std::chrono::steady_clock::time_point deadline) const {
        const std::optional<std::string> ready = wsrep_ready(m, deadline);
        if (ready == "ON") return;
        const std::string state = !ready                ? std::string("unknown: no answer in time")
                                  : ready->empty() ? std::string("unknown: not a Galera node, or the query failed")
                                                   : *ready;
        Error e("lifeguard::mariadb: " + endpoint(user, host) + " is not ready for queries (wsrep_ready " + state +
                    "): it is joining, a donor, or outside the primary component; galera=on skips it",
                1047, "08S01", Error::phase::connect);
        mysql_close(m);
        throw e;
    }

    [[noreturn]] void fail_connect(MYSQL* m, const std::string& user, std::size_t host = 0) const {
        Error e("lifeguard::mariadb: cannot connect to " + endpoint(user, host) +
                    (options_.database.empty() ? "" : " (database '" + options_.database + "')") + ": error " +
                    std::to_string(mysql_errno(m)) + ": " + mysql_error(m),
                mysql_errno(m), mysql_sqlstate(m), Error::phase::connect);
        mysql_close(m);
        throw e;
    }

    // Runs SQL and discards every result; false on error.
    static bool run(MYSQL* m, const std::string& sql) {
        if (mysql_real_query(m, sql.data(), sql.size()) != 0) return false;
        do {
            if (MYSQL_RES* r = mysql_store_result(m)) mysql_free_result(r);
            else if (mysql_field_count(m) != 0) return false;
        } while (mysql_next_result(m) == 0);
        return mysql_errno(m) == 0;
    }

    // Drives a Connector/C non-blocking call to completion: `status` is what its _start
    // returned, `cont(ready)` its _cont. False if `deadline` passed first.
    template <class Cont>
    static bool drive(MYSQL* m, int status, std::chrono::steady_clock::time_point deadline, Cont cont) {
        while (status != 0) {
            int wait_ms = -1;
            if (deadline != std::chrono::steady_clock::time_point::max()) {
                const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline -
                                                                                std::chrono::steady_clock::now());
                if (left.count() <= 0) return false;
                wait_ms = left.count() > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(left.count());
            }
            pollfd pfd{mysql_get_socket(m), 0, 0};
            if (status & MYSQL_WAIT_READ) pfd.events |= POLLIN;
            if (status & MYSQL_WAIT_WRITE) pfd.events |= POLLOUT;
            if (status & MYSQL_WAIT_EXCEPT) pfd.events |= POLLPRI;
            bool library_limit = false;  // whose limit bounds this wait: the library's timeout, or our deadline
            if (status & MYSQL_WAIT_TIMEOUT) {
                const auto lib_ms = static_cast<int>(mysql_get_timeout_value_ms(m));
                if (wait_ms < 0 || lib_ms <= wait_ms) {
                    wait_ms = lib_ms;
                    library_limit = true;
                }
            }
            const int n = ::poll(&pfd, 1, wait_ms);
            int ready = 0;
            if (n > 0) {
                if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) ready |= MYSQL_WAIT_READ;
                if (pfd.revents & (POLLOUT | POLLHUP | POLLERR)) ready |= MYSQL_WAIT_WRITE;
                if (pfd.revents & POLLPRI) ready |= MYSQL_WAIT_EXCEPT;
            } else if (n == 0) {
                if (!library_limit) continue;  // our deadline: checked at the top
                ready = MYSQL_WAIT_TIMEOUT;
            } else {
                continue;  // EINTR
            }
            status = cont(ready);
        }
        return true;
    }

    static void library_init() {
        // mysql_init() initialises the library on first use, which is not thread-safe.
        static std::once_flag once;
        std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
    }

    // Async-signal-safe: open, dup2 and close are; mysql_get_socket reads a field.
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
                2026, "HY000", Error::phase::connect);
        mysql_close(m);
        throw e;
    }

    ConnectOptions options_;
    std::shared_ptr<ready_table> ready_until_;  // galera=on only
};

static_assert(lifeguard::Driver<Driver>);
static_assert(lifeguard::TimedConnect<Driver>);
static_assert(lifeguard::DetachableDriver<Driver>);
static_assert(lifeguard::SocketCheckDriver<Driver>);
static_assert(lifeguard::IdleLimitDriver<Driver>);
static_assert(lifeguard::AsyncResetDriver<Driver>);
static_assert(lifeguard::MultiHostDriver<Driver>);

} // namespace lifeguard::mariadb

#endif
