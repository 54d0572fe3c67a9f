// The scan. One pass over /proc in pid order; every namespace is keyed by its identity in a
// hash map, so the work is O(processes + threads + fds + mounts), with no per-pair loops.
//
// Per process the syscalls are: openat (O_PATH) of /proc/PID/ns, fstatat of ../task (uid and
// thread count), readlinkat of the 8 links by name, with `fds` the fd table (an fstatat of
// ../fd for the number of fds, then a readlinkat per fd), and close. Each link is one path
// component to look up; ".." is the process's /proc/PID, reached without a lookup.
// Multi-threaded processes add the task directory and 8 readlinkat per extra thread. Per
// namespace, through the first process met in it: an open with NS_GET_USERNS (owner) or
// NS_GET_PARENT (pid and user parents) and an fstat per answer, a mount namespace's mountinfo,
// and the representative's cmdline (and stat where needed).
// Runs of pids may be scanned in parallel (ScanOptions::workers) and merged in pid order.
#include "nsctl/inspect/scan.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <exception>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_set>

#include "inspect/netns_ids.hpp"
#include "inspect/nsfs_mounts.hpp"
#include "proc/proc.hpp"
#include "sys/kernel_defs.hpp"
#include "sys/syscalls.hpp"

namespace nsctl {

// ---- Model --------------------------------------------------------------------------------

const Namespace* Model::find(const NsId& id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &namespaces[it->second];
}

Namespace* Model::find(const NsId& id) {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &namespaces[it->second];
}

const Process* Model::process(pid_t pid) const {
  auto it = std::lower_bound(processes.begin(), processes.end(), pid,
                             [](const Process& p, pid_t value) { return p.pid < value; });
  return it == processes.end() || it->pid != pid ? nullptr : &*it;
}

Namespace& Model::add(const NsId& id, NsType type) {
  auto [it, inserted] = index_.try_emplace(id, namespaces.size());
  if (inserted) {
    Namespace& ns = namespaces.emplace_back();
    ns.id = id;
    ns.type = type;
  }
  return namespaces[it->second];
}

void Model::reserve(std::size_t process_count, std::size_t namespace_count) {
  processes.reserve(process_count);
  namespaces.reserve(namespace_count);
  index_.reserve(namespace_count);
}

void Model::finish() {
  std::sort(namespaces.begin(), namespaces.end(), [](const Namespace& a, const Namespace& b) {
    return a.id.ino != b.id.ino ? a.id.ino < b.id.ino : a.type < b.type;
  });
  index_.clear();
  index_.reserve(namespaces.size());
  for (std::size_t i = 0; i < namespaces.size(); ++i) index_.emplace(namespaces[i].id, i);
  stats.processes = processes.size();
}

// ---- Scan ---------------------------------------------------------------------------------

namespace {

constexpr std::size_t kNoProcess = static_cast<std::size_t>(-1);

// Path preference for Namespace::path: the most direct handle wins.
int path_rank(Holder h) {
  switch (h) {
    case Holder::process:
      return 4;
    case Holder::thread:
      return 3;
    case Holder::fd:
      return 2;
    case Holder::mount:
      return 1;
    default:
      return 0;
  }
}

struct NumberText {
  char text[24];
  explicit NumberText(long long value) {
    auto [end, ec] = std::to_chars(text, text + sizeof text - 1, value);
    *end = '\0';
  }
  operator const char*() const { return text; }
};

// The /proc being scanned, and what it offers.
struct ProcRoot {
  int fd = -1;
  dev_t nsfs = 0;
  bool procfs = false;     // a procfs, not a fixture: see for_each_numeric_entry()
  bool fd_counts = false;  // stat of /proc/PID/fd gives the number of open fds (Linux 6.2+)
  pid_t self = 0;          // this process, as that /proc names it ("self"); 0 if it does not
  // This process's fds and their links, read before the scan: while it runs, the scanning
  // threads' own namespace fds come and go, and they hold nothing.
  std::vector<std::pair<int, std::string>> self_fds;
};

// Lists the fd directory `fd_dir` (under `dirfd`) and calls fn(fd) for each fd above `after`,
// with its link text in `link`. Nothing if the directory cannot be opened.
template <typename Fn>
void list_fd_links(int dirfd, const char* fd_dir, bool procfs, int after, std::string& link,
                   Fn fn) {
  auto fds = open_dir_at(dirfd, fd_dir);
  if (!fds) return;
  (void)for_each_numeric_entry(fds->get(), procfs, [&](int fd) {
    if (fd > after && readlink_at(fds->get(), NumberText(fd), link)) fn(fd);
  });
}

class Scanner {
 public:
  // `part`: this scanner reads one run of pids for a parallel scan, to be absorbed by another.
  Scanner(const ScanOptions& options, Model& model, const ProcRoot& root, bool part = false)
      : opt_(options),
        m_(model),
        nsfs_(root.nsfs),
        proc_(root.fd),
        procfs_(root.procfs),
        fd_counts_(root.fd_counts),
        self_(root.self),
        self_fds_(root.self_fds),
        part_(part),
        // Without the mnt link an exited process is only recognised by its stat.
        stat_everyone_(options.stat == ScanOptions::Detail::all ||
                       !options.types.contains(NsType::mnt)),
        resolver_(options.engine_roots) {
    for (const auto& t : ns_types()) ns_names_[index(t.type)] = std::string(t.name);
  }

