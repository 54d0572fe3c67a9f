// Runs test code that changes the calling process's namespaces in a forked child, so the test
// runner itself never moves.
#pragma once

#include <functional>
#include <string>

namespace nsctl::test {

struct ChildResult {
  int exit_code = -1;    // the child's exit status, or -1 if it died by a signal
  int signal = 0;        // the signal that killed it, or 0
  std::string stderr_text;  // everything the child wrote to fd 2
  bool skipped() const { return exit_code == kSkip; }
  static constexpr int kSkip = 77;
};

// Forks; the child runs `fn` with stderr captured and exits with its return value (77 means
// "skip"). The parent waits and returns what happened.
ChildResult run_in_child(const std::function<int()>& fn);

}  // namespace nsctl::test

// In a test body: run `fn` in a child; fail with its stderr unless it exits 0, skip on 77.
#define NSCTL_EXPECT_CHILD_OK(...)                                                    \
  do {                                                                                 \
    auto nsctl_child_ = ::nsctl::test::run_in_child(__VA_ARGS__);                              \
    if (nsctl_child_.skipped()) GTEST_SKIP() << nsctl_child_.stderr_text;              \
    EXPECT_EQ(nsctl_child_.exit_code, 0)                                               \
        << "signal " << nsctl_child_.signal << "; stderr:\n" << nsctl_child_.stderr_text; \
  } while (0)
