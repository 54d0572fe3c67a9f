#include "ls_view.hpp"

#include <strings.h>
#include <sys/stat.h>

#include <unordered_map>

#include "cli.hpp"

namespace nsctl::cli {

namespace {

using out::Column;
using out::Kind;

// `hint`: libsmartcols' width hint, as lsns declares it for the column.
Column number(std::string name, std::size_t hint = 0) {
  Column c;
  c.name = std::move(name);
  c.kind = Kind::number;
  c.right = true;
  c.width_hint = hint;
  return c;
}
Column text(std::string name, bool truncate = false, std::size_t hint = 0) {
  Column c;
  c.name = std::move(name);
  c.truncate = truncate;
  c.width_hint = hint;
  return c;
}
Column multiline(std::string name) {
  Column c = text(std::move(name));
  c.wrap = true;
  return c;
}

// The namespace's representative: its lowest-pid process, as lsns's PID column.
const Process* representative(const Model& model, const Namespace& ns) {
  return ns.procs.empty() ? nullptr : &model.processes[ns.procs.front()];
}

std::string holders_text(const Namespace& ns) {
  static constexpr std::pair<Holder, std::string_view> kNames[] = {
      {Holder::process, "process"}, {Holder::thread, "thread"}, {Holder::fd, "fd"},
      {Holder::mount, "mount"},     {Holder::socket, "socket"}, {Holder::child, "child"},
  };
  std::string out;
  for (const auto& [h, name] : kNames) {
    if (!ns.has(h)) continue;
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

// The NSFS paths: as seen in our own mount namespace, or reached through a process in the
// mount namespace that holds the bind mount, or (no such process) tagged with that namespace.
std::string nsfs_text(const Model& model, const Namespace& ns, const LsView& view) {
  static const NsId own = [] {
    struct stat st {};
    return ::stat("/proc/self/ns/mnt", &st) == 0 ? NsId{st.st_dev, st.st_ino} : NsId{};
  }();
  std::string out;
  auto add = [&](const std::string& path) {
    if (!out.empty()) out += view.wrap ? '\n' : ',';
    out += path;
  };
  for (const NsfsMount& m : ns.mounts) {
    if (m.mntns == own) {
      add(m.path);
    } else if (!view.own_mounts_only) {
      const Namespace* mntns = model.find(m.mntns);
      const Process* rep = mntns ? representative(model, *mntns) : nullptr;
      add(rep ? "/proc/" + std::to_string(rep->pid) + "/root" + m.path
              : "mnt:[" + std::to_string(m.mntns.ino) + "]:" + m.path);
    }
  }
  return out;
}

}  // namespace

const std::vector<LsColumnInfo>& ls_columns() {
  static const std::vector<LsColumnInfo> kColumns = {
      {LsColumn::ns, "NS", "namespace identifier (inode number)", number("NS", 10)},
      {LsColumn::type, "TYPE", "kind of namespace", text("TYPE", false, 5)},
      {LsColumn::path, "PATH", "path to the namespace", text("PATH")},
      {LsColumn::nprocs, "NPROCS", "number of processes in the namespace", number("NPROCS", 5)},
      {LsColumn::pid, "PID", "lowest PID in the namespace", number("PID", 5)},
      {LsColumn::ppid, "PPID", "PPID of the PID", number("PPID", 5)},
      {LsColumn::command, "COMMAND", "command line of the PID", text("COMMAND", true)},
      {LsColumn::uid, "UID", "UID of the PID", number("UID")},
      {LsColumn::user, "USER", "username of the PID", text("USER")},
      {LsColumn::netnsid, "NETNSID", "namespace ID as used by network subsystem",
       [] {
         Column c = text("NETNSID");
         c.right = true;
         return c;
       }()},
      {LsColumn::nsfs, "NSFS", "nsfs mountpoint (usually used network subsystem)",
       multiline("NSFS")},
      {LsColumn::pns, "PNS", "parent namespace identifier (inode number)", number("PNS", 10)},
      {LsColumn::ons, "ONS", "owner namespace identifier (inode number)", number("ONS", 10)},
      {LsColumn::container, "CONTAINER", "container of the PID (engine:name or short id)",
       text("CONTAINER")},
      {LsColumn::holders, "HOLDERS", "what keeps it alive: process,thread,fd,mount,socket,child",
       text("HOLDERS")},
  };
  return kColumns;
}

const LsColumnInfo* ls_column(std::string_view name) {
  for (const auto& c : ls_columns())
    if (c.name.size() == name.size() && ::strncasecmp(c.name.data(), name.data(), name.size()) == 0)
      return &c;
  return nullptr;
}

std::string ls_cell(const Model& model, const Namespace& ns, LsColumn column, const LsView& view) {
  const Process* rep = representative(model, ns);
  switch (column) {
    case LsColumn::ns:
      return std::to_string(ns.id.ino);
    case LsColumn::type:
      return std::string(name(ns.type));
    case LsColumn::path:
      return ns.path;
    case LsColumn::nprocs:
      return std::to_string(ns.procs.size());
    case LsColumn::pid:
      return rep ? std::to_string(rep->pid) : "";
    case LsColumn::ppid:
      return rep ? std::to_string(rep->ppid) : "";
    case LsColumn::command:
      return rep ? rep->command : "";
    // Without a process, a user namespace still has its creator (as lsns shows it).
    case LsColumn::uid:
      if (rep) return std::to_string(rep->uid);
      return ns.creator_uid ? std::to_string(*ns.creator_uid) : "";
    case LsColumn::user:
      if (rep) return user_name(rep->uid);
      return ns.creator_uid ? user_name(*ns.creator_uid) : "";
    case LsColumn::netnsid:
      if (ns.type != NsType::net || !ns.netnsid) return "";
      return *ns.netnsid < 0 ? "unassigned" : std::to_string(*ns.netnsid);
    case LsColumn::nsfs:
      return nsfs_text(model, ns, view);
    // lsns prints 0 where a namespace has no parent (or owner) it can see.
    case LsColumn::pns:
      return std::to_string(ns.parent ? ns.parent->ino : 0);
    case LsColumn::ons:
      return std::to_string(ns.owner ? ns.owner->ino : 0);
    case LsColumn::container:
      return rep && rep->container ? rep->container->display() : "";
    case LsColumn::holders:
      return holders_text(ns);
  }
  return "";
}

std::vector<out::Row> ls_rows(const Model& model, const std::vector<std::size_t>& selected,
                              const LsView& view) {
  auto make_row = [&](std::size_t i) {
    out::Row row;
    row.cells.reserve(view.columns.size());
    for (LsColumn c : view.columns)
      row.cells.push_back(ls_cell(model, model.namespaces[i], c, view));
    return row;
  };
  std::vector<out::Row> rows;
  if (view.tree == TreeKind::none) {
    rows.reserve(selected.size());
    for (std::size_t i : selected) rows.push_back(make_row(i));
    return rows;
  }

  // The tree parent of each selected namespace, among the selected ones.
  std::unordered_map<std::size_t, std::size_t> position;  // namespace index -> selected slot
  for (std::size_t k = 0; k < selected.size(); ++k) position.emplace(selected[k], k);
  auto slot_of = [&](const std::optional<NsId>& id) -> std::optional<std::size_t> {
    if (!id) return std::nullopt;
    const Namespace* ns = model.find(*id);
    if (!ns) return std::nullopt;
    auto it = position.find(static_cast<std::size_t>(ns - model.namespaces.data()));
    if (it == position.end()) return std::nullopt;
    return it->second;
  };
  constexpr std::size_t kRoot = static_cast<std::size_t>(-1);
  std::vector<std::size_t> parent(selected.size(), kRoot);
  // lsns's process tree: a row hangs under the latest row so far whose representative is the
  // parent process of this row's representative, whatever the types of the two rows.
  std::unordered_map<pid_t, std::size_t> latest_row_of;
  for (std::size_t k = 0; k < selected.size(); ++k) {
    const Namespace& ns = model.namespaces[selected[k]];
    std::optional<std::size_t> p;
    if (view.tree == TreeKind::owner) p = slot_of(ns.owner);
    if (view.tree == TreeKind::parent) p = slot_of(ns.parent);
    if (view.tree == TreeKind::process) {
      const Process* rep = representative(model, ns);
      if (!rep) continue;
      if (auto it = latest_row_of.find(rep->ppid); it != latest_row_of.end()) p = it->second;
      latest_row_of[rep->pid] = k;
    }
    if (p && *p != k) parent[k] = *p;
  }
  // Break any cycle (owner and parent links come from the kernel and have none; this is a
  // guard): a node whose ancestor chain comes back to it becomes a root.
  for (std::size_t k = 0; k < selected.size(); ++k) {
    std::size_t steps = 0;
    for (std::size_t a = parent[k]; a != kRoot; a = parent[a]) {
      if (a == k || ++steps > selected.size()) {
        parent[k] = kRoot;
        break;
      }
    }
  }
  std::vector<std::vector<std::size_t>> children(selected.size());
  std::vector<std::size_t> roots;
  for (std::size_t k = 0; k < selected.size(); ++k)
    (parent[k] == kRoot ? roots : children[parent[k]]).push_back(k);
  // Iterative build (deep trees must not exhaust the stack): post-order over the forest.
  std::vector<out::Row> built(selected.size());
  std::vector<std::pair<std::size_t, bool>> stack;
  for (auto it = roots.rbegin(); it != roots.rend(); ++it) stack.emplace_back(*it, false);
  while (!stack.empty()) {
    auto [k, expanded] = stack.back();
    stack.pop_back();
    if (!expanded) {
      stack.emplace_back(k, true);
      for (std::size_t c : children[k]) stack.emplace_back(c, false);
      continue;
    }
    built[k] = make_row(selected[k]);
    for (std::size_t c : children[k]) built[k].children.push_back(std::move(built[c]));
  }
  for (std::size_t k : roots) rows.push_back(std::move(built[k]));
  return rows;
}

std::vector<out::Row> ls_process_rows(const Model& model, const Namespace& ns, const LsView& view) {
  auto cell = [&](const Process& p, LsColumn c) -> std::string {
    switch (c) {
      case LsColumn::pid:
        return std::to_string(p.pid);
      case LsColumn::ppid:
        return std::to_string(p.ppid);
      case LsColumn::uid:
        return std::to_string(p.uid);
      case LsColumn::user:
        return user_name(p.uid);
      case LsColumn::command:
        return p.command.empty() ? p.comm : p.command;
      case LsColumn::container:
        return p.container ? p.container->display() : "";
      default:
        return ls_cell(model, ns, c, view);
    }
  };
  std::vector<out::Row> rows;
  std::unordered_map<pid_t, std::size_t> slot;  // pid -> index in built
  std::vector<out::Row> built;
  std::vector<pid_t> parent_pid;
  for (std::size_t i : ns.procs) {
    const Process& p = model.processes[i];
    out::Row row;
    for (LsColumn c : view.columns) row.cells.push_back(cell(p, c));
    slot.emplace(p.pid, built.size());
    built.push_back(std::move(row));
    parent_pid.push_back(p.ppid);
  }
  if (view.tree == TreeKind::none) return built;
  // Children hang under their parent process when it is listed too; processes come in pid
  // order, so build from the highest pid down (children usually have higher pids; a child
  // with a lower pid than its parent — pid reuse — is moved as a finished subtree either way).
  std::vector<bool> is_child(built.size(), false);
  std::vector<std::vector<std::size_t>> children(built.size());
  for (std::size_t k = 0; k < built.size(); ++k) {
    auto it = slot.find(parent_pid[k]);
    if (it != slot.end() && it->second != k) {
      children[it->second].push_back(k);
      is_child[k] = true;
    }
  }
  std::vector<std::pair<std::size_t, bool>> stack;
  for (std::size_t k = built.size(); k-- > 0;)
    if (!is_child[k]) stack.emplace_back(k, false);
  std::vector<std::size_t> order;
  std::vector<bool> seen(built.size(), false);
  while (!stack.empty()) {  // post-order, so a child is complete before it moves
    auto [k, expanded] = stack.back();
    stack.pop_back();
    if (expanded) {
      for (std::size_t c : children[k]) built[k].children.push_back(std::move(built[c]));
      continue;
    }
    if (seen[k]) continue;
    seen[k] = true;
    stack.emplace_back(k, true);
    for (std::size_t c : children[k]) stack.emplace_back(c, false);
  }
  for (std::size_t k = 0; k < built.size(); ++k)
    if (!is_child[k]) rows.push_back(std::move(built[k]));
  return rows;
}

}  // namespace nsctl::cli
