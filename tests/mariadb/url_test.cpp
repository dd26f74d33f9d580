// URL parsing and redaction: no server needed.
#include <lifeguard/mariadb.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

using lifeguard::mariadb::ConnectOptions;
using lifeguard::mariadb::parse_url;
using lifeguard::mariadb::SslMode;
using lifeguard::mariadb::UrlError;

BOOST_AUTO_TEST_SUITE(mariadb_url)

BOOST_AUTO_TEST_CASE(all_parts_and_options) {
    const auto o = parse_url("mariadb://app:s3cret@db.example:3307/shop?connect_timeout=3&read_timeout=4"
                             "&write_timeout=5&charset=latin1&init_command=SET%20time_zone%3D%27%2B00:00%27"
                             "&ssl_mode=verify_ca&ssl_ca=/etc/ca.pem&ssl_cert=/c.pem&ssl_key=/k.pem");
    BOOST_TEST(o.user == "app");
    BOOST_TEST(o.password == "s3cret");
    BOOST_TEST(o.host == "db.example");
    BOOST_TEST(o.port == 3307u);
    BOOST_TEST(o.database == "shop");
    BOOST_TEST(o.connect_timeout.count() == 3);
    BOOST_TEST(o.read_timeout.count() == 4);
    BOOST_TEST(o.write_timeout.count() == 5);
    BOOST_TEST(o.charset == "latin1");
    BOOST_TEST(o.init_command == "SET time_zone='+00:00'");
    BOOST_TEST((o.ssl_mode == SslMode::verify_ca));
    BOOST_TEST(o.ssl_ca == "/etc/ca.pem");
    BOOST_TEST(o.ssl_cert == "/c.pem");
    BOOST_TEST(o.ssl_key == "/k.pem");
}

BOOST_AUTO_TEST_CASE(sqlalchemy_schemes_and_defaults) {
    for (const char* scheme : {"mariadb", "mysql", "mysql+mysqldb"}) {
        const auto o = parse_url(std::string(scheme) + "://u@h/d");
        BOOST_TEST(o.port == 3306u);
        BOOST_TEST(o.password.empty());
        BOOST_TEST((o.ssl_mode == SslMode::disabled));
    }
}

BOOST_AUTO_TEST_CASE(percent_decoding_in_user_and_password) {
    const auto o = parse_url("mariadb://us%40er:p%40ss%3Aw%2Frd%25@h/alice$default");
    BOOST_TEST(o.user == "us@er");
    BOOST_TEST(o.password == "p@ss:w/rd%");
    BOOST_TEST(o.database == "alice$default");
}

BOOST_AUTO_TEST_CASE(unix_socket_and_ipv6) {
    const auto s = parse_url("mysql://u:p@localhost/db?unix_socket=/run/mysqld/mysqld.sock");
    BOOST_TEST(s.unix_socket == "/run/mysqld/mysqld.sock");
    const auto no_host = parse_url("mysql://u@/db?unix_socket=/tmp/s.sock");
    BOOST_TEST(no_host.host == "localhost");
    const auto v6 = parse_url("mysql://u@[::1]:3310/db");
    BOOST_TEST(v6.host == "::1");
    BOOST_TEST(v6.port == 3310u);
}

BOOST_AUTO_TEST_CASE(to_string_redacts_the_password_and_round_trips) {
    const auto o = parse_url("mariadb://app:p%40ss%3Aw%2Frd%25@h:3307/alice$default?unix_socket=/s.sock");
    const std::string s = o.to_string();
    BOOST_TEST(s.find("p@ss") == std::string::npos, s);
    BOOST_TEST(s.find("p%40ss") == std::string::npos, s);
    BOOST_TEST(s.find(":***@") != std::string::npos, s);
    auto back = parse_url(s);
    BOOST_TEST(back.user == o.user);
    BOOST_TEST(back.database == "alice$default");
    BOOST_TEST(back.unix_socket == "/s.sock");
    BOOST_TEST(back.port == 3307u);
}

struct malformed {
    const char* url;
    const char* message;
};

