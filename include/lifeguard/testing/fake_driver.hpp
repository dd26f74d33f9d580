// A Driver without a database, for unit tests and benchmarks of the pool and of custom
// policies. It counts every call, fails connects and pings on demand, and records any
// I/O attempted on a connection after it was abandoned or closed.
#ifndef LIFEGUARD_TESTING_FAKE_DRIVER_HPP
#define LIFEGUARD_TESTING_FAKE_DRIVER_HPP

#include <lifeguard/driver_capabilities.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>

namespace lifeguard::testing {

/// One fake connection. Its fields may be read by tests; change them through FakeServer.
struct FakeConnection {
    std::uint64_t id = 0;
    std::atomic<bool> alive{true};     ///< false: the "server" dropped it; pings and queries fail
    bool broken = false;               ///< the last query failed with a disconnect
    bool closed = false;               ///< close() was called
    bool abandoned = false;            ///< abandon() was called
    bool detached = false;             ///< detach() was called (a forked child let go of its socket)
    bool in_transaction = false;       ///< a query opened a transaction that is still open
    std::uint64_t session_changes = 0; ///< state a reset would clear (variables, temp tables)
    std::uint64_t queries = 0;
    std::atomic<int> holders{0};       ///< for stress tests: leases currently holding it
    bool unread_bytes = false;         ///< data arrived while idle: its socket state is "unsure"
    bool reset_pending = false;        ///< reset_start() was called, reset_finish() not yet
    class FakeServer* owner = nullptr; ///< the server (host) it was opened on
};

/// What a failed FakeDriver::connect throws.
class FakeConnectError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class FakeServer;

namespace fake_detail {
// A fork() while another thread is inside a FakeServer call (a pool's maintenance thread
// connecting) must not leave that server's mutexes locked in the child, where no thread
// would ever unlock them: every live FakeServer's mutexes are held across fork() (as
// pthread_atfork does for malloc). A real driver's connect holds no such process-wide lock.
struct fork_guard {
    static std::mutex& registry_mutex() {
        static std::mutex m;
        return m;
    }
    static std::vector<FakeServer*>& servers() {
        static std::vector<FakeServer*> v;
        return v;
    }
    static void add(FakeServer* s);
    static void remove(FakeServer* s);
    static void prepare() noexcept;
    static void release() noexcept;
};
} // namespace fake_detail

/// The shared state behind FakeDriver copies: counters and failure switches. Outlives
/// every pool that uses it. Connection objects stay allocated until the server is
/// destroyed, so I/O on an abandoned connection is recorded instead of being undefined.
class FakeServer {
public:
    FakeServer() { fake_detail::fork_guard::add(this); }
    ~FakeServer() { fake_detail::fork_guard::remove(this); }
    FakeServer(const FakeServer&) = delete;
    FakeServer& operator=(const FakeServer&) = delete;

    std::atomic<std::uint64_t> connects{0};          ///< successful connects
    std::atomic<std::uint64_t> connect_failures{0};
    std::atomic<std::uint64_t> pings{0};
    std::atomic<std::uint64_t> failed_pings{0};
    std::atomic<std::uint64_t> closes{0};
    std::atomic<std::uint64_t> abandons{0};
    std::atomic<std::uint64_t> detaches{0};
    std::atomic<std::uint64_t> connect_timeouts{0};  ///< timed connects that could not finish in time
    /// The timeout the last connect was given (microseconds; max: untimed).
    std::atomic<std::int64_t> last_connect_timeout_us{0};
    std::atomic<std::uint64_t> rollbacks{0};
    std::atomic<std::uint64_t> resets{0};
    std::atomic<std::uint64_t> io_after_dispose{0};  ///< any call on a closed or abandoned connection
    std::atomic<std::uint64_t> socket_checks{0};
    std::atomic<std::uint64_t> idle_limit_queries{0};
    std::atomic<std::uint64_t> reset_starts{0};
    std::atomic<std::uint64_t> reset_finishes{0};

    /// The idle limit idle_limit() reports (0: unknown, the default).
    void set_idle_limit(std::chrono::milliseconds limit) noexcept { idle_limit_ms_.store(limit.count()); }
    /// While set, every reset (reset_session, reset_start/finish) fails.
    void fail_resets(bool on) noexcept { failing_resets_.store(on); }

    /// The next `n` connects throw FakeConnectError.
    void fail_next_connects(std::uint64_t n) noexcept { failing_connects_.store(n); }
    /// While set, every connect is refused (a host that is down).
    void refuse_connects(bool on) noexcept { refusing_.store(on); }
    /// While set, every ping fails.
    void fail_pings(bool on) noexcept { failing_pings_.store(on); }
    /// Every connect sleeps this long first (benchmarks of slow connects; not for unit tests).
    void set_connect_delay(std::chrono::microseconds d) noexcept { connect_delay_us_.store(d.count()); }
    /// While held, every connect blocks until release_connects() (a slow server, without
    /// timing: a test decides when connects complete).
    void hold_connects() {
        std::lock_guard lock(gate_mutex_);
        held_ = true;
    }
    void release_connects() {
        {
            std::lock_guard lock(gate_mutex_);
            held_ = false;
        }
        gate_.notify_all();
    }
    /// Connects in progress now, and the most ever in progress at once.
    std::atomic<std::uint64_t> connecting{0};
    std::atomic<std::uint64_t> max_connecting{0};

