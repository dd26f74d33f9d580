// Setup policies (kind: setup_tag): what runs on every new session.
//   NoSetup             - default; nothing.
//   SessionSetup{f}     - f(connection) on every new connection, before anyone uses it, and
//                         after every reset that clears the session (ResetOnReturn), so every
//                         lease sees the same session (Boost.MySQL #285, HikariCP
//                         connectionInitSql). f returns void (and throws to fail) or bool
//                         (false: failed). A failed setup closes the connection; after a
//                         connect it counts as a failed connect (events::ConnectFailed, and the
//                         acquiring caller gets the exception).
// With MariaDB, ConnectOptions::init_command does the same for one SQL statement, inside the
// driver; SessionSetup can run any code (several statements, prepared statements).
#ifndef LIFEGUARD_POLICIES_SETUP_HPP
#define LIFEGUARD_POLICIES_SETUP_HPP

#include <lifeguard/policy.hpp>

#include <stdexcept>
#include <type_traits>
#include <utility>

namespace lifeguard {

struct NoSetup {
    using policy_kind = setup_tag;
    static constexpr bool active = false;
    template <class D>
    constexpr void setup(D&, typename D::connection_type&) const noexcept {}
};

/// The session setup failed (f returned false).
class SetupFailed : public std::runtime_error {
public:
    SetupFailed()
        : std::runtime_error("lifeguard: the session setup (SessionSetup) failed on a new or reset connection; "
                             "it was closed") {}
};

template <class F>
class SessionSetup {
public:
    using policy_kind = setup_tag;
    static constexpr bool active = true;

    explicit SessionSetup(F f) : f_(std::move(f)) {}

    template <class D>
    void setup(D&, typename D::connection_type& c) const {
        if constexpr (std::is_same_v<decltype(f_(c)), bool>) {
            if (!f_(c)) throw SetupFailed();
        } else {
            f_(c);
        }
    }

private:
    F f_;
};

} // namespace lifeguard

#endif
