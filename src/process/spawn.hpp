// Starting a command as posix_spawnp does, held by a pidfd.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "nsctl/base/error.hpp"
#include "nsctl/base/fd.hpp"

namespace nsctl {

// A child nsctl started and holds by its pidfd.
struct Child {
  pid_t pid = 0;
  UniqueFd pidfd;
};

// Starts argv[0] (PATH search) with environment `envp` and signal mask `child_mask`, as
// posix_spawnp does (no copy of the caller's memory), and holds the child by a pidfd opened
// before it can be reaped. Returns once the exec happened; if it failed, the error carries the
// exec's errno: "exec foo: No such file or directory".
Result<Child> spawn_command(char* const argv[], char* const envp[], const sigset_t& child_mask);

}  // namespace nsctl
