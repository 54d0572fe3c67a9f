// The sandbox's filesystem, built by its init between clone and exec: the root bound onto
// itself, the mount steps applied in order, then pivot_root with the old root detached.
// Async-signal-safe: syscalls on the plan's prepared strings, paths in stack buffers.
//
// Targets are resolved inside the new root with openat2(RESOLVE_IN_ROOT): a symlink in a root
// directory that someone else prepared ("tmp -> /etc") resolves against that root, never
// against the host's, so a mount or a created mount point cannot land outside it. Mounts are
// made with the new mount API (5.2; mount_setattr 5.12): a read-only bind is read-only in its
// whole tree at once, and flags the kernel locked in a user namespace (nosuid, nodev on the
// host's mounts) are never touched. Older kernels take mount(2) through /proc/self/fd/N.
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sandbox/sandbox_plan.hpp"
#include "sys/syscalls.hpp"

namespace nsctl::detail {

namespace {

// Closes an fd on every way out of a scope.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  void reset(int nfd) {
    if (fd >= 0) ::close(fd);
    fd = nfd;
  }
};

int open_in_root(int root_fd, const char* path, int flags) noexcept {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd = sys::openat2(root_fd, path, &how, sizeof how);
  if (fd < 0 && errno == ENOSYS) {  // before 5.6: plain resolution, relative to the root
    while (*path == '/') ++path;
    fd = ::openat(root_fd, *path ? path : ".", flags | O_CLOEXEC);
  }
  return fd;
}

