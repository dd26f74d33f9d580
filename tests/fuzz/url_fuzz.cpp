// libFuzzer target for the MariaDB URL parser (clang -fsanitize=fuzzer,address,undefined;
// tools/test runs it for a bounded time). Two properties:
//   1. nothing crashes, leaks or overflows, whatever the input;
//   2. the password never appears in an error message or in to_string(), however malformed
//      the URL around it is (a password is what sits between the userinfo's ':' and '@';
//      an unescaped '@' in it ends it, by the URL's syntax).
// For (2) the input is cut into pieces that are assembled around a password holding a marker
// no message can contain by chance ("Zq7Kx9"), in the shapes users get wrong: with and
// without '@', without a scheme, with fuzzed bytes ('/', '?', '#', '@', '%', ':') around the
// marker inside the password.
#include <lifeguard/mariadb/connect_options.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view marker = "Zq7Kx9";

// No three consecutive characters of the marker: catches a password cut in two and quoted.
bool leaks(const std::string& text) {
    for (std::size_t i = 0; i + 3 <= marker.size(); ++i)
        if (text.find(marker.substr(i, 3)) != std::string::npos) return true;
    return false;
}

void check(const std::string& url, bool password_has_marker) {
    try {
        const auto o = lifeguard::mariadb::parse_url(url);
        const std::string s = o.to_string();
        // to_string() prints "***" in the password's place.
        if (password_has_marker && leaks(s)) {
            std::fprintf(stderr, "password in to_string(): %s\n  url: %s\n", s.c_str(), url.c_str());
            std::abort();
        }
    } catch (const lifeguard::mariadb::UrlError& e) {
        if (password_has_marker && leaks(e.what())) {
            std::fprintf(stderr, "password in an error message: %s\n  url: %s\n", e.what(), url.c_str());
            std::abort();
        }
    }
}

std::vector<std::string> pieces(const std::uint8_t* data, std::size_t size, std::size_t n) {
    std::vector<std::string> out(n);
    std::size_t k = 0;
    for (std::size_t i = 0; i < size; ++i) {
        if (data[i] == 0x01 && k + 1 < n) ++k;
        else out[k] += static_cast<char>(data[i]);
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // The raw bytes as a URL: property 1 only (where the password is depends on the parse).
    check(std::string(reinterpret_cast<const char*>(data), size), false);

    const auto p = pieces(data, size, 5);  // user, before, after (around the marker), rest, scheme
    const std::string password = p[1] + std::string(marker) + p[2];
    const std::string scheme = p[4].empty() ? "mariadb" : p[4];
    // Property 2 is tested when no other piece carries part of the marker itself, and the
    // user and password hold no '@': an unescaped '@' ends the userinfo by the URL's own syntax
    // (the marker after it *is* the host, or an option), so there is no password to protect.
    bool clean = (p[0] + password).find('@') == std::string::npos;
    for (const auto& piece : p) clean = clean && !leaks(piece);
    check(scheme + "://" + p[0] + ":" + password + "@" + p[3], clean);  // the usual shape
    check(scheme + "://" + p[0] + ":" + password + p[3], clean);        // '@' and host forgotten
    check(scheme + "://" + p[0] + ":" + password + "/" + p[3], clean);  // host forgotten
    check(p[0] + ":" + password + "@" + p[3], clean);                   // scheme forgotten
    return 0;
}