    /// The server drops every open connection (restart, network cut, KILL).
    void kill_all() {
        std::lock_guard lock(mutex_);
        for (auto& c : connections_)
            if (!c->closed && !c->abandoned) c->alive.store(false);
    }
    /// Connections neither closed nor abandoned.
    [[nodiscard]] std::size_t open_connections() const {
        std::lock_guard lock(mutex_);
        std::size_t n = 0;
        for (auto& c : connections_) n += (!c->closed && !c->abandoned) ? 1 : 0;
        return n;
    }

    /// A query on `c`: fails (and marks it broken, as a client library would) if the
    /// server dropped it. `opens_transaction` / `changes_session` model BEGIN and SET @v.
    bool query(FakeConnection* c, bool opens_transaction = false, bool changes_session = false) {
        if (!touch(c)) return false;
        ++c->queries;
        if (!c->alive.load()) {
            c->broken = true;
            return false;
        }
        c->in_transaction = c->in_transaction || opens_transaction;
        if (changes_session) ++c->session_changes;
        return true;
    }

private:
    friend class FakeDriver;
    friend struct fake_detail::fork_guard;
    friend class FakeClusterDriver;

    FakeConnection* open(std::chrono::microseconds timeout = std::chrono::microseconds::max()) {
        struct in_progress {
            FakeServer& s;
            explicit in_progress(FakeServer& server) : s(server) {
                const auto now = ++s.connecting;
                for (auto seen = s.max_connecting.load(); now > seen && !s.max_connecting.compare_exchange_weak(seen, now);) {
                }
            }
            ~in_progress() { --s.connecting; }
        } counting(*this);
        {
            std::unique_lock lock(gate_mutex_);
            gate_.wait(lock, [this] { return !held_; });
        }
        last_connect_timeout_us.store(timeout.count());
        if (auto d = std::chrono::microseconds(connect_delay_us_.load()); d.count() > 0) {
            if (d > timeout) {  // models a connect that cannot finish in time, without waiting for it
                ++connect_timeouts;
                ++connect_failures;
                throw FakeConnectError("fake driver: connect would take " + std::to_string(d.count()) +
                                       " us, more than the " + std::to_string(timeout.count()) + " us allowed");
            }
            std::this_thread::sleep_for(d);
        }
        if (refusing_.load()) {
            ++connect_failures;
            throw FakeConnectError("fake driver: connection refused (host down)");
        }
        for (auto n = failing_connects_.load(); n > 0;) {
            if (failing_connects_.compare_exchange_weak(n, n - 1)) {
                ++connect_failures;
                throw FakeConnectError("fake driver: connection refused (injected failure)");
            }
        }
        auto c = std::make_unique<FakeConnection>();
        auto* raw = c.get();
        std::lock_guard lock(mutex_);
        raw->id = ++next_id_;
        raw->owner = this;
        connections_.push_back(std::move(c));
        ++connects;
        return raw;
    }
    // Records I/O on a disposed connection; true if the connection may be used.
    bool touch(FakeConnection* c) noexcept {
        if (c->closed || c->abandoned) {
            ++io_after_dispose;
            return false;
        }
        return true;
    }

    std::mutex gate_mutex_;
    std::condition_variable gate_;
    bool held_ = false;
    std::atomic<std::int64_t> idle_limit_ms_{0};
    std::atomic<bool> failing_resets_{false};
    std::atomic<std::uint64_t> failing_connects_{0};
    std::atomic<bool> failing_pings_{false};
    std::atomic<bool> refusing_{false};
    std::atomic<std::int64_t> connect_delay_us_{0};
    mutable std::mutex mutex_;
    std::deque<std::unique_ptr<FakeConnection>> connections_;
    std::uint64_t next_id_ = 0;
};

inline void fake_detail::fork_guard::add(FakeServer* s) {
    static const int registered = ::pthread_atfork(&prepare, &release, &release);
    (void)registered;
    std::lock_guard lock(registry_mutex());
    servers().push_back(s);
}
inline void fake_detail::fork_guard::remove(FakeServer* s) {
    std::lock_guard lock(registry_mutex());
    auto& v = servers();
    v.erase(std::remove(v.begin(), v.end(), s), v.end());
}
inline void fake_detail::fork_guard::prepare() noexcept {
    registry_mutex().lock();
    for (FakeServer* s : servers()) {
        s->gate_mutex_.lock();
        s->mutex_.lock();
    }
}
inline void fake_detail::fork_guard::release() noexcept {
    for (FakeServer* s : servers()) {
        s->mutex_.unlock();
        s->gate_mutex_.unlock();
    }
    registry_mutex().unlock();
}

/// Models lifeguard::Driver, plus the in_transaction/rollback/reset_session calls that
/// RollbackOnReturn and ResetOnReturn need.
class FakeDriver {
public:
    using connection_type = FakeConnection*;

