#include "support/forked.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace nsctl::test {

ChildResult run_in_child(const std::function<int()>& fn) {
  ChildResult result;
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) {
    result.stderr_text = "pipe2 failed";
    return result;
  }
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    result.stderr_text = "fork failed";
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    return result;
  }
  if (pid == 0) {
    ::dup2(pipefd[1], STDERR_FILENO);
    int rc = 1;
    try {
      rc = fn();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "exception: %s\n", e.what());
    }
    std::fflush(nullptr);
    ::_exit(rc);
  }
  ::close(pipefd[1]);
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) result.stderr_text.append(buf, n);
  ::close(pipefd[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

ChildResult run_in_new_proc(const std::function<int()>& fn) {
  return run_in_child([&] {
    if (::unshare(CLONE_NEWPID | CLONE_NEWNS) != 0) {
      std::perror("unshare(CLONE_NEWPID|CLONE_NEWNS)");
      return ChildResult::kSkip;
    }
    std::fflush(nullptr);
    pid_t init = ::fork();
    if (init < 0) return 1;
    if (init == 0) {
      if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
          ::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
        std::perror("mount /proc");
        ::_exit(1);
      }
      int rc = fn();
      std::fflush(nullptr);
      ::_exit(rc);
    }
    int status = 0;
    while (::waitpid(init, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  });
}

}  // namespace nsctl::test
