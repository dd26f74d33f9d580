#include <lifeguard/mariadb.hpp>

int main() {
    // Parsing needs no server; linking proves Connector/C and Boost.URL come along.
    auto options = lifeguard::mariadb::parse_url("mariadb://app:secret@db.example:3307/shop");
    return options.port == 3307 && mysql_get_client_version() > 0 ? 0 : 1;
}
