// Writing policies of your own (docs/custom-policies.md quotes this file), tried out with
// the fake driver and the manual clock that ship in lifeguard/testing.
#include <lifeguard/lifeguard.hpp>
#include <lifeguard/testing/fake_driver.hpp>
#include <lifeguard/testing/manual_clock.hpp>

#include <chrono>

#include <cstdio>

// [custom-policy]
// A RecyclePolicy: replace connections older than a whole number of minutes.
struct RecycleAfterMinutes {
    using policy_kind = lifeguard::recycle_tag;  // its role
    static constexpr bool uses_clock = true;     // the pool reads its clock for this policy
    std::chrono::minutes max_age{30};            // a value, given to the pool's constructor

    // Per-connection state, kept in the pool's connection record.
    template <class TimePoint>
    struct connection_state {
        TimePoint opened{};
    };

    template <class TimePoint>
    void on_connect(connection_state<TimePoint>& s, TimePoint now) const noexcept {
        s.opened = now;
    }
    // Asked when a connection is handed out and when it comes back.
    template <class TimePoint>
    bool expired(const connection_state<TimePoint>& s, TimePoint now) const noexcept {
        return now - s.opened >= max_age;
    }
};
// [custom-policy]

// [custom-validation]
// Ping only every Nth checkout of a connection.
struct PingEveryNth {
    using policy_kind = lifeguard::validation_tag;
    static constexpr bool uses_clock = false;
    unsigned every = 10;

    template <class TimePoint>
    struct connection_state {
        mutable unsigned checkouts = 0;
    };
    template <class State, class TimePoint>
    void on_connect(State&, TimePoint) const noexcept {}
    template <class TimePoint>
    bool needs_ping(const connection_state<TimePoint>& s, TimePoint) const noexcept {
        return ++s.checkouts % every == 0;
    }
    template <class State, class TimePoint>
    void on_release(State&, TimePoint) const noexcept {}
};
// [custom-validation]

int main() {
    using lifeguard::testing::ManualClock;
    lifeguard::testing::FakeServer server;
    lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, RecycleAfterMinutes, PingEveryNth,
                              lifeguard::UseClock<ManualClock>>
        pool(lifeguard::testing::FakeDriver(server), lifeguard::PoolOptions{}, PingEveryNth{3},
             RecycleAfterMinutes{std::chrono::minutes(5)});
    for (int i = 0; i < 30; ++i) (void)pool.acquire();  // 29 reuses: every third is pinged
    ManualClock::advance(std::chrono::minutes(5));
    (void)pool.acquire();  // five minutes old: replaced
    std::printf("31 checkouts: %llu connect(s), %llu ping(s), %llu close(s)\n",
                static_cast<unsigned long long>(server.connects.load()),
                static_cast<unsigned long long>(server.pings.load()),
                static_cast<unsigned long long>(server.closes.load()));
    return server.connects == 2 && server.pings == 9 && server.closes == 1 ? 0 : 1;
}
