// The FIFO queue of threads blocked in acquire(). Each waiter lives on its thread's stack;
// the thread that serves it pops it and fills in what it gets, under the pool's lock.
#ifndef LIFEGUARD_DETAIL_WAITER_QUEUE_HPP
#define LIFEGUARD_DETAIL_WAITER_QUEUE_HPP

#include <lifeguard/detail/lock.hpp>

#include <atomic>
#include <chrono>
#include <exception>

namespace lifeguard::detail {

template <class Record>
struct waiter {
    waiter* next = nullptr;
    Record* handed = nullptr;         // a connection given to this waiter
    bool may_open = false;            // a free slot, already counted as open, for this waiter to use
    std::exception_ptr failure;       // why the pool gave up on this waiter (closed, server down)
    std::atomic<bool> served{false};  // set (after the fields above) when it is popped
    monotonic_condition cv;
};

// Not thread-safe: every call is made under the pool's lock.
template <class Waiter>
class waiter_queue {
public:
    [[nodiscard]] bool empty() const noexcept { return head_ == nullptr; }
    [[nodiscard]] Waiter* front() const noexcept { return head_; }

    void push(Waiter& w) noexcept {
        w.next = nullptr;
        (tail_ != nullptr ? tail_->next : head_) = &w;
        tail_ = &w;
    }

    Waiter* pop() noexcept {
        Waiter* w = head_;
        head_ = w->next;
        if (head_ == nullptr) tail_ = nullptr;
        return w;
    }

    /// Unlinks a waiter nobody served (it timed out, or found a connection itself).
    bool remove(Waiter& w) noexcept {
        Waiter* prev = nullptr;
        for (Waiter* p = head_; p != nullptr; prev = p, p = p->next) {
            if (p != &w) continue;
            (prev != nullptr ? prev->next : head_) = w.next;
            if (tail_ == &w) tail_ = prev;
            return true;
        }
        return false;
    }

    /// Forgets every waiter (a forked child: they were threads of the parent).
    void clear() noexcept { head_ = tail_ = nullptr; }

    /// Serves one waiter: fills it in, then wakes it. Called under the pool's lock, so the
    /// waiter cannot return (and destroy its condition variable) before notify returns.
    template <class Fill>
    static void serve(Waiter& w, Fill&& fill) noexcept {
        fill(w);
        w.served.store(true, std::memory_order_release);
        w.cv.notify_one();
    }

private:
    Waiter* head_ = nullptr;
    Waiter* tail_ = nullptr;
};

} // namespace lifeguard::detail

#endif
