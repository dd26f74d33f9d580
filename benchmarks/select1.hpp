// The request the MariaDB benchmarks time: SELECT 1, its result read and freed.
#ifndef LIFEGUARD_BENCHMARKS_SELECT1_HPP
#define LIFEGUARD_BENCHMARKS_SELECT1_HPP

#include <mysql.h>

namespace bench {

inline bool select1(MYSQL* m) {
    if (mysql_query(m, "SELECT 1") != 0) return false;
    MYSQL_RES* r = mysql_store_result(m);
    const bool ok = r != nullptr && mysql_fetch_row(r) != nullptr;
    mysql_free_result(r);
    return ok;
}

} // namespace bench

#endif
