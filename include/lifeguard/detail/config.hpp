// Turns an unordered pack of policies into one canonical configuration (one policy per
// kind, defaults filled in), and checks the pack with sentences a user can act on.
#ifndef LIFEGUARD_DETAIL_CONFIG_HPP
#define LIFEGUARD_DETAIL_CONFIG_HPP

#include <lifeguard/clock_policy.hpp>
#include <lifeguard/coarse_clock.hpp>
#include <lifeguard/driver.hpp>
#include <lifeguard/driver_capabilities.hpp>
#include <lifeguard/fork_policy.hpp>
#include <lifeguard/host_policy.hpp>
#include <lifeguard/maintenance_policy.hpp>
#include <lifeguard/observer_policy.hpp>
#include <lifeguard/setup_policy.hpp>
#include <lifeguard/policies/clock.hpp>
#include <lifeguard/policies/fork.hpp>
#include <lifeguard/policies/hosts.hpp>
#include <lifeguard/policies/maintenance.hpp>
#include <lifeguard/policies/observers.hpp>
#include <lifeguard/policies/setup.hpp>
#include <lifeguard/policies/recycle.hpp>
#include <lifeguard/policies/reset.hpp>
#include <lifeguard/policies/validation.hpp>
#include <lifeguard/policy.hpp>
#include <lifeguard/recycle_policy.hpp>
#include <lifeguard/reset_policy.hpp>
#include <lifeguard/validation_policy.hpp>

#include <chrono>
#include <cstddef>
#include <type_traits>

