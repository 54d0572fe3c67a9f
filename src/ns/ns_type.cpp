#include "nsctl/ns/ns_type.hpp"

#include <sched.h>

#include "sys/kernel_defs.hpp"

namespace nsctl {

const std::array<NsTypeInfo, kNsTypeCount>& ns_types() {
  static constexpr std::array<NsTypeInfo, kNsTypeCount> kTable{{
      {NsType::mnt, "mnt", CLONE_NEWNS, ""},
      {NsType::net, "net", CLONE_NEWNET, ""},
      {NsType::time, "time", CLONE_NEWTIME, "time_for_children"},
      {NsType::cgroup, "cgroup", CLONE_NEWCGROUP, ""},
      {NsType::pid, "pid", CLONE_NEWPID, "pid_for_children"},
      {NsType::user, "user", CLONE_NEWUSER, ""},
      {NsType::uts, "uts", CLONE_NEWUTS, ""},
      {NsType::ipc, "ipc", CLONE_NEWIPC, ""},
  }};
  return kTable;
}

std::optional<NsType> ns_type_from_name(std::string_view name) {
  for (const auto& t : ns_types())
    if (t.name == name) return t.type;
  return std::nullopt;
}

std::optional<NsType> ns_type_from_clone_flag(int flag) {
  for (const auto& t : ns_types())
    if (t.clone_flag == flag) return t.type;
  return std::nullopt;
}

int NsTypeSet::clone_flags() const {
  int flags = 0;
  for (const auto& t : ns_types())
    if (contains(t.type)) flags |= t.clone_flag;
  return flags;
}

}  // namespace nsctl
