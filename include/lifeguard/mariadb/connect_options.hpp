// Connection settings for the MariaDB driver, from a struct or from a SQLAlchemy-style URL:
//   mariadb://user:password@host:port/database?option=value&...
// (also mysql:// and mysql+mysqldb://). Parsed with Boost.URL; percent-decoding applies
// to user, password, database and option values. Passwords never appear in messages.
#ifndef LIFEGUARD_MARIADB_CONNECT_OPTIONS_HPP
#define LIFEGUARD_MARIADB_CONNECT_OPTIONS_HPP

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lifeguard::mariadb {

enum class SslMode {
    disabled,         ///< plain TCP (the default)
    preferred,        ///< TLS if the server offers it
    required,         ///< TLS or fail
    verify_ca,        ///< TLS, server certificate signed by ssl_ca
    verify_identity,  ///< verify_ca, and the certificate names the host
};

/// A user and password, as a credentials callback returns them.
struct Credentials {
    std::string user;
    std::string password;
};

/// One server of a cluster: host name or address, and port.
struct HostAddress {
    std::string host;
    unsigned port = 3306;
};

/// Everything the driver needs to open a connection. Durations are whole seconds, as
/// Connector/C takes them; zero means "library default".
struct ConnectOptions {
    std::string host = "localhost";
    unsigned port = 3306;
    std::string user;
    std::string password;
    std::string database;
    std::string unix_socket;  ///< if set, used instead of TCP
    std::chrono::seconds connect_timeout{10};
    std::chrono::seconds read_timeout{30};   ///< bounds every read, including a ping's
    std::chrono::seconds write_timeout{30};
    std::string charset = "utf8mb4";
    std::string init_command;  ///< SQL run on every new connection
    SslMode ssl_mode = SslMode::disabled;
    std::string ssl_ca;
    std::string ssl_cert;
    std::string ssl_key;
    /// If set, called for every new connection (from any thread: it must be thread-safe); the
    /// user and password it returns replace `user` and `password` for that connection. For
    /// credentials that rotate (cloud IAM tokens, a secrets manager). Never logged or printed.
    std::function<Credentials()> credentials;
    /// More than one host (mariadb://user@h1:3306,h2:3306/db): every host, in order; `host`
    /// and `port` are the first. A host policy (Failover, LoadBalance) picks among them.
    std::vector<HostAddress> hosts;
    /// Galera cluster nodes (URL option galera=on): a connect checks that the node is ready
    /// (wsrep_ready ON, else error 1047), and a ping reads wsrep_ready too, at most once a
    /// second per node (a node outside the primary component answers COM_PING).
    bool galera = false;

    /// How many hosts: hosts.size(), or 1.
    [[nodiscard]] std::size_t host_count() const noexcept { return hosts.empty() ? 1 : hosts.size(); }
    /// Host i (0-based) of host_count().
    [[nodiscard]] HostAddress host_at(std::size_t i) const { return hosts.empty() ? HostAddress{host, port} : hosts.at(i); }

    /// A URL that opens the same connection, with the password replaced by "***" (a
    /// credentials callback cannot be written in a URL: it is left out).
    [[nodiscard]] std::string to_string() const;
    /// "user@host:port" (of host i) or "user@unix_socket", for messages.
    [[nodiscard]] std::string endpoint(std::size_t i = 0) const {
        if (!unix_socket.empty()) return user + "@" + unix_socket;
        const HostAddress a = host_at(i);
        return user + "@" + a.host + ":" + std::to_string(a.port);
    }
};

/// A URL that cannot be used. The message names the part that is wrong and never
/// contains the password.
class UrlError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

namespace detail {

[[noreturn]] inline void url_error(const std::string& what) {
    throw UrlError("lifeguard::mariadb: bad connection URL: " + what);
}

inline bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// Names the component holding a malformed %-escape (Boost.URL only says "invalid").
inline void check_percent_escapes(std::string_view part, const char* name) {
    for (std::size_t i = 0; i < part.size(); ++i) {
        if (part[i] == '%' && (i + 2 >= part.size() || !is_hex(part[i + 1]) || !is_hex(part[i + 2])))
            url_error(std::string("the ") + name + " has a '%' that does not start a %XX escape; write a "
                      "literal '%' as %25");
    }
}

// Text from the URL is quoted in a message only if it is a plain word: with a malformed URL
// any other part may hold (a piece of) the password.
inline bool is_word(std::string_view s) {
    return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
    });
}
inline std::string quoted(std::string_view s) { return is_word(s) ? ", got '" + std::string(s) + "'" : std::string(); }

