// Starting a child held by a pidfd from its first moment.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "nsctl/base/fd.hpp"

namespace nsctl {

// clone3(CLONE_PIDFD | flags) with SIGCHLD, as fork() does when `flags` (CLONE_NEW*, ...)
// is 0: returns the pid in the parent (with *pidfd set) and 0 in the child, or -1 with errno.
// Without clone3 (ENOSYS, before 5.3) and without flags it falls back to fork + pidfd_open,
// which is safe because an unreaped child's pid cannot be reused.
pid_t clone_with_pidfd(std::uint64_t flags, UniqueFd& pidfd);

}  // namespace nsctl
