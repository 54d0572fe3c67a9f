// The async-signal-safe half of enter: the steps between fork and exec (see enter_plan.hpp).
// Only syscalls on data the parent prepared: no allocation, errors as {stage, errno}.
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "enter/enter_plan.hpp"
#include "privilege/seccomp.hpp"
#include "sys/syscalls.hpp"

namespace nsctl::detail {

namespace {

bool write_zero(const char* path) noexcept {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  // "0" is the writer itself.
  bool ok = ::write(fd, "0", 1) == 1;
  int saved = errno;
  ::close(fd);
  errno = saved;
  return ok;
}

// nsenter's two passes: every type but user first (possible while we are still privileged
// here), then user, then again whatever failed before it (possible with the user namespace's
// privilege, e.g. an unprivileged user entering its own container).
bool join_each(const EnterPlan& p, ChildFailure* f) noexcept {
  bool joined[kNsTypeCount] = {};
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1) {
      int fd = p.ns_fds[index(NsType::user)];
      if (fd >= 0 && ::setns(fd, CLONE_NEWUSER) != 0)
        return fail_with(f, kEnSetns + static_cast<std::int32_t>(NsType::user), errno);
      joined[index(NsType::user)] = true;
    }
    for (std::size_t i = 0; i < kNsTypeCount; ++i) {
      auto type = static_cast<NsType>(i);
      int fd = p.ns_fds[i];
      if (fd < 0 || joined[i] || type == NsType::user) continue;
      if (::setns(fd, info(type).clone_flag) == 0) {
        joined[i] = true;
        continue;
      }
      if (pass == 1) return fail_with(f, kEnSetns + static_cast<std::int32_t>(i), errno);
    }
  }
  return true;
}

bool load_filters(const EnterPlan& p, ChildFailure* f) noexcept {
  for (const auto& program : p.seccomp)
    if (int err = load_seccomp(program)) return fail_with(f, kEnSeccomp, err);
  return true;
}

}  // namespace

bool enter_steps(const EnterPlan& p, ChildReport* report, ChildFailure* f) noexcept {
  // The command starts with no signal blocked, whatever its starter blocks to supervise it.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  // Cgroups first: their paths are the host's, which the mount and cgroup namespaces change.
  for (std::size_t i = 0; i < p.cgroup_procs.size(); ++i)
    if (!write_zero(p.cgroup_procs[i].c_str()))
      return fail_with(f, kEnCgroup + static_cast<std::int32_t>(i), errno);
  if (p.groups_before_join && ::setgroups(p.host_groups.size(), p.host_groups.data()) != 0 &&
      errno != EPERM)
    return fail_with(f, kEnGroupsBeforeJoin, errno);

  if (p.setns_flags) {
    if (::setns(p.target_pidfd, p.setns_flags) != 0) return fail_with(f, kEnSetnsTarget, errno);
  } else if (!join_each(p, f)) {
    return false;
  }

  if (p.fork_after_join) {
    // The command is born in the pid namespace; CLONE_PARENT makes it the caller's child, so
    // the caller waits for it through its own pidfd. clone3 wants exit_signal 0 with
    // CLONE_PARENT (the signal is this process's own, SIGCHLD).
    sys::CloneArgs args{};
    args.flags = CLONE_PARENT;
    long pid = sys::clone3(&args);
    if (pid < 0) return fail_with(f, kEnFork, errno);
    if (pid > 0) {
      if (report) report->send(kEnChildPid, static_cast<std::int32_t>(pid));
      ::_exit(0);
    }
  }

  if (p.root_fd >= 0) {
    if (::fchdir(p.root_fd) != 0 || ::chroot(".") != 0) return fail_with(f, kEnRoot, errno);
    if (p.wd_fd < 0 && p.wd_in_ns.empty() && ::chdir("/") != 0) return fail_with(f, kEnRoot, errno);
  }
  if (p.wd_fd >= 0 && ::fchdir(p.wd_fd) != 0) return fail_with(f, kEnWd, errno);
  if (!p.wd_in_ns.empty() && ::chdir(p.wd_in_ns.c_str()) != 0) return fail_with(f, kEnWdNs, errno);

  // Raising a hard limit needs CAP_SYS_RESOURCE: before the credentials change.
  for (std::size_t i = 0; i < p.rlimits.size(); ++i)
    if (::setrlimit(static_cast<__rlimit_resource>(p.rlimits[i].first), &p.rlimits[i].second) != 0)
      return fail_with(f, kEnRlimit + static_cast<std::int32_t>(i), errno);
  if (p.seccomp_before_credentials && !load_filters(p, f)) return false;
  if (!apply_credentials(p.creds, f)) return false;
  if (!p.exec_label.empty()) {
    int fd = ::open("/proc/thread-self/attr/exec", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return fail_with(f, kEnLabel, errno);
    ssize_t n = ::write(fd, p.exec_label.data(), p.exec_label.size());
    int saved = errno;
    ::close(fd);
    if (n < 0) return fail_with(f, kEnLabel, saved);
  }
  // The command gets fds 0-2 and nothing else, whatever its starter inherited.
  if (sys::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0 && errno != ENOSYS)
    return fail_with(f, kEnCloseFds, errno);
  if (!p.seccomp_before_credentials && !load_filters(p, f)) return false;
  return true;
}

int enter_exec(const EnterPlan& p) noexcept {
  int err = exec_program(*p.program);
  if (err == ENOENT && p.fallback) err = exec_program(*p.fallback);
  return err;
}

void enter_child_main(const EnterPlan& p, ChildReport& report) noexcept {
  ChildFailure f{};
  if (!enter_steps(p, &report, &f)) report.fail(f.stage, f.err, 1);
  int err = enter_exec(p);
  report.fail(kEnExec, err, err == ENOENT ? 127 : 126);
}

}  // namespace nsctl::detail