    explicit FakeDriver(FakeServer& server) noexcept : server_(&server) {}

    connection_type connect() { return server_->open(); }
    /// Models lifeguard::TimedConnect: a connect slower than `timeout` fails at once.
    connection_type connect(std::chrono::milliseconds timeout) { return server_->open(limit_of(timeout)); }
    /// Models lifeguard::DetachableDriver: no I/O, async-signal-safe (a flag).
    void detach(connection_type& c) noexcept {
        c->detached = true;
        ++on(c)->detaches;
    }

    void close(connection_type& c) noexcept {
        if (!on(c)->touch(c)) return;
        c->closed = true;
        ++on(c)->closes;
    }
    void abandon(connection_type& c) noexcept {
        if (c->closed || c->abandoned) ++on(c)->io_after_dispose;
        c->abandoned = true;
        ++on(c)->abandons;
    }
    bool ping(connection_type& c, std::chrono::milliseconds) {
        if (!on(c)->touch(c)) return false;
        ++on(c)->pings;
        const bool ok = c->alive.load() && !on(c)->failing_pings_.load();
        if (!ok) ++on(c)->failed_pings;
        return ok;
    }
    bool is_broken(const connection_type& c) const noexcept { return c->broken; }

    bool in_transaction(connection_type& c) noexcept { return c->in_transaction; }
    bool rollback(connection_type& c) {
        if (!on(c)->touch(c)) return false;
        ++on(c)->rollbacks;
        c->in_transaction = false;
        return c->alive.load();
    }
    bool reset_session(connection_type& c) {
        if (!on(c)->touch(c)) return false;
        ++on(c)->resets;
        c->in_transaction = false;
        c->session_changes = 0;
        return c->alive.load() && !on(c)->failing_resets_.load();
    }

    /// Models lifeguard::SocketCheckDriver: `closed` once the server dropped the connection,
    /// `unsure` if FakeConnection::unread_bytes is set.
    [[nodiscard]] SocketState socket_state(const connection_type& c) const noexcept {
        ++on(c)->socket_checks;
        if (!c->alive.load()) return SocketState::closed;
        return c->unread_bytes ? SocketState::unsure : SocketState::open;
    }
    /// Models lifeguard::IdleLimitDriver: FakeServer::set_idle_limit's value.
    std::chrono::milliseconds idle_limit(connection_type& c) {
        ++on(c)->idle_limit_queries;
        return std::chrono::milliseconds(on(c)->idle_limit_ms_.load());
    }
    /// Models lifeguard::AsyncResetDriver: the reset is "sent"; reset_finish() completes it.
    ResetProgress reset_start(connection_type& c) {
        if (!on(c)->touch(c)) return ResetProgress::failed;
        ++on(c)->reset_starts;
        c->reset_pending = true;
        return ResetProgress::pending;
    }
    bool reset_finish(connection_type& c) {
        if (!on(c)->touch(c) || !c->reset_pending) return false;
        c->reset_pending = false;
        ++on(c)->reset_finishes;
        c->in_transaction = false;
        c->session_changes = 0;
        return c->alive.load() && !on(c)->failing_resets_.load();
    }

    [[nodiscard]] FakeServer& server() const noexcept { return *server_; }

protected:
    // The server a connection lives on (its host, with FakeClusterDriver).
    [[nodiscard]] FakeServer* on(const FakeConnection* c) const noexcept {
        return c->owner != nullptr ? c->owner : server_;
    }
    static std::chrono::microseconds limit_of(std::chrono::milliseconds timeout) noexcept {
        return timeout >= std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::microseconds::max())
                   ? std::chrono::microseconds::max()
                   : std::chrono::duration_cast<std::chrono::microseconds>(timeout);
    }

private:
    FakeServer* server_;
};

/// Several FakeServers as the hosts of one driver, in order (models lifeguard::MultiHostDriver):
/// a host is down while its server refuses connects (FakeServer::refuse_connects) and after
/// FakeServer::kill_all dropped its connections.
class FakeClusterDriver : public FakeDriver {
public:
    explicit FakeClusterDriver(std::vector<FakeServer*> hosts) : FakeDriver(*hosts.at(0)), hosts_(std::move(hosts)) {}
    [[nodiscard]] std::size_t host_count() const noexcept { return hosts_.size(); }
    connection_type connect_to(std::size_t host, std::chrono::milliseconds timeout) {
        return hosts_.at(host)->open(limit_of(timeout));
    }

private:
    std::vector<FakeServer*> hosts_;
};

} // namespace lifeguard::testing

#endif
