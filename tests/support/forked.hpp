// Runs test code that changes the calling process's namespaces in a forked child, so the test
// runner itself never moves.
#pragma once

#include <cstdio>
#include <functional>
#include <string>

namespace nsctl::test {

struct ChildResult {
  int exit_code = -1;       // the child's exit status, or -1 if it died by a signal
  int signal = 0;           // the signal that killed it, or 0
  std::string stderr_text;  // everything the child wrote to fd 2
  bool skipped() const { return exit_code == kSkip; }
  static constexpr int kSkip = 77;
};

// Forks; the child runs `fn` with stderr captured and exits with its return value (77 means
// "skip"). The parent waits and returns what happened.
ChildResult run_in_child(const std::function<int()>& fn);

// As run_in_child, but `fn` runs as PID 1 of a new pid namespace with a private mount
// namespace and its own /proc: it sees only the processes it starts, so tools that scan /proc
// give answers that nothing else on the machine can change. Everything in the pid namespace
// is killed when `fn` returns.
ChildResult run_in_new_proc(const std::function<int()>& fn);

// What NSCTL_EXPECT_CHILD_OK checks: a function to run in a child, or a finished child.
inline ChildResult child_result(const ChildResult& r) { return r; }
inline ChildResult child_result(const std::function<int()>& fn) { return run_in_child(fn); }

}  // namespace nsctl::test

// In a test body: run `fn` in a child (or take a ChildResult); fail with its stderr unless it exits
// 0, skip on 77.
#define NSCTL_EXPECT_CHILD_OK(...)                                                            \
  do {                                                                                        \
    auto nsctl_child_ = ::nsctl::test::child_result(__VA_ARGS__);                             \
    if (nsctl_child_.skipped()) GTEST_SKIP() << nsctl_child_.stderr_text;                     \
    EXPECT_EQ(nsctl_child_.exit_code, 0) << "signal " << nsctl_child_.signal << "; stderr:\n" \
                                         << nsctl_child_.stderr_text;                         \
  } while (0)

// Inside a function run in a child: unless `cond` holds, print where and what failed (and the
// optional printf-style message) on stderr and return 1; the parent test shows the stderr.
#define CHILD_CHECK(cond, ...)                                                      \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      __VA_OPT__(std::fprintf(stderr, __VA_ARGS__); std::fprintf(stderr, "\n");)    \
      return 1;                                                                     \
    }                                                                               \
  } while (0)