BOOST_AUTO_TEST_CASE(malformed_urls_name_the_wrong_part_and_never_the_password) {
    const malformed cases[] = {
        {"postgres://u:hunter2@h/db", "the scheme must be mariadb, mysql or mysql+mysqldb, got 'postgres'"},
        {"u:hunter2@h/db", "expected scheme://"},
        {"mysql://u:hunter2@h:abc/db", "the port (after the last ':' of the host part) must be a number from 1 to 65535"},
        {"mysql://u:hunter2@h:70000/db", "must be a number from 1 to 65535"},
        {"mysql://u:hunter2@h:/db", "must be a number from 1 to 65535"},
        {"mysql://u:hun@ter2@h/db", "the user or password contains '@'; percent-encode it as %40"},
        {"mysql://u:hunter2%zz@h/db", "the user or password has a '%' that does not start a %XX escape"},
        {"mysql://u:hunter2@h/db%2", "the database name has a '%'"},
        {"mysql://u:hunter2@h/db/extra", "the database name (after the host) must not contain '/'"},
        {"mysql://u/x:hunter2/db", "a ':' after the host part"},
        {"mysql://u:hunter2@h/db?colour=blue", "unknown option 'colour'; known options are unix_socket"},
        {"mysql://u:hunter2@h/db?connect_timeout=soon", "connect_timeout must be a whole number of seconds, got 'soon'"},
        {"mysql://u:hunter2@h/db?read_timeout=-1", "read_timeout must be a whole number of seconds"},
        {"mysql://u:hunter2@h/db?ssl_mode=maybe", "ssl_mode must be DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY"},
        {"mysql://u:hunter2@h/db?charset", "option charset needs a value"},
        {"mysql://u:hunter2@h/db#frag", "a fragment ('#...') has no meaning"},
        {"mysql://u:hunter2@/db", "no host given"},
        {"mysql://h/db", "no user given"},
        {"mysql://u:hunter2@h/db?x=%", "the query string has a '%'"},
    };
    for (const auto& c : cases) {
        try {
            (void)parse_url(c.url);
            BOOST_ERROR("accepted: " << c.url);
        } catch (const UrlError& e) {
            const std::string what = e.what();
            BOOST_TEST(what.find(c.message) != std::string::npos, c.url << " -> " << what);
            BOOST_TEST(what.find("lifeguard::mariadb: bad connection URL: ") == 0u, what);
            BOOST_TEST(what.find("hunter2") == std::string::npos, "password leaked: " << what);
        }
    }
}

// Every error path, and the malformed authorities a password can end up in, with a password
// that cannot be missed. Before, "mariadb://u:secretpw/db" (host left out) answered "the port
// must be a number from 1 to 65535, got 'secretpw'".
BOOST_AUTO_TEST_CASE(no_error_ever_contains_the_password) {
    const char* urls[] = {
        "mariadb://u:S3cretPw/db",                  // host left out: the password reads as a port
        "mariadb://u:S3cretPw",                     // and nothing after it
        "mariadb://u:S3cretPw@h:S3cretPw/db",       // pasted into the port
        "mariadb://u:S3cr/etPw@h/db",               // unescaped '/', '?', '#' in the password
        "mariadb://u:S3cr?etPw@h/db",
        "mariadb://u:S3cr#etPw@h/db",
        "mariadb://u:S3cr@etPw@h/db",               // unescaped '@'
        "mariadb://u:S3cr%zzetPw@h/db",             // bad escape
        "mariadb://u:S3cretPw%@h/db",
        "u:S3cretPw://h/db",                        // scheme
        "S3cretPw",                                 // no scheme at all
        "postgres://u:S3cretPw@h/db",
        "mariadb://u:S3cretPw@/db",                 // no host
        "mariadb://:S3cretPw@h/db",                 // no user
        "mariadb://u:S3cretPw@h/S3cretPw/x",        // the password echoed back as a database name
        "mariadb://u:S3cretPw@h/db?connect_timeout=S3cretPw",  // or as an option value
        "mariadb://u:S3cretPw@h/db?S3cretPw=1",     // or as an option name
        "mariadb://u:S3cretPw@h/db?ssl_mode=S3cretPw",
        "mariadb://u:S3cretPw@h/db#S3cretPw",
        "mariadb://u:S3cretPw@h/db?x=%zz",
        "mariadb://u:S3cretPw@[::1/db",             // broken IPv6
        "mariadb://u:%53%33cretPw@h:S3cretPw/db",   // percent-encoded password, decoded form pasted
    };
    for (const char* url : urls) {
        try {
            const auto o = parse_url(url);
            BOOST_ERROR("accepted: " << o.to_string());
        } catch (const UrlError& e) {
            const std::string what = e.what();
            BOOST_TEST(what.find("S3cr") == std::string::npos, "password leaked: " << what);
            BOOST_TEST(what.find("etPw") == std::string::npos, "password leaked: " << what);
            BOOST_TEST(what.find("lifeguard::mariadb: bad connection URL: ") == 0u, what);
        }
    }
    // The case from the report says what is wrong.
    try {
        (void)parse_url("mariadb://u:secretpw/db");
    } catch (const UrlError& e) {
        BOOST_TEST(std::string(e.what()).find("the host is missing: write user:password@host") != std::string::npos,
                   e.what());
    }
}

