// A pool's Metrics exposed over HTTP in Prometheus' text format (Debian prometheus-cpp-dev),
// under OpenTelemetry's names (db.client.connection.* become db_client_connection_*).
//
// Usage: prometheus_exporter URL [ADDRESS]   serves http://ADDRESS/metrics (default
//                                              127.0.0.1:9464) while it runs a little load
//        prometheus_exporter URL --check      serves on a free port, scrapes itself with a real
//                                              HTTP request, checks the scrape, exits (tools/test)
// URL defaults to $LIFEGUARD_URL, or the test fixture's URL file.
#include <lifeguard/mariadb.hpp>
#include <lifeguard/metrics.hpp>
#include <lifeguard/recommended.hpp>

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/metric_family.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using Pool = lifeguard::RecommendedPool<lifeguard::mariadb::Driver, lifeguard::Metrics>;

// [prometheus-collector]
// Turns a Metrics snapshot into Prometheus metric families, at every scrape.
class PoolCollector : public prometheus::Collectable {
public:
    PoolCollector(const Pool& pool, lifeguard::Metrics metrics) : pool_(pool), metrics_(std::move(metrics)) {}

    std::vector<prometheus::MetricFamily> Collect() const override {
        const lifeguard::MetricsSnapshot s = metrics_.snapshot(pool_);
        std::vector<prometheus::MetricFamily> out;
        auto gauge = [&](const char* name, const char* help, double value,
                         std::vector<prometheus::ClientMetric::Label> labels = {}) {
            prometheus::ClientMetric m;
            m.label = std::move(labels);
            m.gauge.value = value;
            if (!out.empty() && out.back().name == name) {
                out.back().metric.push_back(m);
                return;
            }
            out.push_back({name, help, prometheus::MetricType::Gauge, {m}});
        };
        auto counter = [&](const char* name, const char* help, double value,
                           std::vector<prometheus::ClientMetric::Label> labels = {}) {
            prometheus::ClientMetric m;
            m.label = std::move(labels);
            m.counter.value = value;
            if (!out.empty() && out.back().name == name) {
                out.back().metric.push_back(m);
                return;
            }
            out.push_back({name, help, prometheus::MetricType::Counter, {m}});
        };
        auto histogram = [&](const char* name, const char* help, const lifeguard::HistogramSnapshot& h) {
            prometheus::ClientMetric m;
            m.histogram.sample_count = h.count;
            m.histogram.sample_sum = h.sum_seconds;
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i < h.counts.size(); ++i) {
                cumulative += h.counts[i];
                m.histogram.bucket.push_back({cumulative, i + 1 == h.counts.size()
                                                              ? std::numeric_limits<double>::infinity()
                                                              : lifeguard::HistogramSnapshot::bounds[i]});
            }
            out.push_back({name, help, prometheus::MetricType::Histogram, {m}});
        };
        gauge("db_client_connection_count", "Connections by state (db.client.connection.count)",
              static_cast<double>(s.idle), {{"db_client_connection_state", "idle"}});
        gauge("db_client_connection_count", "", static_cast<double>(s.used), {{"db_client_connection_state", "used"}});
        gauge("db_client_connection_max", "Connections allowed at most", static_cast<double>(s.max));
        gauge("db_client_connection_idle_min", "Idle connections kept", static_cast<double>(s.idle_min));
        gauge("db_client_connection_pending_requests", "Requests waiting for a connection",
              static_cast<double>(s.pending_requests));
        counter("db_client_connection_timeouts_total", "Acquires that timed out", static_cast<double>(s.timeouts));
        histogram("db_client_connection_wait_time_seconds", "Time to obtain a connection", s.wait_time);
        histogram("db_client_connection_use_time_seconds", "Time a connection was leased", s.use_time);
        histogram("db_client_connection_create_time_seconds", "Time to open a connection", s.create_time);
        counter("lifeguard_connections_opened_total", "Connections opened", static_cast<double>(s.opened));
        counter("lifeguard_connect_failures_total", "Connects that failed", static_cast<double>(s.connect_failures));
        for (int r = 0; r < lifeguard::close_reason_count; ++r)
            counter("lifeguard_connections_closed_total", "Connections closed, by reason",
                    static_cast<double>(s.closed_by_reason[static_cast<std::size_t>(r)]),
                    {{"reason", lifeguard::to_string(static_cast<lifeguard::CloseReason>(r))}});
        return out;
    }

