// Umbrella header: the pool, its policies and concepts. Drivers have their own headers
// (lifeguard/mariadb.hpp), so the core needs no database client library.
#ifndef LIFEGUARD_LIFEGUARD_HPP
#define LIFEGUARD_LIFEGUARD_HPP

#include <lifeguard/clock_policy.hpp>
#include <lifeguard/coarse_clock.hpp>
#include <lifeguard/connection_pool.hpp>
#include <lifeguard/driver.hpp>
#include <lifeguard/errors.hpp>
#include <lifeguard/fork_policy.hpp>
#include <lifeguard/host_policy.hpp>
#include <lifeguard/lease.hpp>
#include <lifeguard/policies/clock.hpp>
#include <lifeguard/policies/fork.hpp>
#include <lifeguard/policies/hosts.hpp>
#include <lifeguard/policies/recycle.hpp>
#include <lifeguard/policies/reset.hpp>
#include <lifeguard/policies/validation.hpp>
#include <lifeguard/policy.hpp>
#include <lifeguard/pool_options.hpp>
#include <lifeguard/recommended.hpp>
#include <lifeguard/recycle_policy.hpp>
#include <lifeguard/reset_policy.hpp>
#include <lifeguard/validation_policy.hpp>

#endif