inline std::chrono::seconds seconds_option(std::string_view key, const std::string& value) {
    if (value.empty() || value.size() > 9 || !std::all_of(value.begin(), value.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) != 0;
        }))
        url_error("option " + std::string(key) + " must be a whole number of seconds" + quoted(value));
    return std::chrono::seconds(std::stol(value));
}

inline SslMode ssl_mode_option(std::string value) {
    std::transform(value.begin(), value.end(), value.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (value == "DISABLED") return SslMode::disabled;
    if (value == "PREFERRED") return SslMode::preferred;
    if (value == "REQUIRED") return SslMode::required;
    if (value == "VERIFY_CA") return SslMode::verify_ca;
    if (value == "VERIFY_IDENTITY") return SslMode::verify_identity;
    url_error("option ssl_mode must be DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY" + quoted(value));
}

inline const char* ssl_mode_name(SslMode m) {
    switch (m) {
    case SslMode::disabled: return "DISABLED";
    case SslMode::preferred: return "PREFERRED";
    case SslMode::required: return "REQUIRED";
    case SslMode::verify_ca: return "VERIFY_CA";
    case SslMode::verify_identity: return "VERIFY_IDENTITY";
    }
    return "DISABLED";
}


// Where a password may sit in `url`, as written and percent-decoded, whole and cut at URL
// delimiters (a password holding '/' or '?' is parsed as a path or an option): between the
// first ':' of the userinfo and the last '@'; or, in a URL without '@' (a forgotten host,
// "u:secret/db"), everything after the first ':'. parse_url removes every one of them from its
// messages: messages never quote the authority anyway, this is the second line of defence.
inline std::vector<std::string> secrets_in(std::string_view url) {
    std::vector<std::string> out;
    const auto scheme_end = url.find("://");
    const auto rest = scheme_end == std::string_view::npos ? url : url.substr(scheme_end + 3);
    auto decode = [](std::string_view raw) {
        std::string decoded;
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '%' && i + 2 < raw.size() && is_hex(raw[i + 1]) && is_hex(raw[i + 2])) {
                decoded += static_cast<char>(std::stoi(std::string(raw.substr(i + 1, 2)), nullptr, 16));
                i += 2;
            } else {
                decoded += raw[i];
            }
        }
        return decoded;
    };
    auto add = [&](std::string_view raw) {
        for (const std::string& whole : {std::string(raw), decode(raw)}) {
            if (whole.size() >= 3) out.push_back(whole);
            std::size_t start = 0;
            for (std::size_t i = 0; i <= whole.size(); ++i) {
                if (i == whole.size() || std::string_view("/?#&=;:@").find(whole[i]) != std::string_view::npos) {
                    if (i - start >= 3 && i - start < whole.size()) out.push_back(whole.substr(start, i - start));
                    start = i + 1;
                }
            }
        }
    };
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos) return out;
    const auto at = rest.rfind('@');
    if (at == std::string_view::npos) add(rest.substr(colon + 1));
    else if (colon < at) add(rest.substr(colon + 1, at - colon - 1));
    return out;
}

inline std::string scrub(std::string message, const std::vector<std::string>& secrets) {
    for (const auto& secret : secrets)
        for (auto at = message.find(secret); at != std::string::npos; at = message.find(secret, at + 3))
            message.replace(at, secret.size(), "***");
    return message;
}

inline bool is_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

// The port after a host's last ':' (outside IPv6 brackets): 1 to 65535.
inline void check_port(std::string_view hostport, bool has_userinfo, const std::string& where = "the host part") {
    const auto colon = hostport.rfind(':');
    if (colon == std::string_view::npos || hostport.find(']', colon) != std::string_view::npos) return;
    const auto port_text = hostport.substr(colon + 1);
    const bool valid = is_digits(port_text) && port_text.size() <= 5 && std::stoul(std::string(port_text)) >= 1 &&
                       std::stoul(std::string(port_text)) <= 65535;
    if (!valid)
        url_error("the port (after the last ':' of " + where + ") must be a number from 1 to 65535" +
                  (has_userinfo ? "" : "; if that part is a password, the host is missing: write user:password@host"));
}

// One entry of a host list (h1:3306,h2:3306): parsed as a URL authority by Boost.URL.
inline HostAddress parse_host_entry(std::string_view entry, std::size_t position) {
    const std::string where = "host " + std::to_string(position) + " of the host list";
    if (entry.empty())
        url_error(where + " is empty: write host[:port] between the commas (mariadb://user@h1:3306,h2:3306/db)");
    check_port(entry, true, where);
    auto a = boost::urls::parse_authority(entry);
    if (!a || a->has_userinfo() || a->host().empty()) url_error(where + " is not a host[:port]" + quoted(entry));
    HostAddress h;
    h.host = a->host();
    if (h.host.size() > 2 && h.host.front() == '[') h.host = h.host.substr(1, h.host.size() - 2);  // IPv6
    if (a->has_port()) h.port = static_cast<unsigned>(a->port_number());
    return h;
}

