#include <lifeguard/mariadb.hpp>
#include <lifeguard/recommended.hpp>

using namespace std::chrono_literals;

// RecycleAfter + TieredValidation + DisposeAfterFork + BackgroundMaintenance, plus a
// session reset on return (sent by the release, its reply read by the next checkout).
using Pool = lifeguard::RecommendedPool<lifeguard::mariadb::Driver, lifeguard::ResetOnReturn>;

int main() {
    lifeguard::PoolOptions options;
    options.min_idle = 2;                 // opened now: a wrong password fails here
    options.max_size = 16;
    options.acquire_timeout = 5s;         // bounds the whole acquire, a connect included
    Pool pool{lifeguard::mariadb::Driver("mariadb://app:s%40cret@db:3306/shop?connect_timeout=5"),
              options, lifeguard::RecycleAfter(280s, 10s)};   // 280 s minus up to 10 s jitter

    auto lease = pool.acquire();          // RAII: given back when `lease` goes out of scope
    mysql_query(lease.get(), "SELECT 1"); // lease.get() is the MYSQL*
}
