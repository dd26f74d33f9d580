// expect: a policy has no default constructor, and no value of it was passed to the constructor
#include "use_pool.hpp"

#include <chrono>

// A policy that needs a value to exist (it could hold a metrics sink): no default constructor.
struct RecycleAfterMinutes {
    using policy_kind = lifeguard::recycle_tag;
    static constexpr bool uses_clock = true;
    explicit RecycleAfterMinutes(std::chrono::minutes m) : max_age(m) {}
    std::chrono::minutes max_age;
    template <class TimePoint>
    struct connection_state {
        TimePoint opened{};
    };
    template <class TimePoint>
    void on_connect(connection_state<TimePoint>& s, TimePoint now) const noexcept { s.opened = now; }
    template <class TimePoint>
    bool expired(const connection_state<TimePoint>& s, TimePoint now) const noexcept { return now - s.opened >= max_age; }
};

int main() {
    using Pool = lifeguard::ConnectionPool<lifeguard::testing::FakeDriver, RecycleAfterMinutes>;
#ifdef LIFEGUARD_POSITIVE_TWIN
    return use_pool<Pool>(fake_driver(), RecycleAfterMinutes(std::chrono::minutes(5)));
#else
    return use_pool<Pool>(fake_driver());
#endif
}