// Splits a comma-separated host list (commas never occur inside IPv6 brackets).
inline std::vector<std::string_view> split_hosts(std::string_view hostport) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= hostport.size(); ++i)
        if (i == hostport.size() || hostport[i] == ',') {
            out.push_back(hostport.substr(start, i - start));
            start = i + 1;
        }
    return out;
}

inline bool on_off_option(std::string_view key, std::string_view value) {
    if (value == "on" || value == "1" || value == "true" || value == "ON") return true;
    if (value == "off" || value == "0" || value == "false" || value == "OFF") return false;
    url_error("option " + std::string(key) + " takes on or off" + quoted(value));
}

inline ConnectOptions parse_url_unchecked(std::string_view url);
inline ConnectOptions parse_one_host(std::string_view url);

} // namespace detail

/// Parses `mariadb://user:password@host:port/database?options`.
/// Options: unix_socket, connect_timeout, read_timeout, write_timeout (seconds), charset,
/// init_command, ssl_mode, ssl_ca, ssl_cert, ssl_key, galera. Several hosts: host1:port,host2:port.
/// @throws UrlError naming the part that is wrong; it never contains the password, however
///         malformed the URL is.
inline ConnectOptions parse_url(std::string_view url) {
    try {
        return detail::parse_url_unchecked(url);
    } catch (const UrlError& e) {
        throw UrlError(detail::scrub(e.what(), detail::secrets_in(url)));
    }
}

// Several hosts (mariadb://user@h1:3306,h2:3306/db): Boost.URL knows one host per authority,
// so each entry is parsed as an authority of its own and the rest of the URL with the first.
inline ConnectOptions detail::parse_url_unchecked(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return parse_one_host(url);
    const auto rest = url.substr(scheme_end + 3);
    const auto authority = rest.substr(0, rest.find_first_of("/?#"));
    const auto at = authority.rfind('@');
    const auto hostport = at == std::string_view::npos ? authority : authority.substr(at + 1);
    if (hostport.find(',') == std::string_view::npos) return parse_one_host(url);
    const auto entries = split_hosts(hostport);
    std::vector<HostAddress> hosts;
    for (std::size_t i = 0; i < entries.size(); ++i) hosts.push_back(parse_host_entry(entries[i], i + 1));
    const auto host_start = static_cast<std::size_t>(hostport.data() - url.data());
    const std::string first = std::string(url.substr(0, host_start)) + std::string(entries.front()) +
                              std::string(url.substr(host_start + hostport.size()));
    ConnectOptions o = parse_one_host(first);
    if (!o.unix_socket.empty())
        url_error("unix_socket names one server; with several hosts, connect over TCP (remove unix_socket)");
    o.hosts = std::move(hosts);
    return o;
}

