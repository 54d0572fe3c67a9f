// Where a cgroup is in this mount namespace: the directory of a /proc/PID/cgroup line under
// the cgroup filesystems of a mountinfo. One lookup for joining a process's cgroups (enter -c)
// and for placing a sandbox's cgroup.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proc/proc.hpp"

namespace nsctl {

// The directory of cgroup `path` (as /proc/PID/cgroup names it) under mount `m`, or nullopt
// when the mount shows only a subtree that does not contain it. The mount's root is "/" unless
// a subtree was bind-mounted (container engines do this, and a cgroup namespace's view of a
// hierarchy mounted outside it): then `path` starts with that root, which the mount point
// stands for.
std::optional<std::string> cgroup_dir_in_mount(const MountInfo& m, std::string_view path);

// True when `token` is one of the `sep`-separated entries of `list` ("rw,cpu,cpuacct", or the
// space-separated cgroup.controllers with its newline).
bool has_token(std::string_view list, char sep, std::string_view token);

// The directory of `line`'s cgroup here: under the cgroup2 mount for the v2 line ("0::/path"),
// under the v1 mount whose options hold every controller of the line ("pids",
// "name=systemd") otherwise; the first mount that contains the path. nullopt when no mount
// shows it.
std::optional<std::string> cgroup_dir(const std::vector<MountInfo>& mounts, const CgroupLine& line);

}  // namespace nsctl