  // Room for scanning `pids` processes: as many namespaces again (most hosts have far fewer),
  // reserved (untouched memory costs nothing), so that the tables are not copied as they grow.
  void reserve(std::size_t pids) {
    m_.reserve(pids, pids + 64);
    state_.reserve(pids + 64);
  }
  void scan_process(pid_t pid);
  // Appends what `part` scanned (pids above all scanned so far) to this scanner's model.
  void absorb(Scanner& part);
  // After absorbing parts: what a scan in one thread would have read once per namespace.
  void settle_parts();
  void probe_sockets();
  // "/proc/PID" under the scanned /proc.
  std::string proc_path(pid_t pid) const {
    return std::string(opt_.proc_root) + "/" + std::to_string(pid);
  }
  void scan_mounts();
  void read_relations();

 private:
  // Records that `holder` (of process `proc`, or kNoProcess) keeps namespace `id` alive.
  // Returns the namespace's index. `path` is called only if the path would be replaced.
  template <typename PathFn>
  std::size_t attach(const NsId& id, NsType type, std::size_t proc, Holder holder, PathFn path);
  // `ns_dir` in these: the process's /proc/PID/ns (O_PATH); the rest of /proc/PID is "../".
  void scan_threads(int ns_dir, const Process& p, std::size_t idx);
  // Reads parent and owner ids of namespace `ns` through its link `name` in `ns_dir`.
  void relate_early(std::size_t ns, int ns_dir, const std::string& name);
  // Reads the nsfs mounts of mount namespace `ns` from the mountinfo of process `pid`.
  void read_mountinfo(std::size_t ns, int ns_dir, pid_t pid);
  // Parent, owner and creator of namespace `i` through its open fd `fd`. With `attach`, a
  // related namespace the model lacks is added (and its fd kept); without, only ids are kept.
  void relate(std::size_t i, int fd, bool attach);
  // /proc/PID/stat, unless the process exited (or is a zombie).
  std::optional<ProcStat> read_stat(int ns_dir);
  void scan_fds(int ns_dir, pid_t pid);
  // Records what fd `fd` of `pid` holds; its link text is in link_.
  void take_fd(pid_t pid, int fd);
  UniqueFd open_ns(const Namespace& ns);
  std::size_t add_related(UniqueFd fd, NsType type);

