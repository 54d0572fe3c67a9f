// Joining another process's cgroups (nsenter -c, enter --follow).
#pragma once

#include "enter/join.hpp"
#include "nsctl/base/error.hpp"

namespace nsctl {

// Moves the calling process into the target's cgroup in every hierarchy mounted here: the v2
// one and each v1 hierarchy (matched by its controllers, e.g. "pids" or "name=systemd"), by
// writing to cgroup.procs. Paths are read through the target's /proc directory; call this
// before joining the target's mount or cgroup namespace, which would change what the paths
// mean. A hierarchy not mounted here is skipped. Errors name the cgroup:
// "join cgroup /sys/fs/cgroup/pids/docker/<id>: Permission denied".
Result<void> join_cgroups_of(const Target& target);

}  // namespace nsctl
