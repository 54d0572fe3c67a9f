// The async-signal-safe half of unshare: the child's setup before exec and the outside helper.
// Only syscalls and string functions here, on data the parent prepared (see unshare_plan.hpp).
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "process/supervise.hpp"
#include "sys/syscalls.hpp"
#include "unshare/unshare_plan.hpp"

namespace nsctl::detail {

namespace {

bool write_all(int fd, const char* data, std::size_t len) noexcept {
  while (len > 0) {
    ssize_t n = ::write(fd, data, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    len -= static_cast<std::size_t>(n);
  }
  return true;
}

bool load_interp(const char* dir, const char* interp, ChildFailure* f) noexcept {
  int dirfd = ::open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return fail_with(f, kStageInterpDir, errno);
  int fd = ::openat(dirfd, "register", O_WRONLY | O_CLOEXEC);
  int saved = errno;
  ::close(dirfd);
  if (fd < 0) return fail_with(f, kStageInterpOpen, saved);
  bool ok = write_all(fd, interp, std::strlen(interp));
  saved = errno;
  ::close(fd);
  return ok || fail_with(f, kStageInterpWrite, saved);
}

constexpr unsigned long kBinfmtFlags = MS_NOSUID | MS_NOEXEC | MS_NODEV;
constexpr const char* kDefaultBinfmt = "/proc/sys/fs/binfmt_misc";

}  // namespace

bool child_setup(const ChildPlan& p, ChildFailure* f) noexcept {
  if (p.new_mount_ns && p.propagation && ::mount("none", "/", nullptr, p.propagation, nullptr) != 0)
    return fail_with(f, kStagePropagation, errno);
  if (p.interp && p.interp_before_root) {
    if (::mount("binfmt_misc", kDefaultBinfmt, "binfmt_misc", kBinfmtFlags, nullptr) != 0)
      return fail_with(f, kStageBinfmtEarly, errno);
    if (!load_interp(kDefaultBinfmt, p.interp, f)) return false;
  }
  if (p.root && ::chroot(p.root) != 0) return fail_with(f, kStageChroot, errno);
  if (p.wd && ::chdir(p.wd) != 0) return fail_with(f, kStageChdir, errno);
  if (p.proc) {
    // The recursive change of "/" to private already covers an existing /proc; otherwise make
    // the mount point private first. A custom directory is usually no mount point (EINVAL).
    if (p.proc_make_private &&
        ::mount("none", p.proc, nullptr, MS_PRIVATE | MS_REC, nullptr) != 0 && errno != EINVAL)
      return fail_with(f, kStageProcPrivate, errno);
    if (::mount("proc", p.proc, "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, nullptr) != 0)
      return fail_with(f, kStageProcMount, errno);
  }
  if (p.binfmt && ::mount("binfmt_misc", p.binfmt, "binfmt_misc", kBinfmtFlags, nullptr) != 0)
    return fail_with(f, kStageBinfmtMount, errno);
  if (p.interp && !p.interp_before_root && !load_interp(p.binfmt, p.interp, f)) return false;
  if (!apply_credentials(p.creds, f)) return false;
  if (p.pdeath_signal) {
    // After the last credential change, which clears the death signal. If the parent died
    // before prctl() took effect, the signal never comes (util-linux issue #1490): check that
    // it is still there, through its pidfd (getppid() reads 0 in a new pid namespace).
    if (::prctl(PR_SET_PDEATHSIG, p.pdeath_signal) != 0)
      return fail_with(f, kStagePdeathsig, errno);
    if (p.parent_pidfd >= 0) {
      pollfd pfd{p.parent_pidfd, POLLIN, 0};
      if (::poll(&pfd, 1, 0) != 0) ::_exit(1);  // gone (or poll failed): nobody to report to
    }
    if (p.parent_pid > 0 && ::getppid() != p.parent_pid) ::_exit(1);
  }
  return true;
}

void child_main(const ChildPlan& p, ChildReport& report) noexcept {
  if (p.go_write_fd >= 0) ::close(p.go_write_fd);
  if (p.old_mask) restore_signals(*p.old_mask);
  if (p.go_fd >= 0) {
    char byte = 0;
    ssize_t n;
    do n = ::read(p.go_fd, &byte, 1);
    while (n < 0 && errno == EINTR);
    // EOF: the parent gave up (and reports why) or died.
    if (n != 1) ::_exit(1);
    ::close(p.go_fd);
  }
  ChildFailure f{};
  if (!child_setup(p, &f)) report.fail(f.stage, f.err, 1);
  int err = exec_program(*p.program);
  report.fail(kStageExec, err, err == ENOENT ? 127 : 126);
}

bool outside_binds(const OutsidePlan& p, ChildFailure* f) noexcept {
  for (std::size_t i = 0; i < p.binds.size(); ++i) {
    if (::mount(p.binds[i].source.c_str(), p.binds[i].target.c_str(), nullptr, MS_BIND, nullptr) !=
        0) {
      int saved = errno;
      auto stage = kStageBind + static_cast<std::int32_t>(i);
      while (i-- > 0) ::umount2(p.binds[i].target.c_str(), MNT_DETACH);
      return fail_with(f, stage, saved);
    }
  }
  return true;
}

void outside_unbind(const OutsidePlan& p) noexcept {
  for (const auto& b : p.binds) ::umount2(b.target.c_str(), MNT_DETACH);
}

void helper_main(const OutsidePlan& plan, int cmd_fd, int reply_fd) noexcept {
  for (;;) {
    char cmd = 0;
    ssize_t n = ::read(cmd_fd, &cmd, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n != 1) ::_exit(0);
    ChildFailure f{};
    bool ok = true;
    if (cmd == 'M') ok = write_id_maps(plan.maps, &f);
    if (cmd == 'B') ok = outside_binds(plan, &f);
    if (cmd == 'U') outside_unbind(plan);
    if (ok) f = {};
    if (!write_all(reply_fd, reinterpret_cast<const char*>(&f), sizeof f)) ::_exit(1);
  }
}

}  // namespace nsctl::detail
