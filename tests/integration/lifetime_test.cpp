// Deadlines, process lifetimes and session setup against a real server (issues 7 and 13).
#include "child_process.hpp"
#include "db_support.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <thread>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

using namespace lifeguard;
using namespace lifeguard_db;
using namespace std::chrono_literals;
using Db = lifeguard::mariadb::Driver;

namespace {
// A TCP listener that accepts connections and never says a word.
struct silent_server {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    unsigned port = 0;
    silent_server() {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 8) != 0)
            throw std::runtime_error("silent_server: cannot listen");
        socklen_t len = sizeof addr;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
        port = ntohs(addr.sin_port);
    }
    ~silent_server() { ::close(fd); }
};
} // namespace

BOOST_AUTO_TEST_SUITE(deadlines)

BOOST_AUTO_TEST_CASE(the_acquire_timeout_bounds_the_connect_against_a_silent_server) {
    // Before: acquire(200ms) waited for the driver's whole connect_timeout (10 s here).
    silent_server silent;
    auto o = options();
    o.port = silent.port;
    o.connect_timeout = 10s;
    ConnectionPool<Db> pool(Db(o), sized(2));
    const auto start = std::chrono::steady_clock::now();
    try {
        (void)pool.acquire(200ms);
        BOOST_FAIL("connected to a server that never answers");
    } catch (const mariadb::Error& e) {
        BOOST_TEST(e.during_connect());
        BOOST_TEST(std::string(e.what()).find("no answer within") != std::string::npos, e.what());
        BOOST_TEST(std::string(e.what()).find(options().password) == std::string::npos);
    }
    const auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST((took < 1500ms), std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
    BOOST_TEST(pool.stats().open == 0u);  // the slot was given back
}

BOOST_AUTO_TEST_CASE(a_timed_connect_works_with_and_without_tls) {
    for (const auto& [name, o] : transports()) {
        BOOST_TEST_CONTEXT(name) {
            Db d(o);
            MYSQL* m = d.connect(5000ms);
            BOOST_TEST(select1(m));
            if (name == "tls") BOOST_TEST(mysql_get_ssl_cipher(m) != nullptr);
            d.close(m);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(process_lifetimes)

BOOST_AUTO_TEST_CASE(a_session_ends_with_its_parent_even_while_a_child_lives) {
    // A pre-fork parent holds a lease (in a transaction, with a row lock) on another thread
    // when it forks a long-lived child, then dies. The child must not keep the socket (and
    // with it the session and its locks) open: the atfork handler detaches inherited sockets.
    Db admin_driver(options());
    MYSQL* admin = admin_driver.connect();
    BOOST_REQUIRE(exec(admin, "CREATE TABLE IF NOT EXISTS lock_probe (id INT PRIMARY KEY) ENGINE=InnoDB") == 0u);
    BOOST_REQUIRE(exec(admin, "INSERT IGNORE INTO lock_probe VALUES (1)") == 0u);
    int ids[2];
    BOOST_REQUIRE(::pipe(ids) == 0);
    const pid_t parent = ::fork();
    if (parent == 0) {  // the "parent server"
        ::close(ids[0]);
        ConnectionPool<Db, DisposeAfterFork> pool(Db(options()), sized(2));
        std::atomic<bool> holding{false};
        std::thread worker([&] {
            auto lease = pool.acquire();
            exec(lease.get(), "START TRANSACTION");
            exec(lease.get(), "SELECT * FROM lock_probe WHERE id = 1 FOR UPDATE");
            const unsigned long id = mysql_thread_id(lease.get());
            (void)!::write(ids[1], &id, sizeof id);
            holding = true;
            for (;;) ::pause();  // holds the lease until the process dies
        });
        while (!holding) std::this_thread::yield();
        const pid_t child = ::fork();
        if (child == 0) {  // a worker that outlives its parent
            ::close(ids[1]);
            ::sleep(60);
            ::_exit(0);
        }
        const unsigned long child_pid = static_cast<unsigned long>(child);
        (void)!::write(ids[1], &child_pid, sizeof child_pid);
        ::kill(::getpid(), SIGKILL);  // the parent dies mid-transaction
    }
    ::close(ids[1]);
    unsigned long session = 0, orphan = 0;
    BOOST_REQUIRE(::read(ids[0], &session, sizeof session) == static_cast<ssize_t>(sizeof session));
    BOOST_REQUIRE(::read(ids[0], &orphan, sizeof orphan) == static_cast<ssize_t>(sizeof orphan));
    ::close(ids[0]);
    int status = 0;
    ::waitpid(parent, &status, 0);
    bool gone = false;
    for (int i = 0; i < 250 && !gone; ++i) {  // the server notices the closed socket
        auto live = live_ids(admin);
        gone = std::count(live.begin(), live.end(), session) == 0;
        if (!gone) std::this_thread::sleep_for(20ms);
    }
    BOOST_TEST(gone, "session " << session << " of the dead parent is still open on the server");
    // And its row lock is gone with it.
    BOOST_TEST(exec(admin, "SET SESSION innodb_lock_wait_timeout=1") == 0u);
    BOOST_TEST(exec(admin, "START TRANSACTION") == 0u);
    BOOST_TEST(exec(admin, "SELECT * FROM lock_probe WHERE id = 1 FOR UPDATE") == 0u);
    exec(admin, "ROLLBACK");
    BOOST_TEST(::kill(static_cast<pid_t>(orphan), 0) == 0);  // the child did outlive its parent
    ::kill(static_cast<pid_t>(orphan), SIGKILL);
    admin_driver.close(admin);
}

BOOST_AUTO_TEST_CASE(the_prefork_example_leaves_no_aborted_connection_behind,
                     LIFEGUARD_FORKS_WHILE_THREADS_ALLOCATE* needs_env("LIFEGUARD_PREFORK_EXAMPLE")) {
    // Before: its workers ended with std::exit(), which skips the pool's destructor; the
    // kernel closed their sockets without COM_QUIT and the server logged four "Aborted
    // connection" per run (the Aborted_clients counter).
    const char* example = std::getenv("LIFEGUARD_PREFORK_EXAMPLE");
    Db admin_driver(options());
    MYSQL* admin = admin_driver.connect();
    auto aborted = [&] {
        return std::stol(scalar(admin, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                                       "WHERE VARIABLE_NAME = 'ABORTED_CLIENTS'"));
    };
    const long before = aborted();
    // timeout(1): a hung worker fails the test instead of the whole suite's time limit.
    const std::string command = "timeout -s KILL 120 " + std::string(example) + " '" + tcp_url() + "' >/dev/null";
    BOOST_TEST(std::system(command.c_str()) == 0);
    long after = aborted();
    for (int i = 0; i < 50 && after == before; ++i) {  // the server counts a little later
        std::this_thread::sleep_for(10ms);
        after = aborted();
    }
    BOOST_TEST(after == before, (after - before) << " connection(s) aborted");
    admin_driver.close(admin);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(session_setup)

// Every lease, first or reused after a reset, sees the session init_command made.
template <class Reset>
void settings_hold_for_every_lease() {
    const std::string init = "SET SESSION time_zone='+05:00', SESSION sql_mode='ANSI_QUOTES,STRICT_ALL_TABLES', "
                             "SESSION tx_isolation='READ-COMMITTED'";
    ConnectionPool<Db, Reset> pool(Db(options(init)), sized(1, 1));
    unsigned long first_id = 0;
    for (int round = 0; round < 5; ++round) {
        auto lease = pool.acquire();
        MYSQL* m = lease.get();
        if (round == 0) first_id = mysql_thread_id(m);
        BOOST_TEST(mysql_thread_id(m) == first_id);  // the same session, reused
        BOOST_TEST(scalar(m, "SELECT @@time_zone") == "+05:00", "round " << round);
        BOOST_TEST(scalar(m, "SELECT @@sql_mode") == "ANSI_QUOTES,STRICT_ALL_TABLES", "round " << round);
        BOOST_TEST(scalar(m, "SELECT @@tx_isolation") == "READ-COMMITTED", "round " << round);
        BOOST_TEST(scalar(m, "SELECT @leftover") == "<NULL>", "round " << round);
        // What the reset policy clears, the lease leaves behind for it.
        BOOST_REQUIRE(exec(m, "START TRANSACTION") == 0u);
        if constexpr (std::is_same_v<Reset, ResetOnReturn>) {
            BOOST_REQUIRE(exec(m, "SET SESSION time_zone='+00:00', SESSION sql_mode=''") == 0u);
            BOOST_REQUIRE(exec(m, "SET @leftover = 1") == 0u);
        }
    }
}

BOOST_AUTO_TEST_CASE(reset_on_return_keeps_the_init_command_settings) {
    // Before: COM_RESET_CONNECTION reset time_zone, sql_mode and the isolation level to the
    // server's defaults, so only the first lease of a connection saw them.
    settings_hold_for_every_lease<ResetOnReturn>();
}

BOOST_AUTO_TEST_CASE(rollback_on_return_keeps_the_init_command_settings) {
    settings_hold_for_every_lease<RollbackOnReturn>();
}

BOOST_AUTO_TEST_SUITE_END()