namespace lifeguard::detail {

template <class...>
inline constexpr bool always_false = false;

template <class Kind, class... Ps>
inline constexpr std::size_t count_kind_v = (std::size_t{0} + ... + (PolicyOfKind<Ps, Kind> ? 1u : 0u));

template <class P>
inline constexpr bool is_known_kind_v = PolicyOfKind<P, recycle_tag> || PolicyOfKind<P, validation_tag> ||
                                        PolicyOfKind<P, fork_tag> || PolicyOfKind<P, reset_tag> ||
                                        PolicyOfKind<P, clock_tag> || PolicyOfKind<P, maintenance_tag> ||
                                        PolicyOfKind<P, observer_tag> || PolicyOfKind<P, setup_tag> ||
                                        PolicyOfKind<P, host_tag>;

template <class Kind, class Default, class... Ps>
struct select_policy {
    using type = Default;
};
template <class Kind, class Default, class P, class... Ps>
struct select_policy<Kind, Default, P, Ps...>
    : std::conditional_t<PolicyOfKind<P, Kind>, std::type_identity<P>, select_policy<Kind, Default, Ps...>> {};

template <class Kind, class Default, class... Ps>
using select_policy_t = typename select_policy<Kind, Default, Ps...>::type;

// The canonical configuration: the pool is instantiated once per distinct set of
// policies, whatever order the user wrote them in.
template <class Recycle, class Validation, class Fork, class Reset, class ClockP, class Maintenance,
          class Observer, class Setup, class Host>
struct pool_config {
    using recycle = Recycle;
    using validation = Validation;
    using fork = Fork;
    using reset = Reset;
    using clock = typename ClockP::clock;
    using maintenance = Maintenance;
    using observer = Observer;
    using setup = Setup;
    using host = Host;
    /// Whether a value of type T configures one of this pool's policies.
    template <class T>
    static constexpr bool has_policy = std::is_same_v<T, Recycle> || std::is_same_v<T, Validation> ||
                                       std::is_same_v<T, Fork> || std::is_same_v<T, Reset> ||
                                       std::is_same_v<T, Maintenance> || std::is_same_v<T, Observer> ||
                                       std::is_same_v<T, Setup> || std::is_same_v<T, Host>;
};

template <class... Ps>
using make_config_t = pool_config<select_policy_t<recycle_tag, NoRecycle, Ps...>,
                                  select_policy_t<validation_tag, NoValidation, Ps...>,
                                  select_policy_t<fork_tag, IgnoreFork, Ps...>,
                                  select_policy_t<reset_tag, NoReset, Ps...>,
                                  select_policy_t<clock_tag, UseClock<CoarseSteadyClock>, Ps...>,
                                  select_policy_t<maintenance_tag, NoMaintenance, Ps...>,
                                  select_policy_t<observer_tag, NoObserver, Ps...>,
                                  select_policy_t<setup_tag, NoSetup, Ps...>,
                                  select_policy_t<host_tag, SingleHost, Ps...>>;

template <class T>
inline constexpr bool is_duration_v = false;
template <class Rep, class Period>
inline constexpr bool is_duration_v<std::chrono::duration<Rep, Period>> = true;

// One value given to a pool's constructor.
template <class Config, class V>
consteval bool check_constructor_value() {
    using T = std::remove_cvref_t<V>;
    if constexpr (is_duration_v<T>) {
        static_assert(always_false<T>,
                      "lifeguard::ConnectionPool: a bare duration was passed to the constructor. Durations "
                      "configure a policy: write the policy around it, e.g. RecycleAfter(280s) or "
                      "PingIfIdle(1s), and list that policy in the pool's template arguments");
        return false;
    } else if constexpr (!Config::template has_policy<T>) {
        static_assert(always_false<T>,
                      "lifeguard::ConnectionPool: a value passed to the constructor is not one of the "
                      "policies in the pool's template arguments. Add its policy to "
                      "ConnectionPool<Driver, ...>, or remove the value");
        return false;
    } else {
        return true;
    }
}

template <class T, class... Vs>
inline constexpr std::size_t count_same_v = (std::size_t{0} + ... + (std::is_same_v<T, Vs> ? 1u : 0u));

// All values given to a pool's constructor: each a policy of the pool, at most one per policy.
template <class Config, class... Vs>
consteval bool check_constructor_values() {
    if constexpr (!(true && ... && check_constructor_value<Config, Vs>())) {
        return false;
    } else {
        static_assert((true && ... && (count_same_v<std::remove_cvref_t<Vs>, std::remove_cvref_t<Vs>...> == 1)),
                      "lifeguard::ConnectionPool: the same policy was given two values in the constructor; "
                      "pass one");
        return true;
    }
}

template <class P, class V, class... Vs>
decltype(auto) first_of(V&& v, Vs&&... vs) {
    if constexpr (std::is_same_v<P, std::remove_cvref_t<V>>) return std::forward<V>(v);
    else return first_of<P>(std::forward<Vs>(vs)...);
}

// The policy object a pool keeps: the value given to its constructor, or a default one.
template <class P, class... Vs>
P pick_policy(Vs&&... values) {
    if constexpr ((false || ... || std::is_same_v<P, std::remove_cvref_t<Vs>>)) {
        return P(first_of<P>(std::forward<Vs>(values)...));
    } else if constexpr (std::is_default_constructible_v<P>) {
        return P();
    } else {
        static_assert(always_false<P>,
                      "lifeguard::ConnectionPool: a policy has no default constructor, and no value of it "
                      "was passed to the constructor. Pass one: ConnectionPool<Driver, P>(driver, options, "
                      "P(...))");
        throw 0;  // not reached: the program does not compile
    }
}

// One argument of the pack. Evaluated per argument, so the compiler's
// "required from here" note names the offending type.
template <class D, class TimePoint, class P>
consteval bool check_policy() {
    if constexpr (!Policy<P>) {
        static_assert(always_false<P>,
                      "lifeguard::ConnectionPool: an argument after the Driver is not a policy. A policy "
                      "declares its kind with `using policy_kind = lifeguard::recycle_tag;` (or "
                      "validation_tag, fork_tag, reset_tag, clock_tag, maintenance_tag, observer_tag, "
                      "setup_tag, host_tag); see docs/custom-policies.md");
        return false;
    } else if constexpr (!is_known_kind_v<P>) {
        static_assert(always_false<P>,
                      "lifeguard::ConnectionPool: unknown policy_kind. Use one of lifeguard::recycle_tag, "
                      "validation_tag, fork_tag, reset_tag, clock_tag, maintenance_tag, observer_tag, "
                      "setup_tag or host_tag");
        return false;
    } else if constexpr (PolicyOfKind<P, recycle_tag>) {
        static_assert(RecyclePolicy<P, TimePoint>,
                      "lifeguard::ConnectionPool: a policy tagged recycle_tag does not model RecyclePolicy; "
                      "it needs uses_clock, on_connect(state, now) and expired(state, now) as in "
                      "docs/custom-policies.md");
        return RecyclePolicy<P, TimePoint>;
    } else if constexpr (PolicyOfKind<P, validation_tag>) {
        static_assert(ValidationPolicy<P, TimePoint>,
                      "lifeguard::ConnectionPool: a policy tagged validation_tag does not model "
                      "ValidationPolicy; it needs uses_clock, on_connect(state, now), needs_ping(state, now) "
                      "and on_release(state, now) as in docs/custom-policies.md");
        return ValidationPolicy<P, TimePoint>;
    } else if constexpr (PolicyOfKind<P, fork_tag>) {
        static_assert(ForkPolicy<P, D>,
                      "lifeguard::ConnectionPool: a policy tagged fork_tag does not model ForkPolicy; it "
                      "needs detects_fork, generation() and dispose_inherited(driver, connection) as in "
                      "docs/custom-policies.md");
        return ForkPolicy<P, D>;
    } else if constexpr (PolicyOfKind<P, reset_tag>) {
        static_assert(ResetPolicy<P, D, TimePoint>,
                      "lifeguard::ConnectionPool: a policy tagged reset_tag does not model ResetPolicy with "
                      "this Driver; it needs on_use(state) and on_return(driver, connection, state), and "
                      "the Driver must offer what the policy calls (docs/custom-policies.md)");
        return ResetPolicy<P, D, TimePoint>;
    } else if constexpr (PolicyOfKind<P, maintenance_tag>) {
        static_assert(MaintenancePolicy<P>,
                      "lifeguard::ConnectionPool: a policy tagged maintenance_tag does not model "
                      "MaintenancePolicy; it needs runs_in_background and, if that is true, settings() "
                      "returning a MaintenanceSettings; use lifeguard::BackgroundMaintenance");
        return MaintenancePolicy<P>;
    } else if constexpr (PolicyOfKind<P, observer_tag>) {
        static_assert(ObserverPolicy<P>,
                      "lifeguard::ConnectionPool: a policy tagged observer_tag does not model ObserverPolicy; "
                      "it needs `static constexpr bool tracks_leases` and on(const events::E&) for the events "
                      "it handles, as in docs/observability.md");
        return ObserverPolicy<P>;
    } else if constexpr (PolicyOfKind<P, setup_tag>) {
        static_assert(SetupPolicy<P, D>,
                      "lifeguard::ConnectionPool: a policy tagged setup_tag does not model SetupPolicy with "
                      "this Driver; it needs `static constexpr bool active` and setup(driver, connection); use "
                      "lifeguard::SessionSetup(f) with f taking the driver's connection_type");
        return SetupPolicy<P, D>;
    } else if constexpr (PolicyOfKind<P, host_tag>) {
        static_assert(HostPolicy<P, TimePoint>,
                      "lifeguard::ConnectionPool: a policy tagged host_tag does not model HostPolicy; it needs "
                      "`static constexpr bool multi_host` and, if that is true, the hooks listed in "
                      "lifeguard/host_policy.hpp; use lifeguard::Failover or lifeguard::LoadBalance");
        if constexpr (HostPolicy<P, TimePoint>) {
            if constexpr (P::multi_host) {
                static_assert(MultiHostDriver<D>,
                              "lifeguard::ConnectionPool: Failover and LoadBalance choose among a driver's hosts, "
                              "but this Driver has no host_count() and connect_to(host, timeout) "
                              "(lifeguard::MultiHostDriver); the MariaDB driver has them");
                return MultiHostDriver<D>;
            } else {
                return true;
            }
        } else {
            return false;
        }
    } else {
        static_assert(ClockPolicy<P>,
                      "lifeguard::ConnectionPool: a policy tagged clock_tag does not model ClockPolicy; use "
                      "lifeguard::UseClock<C> with a steady clock C");
        return ClockPolicy<P>;
    }
}

// All checks of ConnectionPool<D, Ps...>; true if the pool can be instantiated.
template <class D, class... Ps>
consteval bool check_pool() {
    if constexpr (!Driver<D>) {
        static_assert(always_false<D>,
                      "lifeguard::ConnectionPool: the first template argument does not model "
                      "lifeguard::Driver. A driver needs connection_type, connect(), close(c), abandon(c), "
                      "ping(c, timeout) and is_broken(c); see docs/driver.md");
        return false;
    } else {
        static_assert(count_kind_v<recycle_tag, Ps...> <= 1,
                      "lifeguard::ConnectionPool: more than one RecyclePolicy given; keep one");
        static_assert(count_kind_v<validation_tag, Ps...> <= 1,
                      "lifeguard::ConnectionPool: more than one ValidationPolicy given; keep one");
        static_assert(count_kind_v<fork_tag, Ps...> <= 1,
                      "lifeguard::ConnectionPool: more than one ForkPolicy given; keep one");
        static_assert(count_kind_v<reset_tag, Ps...> <= 1,
                      "lifeguard::ConnectionPool: more than one ResetPolicy given; keep one");
        static_assert(count_kind_v<clock_tag, Ps...> <= 1,
                      "lifeguard::ConnectionPool: more than one ClockPolicy (UseClock) given; keep one");
        static_assert(count_kind_v<maintenance_tag, Ps...> <= 1,
                      "lifeguard::ConnectionPool: more than one MaintenancePolicy given; keep one");
        static_assert(count_kind_v<observer_tag, Ps...> <= 1,
                      "lifeguard::ConnectionPool: more than one ObserverPolicy given; combine them: "
                      "lifeguard::Observers<A, B>");
        static_assert(count_kind_v<setup_tag, Ps...> <= 1,
                      "lifeguard::ConnectionPool: more than one SetupPolicy given; keep one");
        static_assert(count_kind_v<host_tag, Ps...> <= 1,
                      "lifeguard::ConnectionPool: more than one HostPolicy given; keep one (Failover or "
                      "LoadBalance)");
        constexpr bool unique = count_kind_v<recycle_tag, Ps...> <= 1 && count_kind_v<validation_tag, Ps...> <= 1 &&
                                count_kind_v<fork_tag, Ps...> <= 1 && count_kind_v<reset_tag, Ps...> <= 1 &&
                                count_kind_v<clock_tag, Ps...> <= 1 && count_kind_v<maintenance_tag, Ps...> <= 1 &&
                                count_kind_v<observer_tag, Ps...> <= 1 && count_kind_v<setup_tag, Ps...> <= 1 &&
                                count_kind_v<host_tag, Ps...> <= 1;
        // The clock comes first: the other policies are checked against its time_point.
        using clock_policy = select_policy_t<clock_tag, UseClock<CoarseSteadyClock>, Ps...>;
        if constexpr (!check_policy<D, void, clock_policy>()) {
            return false;
        } else {
            using time_point = typename clock_policy::clock::time_point;
            return unique && (... && (PolicyOfKind<Ps, clock_tag> || check_policy<D, time_point, Ps>()));
        }
    }
}

} // namespace lifeguard::detail

#endif
