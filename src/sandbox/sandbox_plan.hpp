// Private to `nsctl run`: the plan that nsctl's init follows between clone and exec. The parent
// computes every string, path, netlink message and BPF program beforehand (sandbox_setup.cpp),
// so that the child (sandbox_child.cpp, sandbox_mounts.cpp) only makes async-signal-safe calls
// on prepared data: no allocation, errors reported as {stage, errno}.
#pragma once

#include <linux/filter.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "privilege/credentials.hpp"
#include "process/child_report.hpp"
#include "process/exec_plan.hpp"
#include "sandbox/sandbox.hpp"

namespace nsctl::detail {

// The stages of the child's setup, in the order it runs them. Mount steps report
// kSbStep + 64 * step + MountSub; rlimits kSbRlimit + index.
enum SandboxStage : std::int32_t {
  kSbParentGone = 1,
  kSbPdeathsig,
  kSbCgroupNs,
  kSbTimeNs,
  kSbTimeOffsets,
  kSbTimeJoin,
  kSbPropagation,
  kSbRootBind,
  kSbRootFd,
  kSbRootReadonly,
  kSbPivotChdir,
  kSbPivot,
  kSbOldRoot,
  kSbHostname,
  kSbDomainname,
  kSbLoopback,
  kSbChdir,
  kSbCloseFds,
  kSbSignals,
  kSbFork,
  kSbSeccomp,
  kSbExec,
  kSbRlimit = 100,
  kSbStep = 1000,
};

enum MountSub : std::int32_t {
  kSubTarget = 0,  // resolving or creating the target inside the root
  kSubSource,      // open_tree / fsopen
  kSubCreate,      // FSCONFIG_CMD_CREATE
  kSubMount,       // fsmount
  kSubAttr,        // mount_setattr
  kSubMove,        // move_mount (or mount(2) on the old-API path)
  kSubSymlink,
  kSubConfig = 8,  // + the index of the fsconfig key
};

// One primitive step of the mount plan. An OCI mount becomes one step (bind, fs), the minimal
// /dev several (a tmpfs, files, binds, devpts, links).
struct MountStep {
  enum Kind : std::uint8_t { bind, fs, mkfile, mkdir, symlink };
  Kind kind = bind;
  int mount_index = -1;  // the SandboxMount it comes from; -1: the root itself
  std::string target;    // inside the root (absolute); for the root step, the root's path
  std::string shown;     // the target as the user knows it, for messages: root + target
  std::string source;    // bind: the caller's path; fs: the source name; symlink: link text
  std::string fstype;    // fs
  // fsconfig(FSCONFIG_SET_STRING, key, value), or FSCONFIG_SET_FLAG when there is no value.
  std::vector<std::pair<std::string, std::string>> config;
  std::vector<char> has_value;  // per config entry
  std::string legacy_data;      // the same options for mount(2): "size=1m,mode=755"
  bool recursive = true;        // bind: the whole tree (rbind)
  std::uint64_t attr = 0;       // MOUNT_ATTR_RDONLY | NOSUID | NODEV | NOEXEC
  bool create = false;          // make a missing target (a directory, or a file for a file bind)
};

struct SandboxPlan {
  // Synchronisation with the parent.
  int go_fd = -1;
  int go_write_fd = -1;
  int parent_pidfd = -1;  // polled after PR_SET_PDEATHSIG
  const sigset_t* old_mask = nullptr;
  bool die_with_parent = true;

  bool new_cgroup_ns = false;
  bool new_time_ns = false;
  std::string timens_offsets;  // "1 10 0\n7 20 0\n" (clock id, seconds, nanoseconds)

  bool new_mount_ns = false;
  std::string root;  // "" : the caller's root stays (no pivot_root)
  bool root_readonly = false;
  std::vector<MountStep> steps;

  std::string hostname, domainname;
  std::vector<char> loopback_up;  // an rtnetlink request; empty: no new network namespace

  std::vector<std::pair<int, rlimit>> rlimits;
  CredentialPlan creds;
  std::string cwd;

  std::vector<sock_filter> seccomp;  // empty: none
  bool as_pid_1 = false;
  int forwarded[8] = {};  // signals init passes on to the command, 0-terminated

  const Program* program = nullptr;  // the command
};

// The child: setup, then exec the command as PID 1 or fork it and stay as its init.
[[noreturn]] void sandbox_child_main(const SandboxPlan& plan, ChildReport& report) noexcept;

// Runs the mount steps and, with a root, pivot_root into it. false with *f filled on failure.
bool sandbox_mounts(const SandboxPlan& plan, ChildFailure* f) noexcept;

// The command's argv, envp, file and PATH, owned by the parent while the child starts.
Program make_sandbox_program(const SandboxSpec& spec);
// Builds the plan from a validated spec; `program` must outlive it. Errors: a root that does
// not resolve, a seccomp profile that does not compile.
Result<SandboxPlan> make_sandbox_plan(const SandboxSpec& spec, const Program& program);

// The message for a child's report: "mount proc on /srv/root/proc: Operation not permitted".
Error sandbox_child_error(const ChildFailure& f, const SandboxPlan& plan);

}  // namespace nsctl::detail
