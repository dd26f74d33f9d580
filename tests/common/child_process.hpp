// Run a function in a forked child and collect its exit status, bounded by a timeout so
// a deadlocked child fails the test instead of hanging it.
#ifndef LIFEGUARD_TESTS_CHILD_PROCESS_HPP
#define LIFEGUARD_TESTS_CHILD_PROCESS_HPP

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

// AddressSanitizer's allocator (GCC 12's libsanitizer) is not fork-safe: a fork() while a
// parent thread is inside malloc leaves the allocator's lock held in the child, whose next
// allocation hangs (gdb: __sanitizer::Mutex::Lock in SizeClassAllocator64::GetFromAllocator;
// the maintenance threads connect, and so allocate, all the time). glibc's malloc is
// fork-safe: the regular build runs these tests (the fork tests 50 times in a row).
#if defined(__SANITIZE_ADDRESS__)
#define LIFEGUARD_FORKS_WHILE_THREADS_ALLOCATE *boost::unit_test::disabled()
#else
#define LIFEGUARD_FORKS_WHILE_THREADS_ALLOCATE *boost::unit_test::enabled()
#endif

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

struct child_result {
    int status = 0;      // as wait_child returns it: exit code, or 128 + signal
    std::string output;  // what the child wrote to stderr
};

// Runs `body` in a forked child with stderr captured; for "this must abort with a message".
inline child_result run_capturing_stderr(const std::function<void()>& body,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    int fds[2];
    if (::pipe(fds) != 0) return {-3, "pipe failed"};
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::signal(SIGABRT, SIG_DFL);  // the test framework's handler would report and carry on
        ::dup2(fds[1], 2);
        ::close(fds[0]);
        ::close(fds[1]);
        body();
        std::fflush(stderr);
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string text;
    char buf[512];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    return {wait_child(pid, timeout), text};
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
