// Operations against a real server (issue 10): a session setup hook on every connection and
// after every reset, credentials that rotate while a pool runs, events and metrics of real
// connects.
#include "db_support.hpp"

#include <lifeguard/metrics.hpp>

#include <boost/test/unit_test.hpp>

#include <mutex>
#include <thread>

using namespace lifeguard;
using namespace lifeguard_db;
using namespace std::chrono_literals;
using Db = lifeguard::mariadb::Driver;

BOOST_AUTO_TEST_SUITE(operations)

BOOST_AUTO_TEST_CASE(the_setup_hook_prepares_every_session_also_after_a_reset) {
    // Two statements and a prepared statement: what one init_command cannot do.
    auto setup = SessionSetup([](MYSQL* m) {
        if (exec(m, "SET SESSION time_zone = '+03:00'") != 0u || exec(m, "SET @app = 'shop'") != 0u)
            throw mariadb::Error(mysql_error(m), mysql_errno(m), mysql_sqlstate(m));
        if (exec(m, "PREPARE by_id FROM 'SELECT ? + 1'") != 0u)
            throw mariadb::Error(mysql_error(m), mysql_errno(m), mysql_sqlstate(m));
    });
    for (const auto& [name, o] : transports()) {
        BOOST_TEST_CONTEXT(name) {
            ConnectionPool<Db, decltype(setup), ResetOnReturn> pool(Db(o), sized(2), setup);
            for (int round = 0; round < 4; ++round) {
                auto a = pool.acquire();
                auto b = pool.acquire();  // two connections, each set up
                for (auto* lease : {&a, &b}) {
                    MYSQL* m = lease->get();
                    BOOST_TEST(scalar(m, "SELECT @@time_zone") == "+03:00", "round " << round);
                    BOOST_TEST(scalar(m, "SELECT @app") == "shop", "round " << round);
                    BOOST_TEST(exec(m, "SET @x = 41") == 0u);
                    BOOST_TEST(scalar(m, "EXECUTE by_id USING @x") == "42", "round " << round);
                    // Leave the session changed: the reset clears it, the setup restores it.
                    BOOST_TEST(exec(m, "SET SESSION time_zone = '+00:00', @app = NULL") == 0u);
                    BOOST_TEST(exec(m, "DEALLOCATE PREPARE by_id") == 0u);
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(credentials_rotate_while_the_pool_runs) {
    Db admin_driver(options());
    MYSQL* admin = admin_driver.connect();
    exec(admin, "DROP USER IF EXISTS 'rotating'@'127.0.0.1'");
    BOOST_REQUIRE(exec(admin, "CREATE USER 'rotating'@'127.0.0.1' IDENTIFIED BY 'first-Secret1'") == 0u);
    std::mutex m;
    std::string current = "first-Secret1";
    int calls = 0;
    auto o = options();
    o.user = "not-used";
    o.database.clear();  // the rotating user has no privileges: no default database
    o.password.clear();
    o.credentials = [&] {
        std::lock_guard lock(m);
        ++calls;
        return mariadb::Credentials{"rotating", current};
    };
    Metrics metrics;
    ConnectionPool<Db, Metrics> pool(Db(o), sized(4, 2), metrics);
    BOOST_TEST(calls == 2);
    auto old_session = pool.acquire();
    BOOST_TEST(scalar(old_session.get(), "SELECT CURRENT_USER()") == "rotating@127.0.0.1");
    // The password rotates on the server; the callback learns the new one.
    BOOST_REQUIRE(exec(admin, "ALTER USER 'rotating'@'127.0.0.1' IDENTIFIED BY 'second-Secret2'") == 0u);
    BOOST_TEST(select1(old_session.get()));  // open sessions keep working
    pool.invalidate();  // retire what was opened with the old password
    try {  // the callback still returns the old password: a new connect is refused
        (void)pool.acquire();
        BOOST_FAIL("connected with a rotated password");
    } catch (const mariadb::Error& e) {
        BOOST_TEST(e.code() == 1045u);
        BOOST_TEST(std::string(e.what()).find("rotating@") != std::string::npos, e.what());
        BOOST_TEST(std::string(e.what()).find("first-Secret1") == std::string::npos, e.what());
    }
    {
        std::lock_guard lock(m);
        current = "second-Secret2";  // the secrets manager has the new one
    }
    auto fresh = pool.acquire();
    BOOST_TEST(scalar(fresh.get(), "SELECT CURRENT_USER()") == "rotating@127.0.0.1");
    BOOST_TEST(select1(old_session.get()));  // still: invalidate() never takes a lease away
    old_session.release();                    // ... and closes it when it comes back
    fresh.release();
    const auto s = metrics.snapshot(pool);
    BOOST_TEST(s.connect_failures == 1u);
    BOOST_TEST(s.closed_by_reason[static_cast<std::size_t>(CloseReason::invalidated)] == 2u);  // an idle one, then the lease
    BOOST_TEST(calls >= 4);
    BOOST_TEST(pool.close());
    exec(admin, "DROP USER 'rotating'@'127.0.0.1'");
    admin_driver.close(admin);
}

BOOST_AUTO_TEST_SUITE_END()
