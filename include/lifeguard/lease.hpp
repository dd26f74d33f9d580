// Lease: a connection on loan from a pool, given back when the lease is destroyed.
#ifndef LIFEGUARD_LEASE_HPP
#define LIFEGUARD_LEASE_HPP

#include <cassert>
#include <memory>
#include <type_traits>
#include <utility>

namespace lifeguard {
namespace detail {
struct pool_access;
} // namespace detail

/// Move-only RAII handle returned by ConnectionPool::acquire(). Two pointers wide.
///
/// \par Thread safety
/// A lease is used by one thread at a time; different leases of one pool may be used and
/// destroyed concurrently. A lease must be destroyed before its pool.
template <class Pool>
class Lease {
public:
    using connection_type = typename Pool::connection_type;

    /// An empty lease (as after a move). Only destruction and assignment are valid.
    Lease() noexcept = default;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), record_(std::exchange(other.record_, nullptr)) {}
    Lease& operator=(Lease&& other) noexcept {
        if (this != &other) {
            release();
            pool_ = std::exchange(other.pool_, nullptr);
            record_ = std::exchange(other.record_, nullptr);
        }
        return *this;
    }
    ~Lease() {
        if (pool_ != nullptr) pool_->release(record_, false);  // no need to empty a dying lease
    }

    [[nodiscard]] explicit operator bool() const noexcept { return pool_ != nullptr; }

    /// The native connection (e.g. MYSQL*). Valid until the lease is released.
    [[nodiscard]] connection_type& get() const noexcept {
        assert(pool_ != nullptr && "lifeguard::Lease::get() on an empty lease");
        pool_->on_use(*record_);
        return record_->connection;
    }

    /// Member access: the native handle itself if it is a pointer, else its address.
    [[nodiscard]] auto operator->() const noexcept {
        if constexpr (std::is_pointer_v<connection_type>) {
            return get();
        } else {
            return std::addressof(get());
        }
    }

    /// Give the connection back now. The lease becomes empty.
    void release() noexcept {
        if (pool_ != nullptr) std::exchange(pool_, nullptr)->release(record_, false);
    }

    /// Close the connection instead of giving it back: for a connection its user knows is
    /// broken or in an unknown state. The lease becomes empty.
    void discard() noexcept {
        if (pool_ != nullptr) std::exchange(pool_, nullptr)->release(record_, true);
    }

private:
    friend Pool;
    friend struct detail::pool_access;  // tests
    Lease(Pool* pool, typename Pool::record* record) noexcept : pool_(pool), record_(record) {}

    Pool* pool_ = nullptr;
    typename Pool::record* record_ = nullptr;
};

} // namespace lifeguard

#endif
