// The release/wait handshake of detail/basic_pool.hpp, checked exhaustively on a model.
//
// A model of the protocol, not the code: releasers park a connection and then look for
// waiters; a waiter (holding the pool's lock) raises waiters_ and scans for parked
// connections; finding none it lets go of the lock, spins and sleeps for a while (a
// releaser that sees it serves it under the lock); still unserved, it fences, takes the
// lock and scans again before it sleeps for good. Memory is x86-TSO: each releaser
// has a store buffer that drains at any moment (a nondeterministic step), loads read
// memory, locked instructions (CAS, fetch_add, seq_cst exchange) drain the buffer first.
// membarrier(2) runs a full barrier on every running thread of the process: in the model
// it drains every releaser's buffer at once.
//
// Every interleaving of every step is explored. A lost wake-up is an end state where the
// waiter sleeps for ever although every releaser is done. The variant without the heavy
// fence must have one (so the checker can fail); the shipped variants must not.
#include <boost/test/unit_test.hpp>

#include <array>
#include <cstdint>
#include <set>
#include <vector>

namespace {

enum class variant { release_store_and_membarrier, seq_cst_store, release_store_without_fence };

constexpr int max_releasers = 2;
constexpr std::uint8_t no_one = 255;

// Connection states in memory.
enum : std::uint8_t { leased = 0, parked = 1, claimed_by_waiter = 2, handed_to_waiter = 3 };
// Releaser program counters.
enum : std::uint8_t { r_check, r_park, r_recheck, r_take_back, r_locked_give, r_done };
// Waiter program counters.
enum : std::uint8_t { w_lock, w_raise, w_scan, w_spin, w_fence, w_relock, w_rescan, w_sleep, w_done };

struct state {
    std::array<std::uint8_t, max_releasers> connection{};  // in memory
    std::array<std::uint8_t, max_releasers> buffered{};    // 1: the park is in the store buffer
    std::array<std::uint8_t, max_releasers> pc{};
    std::uint8_t waiters = 0;  // in memory (only the waiter writes it, with locked instructions)
    std::uint8_t wpc = w_lock;
    std::uint8_t queued = 0;
    std::uint8_t served = 0;
    std::uint8_t lock = no_one;  // releaser index, max_releasers for the waiter

    auto key() const {
        std::array<std::uint8_t, 4 * max_releasers + 5> k{};
        for (int i = 0; i < max_releasers; ++i) {
            k[4 * i] = connection[i];
            k[4 * i + 1] = buffered[i];
            k[4 * i + 2] = pc[i];
        }
        k[4 * max_releasers] = waiters;
        k[4 * max_releasers + 1] = wpc;
        k[4 * max_releasers + 2] = queued;
        k[4 * max_releasers + 3] = served;
        k[4 * max_releasers + 4] = lock;
        return k;
    }
};

struct checker {
    variant v;
    int releasers;
    std::set<decltype(state{}.key())> seen;
    std::size_t end_states = 0;
    std::size_t lost_wakeups = 0;
    std::size_t double_owners = 0;

    void drain(state& s, int i) const {
        if (s.buffered[i]) {
            s.connection[i] = parked;
            s.buffered[i] = 0;
        }
    }

    // Serves the queued waiter with connection i, or parks it (under the lock).
    static void give_locked(state& s, int i) {
        if (s.queued) {
            s.queued = 0;
            s.waiters = 0;
            s.served = 1;
            s.connection[i] = handed_to_waiter;
        } else {
            s.connection[i] = parked;
        }
    }

