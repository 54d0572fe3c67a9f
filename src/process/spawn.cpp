#include "process/spawn.hpp"

#include <spawn.h>

#include <string>

#include "sys/syscalls.hpp"

namespace nsctl {

Result<Child> spawn_command(char* const argv[], char* const envp[], const sigset_t& child_mask) {
  // posix_spawn: glibc starts the child with CLONE_VM | CLONE_VFORK on a stack of its own, so
  // nothing of nsctl's memory is copied, and it reports a failed exec as its return value.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setsigmask(&attr, &child_mask);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, argv[0], nullptr, &attr, argv, envp);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return fail(rc, std::string("exec ") + argv[0]);
  // The child is ours and not yet reaped, so its pid cannot have been reused: the pidfd names it.
  Child child{pid, UniqueFd(sys::pidfd_open(pid, 0))};
  if (!child.pidfd) return errno_error("pidfd_open");
  return child;
}

}  // namespace nsctl
