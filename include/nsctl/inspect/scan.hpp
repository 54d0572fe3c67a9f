// The scan: every namespace on the machine and what holds it, built in O(P) from /proc.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "nsctl/base/error.hpp"
#include "nsctl/inspect/attribution.hpp"
#include "nsctl/ns/ns_id.hpp"
#include "nsctl/ns/ns_type.hpp"

namespace nsctl {

// What keeps a namespace alive. A namespace may have several holders.
enum class Holder : std::uint8_t {
  process = 1 << 0,  // a thread-group leader's /proc/PID/ns link
  thread = 1 << 1,   // a non-leader thread's /proc/PID/task/TID/ns link
  fd = 1 << 2,       // an open nsfs file descriptor
  mount = 1 << 3,    // a bind mount of its nsfs file, in some mount namespace
  socket = 1 << 4,   // a socket created in it (network namespaces)
  child = 1 << 5,    // a descendant namespace (user and pid ancestors, owning user ns)
};

struct Process {
  pid_t pid = 0;
  pid_t ppid = 0;
  uid_t uid = 0;  // owner of /proc/PID: the effective uid (root for non-dumpable processes)
  std::string comm;
  // The arguments joined by spaces (comm for kernel threads); by default read only for
  // processes that are the lowest pid of some namespace (the representatives), while the
  // process's /proc directory is held open, so a reused pid cannot mix two processes.
  std::string command;
  // The container the process belongs to, when ScanOptions::containers asked for it (held
  // apart: few processes have one, and every Process is copied once in a parallel scan).
  std::unique_ptr<Container> container;
  bool kernel_thread = false;
  // The namespace of each type (indexed by NsType); dev/ino 0 where it could not be read.
  std::array<NsId, kNsTypeCount> ns{};
};

// An nsfs bind mount that holds a namespace.
struct NsfsMount {
  std::string path;  // the mount point, as seen in `mntns`
  NsId mntns;        // the mount namespace the mount lives in
};

struct Namespace {
  NsId id;
  NsType type = NsType::mnt;
  std::uint8_t holders = 0;  // bitwise-or of Holder
  // Processes (indexes into Model::processes, ascending pid) with a task in this namespace.
  std::vector<std::size_t> procs;
  // A path that reaches the namespace now: /proc/PID/ns/TYPE, /proc/PID/task/TID/ns/TYPE,
  // /proc/PID/fd/N or a bind mount; empty if only a socket or a child holds it.
  std::string path;
  std::vector<NsfsMount> mounts;
  std::optional<NsId> parent;        // pid and user namespaces (NS_GET_PARENT)
  std::optional<NsId> owner;         // the owning user namespace (NS_GET_USERNS)
  std::optional<uid_t> creator_uid;  // user namespaces: NS_GET_OWNER_UID
  std::optional<int> netnsid;        // network namespaces: the id our netns gave it; -1: unassigned

  bool has(Holder h) const { return holders & static_cast<std::uint8_t>(h); }
};

struct ScanOptions {
  const char* proc_root = "/proc";
  // The types whose /proc/PID/ns links are read. Fewer types, fewer syscalls per process; a
  // namespace of another type can still enter the model through an fd, a mount or a relation
  // (with NPROCS that does not count processes). Finding bind mounts needs mnt.
  NsTypeSet types = NsTypeSet::all();
  // Read /proc/PID/task/*/ns of multi-threaded processes: a thread may sit in namespaces of
  // its own.
  bool threads = true;
  // Look in every process's fd table for nsfs fds (and sockets, unless `sockets` is off).
  bool fds = true;
  // Find network namespaces held only by sockets: one pidfd_getfd + SIOCGSKNS per socket not
  // seen before. Turn off on hosts with very many sockets.
  bool sockets = true;
  // Find nsfs bind mounts in every mount namespace.
  bool mounts = true;
  // Parents of pid and user namespaces, and the owning user namespace of every namespace
  // (NS_GET_PARENT, NS_GET_USERNS: an open and a few ioctls per namespace, not per process),
  // so that ancestors and owners nobody is in are found too. Off only where a caller needs
  // processes alone (nsctl ps).
  bool relations = true;
  // RTM_GETNSID for every network namespace (the NETNSID column).
  bool netnsid = false;
  // Whose command line to read (COMMAND), and whose container to work out (CONTAINER): each
  // is read through the process's open /proc directory during the scan.
  enum class Detail : std::uint8_t { none, representatives, all };
  Detail commands = Detail::representatives;
  Detail containers = Detail::none;
  // Whose /proc/PID/stat to read (Process::ppid, comm, kernel_thread), besides those whose
  // command is wanted but whose command line is empty (kernel threads: the command is their
  // name); the others keep ppid 0 and no comm, and cost 3 syscalls less each.
  Detail stat = Detail::all;
  EngineRoots engine_roots;
  // Threads that read the /proc/PID directories; 0: one per CPU this process may run on, with
  // at least 500 pids each. Runs of pids are read in parallel and merged in pid order, so the
  // model is the one a single thread builds. The threads exist only during scan(); a caller
  // that needs to be single-threaded right after (setns into a user namespace refuses a
  // process that still has a thread, and a joined thread can linger) keeps 1.
  unsigned workers = 1;
};

struct ScanStats {
  std::size_t processes = 0;  // processes in the model
  std::size_t vanished = 0;   // exited before or during the scan, zombies included (skipped)
  std::size_t denied = 0;     // some namespace of theirs could not be read (EACCES/EPERM)
  std::size_t threads_scanned = 0;
  std::size_t fds_scanned = 0;
  std::size_t sockets_probed = 0;
  std::size_t mount_namespaces_read = 0;
};

class Model {
 public:
  std::vector<Process> processes;     // in ascending pid order
  std::vector<Namespace> namespaces;  // sorted by (ns inode, type) after the scan
  ScanStats stats;

  const Namespace* find(const NsId& id) const;
  Namespace* find(const NsId& id);
  const Process* process(pid_t pid) const;
  // Adds (or returns) the namespace with this identity.
  Namespace& add(const NsId& id, NsType type);
  // Room for `processes` processes and `namespaces` namespaces without reallocating.
  void reserve(std::size_t processes, std::size_t namespaces);
  // Sorts namespaces and rebuilds the index; called at the end of the scan.
  void finish();

 private:
  std::unordered_map<NsId, std::size_t, NsIdHash> index_;
};

// Scans /proc and builds the model. Processes that vanish or deny access are counted in
// `stats`, never an error. Errors: /proc cannot be opened or read at all.
Result<Model> scan(const ScanOptions& options = {});

}  // namespace nsctl
