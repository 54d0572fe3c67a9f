#include "enter/cgroup_join.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "proc/cgroup_paths.hpp"
#include "proc/proc.hpp"

namespace nsctl {

Result<std::vector<std::string>> cgroup_procs_of(const Target& target) {
  std::string text;
  if (auto r = read_file_at(target.proc_dir.get(), "cgroup", text); !r)
    return std::unexpected(r.error().with_context("pid " + std::to_string(target.pid)));
  std::vector<CgroupLine> lines = parse_cgroup(text);
  if (auto r = read_file_at(AT_FDCWD, "/proc/self/mountinfo", text); !r)
    return std::unexpected(r.error());
  NSCTL_ASSIGN_OR_RETURN(std::vector<MountInfo> mounts, parse_mountinfo(text));
  NSCTL_TRY(check_alive(target));  // the cgroup file read was the target's
  std::vector<std::string> out;
  for (const CgroupLine& line : lines)
    if (auto dir = cgroup_dir(mounts, line)) out.push_back(*dir + "/cgroup.procs");
  return out;
}

}  // namespace nsctl
