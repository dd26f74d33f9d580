// Recycle policies (kind: recycle_tag).
//   NoRecycle           - default; a connection is reused for as long as it works.
//   RecycleAfter{age}   - a connection older than `age` (minus a random jitter of up to
//                         `jitter`) is closed and replaced instead of reused. Checked
//                         when it is handed out and when it comes back, so an expired
//                         connection does not sit idle. Set `age` below the server's
//                         wait_timeout (e.g. 280 s for 300 s), as with SQLAlchemy's
//                         pool_recycle.
//   MaxUses{n}          - a connection is closed after its n-th lease (asyncpg's
//                         max_queries): bounds what a long-lived session accumulates
//                         (server-side memory, prepared statements).
//   RecycleWhenAny<P...> - retires a connection when any of the listed recycle policies
//                         would: RecycleWhenAny<RecycleAfter, MaxUses>.
#ifndef LIFEGUARD_POLICIES_RECYCLE_HPP
#define LIFEGUARD_POLICIES_RECYCLE_HPP

#include <lifeguard/detail/deadline.hpp>
#include <lifeguard/policy.hpp>

#include <lifeguard/detail/connection_state.hpp>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

namespace lifeguard {

struct NoRecycle {
    using policy_kind = recycle_tag;
    static constexpr bool uses_clock = false;
    template <class State, class TimePoint>
    constexpr void on_connect(State&, TimePoint) const noexcept {}
    template <class State, class TimePoint>
    [[nodiscard]] constexpr bool expired(const State&, TimePoint) const noexcept { return false; }
};

class RecycleAfter {
public:
    using policy_kind = recycle_tag;
    static constexpr bool uses_clock = true;

    template <class TimePoint>
    struct connection_state {
        TimePoint expires_at{};
    };

    /// 30 minutes, HikariCP's maxLifetime default.
    RecycleAfter() noexcept : RecycleAfter(std::chrono::minutes(30), std::chrono::nanoseconds(0), 0) {}

    /// @throws std::invalid_argument unless max_age > 0 and 0 <= jitter < max_age.
    explicit RecycleAfter(std::chrono::nanoseconds max_age,
                          std::chrono::nanoseconds jitter = std::chrono::nanoseconds(0))
        : RecycleAfter(max_age, jitter, 0) {
        if (max_age <= std::chrono::nanoseconds(0))
            throw std::invalid_argument("lifeguard::RecycleAfter: max_age must be positive, got " +
                                        std::to_string(max_age.count()) + " ns");
        if (jitter < std::chrono::nanoseconds(0) || jitter >= max_age)
            throw std::invalid_argument(
                "lifeguard::RecycleAfter: jitter must be at least 0 and below max_age, got " +
                std::to_string(jitter.count()) + " ns for a max_age of " +
                std::to_string(max_age.count()) + " ns");
    }

    [[nodiscard]] std::chrono::nanoseconds max_age() const noexcept { return max_age_; }
    [[nodiscard]] std::chrono::nanoseconds jitter() const noexcept { return jitter_; }

    template <class TimePoint>
    void on_connect(connection_state<TimePoint>& s, TimePoint now) const noexcept {
        auto life = max_age_;
        if (jitter_.count() > 0) {
            // Spread expiries so connections opened together are not all replaced together
            // (HikariCP's "mass extinction"). Hash of time and address: no shared RNG state.
            auto seed = static_cast<std::uint64_t>(now.time_since_epoch().count()) ^
                        reinterpret_cast<std::uintptr_t>(&s);
            life -= std::chrono::nanoseconds(
                static_cast<std::int64_t>(mix(seed) % static_cast<std::uint64_t>(jitter_.count() + 1)));
        }
        s.expires_at = detail::saturating_add(now, life);  // max_age of nanoseconds::max(): never
    }

    template <class TimePoint>
    [[nodiscard]] bool expired(const connection_state<TimePoint>& s, TimePoint now) const noexcept {
        return now >= s.expires_at;
    }

private:
    RecycleAfter(std::chrono::nanoseconds max_age, std::chrono::nanoseconds jitter, int) noexcept
        : max_age_(max_age), jitter_(jitter) {}

    static std::uint64_t mix(std::uint64_t x) noexcept {  // splitmix64 finaliser
        x += 0x9e3779b97f4a7c15ULL;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        return x ^ (x >> 31);
    }

    std::chrono::nanoseconds max_age_;
    std::chrono::nanoseconds jitter_;
};

class MaxUses {
public:
    using policy_kind = recycle_tag;
    static constexpr bool uses_clock = false;

    template <class TimePoint>
    struct connection_state {
        std::uint32_t uses = 0;
    };

    /// 1,000 leases.
    MaxUses() noexcept = default;
    /// @throws std::invalid_argument unless 0 < n <= 2^32 - 1.
    explicit MaxUses(std::uint64_t n) : max_uses_(static_cast<std::uint32_t>(n)) {
        if (n == 0 || n > UINT32_MAX)
            throw std::invalid_argument("lifeguard::MaxUses: the number of leases must be from 1 to 4294967295, got " +
                                        std::to_string(n));
    }

    [[nodiscard]] std::uint32_t max_uses() const noexcept { return max_uses_; }

    template <class TimePoint>
    void on_connect(connection_state<TimePoint>& s, TimePoint) const noexcept { s.uses = 0; }
    template <class TimePoint>
    void on_checkout(connection_state<TimePoint>& s, TimePoint) const noexcept { ++s.uses; }
    template <class TimePoint>
    [[nodiscard]] bool expired(const connection_state<TimePoint>& s, TimePoint) const noexcept {
        return s.uses >= max_uses_;
    }

private:
    std::uint32_t max_uses_ = 1000;
};

/// Retires a connection when any of `Policies` would. Give the values as usual:
/// `ConnectionPool<D, RecycleWhenAny<RecycleAfter, MaxUses>> pool(d, o,
///  RecycleWhenAny<RecycleAfter, MaxUses>(RecycleAfter(280s), MaxUses(500)));`
template <class... Policies>
class RecycleWhenAny {
    static_assert(sizeof...(Policies) > 0, "lifeguard::RecycleWhenAny: list at least one recycle policy");

public:
    using policy_kind = recycle_tag;
    static constexpr bool uses_clock = (false || ... || Policies::uses_clock);

    template <class TimePoint>
    struct connection_state {
        std::tuple<detail::connection_state_t<Policies, TimePoint>...> each{};
    };

    RecycleWhenAny() = default;
    explicit RecycleWhenAny(Policies... policies) : policies_(std::move(policies)...) {}

    template <class TimePoint>
    void on_connect(connection_state<TimePoint>& s, TimePoint now) const noexcept {
        detail::for_each_part(policies_, s.each, [&](const auto& p, auto& state) { p.on_connect(state, now); });
    }
    template <class TimePoint>
    void on_checkout(connection_state<TimePoint>& s, TimePoint now) const noexcept {
        detail::for_each_part(policies_, s.each, [&](const auto& p, auto& state) {
            if constexpr (requires { p.on_checkout(state, now); }) p.on_checkout(state, now);
        });
    }
    template <class TimePoint>
    [[nodiscard]] bool expired(const connection_state<TimePoint>& s, TimePoint now) const noexcept {
        bool any = false;
        detail::for_each_part(policies_, s.each,
                              [&](const auto& p, const auto& state) { any = any || p.expired(state, now); });
        return any;
    }

private:
    std::tuple<Policies...> policies_;
};

} // namespace lifeguard

#endif
