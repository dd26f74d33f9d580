// Reset policies (kind: reset_tag): what a connection's next user may see of its last one.
//   NoReset           - default; session state (variables, temporary tables, an open
//                       transaction) carries over. Fine when every user cleans up.
//   RollbackOnReturn  - roll back a transaction left open. The driver reports whether one
//                       is open (MariaDB: the server status flag), so the round trip is
//                       skipped when there is nothing to undo.
//                       Needs driver.in_transaction(c) and driver.rollback(c).
//   ResetOnReturn     - reset the whole session (MariaDB: mysql_reset_connection): roll
//                       back, drop temporary tables and user variables, close prepared
//                       statements, then restore the session's setup (init_command).
//                       Skipped for a lease whose handle was never taken (Lease::get), the
//                       only case a client can prove clean: the server status describes the
//                       last statement only, not the session. Needs driver.reset_session(c).
//                       With a driver that can split it (AsyncResetDriver, as MariaDB's), the
//                       releasing request only sends the reset; its reply is read when the
//                       connection is next handed out (by then it has usually arrived).
// A reset that fails closes the connection instead of returning it.
#ifndef LIFEGUARD_POLICIES_RESET_HPP
#define LIFEGUARD_POLICIES_RESET_HPP

#include <lifeguard/driver_capabilities.hpp>
#include <lifeguard/policy.hpp>

#include <concepts>

namespace lifeguard {

struct NoReset {
    using policy_kind = reset_tag;
    template <class State>
    constexpr void on_use(State&) const noexcept {}
    template <class D, class State>
    [[nodiscard]] constexpr bool on_return(D&, typename D::connection_type&, State&) const noexcept {
        return true;
    }
};

struct RollbackOnReturn {
    using policy_kind = reset_tag;
    template <class State>
    constexpr void on_use(State&) const noexcept {}
    template <class D, class State>
        requires requires(D& d, typename D::connection_type& c) {
            { d.in_transaction(c) } -> std::same_as<bool>;
            { d.rollback(c) } -> std::same_as<bool>;
        }
    [[nodiscard]] bool on_return(D& d, typename D::connection_type& c, State&) const {
        return !d.in_transaction(c) || d.rollback(c);
    }
};

struct ResetOnReturn {
    using policy_kind = reset_tag;
    static constexpr bool clears_session = true;  // a SetupPolicy runs again after it
    template <class TimePoint>
    struct connection_state {
        bool used = false;
        bool pending = false;  // a reset was sent; its reply is still to be read
    };
    template <class TimePoint>
    void on_use(connection_state<TimePoint>& s) const noexcept { s.used = true; }
    template <class D, class TimePoint>
        requires requires(D& d, typename D::connection_type& c) {
            { d.reset_session(c) } -> std::same_as<bool>;
        }
    [[nodiscard]] bool on_return(D& d, typename D::connection_type& c, connection_state<TimePoint>& s) const {
        if (!s.used) return true;
        s.used = false;
        if constexpr (AsyncResetDriver<D>) {
            switch (d.reset_start(c)) {
            case ResetProgress::pending: s.pending = true; return true;
            case ResetProgress::done: return true;
            case ResetProgress::failed: return false;
            }
            return false;
        } else {
            return d.reset_session(c);
        }
    }
    template <class TimePoint>
    [[nodiscard]] bool pending(const connection_state<TimePoint>& s) const noexcept { return s.pending; }
    template <class D, class TimePoint>
    [[nodiscard]] bool on_checkout(D& d, typename D::connection_type& c, connection_state<TimePoint>& s) const {
        if (!s.pending) return true;
        s.pending = false;
        if constexpr (AsyncResetDriver<D>) return d.reset_finish(c);
        else return true;
    }
};

} // namespace lifeguard

#endif
