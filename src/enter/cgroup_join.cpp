#include "enter/cgroup_join.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "proc/proc.hpp"

namespace nsctl {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    std::size_t i = s.find(sep);
    out.push_back(s.substr(0, i));
    if (i == std::string_view::npos) break;
    s.remove_prefix(i + 1);
  }
  return out;
}

// Where the hierarchy of a /proc/PID/cgroup line is mounted here, or "".
std::string mount_point_for(const std::vector<MountInfo>& mounts, const CgroupLine& line) {
  for (const MountInfo& m : mounts) {
    if (line.hierarchy == 0 && line.controllers.empty()) {
      if (m.fs_type == "cgroup2") return m.mount_point;
      continue;
    }
    if (m.fs_type != "cgroup") continue;
    auto options = split(m.super_options, ',');
    bool all = true;
    for (std::string_view c : split(line.controllers, ','))
      if (std::find(options.begin(), options.end(), c) == options.end()) all = false;
    if (all) return m.mount_point;
  }
  return {};
}

}  // namespace

Result<void> join_cgroups_of(const Target& target) {
  std::string text;
  if (auto r = read_file_at(target.proc_dir.get(), "cgroup", text); !r)
    return std::unexpected(r.error().with_context("pid " + std::to_string(target.pid)));
  std::vector<CgroupLine> lines = parse_cgroup(text);
  if (auto r = read_file_at(AT_FDCWD, "/proc/self/mountinfo", text); !r)
    return std::unexpected(r.error());
  NSCTL_ASSIGN_OR_RETURN(std::vector<MountInfo> mounts, parse_mountinfo(text));
  NSCTL_TRY(check_alive(target));  // the cgroup file read was the target's
  for (const CgroupLine& line : lines) {
    std::string base = mount_point_for(mounts, line);
    if (base.empty()) continue;
    std::string dir = base + line.path;
    std::string procs = dir + "/cgroup.procs";
    UniqueFd fd(::open(procs.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return errno_error("join cgroup " + dir);
    // "0" is the writer itself.
    if (::write(fd.get(), "0", 1) != 1) return errno_error("join cgroup " + dir);
  }
  return {};
}

}  // namespace nsctl
