#include "support/model_compare.hpp"

#include <sstream>
#include <vector>

namespace nsctl::test {
namespace {

std::string show(const NsId& id) { return std::to_string(id.dev) + ":" + std::to_string(id.ino); }

template <typename T>
std::string show(const std::optional<T>& v) {
  if (!v) return "none";
  if constexpr (std::is_same_v<T, NsId>)
    return show(*v);
  else
    return std::to_string(*v);
}

std::vector<pid_t> pids_of(const Model& m, const Namespace& ns) {
  std::vector<pid_t> pids;
  for (std::size_t i : ns.procs) pids.push_back(m.processes[i].pid);
  return pids;
}

std::string process_difference(const Process& a, const Process& b) {
  std::ostringstream out;
  out << "process " << a.pid << ": ";
  if (a.pid != b.pid) return out.str() + "other pid " + std::to_string(b.pid);
  if (a.ppid != b.ppid) return out.str() + "ppid";
  if (a.uid != b.uid) return out.str() + "uid";
  if (a.comm != b.comm) return out.str() + "comm " + a.comm + " vs " + b.comm;
  if (a.command != b.command)
    return out.str() + "command '" + a.command + "' vs '" + b.command + "'";
  if (a.kernel_thread != b.kernel_thread) return out.str() + "kernel_thread";
  if (a.ns != b.ns) return out.str() + "namespaces";
  if (!a.container != !b.container || (a.container && (a.container->id != b.container->id ||
                                                       a.container->name != b.container->name)))
    return out.str() + "container";
  return "";
}

std::string namespace_difference(const Model& ma, const Namespace& a, const Model& mb,
                                 const Namespace& b) {
  std::string what = "namespace " + show(a.id) + ": ";
  if (a.id != b.id) return what + "other id " + show(b.id);
  if (a.type != b.type) return what + "type";
  if (a.holders != b.holders)
    return what + "holders " + std::to_string(a.holders) + " vs " + std::to_string(b.holders);
  if (pids_of(ma, a) != pids_of(mb, b)) return what + "processes";
  if (a.path != b.path) return what + "path " + a.path + " vs " + b.path;
  if (a.mounts.size() != b.mounts.size()) return what + "mounts";
  for (std::size_t i = 0; i < a.mounts.size(); ++i)
    if (a.mounts[i].path != b.mounts[i].path || a.mounts[i].mntns != b.mounts[i].mntns)
      return what + "mount " + a.mounts[i].path;
  if (a.parent != b.parent) return what + "parent " + show(a.parent) + " vs " + show(b.parent);
  if (a.owner != b.owner) return what + "owner " + show(a.owner) + " vs " + show(b.owner);
  if (a.creator_uid != b.creator_uid) return what + "creator uid";
  if (a.netnsid != b.netnsid) return what + "netnsid";
  return "";
}

}  // namespace

std::string model_difference(const Model& a, const Model& b) {
  if (a.processes.size() != b.processes.size())
    return "processes: " + std::to_string(a.processes.size()) + " vs " +
           std::to_string(b.processes.size());
  for (std::size_t i = 0; i < a.processes.size(); ++i)
    if (auto d = process_difference(a.processes[i], b.processes[i]); !d.empty()) return d;
  if (a.namespaces.size() != b.namespaces.size())
    return "namespaces: " + std::to_string(a.namespaces.size()) + " vs " +
           std::to_string(b.namespaces.size());
  for (std::size_t i = 0; i < a.namespaces.size(); ++i)
    if (auto d = namespace_difference(a, a.namespaces[i], b, b.namespaces[i]); !d.empty()) return d;
  const ScanStats &x = a.stats, &y = b.stats;
  if (x.processes != y.processes || x.vanished != y.vanished || x.denied != y.denied ||
      x.sockets_probed != y.sockets_probed || x.mount_namespaces_read != y.mount_namespaces_read)
    return "stats";
  return "";
}

}  // namespace nsctl::test
