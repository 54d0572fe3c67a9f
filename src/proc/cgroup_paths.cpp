#include "proc/cgroup_paths.hpp"

#include "base/text.hpp"

namespace nsctl {

std::optional<std::string> cgroup_dir_in_mount(const MountInfo& m, std::string_view path) {
  std::string_view root = m.root;
  if (root == "/") root = {};
  if (!path.starts_with(root)) return std::nullopt;
  std::string_view rest = path.substr(root.size());
  if (!rest.empty() && rest.front() != '/') return std::nullopt;  // "/a" is not under "/ab"
  if (rest == "/") rest = {};
  return m.mount_point + std::string(rest);
}

bool has_token(std::string_view list, char sep, std::string_view token) {
  for (std::string_view entry : split(list, sep)) {
    if (entry.ends_with('\n')) entry.remove_suffix(1);
    if (entry == token) return true;
  }
  return false;
}

std::optional<std::string> cgroup_dir(const std::vector<MountInfo>& mounts,
                                      const CgroupLine& line) {
  bool v2 = line.hierarchy == 0 && line.controllers.empty();
  for (const MountInfo& m : mounts) {
    if (v2 ? m.fs_type != "cgroup2" : m.fs_type != "cgroup") continue;
    if (!v2) {
      bool all = true;
      for (std::string_view c : split(line.controllers, ','))
        all = all && has_token(m.super_options, ',', c);
      if (!all) continue;
    }
    if (auto dir = cgroup_dir_in_mount(m, line.path)) return dir;
  }
  return std::nullopt;
}

}  // namespace nsctl
