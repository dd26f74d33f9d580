// expect: a policy tagged reset_tag does not model ResetPolicy with this Driver
#include "use_pool.hpp"

#include <chrono>

// A valid Driver that cannot reset a session: ResetOnReturn cannot work with it.
struct MinimalDriver {
    using connection_type = int*;
    int* connect() { return nullptr; }
    void close(int*&) noexcept {}
    void abandon(int*&) noexcept {}
    bool ping(int*&, std::chrono::milliseconds) { return true; }
    bool is_broken(int* const&) const noexcept { return false; }
#ifdef LIFEGUARD_POSITIVE_TWIN
    bool reset_session(int*&) { return true; }
#endif
};
int main() { return use_pool<lifeguard::ConnectionPool<MinimalDriver, lifeguard::ResetOnReturn>>(MinimalDriver{}); }