inline ConnectOptions detail::parse_one_host(std::string_view url) {
    using detail::url_error;
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos)
        url_error("expected scheme://... such as mariadb://user:password@host:3306/database");
    const std::string scheme(url.substr(0, scheme_end));
    if (scheme.find_first_of(":@/?#%") != std::string::npos)
        url_error("it must start with mariadb://, mysql:// or mysql+mysqldb://");
    if (scheme != "mariadb" && scheme != "mysql" && scheme != "mysql+mysqldb")
        url_error("the scheme must be mariadb, mysql or mysql+mysqldb, got '" + scheme + "'");

    // Boost.URL splits a lenient authority silently ("u:p@ss@h", "h:abc"), so the parts a
    // user is likely to get wrong are checked on the raw text first. No message quotes the
    // authority: with a malformed URL, any part of it may be a password.
    const auto rest = url.substr(scheme_end + 3);
    const auto authority = rest.substr(0, rest.find_first_of("/?#"));
    if (rest.find('@', authority.size()) != std::string_view::npos)
        url_error("an '@' after the host part: a user or password holding '/', '?' or '#' must percent-encode "
                  "it (%2F, %3F, %23)");
    const auto at = authority.rfind('@');
    const auto userinfo = at == std::string_view::npos ? std::string_view() : authority.substr(0, at);
    const auto hostport = at == std::string_view::npos ? authority : authority.substr(at + 1);
    if (userinfo.find('@') != std::string_view::npos)
        url_error("the user or password contains '@'; percent-encode it as %40");
    detail::check_percent_escapes(userinfo, "user or password");
    detail::check_port(hostport, at != std::string_view::npos);
    const auto after_authority = rest.substr(authority.size());
    const auto query_start = after_authority.find_first_of("?#");
    if (after_authority.substr(0, query_start).find(':') != std::string_view::npos)
        url_error("a ':' after the host part: percent-encode a '/' in the user (%2F), or a ':' in the database "
                  "name (%3A)");
    detail::check_percent_escapes(after_authority.substr(0, query_start), "database name");
    if (query_start != std::string_view::npos)
        detail::check_percent_escapes(after_authority.substr(query_start), "query string");

    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) url_error("it is not a valid URI (" + parsed.error().message() + ")");
    const boost::urls::url_view u = *parsed;
    if (u.has_fragment()) url_error("a fragment ('#...') has no meaning in a connection URL; remove it");

    ConnectOptions o;
    o.user = u.user();
    o.password = u.password();
    o.host = u.host();
    if (o.host.size() > 2 && o.host.front() == '[') o.host = o.host.substr(1, o.host.size() - 2);  // IPv6
    if (u.has_port()) o.port = static_cast<unsigned>(u.port_number());
    std::string path = u.path();
    if (!path.empty() && path.front() == '/') path.erase(0, 1);
    if (path.find('/') != std::string::npos)
        url_error("the database name (after the host) must not contain '/'; a '/' in the user or password is "
                  "written %2F");
    o.database = path;

    for (auto param : u.params()) {
        const std::string key = param.key;
        const std::string value = param.value;
        if (!param.has_value)
            url_error(detail::is_word(key) ? "option " + key + " needs a value (" + key + "=...)"
                                           : std::string("an option without a value"));
        if (key == "unix_socket") o.unix_socket = value;
        else if (key == "connect_timeout") o.connect_timeout = detail::seconds_option(key, value);
        else if (key == "read_timeout") o.read_timeout = detail::seconds_option(key, value);
        else if (key == "write_timeout") o.write_timeout = detail::seconds_option(key, value);
        else if (key == "charset") o.charset = value;
        else if (key == "init_command") o.init_command = value;
        else if (key == "ssl_mode") o.ssl_mode = detail::ssl_mode_option(value);
        else if (key == "ssl_ca") o.ssl_ca = value;
        else if (key == "ssl_cert") o.ssl_cert = value;
        else if (key == "ssl_key") o.ssl_key = value;
        else if (key == "galera") o.galera = detail::on_off_option(key, value);
        else
            url_error((detail::is_word(key) ? "unknown option '" + key + "'" : std::string("an unknown option")) +
                      "; known options are unix_socket, connect_timeout, read_timeout, write_timeout, charset, "
                      "init_command, ssl_mode, ssl_ca, ssl_cert, ssl_key, galera");
    }
    if (o.host.empty() && o.unix_socket.empty())
        url_error("no host given; write mariadb://user@host/database, or add ?unix_socket=/path/to/socket");
    if (o.host.empty()) o.host = "localhost";
    if (o.user.empty()) url_error("no user given; write mariadb://user:password@host/database");
    return o;
}

inline std::string ConnectOptions::to_string() const {
    // Percent-encode what the URL syntax reserves, so the result parses back.
    auto enc = [](std::string_view s) {
        static constexpr char hex[] = "0123456789ABCDEF";
        std::string out;
        for (unsigned char c : s) {
            if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '$') {
                out += static_cast<char>(c);
            } else {
                out += '%';
                out += hex[c >> 4];
                out += hex[c & 15];
            }
        }
        return out;
    };
    auto address = [&](const std::string& h, unsigned p) {
        return (h.find(':') != std::string::npos ? "[" + h + "]" : enc(h)) + ":" + std::to_string(p);
    };
    std::string where;
    for (std::size_t i = 0; i < host_count(); ++i) {
        const HostAddress a = host_at(i);
        where += (i == 0 ? "" : ",") + address(a.host, a.port);
    }
    std::string s = "mariadb://" + enc(user) + (password.empty() ? "" : ":***") + "@" + where + "/" + enc(database);
    std::string q;
    auto add = [&](const char* key, const std::string& value) {
        if (!value.empty()) q += std::string(q.empty() ? "?" : "&") + key + "=" + enc(value);
    };
    add("unix_socket", unix_socket);
    add("connect_timeout", std::to_string(connect_timeout.count()));
    add("read_timeout", std::to_string(read_timeout.count()));
    add("write_timeout", std::to_string(write_timeout.count()));
    add("charset", charset);
    add("init_command", init_command);
    if (ssl_mode != SslMode::disabled) add("ssl_mode", detail::ssl_mode_name(ssl_mode));
    add("ssl_ca", ssl_ca);
    add("ssl_cert", ssl_cert);
    add("ssl_key", ssl_key);
    if (galera) add("galera", "on");
    return s + q;
}

} // namespace lifeguard::mariadb

#endif