    std::vector<state> successors(const state& s) const {
        std::vector<state> next;
        for (int i = 0; i < releasers; ++i) {
            if (s.buffered[i]) {  // the store buffer drains
                state t = s;
                drain(t, i);
                next.push_back(t);
            }
            state t = s;
            switch (s.pc[i]) {
            case r_check:
                t.pc[i] = s.waiters == 0 ? r_park : r_locked_give;
                break;
            case r_park:
                if (v == variant::seq_cst_store) t.connection[i] = parked;  // xchg: straight to memory
                else t.buffered[i] = 1;
                t.pc[i] = r_recheck;
                break;
            case r_recheck:
                t.pc[i] = s.waiters == 0 ? r_done : r_take_back;
                break;
            case r_take_back:  // CAS parked -> leased; a locked instruction drains the buffer
                drain(t, i);
                if (t.connection[i] == parked) {
                    t.connection[i] = leased;
                    t.pc[i] = r_locked_give;
                } else {
                    t.pc[i] = r_done;  // the waiter claimed it
                }
                break;
            case r_locked_give:
                if (s.lock != no_one) continue;  // blocked
                drain(t, i);  // taking a lock is a locked instruction
                give_locked(t, i);
                t.pc[i] = r_done;
                break;
            default:
                continue;
            }
            next.push_back(t);
        }
        state t = s;
        switch (s.wpc) {
        case w_lock:
            if (s.lock != no_one) return next;
            t.lock = max_releasers;
            t.wpc = w_raise;
            break;
        case w_raise:
            t.queued = 1;
            t.waiters = 1;
            t.wpc = w_scan;
            break;
        case w_scan:    // under the lock, no fence yet: sees what is visible
        case w_rescan: {
            int found = -1;
            for (int i = 0; i < releasers && found < 0; ++i)
                if (s.connection[i] == parked) found = i;
            if (found >= 0) {
                t.connection[found] = claimed_by_waiter;
                t.queued = 0;
                t.waiters = 0;
                t.wpc = w_done;
            } else {
                t.wpc = s.wpc == w_scan ? w_spin : w_sleep;
            }
            t.lock = no_one;
            break;
        }
        case w_spin:  // served while spinning or in the first, bounded sleep; else the fence
            t.wpc = s.served ? w_done : w_fence;
            break;
        case w_fence:
            if (v == variant::release_store_and_membarrier)
                for (int i = 0; i < releasers; ++i) drain(t, i);
            t.wpc = w_relock;
            break;
        case w_relock:
            if (s.lock != no_one) return next;
            t.lock = max_releasers;
            if (s.served) {
                t.lock = no_one;
                t.wpc = w_done;
            } else {
                t.wpc = w_rescan;
            }
            break;
        case w_sleep:
            if (!s.served) return next;  // asleep until a releaser serves it
            t.wpc = w_done;
            break;
        default:
            return next;
        }
        next.push_back(t);
        return next;
    }

    void explore(const state& s) {
        if (!seen.insert(s.key()).second) return;
        int owners = 0;
        for (int i = 0; i < releasers; ++i)
            owners += s.connection[i] == claimed_by_waiter || s.connection[i] == handed_to_waiter;
        if (owners > 1) ++double_owners;  // the waiter got two connections for one request
        const auto next = successors(s);
        if (next.empty()) {
            ++end_states;
            if (s.wpc == w_sleep && !s.served) ++lost_wakeups;
            return;
        }
        for (const state& t : next) explore(t);
    }
};

checker check(variant v, int releasers) {
    checker c{v, releasers, {}, 0, 0, 0};
    state start;
    for (int i = releasers; i < max_releasers; ++i) start.pc[i] = r_done;
    c.explore(start);
    return c;
}

} // namespace

BOOST_AUTO_TEST_SUITE(release_wait_handshake)

BOOST_AUTO_TEST_CASE(release_store_with_membarrier_never_loses_a_wakeup) {
    for (int releasers = 1; releasers <= max_releasers; ++releasers) {
        const checker c = check(variant::release_store_and_membarrier, releasers);
        BOOST_TEST_MESSAGE(releasers << " releaser(s): " << c.seen.size() << " states, " << c.end_states
                                     << " end states");
        BOOST_TEST(c.end_states > 0u);
        BOOST_TEST(c.lost_wakeups == 0u);
        BOOST_TEST(c.double_owners == 0u);
    }
}

BOOST_AUTO_TEST_CASE(the_seq_cst_fallback_never_loses_a_wakeup) {
    for (int releasers = 1; releasers <= max_releasers; ++releasers) {
        const checker c = check(variant::seq_cst_store, releasers);
        BOOST_TEST(c.end_states > 0u);
        BOOST_TEST(c.lost_wakeups == 0u);
        BOOST_TEST(c.double_owners == 0u);
    }
}

// The same model finds the bug the fence prevents: a park still in the store buffer when
// the waiter scans, and a releaser that read waiters_ before the waiter raised it.
BOOST_AUTO_TEST_CASE(without_the_heavy_fence_a_wakeup_is_lost) {
    const checker c = check(variant::release_store_without_fence, 1);
    BOOST_TEST(c.lost_wakeups > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
