#include <sys/ptrace.h>
#include <sys/wait.h>

#include <cerrno>
#include <string>

#include "privilege/seccomp.hpp"

namespace nsctl {

namespace {

long ptrace_call(int request, pid_t pid, unsigned long addr, void* data) {
  return ::ptrace(static_cast<__ptrace_request>(request), pid, addr, data);
}

}  // namespace

Result<std::vector<std::vector<sock_filter>>> read_seccomp_filters(pid_t pid) {
  std::string what = "pid " + std::to_string(pid) + ": read its seccomp filter";
  // PTRACE_SEIZE does not stop the process; PTRACE_INTERRUPT stops it until we detach, which
  // PTRACE_SECCOMP_GET_FILTER needs (and CAP_SYS_ADMIN in the initial user namespace).
  if (ptrace_call(PTRACE_SEIZE, pid, 0, nullptr) != 0) return errno_error(what + ": ptrace");
  struct Detach {
    pid_t pid;
    ~Detach() { ptrace_call(PTRACE_DETACH, pid, 0, nullptr); }
  } detach{pid};
  if (ptrace_call(PTRACE_INTERRUPT, pid, 0, nullptr) != 0) return errno_error(what + ": ptrace");
  for (;;) {
    int status = 0;
    if (::waitpid(pid, &status, __WALL) < 0) {
      if (errno == EINTR) continue;
      return errno_error(what + ": waitpid");
    }
    if (WIFSTOPPED(status)) break;
    if (WIFEXITED(status) || WIFSIGNALED(status)) return fail(ESRCH, what + ": it exited");
  }
  std::vector<std::vector<sock_filter>> filters;
  // Index 0 is the filter installed last: collect them all, then load them oldest first.
  for (unsigned long i = 0;; ++i) {
    long n = ptrace_call(PTRACE_SECCOMP_GET_FILTER, pid, i, nullptr);
    if (n < 0 && errno == ENOENT) break;  // no more filters
    if (n < 0) return errno_error(what);
    std::vector<sock_filter> program(static_cast<std::size_t>(n));
    if (ptrace_call(PTRACE_SECCOMP_GET_FILTER, pid, i, program.data()) != n)
      return errno_error(what);
    filters.push_back(std::move(program));
  }
  return std::vector<std::vector<sock_filter>>(filters.rbegin(), filters.rend());
}

}  // namespace nsctl