// Creates the missing components of `path` inside the root: directories, and with `file` an
// empty file as the last one (a mount point for a file bind). Returns 0 or an errno.
int make_path(int root_fd, const char* path, bool file) noexcept {
  char buf[PATH_MAX];
  std::size_t len = std::strlen(path);
  if (len >= sizeof buf) return ENAMETOOLONG;
  std::memcpy(buf, path, len + 1);
  std::size_t i = 0;
  for (;;) {
    while (buf[i] == '/') ++i;
    if (buf[i] == '\0') return 0;
    std::size_t end = i;
    while (buf[end] != '\0' && buf[end] != '/') ++end;
    std::size_t rest = end;
    while (buf[rest] == '/') ++rest;
    bool last = buf[rest] == '\0';
    // The parent: buf[0..i), which starts with '/'.
    char at_i = buf[i];
    buf[i] = '\0';
    Fd parent{open_in_root(root_fd, buf, O_PATH | O_DIRECTORY)};
    buf[i] = at_i;
    if (parent.fd < 0) return errno;
    char at_end = buf[end];
    buf[end] = '\0';
    int rc;
    if (last && file) {
      rc = ::openat(parent.fd, buf + i, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (rc >= 0) ::close(rc);
    } else {
      rc = ::mkdirat(parent.fd, buf + i, 0755);
    }
    if (rc < 0 && errno != EEXIST) return errno;
    buf[end] = at_end;
    i = end;
  }
}

// The target of a step, opened O_PATH inside the root; created first when allowed.
int open_target(int root_fd, const MountStep& s, bool file, std::int32_t stage,
                ChildFailure* f) noexcept {
  int fd = open_in_root(root_fd, s.target.c_str(), O_PATH);
  if (fd < 0 && errno == ENOENT && s.create) {
    if (int err = make_path(root_fd, s.target.c_str(), file)) return fail_with(f, stage, err), -1;
    fd = open_in_root(root_fd, s.target.c_str(), O_PATH);
  }
  if (fd < 0) fail_with(f, stage, errno);
  return fd;
}

// "/proc/self/fd/<fd>" for mount(2), which takes paths only.
void fd_path(int fd, char (&buf)[32]) noexcept {
  char digits[12];
  int n = 0;
  do digits[n++] = static_cast<char>('0' + fd % 10);
  while ((fd /= 10) > 0);
  std::memcpy(buf, "/proc/self/fd/", 14);
  int at = 14;
  while (n > 0) buf[at++] = digits[--n];
  buf[at] = '\0';
}

unsigned long legacy_flags(std::uint64_t attr) noexcept {
  unsigned long flags = 0;
  if (attr & MOUNT_ATTR_RDONLY) flags |= MS_RDONLY;
  if (attr & MOUNT_ATTR_NOSUID) flags |= MS_NOSUID;
  if (attr & MOUNT_ATTR_NODEV) flags |= MS_NODEV;
  if (attr & MOUNT_ATTR_NOEXEC) flags |= MS_NOEXEC;
  return flags;
}

// mount(2) for kernels without the new API. A read-only bind is read-only at its top only.
bool legacy_mount(int root_fd, const MountStep& s, int target_fd, std::int32_t stage,
                  ChildFailure* f) noexcept {
  char path[32];
  fd_path(target_fd, path);
  if (s.kind == MountStep::fs) {
    if (::mount(s.source.c_str(), path, s.fstype.c_str(), legacy_flags(s.attr),
                s.legacy_data.empty() ? nullptr : s.legacy_data.c_str()) != 0)
      return fail_with(f, stage + kSubMove, errno);
    return true;
  }
  unsigned long rec = s.recursive ? MS_REC : 0;
  if (::mount(s.source.c_str(), path, nullptr, MS_BIND | rec, nullptr) != 0)
    return fail_with(f, stage + kSubMove, errno);
  if (s.attr == 0) return true;
  // The descriptor names the covered directory: look the target up again for the new mount.
  Fd top{open_in_root(root_fd, s.target.c_str(), O_PATH)};
  if (top.fd < 0) return fail_with(f, stage + kSubAttr, errno);
  fd_path(top.fd, path);
  if (::mount(nullptr, path, nullptr, MS_REMOUNT | MS_BIND | legacy_flags(s.attr), nullptr) != 0)
    return fail_with(f, stage + kSubAttr, errno);
  return true;
}

bool bind_step(int root_fd, const MountStep& s, std::int32_t stage, ChildFailure* f) noexcept {
  // The source first: a missing source must not leave a created mount point behind.
  unsigned rec = s.recursive ? AT_RECURSIVE : 0;
  Fd tree{::open_tree(AT_FDCWD, s.source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec)};
  bool legacy = tree.fd < 0 && errno == ENOSYS;
  if (tree.fd < 0 && !legacy) return fail_with(f, stage + kSubSource, errno);
  struct stat st {};
  int rc = legacy ? ::stat(s.source.c_str(), &st) : ::fstat(tree.fd, &st);
  if (rc != 0) return fail_with(f, stage + kSubSource, errno);
  Fd target{open_target(root_fd, s, !S_ISDIR(st.st_mode), stage + kSubTarget, f)};
  if (target.fd < 0) return false;
  if (legacy) return legacy_mount(root_fd, s, target.fd, stage, f);
  if (s.attr) {
    mount_attr attr{};
    attr.attr_set = s.attr;
    if (::mount_setattr(tree.fd, "", AT_EMPTY_PATH | rec, &attr, sizeof attr) != 0) {
      if (errno == ENOSYS) return legacy_mount(root_fd, s, target.fd, stage, f);  // 5.2..5.11
      return fail_with(f, stage + kSubAttr, errno);
    }
  }
  if (::move_mount(tree.fd, "", target.fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) !=
      0)
    return fail_with(f, stage + kSubMove, errno);
  return true;
}

bool fs_step(int root_fd, const MountStep& s, std::int32_t stage, ChildFailure* f) noexcept {
  // The filesystem first, the mount point after: a refused option leaves nothing created.
  Fd fs{::fsopen(s.fstype.c_str(), FSOPEN_CLOEXEC)};
  if (fs.fd < 0 && errno == ENOSYS) {
    Fd target{open_target(root_fd, s, false, stage + kSubTarget, f)};
    return target.fd >= 0 && legacy_mount(root_fd, s, target.fd, stage, f);
  }
  if (fs.fd < 0) return fail_with(f, stage + kSubSource, errno);
  if (::fsconfig(fs.fd, FSCONFIG_SET_STRING, "source", s.source.c_str(), 0) != 0)
    return fail_with(f, stage + kSubSource, errno);
  for (std::size_t k = 0; k < s.config.size(); ++k) {
    const auto& [key, value] = s.config[k];
    int rc = s.has_value[k] ? ::fsconfig(fs.fd, FSCONFIG_SET_STRING, key.c_str(), value.c_str(), 0)
                            : ::fsconfig(fs.fd, FSCONFIG_SET_FLAG, key.c_str(), nullptr, 0);
    if (rc != 0) return fail_with(f, stage + kSubConfig + static_cast<std::int32_t>(k), errno);
  }
  if (::fsconfig(fs.fd, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
    return fail_with(f, stage + kSubCreate, errno);
  Fd mnt{::fsmount(fs.fd, FSMOUNT_CLOEXEC, static_cast<unsigned>(s.attr))};
  if (mnt.fd < 0) return fail_with(f, stage + kSubMount, errno);
  Fd target{open_target(root_fd, s, false, stage + kSubTarget, f)};
  if (target.fd < 0) return false;
  if (::move_mount(mnt.fd, "", target.fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) !=
      0)
    return fail_with(f, stage + kSubMove, errno);
  return true;
}

// A symlink at s.target (inside the root) whose text is s.source.
bool symlink_step(int root_fd, const MountStep& s, std::int32_t stage, ChildFailure* f) noexcept {
  char buf[PATH_MAX];
  std::size_t len = s.target.size();
  if (len >= sizeof buf) return fail_with(f, stage + kSubSymlink, ENAMETOOLONG);
  std::memcpy(buf, s.target.c_str(), len + 1);
  char* slash = std::strrchr(buf, '/');
  if (!slash || slash[1] == '\0') return fail_with(f, stage + kSubSymlink, EINVAL);
  *slash = '\0';
  Fd parent{open_in_root(root_fd, buf[0] ? buf : "/", O_PATH | O_DIRECTORY)};
  if (parent.fd < 0) return fail_with(f, stage + kSubTarget, errno);
  if (::symlinkat(s.source.c_str(), parent.fd, slash + 1) != 0)
    return fail_with(f, stage + kSubSymlink, errno);
  return true;
}

bool run_step(int root_fd, const MountStep& s, std::int32_t stage, ChildFailure* f) noexcept {
  switch (s.kind) {
    case MountStep::bind:
      return bind_step(root_fd, s, stage, f);
    case MountStep::fs:
      return fs_step(root_fd, s, stage, f);
    case MountStep::mkfile:
    case MountStep::mkdir:
      if (int err = make_path(root_fd, s.target.c_str(), s.kind == MountStep::mkfile))
        return fail_with(f, stage + kSubTarget, err);
      return true;
    case MountStep::symlink:
      return symlink_step(root_fd, s, stage, f);
  }
  return fail_with(f, stage, EINVAL);
}

// The root directory bound onto itself: a mount point of its own, as pivot_root requires.
bool bind_root(const char* root, ChildFailure* f) noexcept {
  Fd tree{::open_tree(AT_FDCWD, root, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)};
  if (tree.fd < 0 && errno == ENOSYS) {
    if (::mount(root, root, nullptr, MS_BIND | MS_REC, nullptr) != 0)
      return fail_with(f, kSbRootBind, errno);
    return true;
  }
  if (tree.fd < 0) return fail_with(f, kSbRootBind, errno);
  if (::move_mount(tree.fd, "", AT_FDCWD, root, MOVE_MOUNT_F_EMPTY_PATH) != 0)
    return fail_with(f, kSbRootBind, errno);
  return true;
}

bool make_readonly(int root_fd, const char* root, ChildFailure* f) noexcept {
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  if (::mount_setattr(root_fd, "", AT_EMPTY_PATH, &attr, sizeof attr) == 0) return true;
  if (errno != ENOSYS) return fail_with(f, kSbRootReadonly, errno);
  if (::mount(nullptr, root, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0)
    return fail_with(f, kSbRootReadonly, errno);
  return true;
}

}  // namespace

bool sandbox_mounts(const SandboxPlan& p, ChildFailure* f) noexcept {
  // Nothing done here may propagate back to the caller's mount namespace.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return fail_with(f, kSbPropagation, errno);
  bool pivot = !p.root.empty();
  if (pivot && !bind_root(p.root.c_str(), f)) return false;
  Fd root{::open(pivot ? p.root.c_str() : "/", O_PATH | O_DIRECTORY | O_CLOEXEC)};
  if (root.fd < 0) return fail_with(f, kSbRootFd, errno);
  for (std::size_t i = 0; i < p.steps.size(); ++i)
    if (!run_step(root.fd, p.steps[i], kSbStep + 64 * static_cast<std::int32_t>(i), f))
      return false;
  if (p.root_readonly && !make_readonly(root.fd, pivot ? p.root.c_str() : "/", f)) return false;
  if (!pivot) return true;
  // pivot_root(".", "."): the old root ends up mounted on top of the new one, where a lazy
  // unmount takes it away without needing a directory for it inside the new root.
  if (::fchdir(root.fd) != 0) return fail_with(f, kSbPivotChdir, errno);
  if (sys::pivot_root(".", ".") != 0) return fail_with(f, kSbPivot, errno);
  if (::umount2(".", MNT_DETACH) != 0) return fail_with(f, kSbOldRoot, errno);
  if (::chdir("/") != 0) return fail_with(f, kSbPivotChdir, errno);
  return true;
}

}  // namespace nsctl::detail
