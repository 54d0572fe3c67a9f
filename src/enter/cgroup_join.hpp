// Joining another process's cgroups (nsenter -c, enter --follow).
#pragma once

#include <string>
#include <vector>

#include "enter/join.hpp"
#include "nsctl/base/error.hpp"

namespace nsctl {

// The cgroup.procs files of the target's cgroups in every hierarchy mounted here: the v2 one
// and each v1 hierarchy (matched by its controllers, e.g. "pids" or "name=systemd"), under the
// mount that shows the target's cgroup (a mount of a subtree stands for its root). Writing "0"
// to each moves the writer there. Paths are read through the target's /proc directory and
// mean the caller's mount namespace: plan before joining the target's mount or cgroup
// namespace. A hierarchy not mounted here is skipped. Errors: reading /proc/PID/cgroup or
// /proc/self/mountinfo, or the target exited.
Result<std::vector<std::string>> cgroup_procs_of(const Target& target);

}  // namespace nsctl
