// Entering namespaces: run a command in the namespaces of a process (and, if asked, with its
// identity and privileges), as nsenter and `docker exec` do. One spec, two calls:
//   spawn_in(spec)  starts the command in a new process and never changes the caller (a server,
//                   a multi-threaded program, the OCI runtime's exec);
//   exec_in(spec)   turns the calling process into the command (nsenter without a pid
//                   namespace): joins, changes credentials and execs; it returns only on error.
// Everything is opened, read and checked before anything changes: a missing process, a file
// that is not a namespace, a refused join — an error, and no command ran.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "nsctl/base/error.hpp"
#include "nsctl/base/fd.hpp"
#include "nsctl/ns/ns_type.hpp"
#include "nsctl/process/exit_status.hpp"

namespace nsctl {

struct EnterSpec {
  // The target process; 0: none (then every namespace comes from a file). Held by a pidfd from
  // the first moment. `pidfs_ino`: the pidfd's inode must be this (nsenter's -t PID:INODE).
  pid_t pid = 0;
  std::optional<std::uint64_t> pidfs_ino;

  // Per type (indexed by NsType): join it, from the target or from an nsfs file.
  struct Namespace {
    bool join = false;
    std::string file;  // empty: the target's
  };
  std::array<Namespace, kNsTypeCount> namespaces{};
  bool all = false;               // every type the target has (a type the kernel lacks is skipped)
  bool for_children = false;      // pid and time from the target's *_for_children
  bool user_parent = false;       // the parent of the chosen user namespace
  std::optional<int> net_socket;  // the network namespace of the target's socket fd

  // Identity. `follow`: become one of the target's processes — its uid, gid, groups, the
  // capability sets (inside its user namespace only), no_new_privs, seccomp filter, rlimits,
  // cgroups, LSM label, environment, root and working directory.
  bool follow = false;
  std::optional<uid_t> uid;  // setuid inside (nsenter -S); with a user namespace, default 0
  std::optional<gid_t> gid;
  bool uid_from_target = false;  // -S follow
  bool gid_from_target = false;
  bool preserve_credentials = false;
  bool keep_caps = false;
  bool join_cgroup = false;       // the target's cgroups (v2 and every mounted v1 hierarchy)
  bool follow_lsm_label = false;  // the target's SELinux/AppArmor label (nsenter -Z)

  // Root and working directory: "" is the target's, a path is the caller's path; nullopt
  // keeps the caller's. `wd_in_ns`: a path resolved after the join (nsenter -W).
  std::optional<std::string> root, wd;
  std::optional<std::string> wd_in_ns;

  // The command, searched in PATH; empty: $SHELL of the environment it gets, else /bin/sh
  // (never a lookup in the target's passwd database, which would load its NSS modules).
  std::vector<std::string> command;
  // Its environment: the target's (`target_env`), else `env`.
  bool target_env = false;
  std::vector<std::string> env;
};

// A command that spawn_in() started: a child of the caller, held by its pidfd.
struct EnteredProcess {
  pid_t pid = 0;
  UniqueFd pidfd;
};

// Starts the command in the spec's namespaces in a new process; the caller's own namespaces,
// credentials, root and cgroups are untouched. Returns once the command has been executed.
// Errors: "pid 4242: no such process", "/etc/passwd: not a namespace file", "setns net:
// Operation not permitted", "failed to execute foo: No such file or directory" (code() is the
// exec's errno and is_exec_failure() is true). Kernel 5.3+ (pidfd_open, clone3).
Result<EnteredProcess> spawn_in(const EnterSpec& spec);

// Joins, changes credentials, root and directory in the calling process and executes the
// command. Returns only on failure (the same errors as spawn_in); the calling process must be
// single-threaded to enter a user or mount namespace.
Result<void> exec_in(const EnterSpec& spec);

// Waits for the process, passing on `forward` signals sent to the caller (see
// forwarded_signals in the process library; empty: none).
Result<ExitStatus> wait_for(const EnteredProcess& process, std::span<const int> forward = {});

}  // namespace nsctl