BOOST_AUTO_TEST_CASE(a_driver_can_be_built_from_a_url_without_connecting) {
    lifeguard::mariadb::Driver d("mariadb://u:p@h:1234/db");
    BOOST_TEST(d.options().port == 1234u);
    static_assert(lifeguard::Driver<lifeguard::mariadb::Driver>);
}

BOOST_AUTO_TEST_CASE(host_lists_for_clusters) {
    const auto o = parse_url("mariadb://app:p%40ss@db1:3307,db2,[::1]:3309/shop?galera=on&read_timeout=5");
    BOOST_TEST(o.host_count() == 3u);
    BOOST_TEST(o.hosts.at(0).host == "db1");
    BOOST_TEST(o.hosts.at(0).port == 3307u);
    BOOST_TEST(o.hosts.at(1).host == "db2");
    BOOST_TEST(o.hosts.at(1).port == 3306u);  // default port per entry
    BOOST_TEST(o.hosts.at(2).host == "::1");
    BOOST_TEST(o.hosts.at(2).port == 3309u);
    BOOST_TEST(o.host == "db1");  // host/port are the first entry
    BOOST_TEST(o.port == 3307u);
    BOOST_TEST(o.password == "p@ss");
    BOOST_TEST(o.database == "shop");
    BOOST_TEST(o.galera);
    BOOST_TEST(o.read_timeout.count() == 5);
    BOOST_TEST(o.endpoint(2) == "app@::1:3309");
    const std::string text = o.to_string();
    BOOST_TEST(text.find("db1:3307,db2:3306,[::1]:3309/shop") != std::string::npos);
    BOOST_TEST(text.find("p%40ss") == std::string::npos);
    const auto again = parse_url(text);  // round trip (the password aside)
    BOOST_TEST(again.host_count() == 3u);
    BOOST_TEST(again.hosts.at(2).port == 3309u);
    BOOST_TEST(again.galera);
    BOOST_TEST(parse_url("mariadb://u@h/d").host_count() == 1u);
    BOOST_TEST(parse_url("mariadb://u@h/d").hosts.empty());
    BOOST_TEST(!parse_url("mariadb://u@h/d").galera);
}

BOOST_AUTO_TEST_CASE(malformed_host_lists_are_named_by_position) {
    auto message = [](const std::string& url) -> std::string {
        try {
            (void)parse_url(url);
        } catch (const UrlError& e) {
            return e.what();
        }
        return "no error";
    };
    const std::string empty = message("mariadb://u:hunter2@db1,,db3/d");
    BOOST_TEST(empty.find("host 2 of the host list is empty") != std::string::npos);
    const std::string port = message("mariadb://u:hunter2@db1,db2:99999/d");
    BOOST_TEST(port.find("host 2 of the host list") != std::string::npos);
    BOOST_TEST(port.find("1 to 65535") != std::string::npos);
    const std::string socket = message("mariadb://u:hunter2@db1,db2/d?unix_socket=/run/s.sock");
    BOOST_TEST(socket.find("unix_socket names one server") != std::string::npos);
    const std::string galera = message("mariadb://u:hunter2@db1,db2/d?galera=sometimes");
    BOOST_TEST(galera.find("galera takes on or off") != std::string::npos);
    for (const auto& m : {empty, port, socket, galera}) BOOST_TEST(m.find("hunter2") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
