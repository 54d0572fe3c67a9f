#include "enter/join.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <string>

#include "nsctl/ns/ns_id.hpp"
#include "proc/proc.hpp"
#include "sys/kernel_defs.hpp"
#include "sys/syscalls.hpp"

namespace nsctl {

namespace {

std::string pid_context(pid_t pid) { return "pid " + std::to_string(pid); }

}  // namespace

std::optional<NsId> own_namespace(NsType type) {
  struct stat st {};
  std::string path = "/proc/self/ns/" + std::string(name(type));
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return NsId{st.st_dev, st.st_ino};
}

Result<Target> open_target(pid_t pid, std::optional<std::uint64_t> pidfs_ino) {
  Target t;
  t.pid = pid;
  t.pidfd.reset(sys::pidfd_open(pid, 0));
  if (!t.pidfd) {
    int err = errno;
    if (err == ESRCH) return std::unexpected(Error(ESRCH, pid_context(pid) + ": no such process"));
    return fail(err, pid_context(pid) + ": pidfd_open");
  }
  if (pidfs_ino) {
    struct stat st {};
    if (::fstat(t.pidfd.get(), &st) != 0) return errno_error(pid_context(pid) + ": fstat pidfd");
    if (static_cast<std::uint64_t>(st.st_ino) != *pidfs_ino)
      return std::unexpected(Error(ESRCH, pid_context(pid) + ": inode " +
                                              std::to_string(*pidfs_ino) +
                                              " does not match (the pid was reused?)"));
  }
  std::string dir = "/proc/" + std::to_string(pid);
  t.proc_dir.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!t.proc_dir) return errno_error(pid_context(pid) + ": open " + dir);
  NSCTL_TRY(check_alive(t));
  std::string stat;
  if (auto r = read_file_at(t.proc_dir.get(), "stat", stat, true); !r)
    return std::unexpected(r.error().with_context(pid_context(pid)));
  auto ps = parse_stat(stat);
  if (ps && ps->kernel_thread())
    return std::unexpected(
        Error(EINVAL, pid_context(pid) + ": a kernel thread has no namespaces to enter"));
  return t;
}

Result<void> check_alive(const Target& t) {
  if (sys::pidfd_send_signal(t.pidfd.get(), 0) != 0) {
    if (errno == ESRCH)
      return std::unexpected(Error(ESRCH, pid_context(t.pid) + ": the process exited"));
    // EPERM: alive, but not ours to signal; that is enough to know it is there.
    if (errno != EPERM) return errno_error(pid_context(t.pid) + ": pidfd_send_signal");
  }
  return {};
}

Result<UniqueFd> target_namespace(const Target& t, NsType type, bool for_children) {
  std::string link = "ns/" + std::string(name(type));
  if (for_children) {
    if (info(type).for_children.empty())
      return std::unexpected(
          Error(EINVAL, std::string(name(type)) + ": only pid and time have *_for_children"));
    link = "ns/" + std::string(info(type).for_children);
  }
  UniqueFd fd(::openat(t.proc_dir.get(), link.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    int err = errno;
    std::string what = pid_context(t.pid) + ": open " + link;
    if (err == ENOENT && for_children) {
      // The link exists but cannot be opened until the namespace has its first process.
      std::string own = "ns/" + std::string(name(type));
      if (::faccessat(t.proc_dir.get(), own.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        return std::unexpected(Error(ESRCH, what + ": no process is in that namespace yet"));
    }
    if (err == ENOENT) return std::unexpected(Error(err, what + ": the kernel lacks this type"));
    return fail(err, what);
  }
  return fd;
}

Result<UniqueFd> socket_namespace(const Target& t, int fd) {
  std::string what = pid_context(t.pid) + ": fd " + std::to_string(fd);
  UniqueFd sock(sys::pidfd_getfd(t.pidfd.get(), fd, 0));
  if (!sock) return errno_error(what);
  UniqueFd net(::ioctl(sock.get(), SIOCGSKNS));
  if (!net) {
    if (errno == ENOTTY || errno == EINVAL)
      return std::unexpected(Error(errno, what + ": not a socket"));
    return errno_error(what);
  }
  return net;
}

Result<UniqueFd> namespace_file(const std::string& path, NsType type) {
  auto fd = open_ns_file(AT_FDCWD, path.c_str());
  if (!fd) return std::unexpected(fd.error());
  auto actual = ns_type_of(fd->get());
  if (!actual) return std::unexpected(actual.error().with_context(path));
  if (*actual != type)
    return std::unexpected(Error(EINVAL, path + ": a " + std::string(name(*actual)) +
                                             " namespace, not " + std::string(name(type))));
  return fd;
}

}  // namespace nsctl
