#include "process/launch.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <cerrno>

#include "sys/syscalls.hpp"

namespace nsctl {

pid_t clone_with_pidfd(std::uint64_t flags, UniqueFd& pidfd) {
  int fd = -1;
  sys::CloneArgs args{};
  args.flags = flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<std::uintptr_t>(&fd);
  args.exit_signal = SIGCHLD;
  long pid = sys::clone3(&args);
  if (pid < 0 && errno == ENOSYS && flags == 0) {
    pid = ::fork();
    if (pid > 0) fd = sys::pidfd_open(static_cast<pid_t>(pid), 0);
    if (pid > 0 && fd < 0) {
      int saved = errno;
      ::kill(static_cast<pid_t>(pid), SIGKILL);
      ::waitpid(static_cast<pid_t>(pid), nullptr, 0);
      errno = saved;
      return -1;
    }
  }
  if (pid > 0) pidfd.reset(fd);
  return static_cast<pid_t>(pid);
}

}  // namespace nsctl
