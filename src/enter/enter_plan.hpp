// Private to enter: what the process that enters does between fork and exec (or, for
// exec_in, in the caller itself). enter.cpp opens, reads and checks everything beforehand and
// fills an EnterPlan; enter_child.cpp only makes async-signal-safe calls on it.
#pragma once

#include <linux/filter.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nsctl/base/error.hpp"
#include "nsctl/ns/ns_type.hpp"
#include "privilege/credentials.hpp"
#include "process/child_report.hpp"
#include "process/exec_plan.hpp"

namespace nsctl::detail {

// The stages of entering, in order; some carry an index (+ i).
enum EnterStage : std::int32_t {
  kEnGroupsBeforeJoin = 1,
  kEnSetnsTarget,  // one setns(pidfd, flags)
  kEnFork,         // the fork into the pid namespace
  kEnRoot,
  kEnWd,
  kEnWdNs,
  kEnSeccomp,
  kEnLabel,
  kEnCloseFds,
  kEnExec,
  kEnChildPid = 50,  // not a failure: the intermediate child reports the command's pid in err
  kEnCgroup = 100,   // + index into cgroup_procs
  kEnSetns = 200,    // + NsType
  kEnRlimit = 300,   // + index into rlimits
};

struct EnterPlan {
  // Cgroups to join first, while the paths still mean the host's: cgroup.procs files.
  std::vector<std::string> cgroup_procs;

  // Supplementary groups set before the join, in the caller's view (--follow: the target's
  // groups, which a user namespace with setgroups denied would refuse later). EPERM is not
  // fatal when `groups` after the join (in creds) can still set them.
  bool groups_before_join = false;
  std::vector<gid_t> host_groups;

  // The join: one setns(target_pidfd, flags) when every namespace is the target's (all or
  // nothing, 5.8+); otherwise each fd in nsenter's two passes (user last, then again first for
  // what needed its privilege). Namespaces the caller is in already are left out beforehand.
  int target_pidfd = -1;
  pid_t target_pid = 0;  // for messages
  int setns_flags = 0;
  std::array<int, kNsTypeCount> ns_fds{-1, -1, -1, -1, -1, -1, -1, -1};

  // A new pid namespace (or time namespace) applies to children: fork once more after the
  // join. The command is started with CLONE_PARENT, so it is the caller's child, not ours.
  bool fork_after_join = false;

  int root_fd = -1;      // O_PATH directory to chroot to, or -1
  int wd_fd = -1;        // O_PATH directory to chdir to, or -1
  std::string wd_in_ns;  // a path to chdir to after the join (nsenter -W); "" : none

  std::vector<std::pair<int, rlimit>> rlimits;  // the target's (--follow)

  // Seccomp programs to load, oldest first. A target without no_new_privs had its filter
  // loaded with CAP_SYS_ADMIN, so it is loaded here before the credentials drop it; with
  // no_new_privs, last, after no_new_privs is set.
  std::vector<std::vector<sock_filter>> seccomp;
  bool seccomp_before_credentials = false;

  CredentialPlan creds;
  std::string exec_label;  // "exec <label>" for /proc/thread-self/attr/exec; "" : none

  const Program* program = nullptr;
  // Tried when `program` does not exist (ENOENT): the default shell /bin/sh inside the target
  // when $SHELL named a shell the target lacks.
  const Program* fallback = nullptr;
};

// Runs every step up to the exec in the calling process: false with *f on failure. Forks when
// the plan says so: then the parent of the fork (the intermediate child) reports the command's
// pid on `report` (stage kEnChildPid) and exits; only the command returns true. `report` may be
// null (exec_in: no fork is planned there).
bool enter_steps(const EnterPlan& plan, ChildReport* report, ChildFailure* f) noexcept;

// Executes the program (and the fallback): returns the errno if neither could be executed.
int enter_exec(const EnterPlan& plan) noexcept;

// The child of spawn_in: the steps, the exec, and a report on failure.
[[noreturn]] void enter_child_main(const EnterPlan& plan, ChildReport& report) noexcept;

// The message for a failed stage: "setns net: Operation not permitted".
Error enter_error(const ChildFailure& f, const EnterPlan& plan);

}  // namespace nsctl::detail