  const ScanOptions& opt_;
  Model& m_;
  dev_t nsfs_;
  int proc_;
  bool procfs_;
  bool fd_counts_;
  pid_t self_;
  const std::vector<std::pair<int, std::string>>& self_fds_;
  bool part_;
  bool stat_everyone_;
  ContainerResolver resolver_;
  std::array<std::string, kNsTypeCount> ns_names_;  // "mnt", ...: the links in /proc/PID/ns
  // What the scan knows of each namespace beyond the model; parallel to m_.namespaces.
  struct NsState {
    int path_rank = 0;
    // Parent and owner ids read during the scan, through the first process met in it.
    bool related = false;
    // A mount namespace's nsfs mounts, read from the mountinfo of that process (mount_rep).
    bool mounts_read = false;
    pid_t mount_rep = 0;
    std::vector<NsfsMountEntry> mounts;
  };
  std::vector<NsState> state_;
  std::string buf_, link_;
  bool first_in_some_ = false;  // the process being scanned is the first in some namespace
  std::unordered_set<ino_t> seen_sockets_;
  struct SocketRef {
    pid_t pid;
    int fd;
    ino_t ino;
  };
  std::vector<SocketRef> sockets_;
  // Open fds of namespaces that no path reaches (socket-held, ancestors), by namespace index.
  std::unordered_map<std::size_t, UniqueFd> held_;
};

template <typename PathFn>
std::size_t Scanner::attach(const NsId& id, NsType type, std::size_t proc, Holder holder,
                            PathFn path) {
  std::size_t before = m_.namespaces.size();
  Namespace* ns = &m_.add(id, type);
  std::size_t idx = static_cast<std::size_t>(ns - m_.namespaces.data());
  if (m_.namespaces.size() != before) state_.emplace_back();
  ns->holders |= static_cast<std::uint8_t>(holder);
  if (proc != kNoProcess && (ns->procs.empty() || ns->procs.back() != proc)) {
    if (ns->procs.empty()) first_in_some_ = true;
    ns->procs.push_back(proc);
  }
  if (path_rank(holder) > state_[idx].path_rank) {
    ns->path = path();
    state_[idx].path_rank = path_rank(holder);
  }
  return idx;
}

void Scanner::scan_process(pid_t pid) {
  ScanStats& stats = m_.stats;
  // O_PATH: no read permission needed (ns/ is mode 0511), and no open of the directory itself.
  char ns_path[32];
  std::memcpy(std::to_chars(ns_path, ns_path + 24, pid).ptr, "/ns", 4);  // with its NUL
  UniqueFd dir(::openat(proc_, ns_path, O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) {
    ++stats.vanished;  // listed by getdents, gone before we opened it
    return;
  }
  // /proc/PID/task is owned, as every /proc/PID entry, by the process's effective uid (root
  // for a non-dumpable one), and links 2 + its thread count: the uid and the threads in one call.
  struct stat task {};
  if (::fstatat(dir.get(), "../task", &task, 0) != 0) {
    ++stats.vanished;
    return;
  }
  std::optional<ProcStat> ps;
  if (stat_everyone_) {
    ps = read_stat(dir.get());
    if (!ps) {
      ++stats.vanished;  // exited, a zombie, or (never seen) an unparsable stat
      return;
    }
  }

  Process p;
  p.pid = pid;
  p.uid = task.st_uid;
  bool denied = false, exited = false, any = false;
  for (std::size_t t = 0; t < kNsTypeCount; ++t) {
    if (!opt_.types.contains(ns_types()[t].type)) continue;
    auto r = readlink_at(dir.get(), ns_names_[t].c_str(), link_);
    if (!r) {
      int err = r.error().code();
      if (err == EACCES || err == EPERM) denied = true;
      // A process that exits gives up its namespace proxy first (exit_task_namespaces): from
      // then on, zombie or not, its mnt link (mnt: the oldest type, on every kernel) fails
      // with ENOENT. Other types may simply be missing from an older kernel.
      if (err == ESRCH || (err == ENOENT && ns_types()[t].type == NsType::mnt)) exited = true;
      continue;
    }
    if (auto l = parse_ns_link(link_)) {
      p.ns[t] = NsId{nsfs_, l->ino};
      any = true;
    }
  }
  if (exited || !any) {
    ++(exited || !denied ? stats.vanished : stats.denied);
    return;
  }
  if (denied) ++stats.denied;

  std::size_t idx = m_.processes.size();
  first_in_some_ = false;
  for (std::size_t t = 0; t < kNsTypeCount; ++t) {
    if (!p.ns[t]) continue;
    NsType type = ns_types()[t].type;
    std::size_t ns = attach(p.ns[t], type, idx, Holder::process,
                            [&] { return proc_path(pid) + "/ns/" + std::string(name(type)); });
    // The first process met in a namespace is where its relations and mounts are read: through
    // the open /proc/PID/ns, so a reused pid cannot answer for another process, and in the
    // scanning thread, so that this per-namespace work runs in parallel too.
    if (m_.namespaces[ns].procs.size() == 1) {
      if (opt_.relations && !state_[ns].related) relate_early(ns, dir.get(), ns_names_[t]);
      if (opt_.mounts && type == NsType::mnt) read_mountinfo(ns, dir.get(), pid);
    }
  }
  m_.processes.push_back(std::move(p));
  Process& added = m_.processes.back();
  const nlink_t threads = task.st_nlink > 2 ? task.st_nlink - 2 : 1;
  if (opt_.threads && threads > 1) scan_threads(dir.get(), added, idx);
  // Processes are scanned in pid order, so a process that is first in some namespace (through
  // itself or one of its threads) is its lowest pid: the one whose command and container the
  // listing shows.
  auto wanted = [&](ScanOptions::Detail d) {
    return d == ScanOptions::Detail::all ||
           (d == ScanOptions::Detail::representatives && first_in_some_);
  };
  if (!ps && wanted(opt_.stat)) ps = read_stat(dir.get());
  if (wanted(opt_.commands)) {
    if (read_file_at(dir.get(), "../cmdline", buf_, true) && !buf_.empty()) {
      added.command = join_cmdline(buf_);
    } else {
      // Kernel threads and zombies have no arguments: their name, as lsns shows it.
      if (!ps) ps = read_stat(dir.get());
      if (ps) added.command = ps->comm;
    }
  }
  if (ps) {
    added.ppid = ps->ppid;
    added.comm = std::move(ps->comm);
    added.kernel_thread = ps->kernel_thread();
  }
  if (wanted(opt_.containers)) {
    // A part leaves names to settle_parts(): one resolver, one read of each engine's state.
    UniqueFd pid_dir(::openat(dir.get(), "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (pid_dir)
      if (auto c = resolver_.attribute(pid_dir.get(), added.uid, !part_))
        if (*c) added.container = std::make_unique<Container>(std::move(**c));
  }
  if (opt_.fds) scan_fds(dir.get(), pid);
}

std::optional<ProcStat> Scanner::read_stat(int ns_dir) {
  if (!read_file_at(ns_dir, "../stat", buf_, true)) return std::nullopt;
  auto ps = parse_stat(buf_);
  if (!ps || ps->state == 'Z') return std::nullopt;
  return std::move(*ps);
}

void Scanner::relate_early(std::size_t ns, int ns_dir, const std::string& name) {
  UniqueFd fd(::openat(ns_dir, name.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return;
  // The process may have moved since its link was read; then read_relations() goes by path.
  auto id = ns_id_of(fd.get());
  if (!id || *id != m_.namespaces[ns].id) return;
  relate(ns, fd.get(), false);
  state_[ns].related = true;
}

void Scanner::read_mountinfo(std::size_t ns, int ns_dir, pid_t pid) {
  if (!read_file_at(ns_dir, "../mountinfo", buf_)) return;
  NsState& st = state_[ns];
  st.mounts = nsfs_mounts_from_mountinfo(buf_);
  st.mounts_read = true;
  st.mount_rep = pid;
}

void Scanner::relate(std::size_t i, int fd, bool attach) {
  const NsType type = m_.namespaces[i].type;
  // The id of a related namespace; with `attach`, one the model lacks is added, fd kept.
  auto related = [&](UniqueFd rel, NsType rel_type) -> std::optional<NsId> {
    if (attach) {
      std::size_t r = add_related(std::move(rel), rel_type);
      if (r == kNoProcess) return std::nullopt;
      return m_.namespaces[r].id;
    }
    auto id = ns_id_of(rel.get());
    return id ? std::optional<NsId>(*id) : std::nullopt;
  };
  if (type == NsType::pid || type == NsType::user) {
    // EPERM at the top of the hierarchy the caller can see: no parent.
    if (auto parent = ns_parent(fd))
      if (auto id = related(std::move(*parent), type)) m_.namespaces[i].parent = *id;
  }
  if (type == NsType::user) {
    m_.namespaces[i].owner = m_.namespaces[i].parent;  // a user namespace's owner: its parent
    if (auto uid = ns_owner_uid(fd)) m_.namespaces[i].creator_uid = *uid;
  } else if (auto owner = ns_owner(fd)) {
    if (auto id = related(std::move(*owner), NsType::user)) m_.namespaces[i].owner = *id;
  }
}

void Scanner::scan_threads(int ns_dir, const Process& p, std::size_t idx) {
  auto task = open_dir_at(ns_dir, "../task");
  if (!task) return;
  std::string path;
  (void)for_each_numeric_entry(task->get(), procfs_, [&](int tid) {
    if (tid == p.pid) return;
    ++m_.stats.threads_scanned;
    for (std::size_t t = 0; t < kNsTypeCount; ++t) {
      if (!opt_.types.contains(ns_types()[t].type)) continue;
      path.assign(NumberText(tid)).append("/ns/").append(ns_names_[t]);
      if (!readlink_at(task->get(), path.c_str(), link_)) continue;
      auto l = parse_ns_link(link_);
      if (!l || l->ino == p.ns[t].ino) continue;
      NsType type = l->type;
      attach(NsId{nsfs_, l->ino}, type, idx, Holder::thread, [&] {
        return proc_path(p.pid) + "/task/" + std::to_string(tid) + "/ns/" + std::string(name(type));
      });
    }
  });
}

void Scanner::scan_fds(int ns_dir, pid_t pid) {
  if (pid == self_) {
    for (const auto& [fd, link] : self_fds_) {
      link_ = link;
      take_fd(pid, fd);
    }
    return;
  }
  int listed_after = -1;  // the fds up to here have been read
  if (fd_counts_) {
    // /proc/PID/fd's size is its number of open fds (Linux 6.2+). Most fd tables are dense
    // from 0, so reading fd/0, fd/1, ... until that many were found costs one call per fd
    // and one stat, not the directory's open, getdents64 and close. After a gap of
    // kMaxGap missing fds the listing reads the rest.
    constexpr int kMaxGap = 4;
    struct stat st {};
    if (::fstatat(ns_dir, "../fd", &st, 0) != 0) return;
    const auto open = static_cast<std::size_t>(st.st_size);
    std::size_t found = 0;
    char path[24] = "../fd/";
    for (int fd = 0, gap = 0; found < open; ++fd) {
      *std::to_chars(path + 6, path + sizeof path - 1, fd).ptr = '\0';
      if (auto r = readlink_at(ns_dir, path, link_); r) {
        ++found;
        gap = 0;
        take_fd(pid, fd);
      } else if (r.error().code() != ENOENT) {
        return;  // EACCES: another user's process, when not root
      } else if (++gap > kMaxGap) {
        listed_after = fd;
        break;
      }
    }
    if (found == open) return;
  }
  // EACCES for other users' processes when not root; vanished.
  list_fd_links(ns_dir, "../fd", procfs_, listed_after, link_, [&](int fd) { take_fd(pid, fd); });
}

void Scanner::take_fd(pid_t pid, int fd) {
  ++m_.stats.fds_scanned;
  if (auto l = parse_ns_link(link_)) {
    attach(NsId{nsfs_, l->ino}, l->type, kNoProcess, Holder::fd,
           [&] { return proc_path(pid) + "/fd/" + std::to_string(fd); });
  } else if (opt_.sockets) {
    if (auto sock = parse_socket_link(link_); sock && seen_sockets_.insert(*sock).second)
      sockets_.push_back({pid, fd, *sock});
  }
}

void Scanner::absorb(Scanner& part) {
  Model& from = part.m_;
  const std::size_t offset = m_.processes.size();
  std::move(from.processes.begin(), from.processes.end(), std::back_inserter(m_.processes));
  for (std::size_t i = 0; i < from.namespaces.size(); ++i) {
    Namespace& src = from.namespaces[i];
    const std::size_t before = m_.namespaces.size();
    Namespace& dst = m_.add(src.id, src.type);
    const auto idx = static_cast<std::size_t>(&dst - m_.namespaces.data());
    if (m_.namespaces.size() != before) state_.emplace_back();
    dst.holders |= src.holders;
    for (std::size_t proc : src.procs) dst.procs.push_back(proc + offset);
    NsState& from_state = part.state_[i];
    NsState& to = state_[idx];
    if (from_state.path_rank > to.path_rank) {
      dst.path = std::move(src.path);
      to.path_rank = from_state.path_rank;
    }
    if (from_state.related && !to.related) {
      dst.parent = src.parent;
      dst.owner = src.owner;
      dst.creator_uid = src.creator_uid;
      to.related = true;
    }
    if (from_state.mounts_read && !to.mounts_read) {
      to.mounts_read = true;
      to.mount_rep = from_state.mount_rep;
      to.mounts = std::move(from_state.mounts);
    }
  }
  for (const SocketRef& s : part.sockets_)
    if (seen_sockets_.insert(s.ino).second) sockets_.push_back(s);
  ScanStats& a = m_.stats;
  const ScanStats& b = from.stats;
  a.vanished += b.vanished;
  a.denied += b.denied;
  a.threads_scanned += b.threads_scanned;
  a.fds_scanned += b.fds_scanned;
}

void Scanner::settle_parts() {
  // A part read the stat, command and container of the first process it met in each
  // namespace; a later part's first may not be the namespace's first. Keep only the
  // representatives'.
  using Detail = ScanOptions::Detail;
  if (opt_.commands == Detail::representatives || opt_.containers == Detail::representatives ||
      opt_.stat == Detail::representatives) {
    std::vector<bool> first(m_.processes.size());
    for (const Namespace& ns : m_.namespaces)
      if (!ns.procs.empty()) first[ns.procs.front()] = true;
    const bool stat_all =
        stat_everyone_ || opt_.stat == Detail::all || opt_.commands == Detail::all;
    for (std::size_t i = 0; i < m_.processes.size(); ++i) {
      if (first[i]) continue;
      Process& p = m_.processes[i];
      if (opt_.commands == Detail::representatives) p.command.clear();
      if (opt_.containers == Detail::representatives) p.container.reset();
      if (!stat_all) {
        p.ppid = 0;
        p.comm.clear();
        p.kernel_thread = false;
      }
    }
  }
  for (Process& p : m_.processes)
    if (p.container) resolver_.fill_name(*p.container, p.uid);
}

void Scanner::probe_sockets() {
  // Sockets are collected in pid order, so one pidfd serves each process's run of sockets.
  pid_t pid = 0;
  UniqueFd pidfd;
  for (const SocketRef& s : sockets_) {
    if (s.pid != pid) {
      pid = s.pid;
      pidfd.reset(sys::pidfd_open(pid, 0));
    }
    if (!pidfd) continue;  // exited
    UniqueFd sock(sys::pidfd_getfd(pidfd.get(), s.fd, 0));
    if (!sock) continue;  // closed meanwhile, or not ours to take
    ++m_.stats.sockets_probed;
    UniqueFd netns(::ioctl(sock.get(), SIOCGSKNS));
    if (!netns) continue;
    auto id = ns_id_of(netns.get());
    if (!id) continue;
    if (Namespace* ns = m_.find(*id)) {
      ns->holders |= static_cast<std::uint8_t>(Holder::socket);
      continue;
    }
    std::size_t idx =
        attach(*id, NsType::net, kNoProcess, Holder::socket, [] { return std::string(); });
    held_.emplace(idx, std::move(netns));
  }
}

UniqueFd Scanner::open_ns(const Namespace& ns) {
  std::size_t idx = static_cast<std::size_t>(&ns - m_.namespaces.data());
  if (auto it = held_.find(idx); it != held_.end()) {
    return UniqueFd(::fcntl(it->second.get(), F_DUPFD_CLOEXEC, 3));
  }
  if (ns.path.empty()) return {};
  UniqueFd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return {};
  // The path names a pid; if that process exited and the pid was reused, the path now reaches
  // another namespace. Only the identity decides.
  auto id = ns_id_of(fd.get());
  if (!id || *id != ns.id) return {};
  return fd;
}

void Scanner::scan_mounts() {
  struct stat own {};
  NsId own_mntns{};
  if (::stat("/proc/self/ns/mnt", &own) == 0) own_mntns = NsId{own.st_dev, own.st_ino};
  // Indexes, not references: attach() may grow the vector, and mount namespaces found in a
  // bind mount are scanned in turn.
  for (std::size_t i = 0; i < m_.namespaces.size(); ++i) {
    if (m_.namespaces[i].type != NsType::mnt) continue;
    std::vector<NsfsMountEntry> entries;
    pid_t rep = 0;
    if (state_[i].mounts_read) {
      rep = state_[i].mount_rep;
      entries = std::move(state_[i].mounts);
    } else if (!m_.namespaces[i].procs.empty()) {
      // A process is in it: its mountinfo is the cheapest read (one file for all mounts).
      rep = m_.processes[m_.namespaces[i].procs.front()].pid;
      std::string path = std::to_string(rep) + "/mountinfo";
      if (!read_file_at(proc_, path.c_str(), buf_)) continue;
      entries = nsfs_mounts_from_mountinfo(buf_);
    } else {
      // No process: listmount/statmount read it through an fd (kernel 6.8+).
      UniqueFd fd = open_ns(m_.namespaces[i]);
      if (!fd) continue;
      auto listed = list_nsfs_mounts(fd.get());
      if (!listed) continue;
      entries = std::move(*listed);
    }
    ++m_.stats.mount_namespaces_read;
    const NsId mntns = m_.namespaces[i].id;
    for (auto& e : entries) {
      std::size_t idx = attach(NsId{nsfs_, e.ino}, e.type, kNoProcess, Holder::mount, [&] {
        if (mntns == own_mntns) return e.mount_point;
        return rep ? proc_path(rep) + "/root" + e.mount_point : std::string();
      });
      auto& mounts = m_.namespaces[idx].mounts;
      bool known = std::any_of(mounts.begin(), mounts.end(), [&](const NsfsMount& nm) {
        return nm.mntns == mntns && nm.path == e.mount_point;
      });
      if (!known) mounts.push_back({std::move(e.mount_point), mntns});
    }
  }
}

std::size_t Scanner::add_related(UniqueFd fd, NsType type) {
  auto id = ns_id_of(fd.get());
  if (!id) return kNoProcess;
  if (Namespace* known = m_.find(*id)) {
    known->holders |= static_cast<std::uint8_t>(Holder::child);  // kept alive by this one too
    return static_cast<std::size_t>(known - m_.namespaces.data());
  }
  std::size_t idx = attach(*id, type, kNoProcess, Holder::child, [] { return std::string(); });
  held_.emplace(idx, std::move(fd));
  return idx;
}

void Scanner::read_relations() {
  // Network namespaces wait here for one batched RTM_GETNSID; in chunks, so that thousands of
  // them never hold more fds than RLIMIT_NOFILE allows.
  constexpr std::size_t kNsidChunk = 256;
  std::vector<std::pair<std::size_t, UniqueFd>> nets;
  std::optional<NetnsIdQuery> query;
  auto flush_nets = [&] {
    if (nets.empty()) return;
    if (!query) {
      auto q = NetnsIdQuery::open();
      if (!q) return nets.clear();
      query.emplace(std::move(*q));
    }
    std::vector<int> fds;
    fds.reserve(nets.size());
    for (const auto& n : nets) fds.push_back(n.second.get());
    if (auto ids = query->nsids_of(fds))
      for (std::size_t k = 0; k < nets.size() && k < ids->size(); ++k)
        m_.namespaces[nets[k].first].netnsid = (*ids)[k];
    nets.clear();
  };
  // Related ids read during the scan stand if the model has those namespaces (which a child
  // keeps alive too); one it lacks (an ancestor or owner no process is in) is read again
  // here, to be added with its fd.
  auto known = [&](const std::optional<NsId>& id) { return !id || m_.find(*id); };
  auto mark_child = [&](const std::optional<NsId>& id) {
    if (Namespace* n = id ? m_.find(*id) : nullptr)
      n->holders |= static_cast<std::uint8_t>(Holder::child);
  };
  for (std::size_t i = 0; i < m_.namespaces.size(); ++i) {
    const NsType type = m_.namespaces[i].type;
    const bool want_nsid = opt_.netnsid && type == NsType::net;
    bool want_relations = opt_.relations;
    if (want_relations && state_[i].related && known(m_.namespaces[i].parent) &&
        known(m_.namespaces[i].owner)) {
      mark_child(m_.namespaces[i].parent);
      mark_child(m_.namespaces[i].owner);
      want_relations = false;
    }
    if (!want_relations && !want_nsid) continue;
    UniqueFd fd = open_ns(m_.namespaces[i]);
    if (!fd) continue;
    if (want_relations) relate(i, fd.get(), true);
    if (want_nsid) {
      nets.emplace_back(i, std::move(fd));
      if (nets.size() == kNsidChunk) flush_nets();
    }
  }
  flush_nets();
}

// How many threads read /proc/PID directories: `wanted`, or with 0 one per CPU we may run on
// but at least kMinPids pids each (below that a thread's start costs more than it saves); never
// more threads than pids.
std::size_t worker_count(unsigned wanted, std::size_t pids) {
  constexpr std::size_t kMinPids = 500;
  std::size_t n = wanted;
  if (n == 0) {
    cpu_set_t cpus;
    n = ::sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
    n = std::min(n, pids / kMinPids);
  }
  return std::clamp<std::size_t>(std::min(n, pids), 1, 64);
}

// The per-process reads in `workers` threads. The pids are cut into one run per thread; the
// calling thread scans the first run straight into `scanner`'s model, the others each into a
// part of their own. A thread that finishes its run takes the back half of the longest run
// still being scanned (work stealing), as a new part, so that a thread slowed by other work on
// the machine holds the others up by a short run at most. The parts are absorbed in pid order,
// so the model is the one-thread scan's. What is left for the calling thread after the merge
// is small: sockets, and the relations and mounts of namespaces no process's directory led to.
void scan_parallel(const ScanOptions& options, Scanner& scanner, const ProcRoot& root,
                   std::span<const pid_t> pids, std::size_t workers) {
  struct Part {
    Model model;
    Scanner scanner;
    Part(const ScanOptions& o, const ProcRoot& root) : scanner(o, model, root, true) {}
  };
  // Pids [begin, end) of `pids`; those before `next` are taken. Scanned by one thread only.
  struct Run {
    std::size_t begin, next, end;
    std::unique_ptr<Part> part;  // none for the first run: it goes into `scanner` directly
  };
  constexpr std::size_t kBatch = 16;  // pids taken per lock; a run with less than 2 left is kept
  std::vector<std::unique_ptr<Run>> runs;
  std::vector<Run*> first_runs;  // one per thread, the calling thread's first
  for (std::size_t w = 0; w < workers; ++w) {
    const std::size_t begin = pids.size() * w / workers, end = pids.size() * (w + 1) / workers;
    runs.push_back(std::make_unique<Run>(Run{begin, begin, end, nullptr}));
    if (w) runs.back()->part = std::make_unique<Part>(options, root);
    first_runs.push_back(runs.back().get());
  }
  std::mutex lock;  // guards every Run's next and end, and `runs`
  std::exception_ptr failure;
  // The back half of the run with the most pids left, as a new run; null when none is worth it.
  auto steal = [&]() -> Run* {
    auto part = std::make_unique<Part>(options, root);
    std::lock_guard guard(lock);
    auto longest = std::max_element(runs.begin(), runs.end(), [](const auto& a, const auto& b) {
      return a->end - a->next < b->end - b->next;
    });
    Run& victim = **longest;
    if (victim.end - victim.next < 2 * kBatch) return nullptr;
    const std::size_t mid = victim.next + (victim.end - victim.next) / 2;
    runs.push_back(std::make_unique<Run>(Run{mid, mid, victim.end, std::move(part)}));
    victim.end = mid;
    return runs.back().get();
  };
  auto work = [&](Run* run) noexcept {
    try {
      for (; run; run = steal()) {
        Scanner& into = run->part ? run->part->scanner : scanner;
        if (run->part) run->part->scanner.reserve(run->end - run->begin);
        while (true) {
          std::size_t from, to;
          {
            std::lock_guard guard(lock);
            from = run->next;
            to = run->next = std::min(from + kBatch, run->end);
          }
          if (from == to) break;
          for (std::size_t i = from; i < to; ++i) into.scan_process(pids[i]);
        }
      }
    } catch (...) {
      std::lock_guard guard(lock);
      if (!failure) failure = std::current_exception();
      for (auto& r : runs) r->end = r->next;  // the others stop at their next batch
    }
  };
  {
    std::vector<std::jthread> threads;
    threads.reserve(workers - 1);
    std::size_t started = 1;
    try {
      for (; started < workers; ++started) threads.emplace_back(work, first_runs[started]);
    } catch (const std::system_error&) {
      // No more threads (EAGAIN): this one scans what is left of their runs too.
    }
    work(first_runs[0]);
    for (std::size_t w = started; w < workers; ++w) work(first_runs[w]);
  }  // joined
  if (failure) std::rethrow_exception(failure);
  std::sort(runs.begin(), runs.end(),
            [](const auto& a, const auto& b) { return a->begin < b->begin; });
  for (auto& run : runs)
    if (run->part) scanner.absorb(run->part->scanner);
  scanner.settle_parts();
}

}  // namespace

Result<Model> scan(const ScanOptions& options) {
  ProcRoot root;
  NSCTL_ASSIGN_OR_RETURN(root.nsfs, nsfs_device());
  auto proc = open_dir_at(AT_FDCWD, options.proc_root);
  if (!proc) return std::unexpected(proc.error());
  root.fd = proc->get();
  struct statfs sfs {};
  root.procfs = ::fstatfs(root.fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
  // Our own fd table is never empty (it holds `proc`): a size of 0 means no counts.
  struct stat self_fds {};
  root.fd_counts =
      root.procfs && ::fstatat(root.fd, "self/fd", &self_fds, 0) == 0 && self_fds.st_size > 0;
  std::string link;
  if (readlink_at(root.fd, "self", link))
    if (auto n = parse_decimal(link)) root.self = static_cast<pid_t>(*n);
  if (options.fds && root.self)
    list_fd_links(root.fd, "self/fd", root.procfs, -1, link,
                  [&](int fd) { root.self_fds.emplace_back(fd, link); });
  Model model;
  Scanner scanner(options, model, root);
  std::vector<pid_t> pids;
  pids.reserve(1024);
  NSCTL_TRY(for_each_numeric_entry(root.fd, root.procfs, [&](int pid) { pids.push_back(pid); }));
  // procfs lists pids in ascending order; other directories (fixtures) need not. The first
  // process seen in a namespace must be its lowest pid.
  std::sort(pids.begin(), pids.end());
  scanner.reserve(pids.size());
  if (std::size_t workers = worker_count(options.workers, pids.size()); workers > 1)
    scan_parallel(options, scanner, root, pids, workers);
  else
    for (pid_t pid : pids) scanner.scan_process(pid);
  if (options.fds && options.sockets) scanner.probe_sockets();
  if (options.mounts) scanner.scan_mounts();
  scanner.read_relations();
  model.finish();
  return model;
}

}  // namespace nsctl
