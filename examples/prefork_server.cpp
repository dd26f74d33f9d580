// A pre-fork server in the style of gunicorn or Apache prefork: the parent builds the
// pool and warms it up, then forks workers that serve requests through the same pool
// object. DisposeAfterFork makes each worker drop the parent's connections without a
// byte on the wire and open its own; RecycleAfter stays below the server's wait_timeout;
// PingIfIdle catches connections that died during a quiet spell.
//
// Usage: prefork_server [URL]   (default: $LIFEGUARD_URL, or the test fixture's URL file)
#include <lifeguard/mariadb.hpp>
#include <lifeguard/recommended.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace {

using Pool = lifeguard::RecommendedPool<lifeguard::mariadb::Driver>;

std::string url_from_environment(int argc, char** argv) {
    if (argc > 1) return argv[1];
    if (const char* u = std::getenv("LIFEGUARD_URL")) return u;
    if (const char* f = std::getenv("LIFEGUARD_TEST_URL_FILE")) {
        std::ifstream in(f);
        std::string url;
        if (std::getline(in, url)) return url;
    }
    return {};
}

// One "request": a query through a pooled connection.
bool serve_request(Pool& pool, int worker, int request) {
    auto lease = pool.acquire();
    const std::string sql = "SELECT " + std::to_string(worker * 1000 + request);
    if (mysql_query(lease.get(), sql.c_str()) != 0) {
        std::fprintf(stderr, "worker %d: %s\n", worker, mysql_error(lease.get()));
        return false;
    }
    mysql_free_result(mysql_store_result(lease.get()));
    return true;
}

// A worker's life: serve requests, then return. Returning (not exit()) matters: the caller
// returns from main, so the pool's destructor runs in the worker and closes the worker's
// own connections politely (COM_QUIT). std::exit() would skip destructors of locals, and
// the server would log each such connection as "Aborted connection ... (Got an error
// reading communication packets)". The parent's connections, inherited, are abandoned
// without a byte on the wire either way.
int run_worker(Pool& pool, int worker) {
    bool ok = true;
    for (int r = 0; r < 50; ++r) ok = serve_request(pool, worker, r) && ok;
    std::printf("worker %d served 50 requests on %zu connection(s) of its own\n", worker, pool.stats().open);
    std::fflush(stdout);
    return ok ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    const std::string url = url_from_environment(argc, argv);
    if (url.empty()) {
        std::fprintf(stderr, "usage: prefork_server mariadb://user:password@host:port/database\n");
        return 2;
    }
    try {
        lifeguard::PoolOptions options;
        options.min_idle = 2;  // the parent opens these before forking
        options.max_size = 4;
        Pool pool(lifeguard::mariadb::Driver(url), options, lifeguard::RecycleAfter(std::chrono::seconds(280)));
        serve_request(pool, 0, 0);  // the parent uses the pool too

        constexpr int workers = 4;
        std::vector<pid_t> pids;
        for (int w = 1; w <= workers; ++w) {
            const pid_t pid = ::fork();
            if (pid == 0) return run_worker(pool, w);  // in the worker: returning from main destroys the pool
            pids.push_back(pid);
        }
        int failed = 0;
        for (pid_t pid : pids) {
            int status = 0;
            ::waitpid(pid, &status, 0);
            failed += (WIFEXITED(status) && WEXITSTATUS(status) == 0) ? 0 : 1;
        }
        // The parent's warm connections survived the workers.
        const bool parent_ok = serve_request(pool, 0, 1) && serve_request(pool, 0, 2);
        std::printf("%d of %d workers failed; parent %s; pool %s\n", failed, workers, parent_ok ? "ok" : "FAILED",
                    pool.driver().options().to_string().c_str());
        return failed == 0 && parent_ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "prefork_server: %s\n", e.what());
        return 1;
    }
}
