// nsctl's init: the sandbox's first process. It finishes the namespaces that must be made from
// inside (cgroup after the move into the sandbox's cgroup, time with its offsets), builds the
// filesystem, sets the identity, limits and privileges, and then either execs the command as
// PID 1 (--as-pid-1) or forks it and stays as its init: reaping orphans, passing on signals,
// and exiting as the command did. Async-signal-safe throughout (see sandbox_plan.hpp).
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "net/rtnl.hpp"
#include "privilege/seccomp.hpp"
#include "process/supervise.hpp"
#include "sandbox/sandbox_plan.hpp"
#include "sys/syscalls.hpp"

namespace nsctl::detail {

namespace {

void ignore_signal(int) {}

// After PR_SET_PDEATHSIG: if nsctl died before it took effect, the signal never comes.
bool parent_alive(const SandboxPlan& p) noexcept {
  if (p.parent_pidfd < 0) return true;
  pollfd pfd{p.parent_pidfd, POLLIN, 0};
  return ::poll(&pfd, 1, 0) == 0;
}

bool die_with_parent(const SandboxPlan& p, ChildFailure* f) noexcept {
  if (!p.die_with_parent) return true;
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return fail_with(f, kSbPdeathsig, errno);
  if (!parent_alive(p)) ::_exit(kSetupFailedExit);  // nobody is left to report to
  return true;
}

bool write_file(const char* path, const std::string& text, std::int32_t stage,
                ChildFailure* f) noexcept {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail_with(f, stage, errno);
  ssize_t n = ::write(fd, text.data(), text.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) return fail_with(f, stage, n < 0 ? err : EIO);
  return true;
}

// A new time namespace applies to the children of the process that made it; its offsets can
// only be written before a process is in it. Then this process joins it itself (setns works
// for the time namespace of a single-threaded process), so that the command is in it with or
// without a fork.
bool enter_time_ns(const SandboxPlan& p, ChildFailure* f) noexcept {
  if (::unshare(CLONE_NEWTIME) != 0) return fail_with(f, kSbTimeNs, errno);
  if (!p.timens_offsets.empty() &&
      !write_file("/proc/self/timens_offsets", p.timens_offsets, kSbTimeOffsets, f))
    return false;
  int fd = ::open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail_with(f, kSbTimeJoin, errno);
  int rc = ::setns(fd, CLONE_NEWTIME);
  int err = errno;
  ::close(fd);
  return rc == 0 || fail_with(f, kSbTimeJoin, err);
}

// Marks every inherited fd above 2 close-on-exec: the command gets 0-2 and nothing else
// (nsctl's own fds are O_CLOEXEC already; this catches what nsctl's caller passed down).
bool cloexec_inherited(ChildFailure* f) noexcept {
  if (sys::close_range(3u, ~0u, CLOSE_RANGE_CLOEXEC) == 0) return true;
  if (errno != ENOSYS && errno != EINVAL) return fail_with(f, kSbCloseFds, errno);
  long max = ::sysconf(_SC_OPEN_MAX);  // before 5.11
  for (int fd = 3; fd < (max > 0 ? max : 1024); ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return true;
}

bool setup(const SandboxPlan& p, ChildFailure* f) noexcept {
  if (!die_with_parent(p, f)) return false;
  if (p.go_fd >= 0) {
    char byte = 0;
    ssize_t n;
    do n = ::read(p.go_fd, &byte, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) ::_exit(kSetupFailedExit);  // the parent gave up (and says why) or died
    ::close(p.go_fd);
  }
  // Now in the sandbox's cgroups (the parent moved us): they become this namespace's root.
  if (p.new_cgroup_ns && ::unshare(CLONE_NEWCGROUP) != 0) return fail_with(f, kSbCgroupNs, errno);
  if (p.new_time_ns && !enter_time_ns(p, f)) return false;
  if (p.new_mount_ns && !sandbox_mounts(p, f)) return false;
  if (!p.hostname.empty() && ::sethostname(p.hostname.data(), p.hostname.size()) != 0)
    return fail_with(f, kSbHostname, errno);
  if (!p.domainname.empty() && ::setdomainname(p.domainname.data(), p.domainname.size()) != 0)
    return fail_with(f, kSbDomainname, errno);
  if (!p.loopback_up.empty())
    if (int err = send_rtnl_request(p.loopback_up)) return fail_with(f, kSbLoopback, err);
  for (std::size_t i = 0; i < p.rlimits.size(); ++i)
    if (::setrlimit(static_cast<__rlimit_resource>(p.rlimits[i].first), &p.rlimits[i].second) != 0)
      return fail_with(f, kSbRlimit + static_cast<std::int32_t>(i), errno);
  if (!apply_credentials(p.creds, f)) return false;
  // The uid change cleared the death signal.
  if (!die_with_parent(p, f)) return false;
  if (::chdir(p.cwd.c_str()) != 0) return fail_with(f, kSbChdir, errno);
  return cloexec_inherited(f);
}

// The command's last steps: the filter comes last, since it may forbid what setup needs.
[[noreturn]] void exec_command(const SandboxPlan& p, ChildReport& report) noexcept {
  if (!p.seccomp.empty())
    if (int err = load_seccomp(p.seccomp)) report.fail(kSbSeccomp, err, kSetupFailedExit);
  int err = exec_program(*p.program);
  report.fail(kSbExec, err, err == ENOENT ? 127 : 126);
}

int exit_code(int status) noexcept {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

[[noreturn]] void init_loop(const SandboxPlan& p, pid_t command) noexcept {
  sigset_t wait_for;
  sigemptyset(&wait_for);
  sigaddset(&wait_for, SIGCHLD);
  for (const int* s = p.forwarded; *s; ++s) sigaddset(&wait_for, *s);
  for (;;) {
    siginfo_t si{};
    int sig = ::sigwaitinfo(&wait_for, &si);
    if (sig < 0) continue;  // EINTR
    if (sig == SIGCHLD) {
      // Reap everything: the command, and the orphans that the pid namespace hands to us.
      int status = 0;
      pid_t pid;
      while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0)
        if (pid == command) ::_exit(exit_code(status));  // the kernel kills the rest
      continue;
    }
    // Only what a process sent (nsctl passing on a kill, or someone inside): a signal from
    // the terminal (SI_KERNEL) reached the command's process group, ours, already.
    if (si.si_code <= 0) ::kill(command, sig);
  }
}

}  // namespace

void sandbox_child_main(const SandboxPlan& p, ChildReport& report) noexcept {
  if (p.go_write_fd >= 0) ::close(p.go_write_fd);
  ChildFailure f{};
  if (!setup(p, &f)) report.fail(f.stage, f.err, kSetupFailedExit);
  if (p.as_pid_1) {
    if (p.old_mask) restore_signals(*p.old_mask);
    exec_command(p, report);
  }
  // A signal from outside the pid namespace reaches its init only if init handles it: a
  // handler (never run, the signals stay blocked for sigwaitinfo) makes them deliverable.
  struct sigaction sa {};
  sa.sa_handler = ignore_signal;
  for (const int* s = p.forwarded; *s; ++s) ::sigaction(*s, &sa, nullptr);
  // With a shared pid namespace, orphans still come to us.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  pid_t command = ::fork();
  if (command < 0) report.fail(kSbFork, errno, kSetupFailedExit);
  if (command == 0) {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (const int* s = p.forwarded; *s; ++s) ::sigaction(*s, &dfl, nullptr);
    if (p.old_mask) restore_signals(*p.old_mask);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // with a shared pid namespace: go when init goes
    exec_command(p, report);
  }
  ::prctl(PR_SET_NAME, "nsctl-init", 0, 0, 0);
  // The report pipe stays open in the command until its exec: EOF then tells nsctl it ran.
  ::close(report.write_fd());
  if (p.parent_pidfd >= 0) ::close(p.parent_pidfd);
  init_loop(p, command);
}

}  // namespace nsctl::detail
