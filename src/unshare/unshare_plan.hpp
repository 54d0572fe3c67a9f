// Private to unshare: the steps that run between clone/fork and exec, and the steps a process
// outside the new namespaces takes for them (id maps, persistence bind mounts). All of it is
// planned by the parent (every string and pointer computed beforehand), so that the code here
// only makes async-signal-safe calls: no allocation, no locks, errors as {stage, errno}.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "privilege/credentials.hpp"
#include "privilege/idmap.hpp"
#include "privilege/idmap_write.hpp"
#include "process/child_report.hpp"
#include "process/exec_plan.hpp"
#include "unshare/unshare.hpp"

namespace nsctl::detail {

// The stages of the child's setup; the parent turns them into unshare's messages.
enum ChildStage : std::int32_t {
  kStageSync = 1,
  kStagePropagation,
  kStageBinfmtEarly,
  kStageInterpDir,
  kStageInterpOpen,
  kStageInterpWrite,
  kStageChroot,
  kStageChdir,
  kStageProcPrivate,
  kStageProcMount,
  kStageBinfmtMount,
  kStagePdeathsig,
  kStageExec,
};

struct ChildPlan {
  int go_fd = -1;        // wait for one byte on it before the setup (-1: do not wait)
  int go_write_fd = -1;  // the parent's end of that pipe: closed first thing in the child
  const sigset_t* old_mask = nullptr;  // restored in the child, if set

  bool new_mount_ns = false;
  unsigned long propagation = 0;  // for "/" (MS_REC | ...), 0: unchanged
  const char* root = nullptr;
  const char* wd = nullptr;
  const char* proc = nullptr;
  bool proc_make_private = false;  // no root and a propagation other than private
  const char* binfmt = nullptr;
  const char* interp = nullptr;     // a binfmt_misc register line
  bool interp_before_root = false;  // "F" flag with a new root: load it from the caller's fs
  CredentialPlan creds;             // -S/-G, --keep-caps

  int pdeath_signal = 0;
  int parent_pidfd = -1;  // for --kill-child: the parent, polled after PR_SET_PDEATHSIG
  pid_t parent_pid = 0;   // checked with getppid() when the child shares the parent's pid ns
  const Program* program = nullptr;
};

// Runs the setup steps in this process; on failure fills *failure and returns false.
bool child_setup(const ChildPlan& plan, ChildFailure* failure) noexcept;

// The whole child: setup, exec, and on failure a report and _exit(1).
[[noreturn]] void child_main(const ChildPlan& plan, ChildReport& report) noexcept;

// What the outside process does for the namespaces of `pid`: the id maps (stages of
// IdMapStage), then the persistence binds.
inline constexpr std::int32_t kStageBind = 200;  // + the index of the bind

struct OutsidePlan {
  IdMapPlan maps;
  struct Bind {
    std::string source;  // /proc/PID/ns/net
    std::string target;
  };
  std::vector<Bind> binds;
  bool has_maps() const { return !maps.empty(); }
};

// Bind-mounts each source on its target; on failure undoes the ones done.
bool outside_binds(const OutsidePlan& plan, ChildFailure* failure) noexcept;
void outside_unbind(const OutsidePlan& plan) noexcept;

// The helper of the unshare(2) path: a child forked before unshare(2), so it stays in the old
// namespaces. It reads commands from `cmd_fd` ('M' maps, 'B' binds, 'U' undo the binds) and
// answers each with a ChildFailure on `reply_fd` (stage 0: done); EOF makes it exit.
[[noreturn]] void helper_main(const OutsidePlan& plan, int cmd_fd, int reply_fd) noexcept;

// --- Planning (unshare_setup.cpp): from a spec to the plans above, and reports to messages ---

Program make_program(const UnshareSpec& spec);
ChildPlan make_child_plan(const UnshareSpec& spec, const Program& prog);

// The range maps after the single mappings are punched in; `external` when they need
// newuidmap/newgidmap.
struct MapSpec {
  IdMap uid_ranges, gid_ranges;  // empty: none
  bool external = false;         // the ranges need newuidmap/newgidmap (not root)
};

// Validates the range maps, and when not root checks them against /etc/subuid and /etc/subgid.
Result<MapSpec> plan_ranges(const UnshareSpec& spec);

// The maps (ranges only with `ranges_only`) and setgroups writes for the namespaces of `pid`.
OutsidePlan make_outside_plan(const UnshareSpec& spec, const MapSpec& maps, pid_t pid,
                              bool ranges_only);
// The persistence binds of /proc/<pid>/ns/*; `for_children`: pid and time through their
// *_for_children links (pid is this process after unshare(2)).
void plan_binds(OutsidePlan& o, const UnshareSpec& spec, pid_t pid, bool for_children);

Error child_error(const ChildFailure& f, const UnshareSpec& spec, const Program& prog);
Error outside_error(const ChildFailure& f, const OutsidePlan& o);

}  // namespace nsctl::detail
