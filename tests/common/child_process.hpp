// Run a function in a forked child and collect its exit status, bounded by a timeout so
// a deadlocked child fails the test instead of hanging it.
#ifndef LIFEGUARD_TESTS_CHILD_PROCESS_HPP
#define LIFEGUARD_TESTS_CHILD_PROCESS_HPP

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <thread>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lifeguard_test {

constexpr int child_timed_out = -1;

// Waits for `pid`; kills it and returns child_timed_out after `timeout`.
inline int wait_child(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (r < 0) return -2;
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return child_timed_out;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

// Forks; the child runs `body` and leaves with _exit (no atexit handlers, no test
// framework teardown): 0 if body returned true.
inline pid_t spawn(const std::function<bool()>& body) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        bool ok = false;
        try {
            ok = body();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child %d: exception: %s\n", static_cast<int>(::getpid()), e.what());
        }
        std::fflush(stderr);
        ::_exit(ok ? 0 : 1);
    }
    return pid;
}

#define LIFEGUARD_CHILD_CHECK(cond)                                                              \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            std::fprintf(stderr, "child %d: %s:%d: check failed: %s\n", static_cast<int>(::getpid()), \
                         __FILE__, __LINE__, #cond);                                             \
            return false;                                                                        \
        }                                                                                        \
    } while (0)

} // namespace lifeguard_test

#endif
