// SetupPolicy: what runs on every new session, and again after every reset that clears
// session state (ResetOnReturn). Requirements: docs/custom-policies.md.
#ifndef LIFEGUARD_SETUP_POLICY_HPP
#define LIFEGUARD_SETUP_POLICY_HPP

#include <lifeguard/policy.hpp>

#include <concepts>

namespace lifeguard {

/// `p.setup(driver, connection)` prepares a session (SET statements, prepared statements);
/// it throws to say it failed: the connection is then closed, and after a connect the failure
/// is reported (and thrown to the acquiring caller) as a failed connect. `active` false: none.
template <class P, class D>
concept SetupPolicy = PolicyOfKind<P, setup_tag> &&
    requires(const P& p, D& d, typename D::connection_type& c) {
        { P::active } -> std::convertible_to<bool>;
        p.setup(d, c);
    };

} // namespace lifeguard

#endif
