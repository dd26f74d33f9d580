// Helpers shared by lifeguard's unit tests.
#ifndef LIFEGUARD_TESTS_TEST_SUPPORT_HPP
#define LIFEGUARD_TESTS_TEST_SUPPORT_HPP

#include <lifeguard/lifeguard.hpp>
#include <lifeguard/testing/fake_driver.hpp>
#include <lifeguard/testing/manual_clock.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace lifeguard::detail {
// The pool befriends this name; only tests define it.
struct pool_access {
    // A class template, not an alias template: clang 14 checks an alias's access where it is
    // used instead of in this befriended class.
    template <class Pool>
    struct record_of {
        using type = typename Pool::record;
    };
    template <class Pool>
    using record_t = typename record_of<Pool>::type;

    // As if a heavy fence had failed: releases go seq_cst, waiters rescan every 1 ms.
    template <class Pool>
    static void fail_heavy_fence(Pool& pool) {
        pool.waiters_.fetch_or(Pool::strong_bit | Pool::rescan_bit, std::memory_order_seq_cst);
    }
    // Parks a leased connection the way a release that missed a waiter does: no hand-over.
    template <class Lease>
    static void park_unseen(Lease& lease) {
        auto* r = lease.record_;
        lease.pool_ = nullptr;
        r->state().store(record_idle, std::memory_order_release);
    }
};
} // namespace lifeguard::detail

namespace lifeguard_test {

using namespace std::chrono_literals;
using lifeguard::testing::FakeConnection;
using lifeguard::testing::FakeDriver;
using lifeguard::testing::FakeServer;
using lifeguard::testing::ManualClock;
using manual = lifeguard::UseClock<ManualClock>;

// The fake driver without the optional capabilities (no async reset, no socket check, no idle
// limit): exercises the pool's paths for drivers that offer only the Driver concept.
struct PlainFakeDriver : FakeDriver {
    using FakeDriver::FakeDriver;
    void reset_start() = delete;
    void socket_state() = delete;
    void idle_limit() = delete;
};
static_assert(!lifeguard::AsyncResetDriver<PlainFakeDriver> && !lifeguard::SocketCheckDriver<PlainFakeDriver> &&
              !lifeguard::IdleLimitDriver<PlainFakeDriver>);
static_assert(lifeguard::AsyncResetDriver<FakeDriver> && lifeguard::SocketCheckDriver<FakeDriver> &&
              lifeguard::IdleLimitDriver<FakeDriver>);

struct server_fixture {
    server_fixture() { ManualClock::reset(); }
    FakeServer server;
    FakeDriver driver() { return FakeDriver(server); }
    PlainFakeDriver plain_driver() { return PlainFakeDriver(server); }
};

// Turns a hang into a failure: aborts the test program with a message unless destroyed
// within `limit`. For tests whose failure mode on a regression is a deadlock.
class watchdog {
public:
    watchdog(std::chrono::seconds limit, const char* what) : thread_([this, limit, what] {
        std::unique_lock lock(mutex_);
        if (!cv_.wait_for(lock, limit, [this] { return done_; })) {
            std::fprintf(stderr, "watchdog: %s did not finish within %lld s (deadlock?)\n", what,
                         static_cast<long long>(limit.count()));
            std::abort();
        }
    }) {}
    watchdog(const watchdog&) = delete;
    watchdog& operator=(const watchdog&) = delete;
    ~watchdog() {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        cv_.notify_one();
        thread_.join();
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool done_ = false;
    std::thread thread_;
};

inline lifeguard::PoolOptions sized(std::size_t max_size, std::size_t min_idle = 0) {
    lifeguard::PoolOptions o;
    o.max_size = max_size;
    o.min_idle = min_idle;
    o.acquire_timeout = 1ms;
    return o;
}

} // namespace lifeguard_test

#endif
