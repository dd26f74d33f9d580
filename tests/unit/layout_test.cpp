// Zero overhead, proven on layout: with no-op policies the pool, its lease and its
// per-connection record are exactly as large as the hand-written baseline's; an enabled
// policy adds its own state and nothing else. These are compile-time checks; the
// matching instruction counts are in benchmarks/ (tools/bench).
#include "test_support.hpp"

#include <baseline_pool.hpp>

#include <lifeguard/metrics.hpp>

#include <type_traits>

using namespace lifeguard;
using lifeguard::detail::pool_access;
using lifeguard::testing::FakeConnection;
using lifeguard::testing::FakeDriver;

namespace {
using plain = ConnectionPool<FakeDriver>;
using explicit_noops = ConnectionPool<FakeDriver, NoReset, IgnoreFork, NoValidation, NoRecycle>;
using hand = baseline::Pool<FakeDriver>;
using tp = lifeguard::CoarseSteadyClock::time_point;

// The no-op pool is the baseline, byte for byte.
static_assert(sizeof(plain) == sizeof(hand));
static_assert(sizeof(plain::lease_type) == sizeof(hand::lease_type));
static_assert(sizeof(plain::lease_type) == 2 * sizeof(void*));
static_assert(sizeof(pool_access::record_t<plain>) == sizeof(hand::record));
static_assert(sizeof(explicit_noops) == sizeof(hand));
static_assert(sizeof(pool_access::record_t<explicit_noops>) == sizeof(hand::record));
static_assert(std::is_nothrow_move_constructible_v<plain::lease_type>);
static_assert(std::is_nothrow_move_assignable_v<plain::lease_type>);
static_assert(!std::is_copy_constructible_v<plain::lease_type>);

// An enabled policy adds only its own state (and the alignment padding it needs).
// Reference layouts, written out by hand. The baseline record is {next, parked state word,
// position in the open list, connection}; a policy's state adds to it.
struct record_plus_time_point {
    void* next;
    std::uint32_t parked;
    std::uint32_t open_pos;
    FakeConnection* connection;
    tp state;
};
struct record_plus_two_time_points {
    void* next;
    std::uint32_t parked;
    std::uint32_t open_pos;
    FakeConnection* connection;
    tp a, b;
};
struct record_plus_generation {
    void* next;
    std::uint32_t parked;
    std::uint32_t open_pos;
    std::uint32_t generation;
    FakeConnection* connection;
};
struct record_plus_flag {
    void* next;
    std::uint32_t parked;
    std::uint32_t open_pos;
    bool used;
    FakeConnection* connection;
};
struct record_plus_generation_and_flag {  // both small states share one padding word
    void* next;
    std::uint32_t parked;
    std::uint32_t open_pos;
    std::uint32_t generation;
    bool used;
    FakeConnection* connection;
};
using recycled = ConnectionPool<FakeDriver, RecycleAfter>;
using pinged = ConnectionPool<FakeDriver, PingIfIdle>;
using both = ConnectionPool<FakeDriver, PingIfIdle, RecycleAfter>;
using forked = ConnectionPool<FakeDriver, DisposeAfterFork>;
using reset = ConnectionPool<FakeDriver, ResetOnReturn>;
using ping_always = ConnectionPool<FakeDriver, PingOnCheckout>;

static_assert(sizeof(pool_access::record_t<recycled>) == sizeof(record_plus_time_point));
static_assert(sizeof(recycled) == sizeof(hand) + sizeof(RecycleAfter));
static_assert(sizeof(pool_access::record_t<pinged>) == sizeof(record_plus_time_point));
static_assert(sizeof(pinged) == sizeof(hand) + sizeof(PingIfIdle));
static_assert(sizeof(pool_access::record_t<both>) == sizeof(record_plus_two_time_points));
static_assert(sizeof(pool_access::record_t<forked>) == sizeof(record_plus_generation));
// The fork policy's pool state: its registry link, and the count of leases inherited from
// a parent process.
static_assert(sizeof(forked) == sizeof(hand) + sizeof(detail::fork_link<true>) + sizeof(std::size_t));
using forked_reset = ConnectionPool<FakeDriver, DisposeAfterFork, ResetOnReturn>;
static_assert(sizeof(pool_access::record_t<forked_reset>) == sizeof(record_plus_generation_and_flag));
static_assert(sizeof(pool_access::record_t<reset>) == sizeof(record_plus_flag));
static_assert(sizeof(reset) == sizeof(hand));
// A stateless policy that does work (a ping) still adds no bytes.
static_assert(sizeof(ping_always) == sizeof(hand));
static_assert(sizeof(pool_access::record_t<ping_always>) == sizeof(hand::record));
// Leases stay two pointers whatever the policies.
static_assert(sizeof(both::lease_type) == 2 * sizeof(void*));
static_assert(sizeof(RecommendedPool<FakeDriver>::lease_type) == 2 * sizeof(void*));

// Maintenance: NoMaintenance (the default) adds nothing; BackgroundMaintenance adds its
// engine to the pool, two time points and a serial to the record (idle since, last contact,
// which connection), and joins the fork handlers (a child must never inherit its lock held
// by a worker).
struct record_plus_maintenance {
    void* next;
    std::uint32_t parked;
    std::uint32_t open_pos;
    FakeConnection* connection;
    tp idle_since, last_contact;
    std::uint64_t serial;
};
using no_maintenance = ConnectionPool<FakeDriver, NoMaintenance>;
static_assert(sizeof(no_maintenance) == sizeof(hand));
static_assert(sizeof(pool_access::record_t<no_maintenance>) == sizeof(hand::record));
using maintained = ConnectionPool<FakeDriver, BackgroundMaintenance>;
static_assert(sizeof(pool_access::record_t<maintained>) == sizeof(record_plus_maintenance));
static_assert(sizeof(maintained) ==
              sizeof(hand) + sizeof(detail::background_maintenance<pool_access::record_t<maintained>, tp>) +
                  sizeof(detail::fork_link<true>));
static_assert(sizeof(maintained::lease_type) == 2 * sizeof(void*));

// Observers and setup: the defaults (NoObserver, NoSetup) add nothing; an observer that
// tracks leases adds a lease stamp (and its own state) to the record.
using quiet = ConnectionPool<FakeDriver, NoObserver, NoSetup>;
static_assert(sizeof(quiet) == sizeof(hand));
static_assert(sizeof(pool_access::record_t<quiet>) == sizeof(hand::record));
struct record_plus_lease_stamp {
    void* next;
    std::uint32_t parked;
    std::uint32_t open_pos;
    FakeConnection* connection;
    std::int64_t lease_started;
};
static_assert(sizeof(pool_access::record_t<ConnectionPool<FakeDriver, Metrics>>) == sizeof(record_plus_lease_stamp));

// Only time-based policies make the pool read its clock.
static_assert(!plain::uses_clock && !ping_always::uses_clock && !forked::uses_clock);
static_assert(recycled::uses_clock && pinged::uses_clock);
static_assert(!plain::detects_fork && forked::detects_fork);
} // namespace

// Every check in this file is a static_assert: the test build fails if one does not hold.
