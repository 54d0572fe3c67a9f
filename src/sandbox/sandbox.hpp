// `nsctl run`: a sandbox described by one SandboxSpec. Its fields follow the OCI runtime
// spec's `process`, `root`, `mounts`, `hostname`/`domainname` and `linux` sections (names in
// the comments), so that a config.json fills it without a second implementation; what OCI has
// no field for is in `nsctl` (SandboxExtras).
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nsctl/base/error.hpp"
#include "nsctl/ns/ns_type.hpp"
#include "nsctl/process/exit_status.hpp"
#include "privilege/idmap.hpp"
#include "privilege/seccomp.hpp"
#include "sandbox/sandbox_cgroup.hpp"

namespace nsctl {

// OCI process.rlimits[]: {"type": "RLIMIT_NOFILE", "soft": N, "hard": N}.
struct SandboxRlimit {
  int resource = 0;           // RLIMIT_NOFILE
  rlim_t soft = 0, hard = 0;  // RLIM_INFINITY for "unlimited"
  bool operator==(const SandboxRlimit&) const = default;
};

// OCI `process`.
struct SandboxProcess {
  std::vector<std::string> args;       // args; args[0] is searched in the sandbox's PATH
  std::vector<std::string> env;        // env: "NAME=value", the command's whole environment
  std::string cwd = "/";               // cwd
  uid_t uid = 0;                       // user.uid, inside the sandbox
  gid_t gid = 0;                       // user.gid
  std::vector<gid_t> additional_gids;  // user.additionalGids
  std::vector<SandboxRlimit> rlimits;  // rlimits
  // capabilities: one set, the capabilities the command keeps (bounding, permitted, effective,
  // inheritable and, for a non-root uid, ambient). Bit N is capability N. Default: none.
  std::uint64_t capabilities = 0;
  bool no_new_privileges = true;  // noNewPrivileges: nsctl run always sets it
  bool operator==(const SandboxProcess&) const = default;
};

// OCI `root`: {"path", "readonly"}. An empty path keeps the caller's root directory (mounts
// then apply over it, in the sandbox's own mount namespace).
struct SandboxRoot {
  std::string path;
  bool readonly = false;
  bool operator==(const SandboxRoot&) const = default;
};

// OCI mounts[]: applied in order, after the root is set up and before pivot_root.
//   type "bind"    source -> destination, recursive; option "ro" makes the whole tree
//                  read-only (mount_setattr), "nosuid", "nodev", "noexec" likewise
//   type "tmpfs"   options "size=...", "mode=...", "nosuid", "nodev", "noexec", "ro"
//   type "proc"    a proc of the sandbox's pid namespace
//   type "overlay" options "lowerdir=...", "upperdir=...", "workdir=..."
//   type "devtmpfs-minimal" (nsctl): a tmpfs with null, zero, full, random, urandom and tty
//                  bound from the host, a new devpts instance on pts, ptmx, shm, and the links
//                  fd, stdin, stdout, stderr, core
// Destinations are paths inside the sandbox; sources are the caller's paths.
struct SandboxMount {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;
  bool operator==(const SandboxMount&) const = default;
};

inline constexpr std::string_view kMinimalDevType = "devtmpfs-minimal";

// A veth pair between the caller's network namespace and the sandbox's (nsctl extension).
struct SandboxVeth {
  std::string host_name;  // e.g. "nsctl1234"
  std::string sandbox_name = "eth0";
  std::uint32_t host_address = 0;  // IPv4, host byte order
  std::uint32_t sandbox_address = 0;
  int prefix_len = 30;
  bool operator==(const SandboxVeth&) const = default;
};

// OCI `linux`.
struct SandboxLinux {
  // namespaces[]: the types created new; the others are shared with the caller. Joining an
  // existing namespace by path is not supported (yet).
  NsTypeSet namespaces = NsTypeSet::all();
  // uidMappings/gidMappings (containerID -> inner, hostID -> outer, size -> count). Empty with
  // a new user namespace: the caller's euid/egid is mapped to process.uid/gid.
  IdMap uid_mappings, gid_mappings;
  CgroupLimits resources;                 // resources.memory/pids/cpu
  std::optional<SeccompProfile> seccomp;  // seccomp; nullopt: no filter
  // timeOffsets: {"monotonic": {"secs": N}, "boottime": {...}}; needs a new time namespace.
  std::int64_t monotonic_offset = 0, boottime_offset = 0;
  bool operator==(const SandboxLinux&) const = default;
};

// What OCI has no field for.
struct SandboxExtras {
  bool as_pid_1 = false;        // exec the command as PID 1 instead of nsctl's init
  bool die_with_parent = true;  // the sandbox is killed when nsctl dies
  std::optional<SandboxVeth> veth;
  bool operator==(const SandboxExtras&) const = default;
};

struct SandboxSpec {
  SandboxProcess process;
  SandboxRoot root;
  std::vector<SandboxMount> mounts;
  std::string hostname;    // empty: unchanged
  std::string domainname;  // empty: unchanged
  SandboxLinux linux_;     // OCI "linux" (`linux` is a macro in GNU modes)
  SandboxExtras nsctl;
  bool operator==(const SandboxSpec&) const = default;
};

// Exit code of `nsctl run` when the sandbox could not be set up (as docker and podman use 125;
// 126 and 127 stay for a command that cannot be executed or found).
inline constexpr int kSetupFailedExit = 125;

// Checks what can be checked before anything is created: a command, absolute destinations,
// known mount types and options, hostname without a new uts namespace, time offsets without a
// new time namespace, a veth without a new network namespace, maps with a user namespace,
// supplementary groups that a rootless user namespace cannot set... Errors (EINVAL) say which
// field and why.
Result<void> validate_sandbox(const SandboxSpec& spec);

// Runs the sandbox and waits for it: see README "nsctl run" for the sequence. Returns how the
// command ended (through nsctl's init, which exits as the command did). Signals INT, TERM,
// HUP, QUIT, USR1, USR2 sent to this process (by kill(2), not by the terminal, which already
// signals the whole foreground group) are passed to the command.
//
// Setup errors name the stage, object and errno ("mount proc on /proc: Operation not
// permitted"); when the command itself could not be executed, *exec_failed is set and the
// error carries the exec errno. On any failure nothing is left: the child is killed and
// reaped, the cgroup removed, the veth deleted.
Result<ExitStatus> run_sandbox(const SandboxSpec& spec, bool* exec_failed = nullptr);

}  // namespace nsctl