private:
    const Pool& pool_;
    lifeguard::Metrics metrics_;
};
// [prometheus-collector]

std::string url_from_environment(int argc, char** argv) {
    if (argc > 1 && std::strncmp(argv[1], "--", 2) != 0) return argv[1];
    if (const char* u = std::getenv("LIFEGUARD_URL")) return u;
    if (const char* f = std::getenv("LIFEGUARD_TEST_URL_FILE")) {
        std::ifstream in(f);
        std::string url;
        if (std::getline(in, url)) return url;
    }
    return {};
}

// A plain HTTP/1.0 GET over a socket: what a Prometheus server does.
std::string http_get(int port, const std::string& path) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string response;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
        (void)!::write(fd, request.data(), request.size());
        char buf[4096];
        for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) response.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return response;
}

bool contains(const std::string& text, const std::string& what) {
    if (text.find(what) != std::string::npos) return true;
    std::fprintf(stderr, "prometheus_exporter: the scrape lacks \"%s\"\n", what.c_str());
    return false;
}

} // namespace

int main(int argc, char** argv) {
    const std::string url = url_from_environment(argc, argv);
    const bool check = argc > 1 && std::strcmp(argv[argc - 1], "--check") == 0;
    if (url.empty()) {
        std::fprintf(stderr, "usage: prometheus_exporter URL [ADDRESS | --check]\n");
        return 2;
    }
    try {
        lifeguard::Metrics metrics;
        lifeguard::PoolOptions options;
        options.min_idle = 1;
        options.max_size = 4;
        Pool pool{lifeguard::mariadb::Driver(url), options, metrics};
        auto collector = std::make_shared<PoolCollector>(pool, metrics);
        prometheus::Exposer exposer(check ? "127.0.0.1:0" : (argc > 2 ? argv[2] : "127.0.0.1:9464"));
        exposer.RegisterCollectable(collector);

        for (int i = 0; i < 20; ++i) {  // some traffic to show
            auto lease = pool.acquire();
            if (mysql_query(lease.get(), "SELECT 1") == 0) mysql_free_result(mysql_store_result(lease.get()));
        }
        if (!check) {
            std::printf("serving http://%s/metrics; Ctrl-C to stop\n", argc > 2 ? argv[2] : "127.0.0.1:9464");
            for (;;) {
                std::this_thread::sleep_for(std::chrono::seconds(1));
                auto lease = pool.acquire();
                if (mysql_query(lease.get(), "SELECT 1") == 0) mysql_free_result(mysql_store_result(lease.get()));
            }
        }
        auto held = pool.acquire();  // one connection in use while scraped
        const std::string scrape = http_get(exposer.GetListeningPorts().at(0), "/metrics");
        std::fputs(scrape.c_str(), stdout);
        const bool ok = contains(scrape, "200 OK") &&
                        contains(scrape, "db_client_connection_count{db_client_connection_state=\"used\"} 1") &&
                        contains(scrape, "db_client_connection_max 4") &&
                        contains(scrape, "db_client_connection_idle_min 1") &&
                        contains(scrape, "db_client_connection_wait_time_seconds_count 21") &&
                        contains(scrape, "db_client_connection_use_time_seconds_count 20") &&
                        contains(scrape, "db_client_connection_create_time_seconds_bucket") &&
                        contains(scrape, "lifeguard_connections_closed_total{reason=\"expired\"} 0") &&
                        contains(scrape, "# TYPE db_client_connection_wait_time_seconds histogram");
        return ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "prometheus_exporter: %s\n", e.what());
        return 1;
    }
}
