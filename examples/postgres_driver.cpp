// A lifeguard Driver for a second database, PostgreSQL through libpq (Debian libpq-dev):
// docs/driver.md walks through it. Compiled by the test build when libpq is found; run it
// with a URL: postgres_driver postgresql://user:password@host/db
#include <lifeguard/lifeguard.hpp>

#include <libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

// [postgres-driver]
// The pool calls connect() from several threads at once (its own and, with maintenance, its
// workers'), so a Driver must be safe to use concurrently: this one only reads its conninfo.
class PgDriver {
public:
    using connection_type = PGconn*;

    explicit PgDriver(std::string conninfo) : conninfo_(std::move(conninfo)) {}

    connection_type connect() {
        PGconn* c = PQconnectdb(conninfo_.c_str());
        if (PQstatus(c) != CONNECTION_OK) {
            // PQerrorMessage names host and user, never the password.
            std::string why = PQerrorMessage(c);
            PQfinish(c);
            throw std::runtime_error("postgres: cannot connect: " + why);
        }
        return c;
    }
    void close(connection_type& c) noexcept {  // sends Terminate, politely
        PQfinish(c);
        c = nullptr;
    }
    void abandon(connection_type& c) noexcept {  // a forked child: not a byte on the wire
        detach(c);
        PQfinish(c);
        c = nullptr;
    }
    bool ping(connection_type& c, std::chrono::milliseconds timeout) {
        if (PQsendQuery(c, "") == 0) return false;  // an empty query: the cheapest round trip
        const int fd = PQsocket(c);
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (PQisBusy(c)) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            pollfd pfd{fd, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return false;
            if (PQconsumeInput(c) == 0) return false;
        }
        bool ok = true;
        while (PGresult* r = PQgetResult(c)) {
            ok = ok && PQresultStatus(r) != PGRES_FATAL_ERROR;
            PQclear(r);
        }
        return ok;
    }
    bool is_broken(const connection_type& c) const noexcept { return PQstatus(c) == CONNECTION_BAD; }

    // Optional capabilities (lifeguard/driver_capabilities.hpp): each one the pool finds, it uses.
    void detach(connection_type& c) noexcept {  // DetachableDriver: async-signal-safe
        const int fd = PQsocket(c);
        const int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        if (fd >= 0 && devnull >= 0) ::dup2(devnull, fd);
        if (devnull >= 0) ::close(devnull);
    }
    lifeguard::SocketState socket_state(const connection_type& c) const noexcept {  // SocketCheckDriver
        pollfd pfd{PQsocket(c), POLLIN | POLLRDHUP, 0};
        const int n = ::poll(&pfd, 1, 0);
        if (n == 0) return lifeguard::SocketState::open;
        if (n > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR))) return lifeguard::SocketState::closed;
        return lifeguard::SocketState::unsure;  // e.g. a NOTICE the server sent
    }
    bool reset_session(connection_type& c) {  // for ResetOnReturn
        PGresult* r = PQexec(c, "DISCARD ALL");
        const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        return ok;
    }

private:
    std::string conninfo_;
};

static_assert(lifeguard::Driver<PgDriver>);
static_assert(lifeguard::DetachableDriver<PgDriver> && lifeguard::SocketCheckDriver<PgDriver>);
// [postgres-driver]

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: postgres_driver postgresql://user:password@host/database\n");
        return 2;
    }
    try {
        lifeguard::PoolOptions options;
        options.max_size = 4;
        lifeguard::ConnectionPool<PgDriver, lifeguard::TieredValidation, lifeguard::ResetOnReturn,
                                  lifeguard::DisposeAfterFork>
            pool{PgDriver(argv[1]), options};
        auto lease = pool.acquire();
        PGresult* r = PQexec(lease.get(), "SELECT version()");
        std::printf("%s\n", PQgetvalue(r, 0, 0));
        PQclear(r);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
