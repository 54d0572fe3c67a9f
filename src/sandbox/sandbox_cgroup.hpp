// Resource limits for one sandbox: a cgroup that nsctl creates, fills and removes. Uses cgroup
// v2 for each controller the v2 hierarchy offers and the v1 hierarchy of that controller
// otherwise (hybrid systems mount memory, pids and cpu as v1 and an almost empty v2).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nsctl/base/error.hpp"

namespace nsctl {

// OCI linux.resources: memory.limit, pids.limit, cpu.quota/cpu.period. For each value -1
// means "unlimited" (written as "max" or -1, as the file spells it); other negative values are
// refused with EINVAL before anything is created. Values the kernel refuses (a period under
// 1 ms or over 1 s, pids above PID_MAX_LIMIT) fail in create() with the file named.
struct CgroupLimits {
  std::optional<std::int64_t> memory_bytes;    // hard limit; swap is limited to the same total
  std::optional<std::int64_t> pids;            // most tasks (processes and threads) at once
  std::optional<std::int64_t> cpu_quota_us;    // CPU time per period
  std::optional<std::uint64_t> cpu_period_us;  // default 100000
  bool empty() const { return !memory_bytes && !pids && !cpu_quota_us; }
  bool operator==(const CgroupLimits&) const = default;
};

// One cgroup per hierarchy that serves a limited controller, named `name` under the caller's
// own cgroup in that hierarchy (/proc/self/cgroup). Move-only; the destructor removes what is
// left (remove()).
class SandboxCgroup {
 public:
  SandboxCgroup() = default;
  SandboxCgroup(SandboxCgroup&&) noexcept;
  SandboxCgroup& operator=(SandboxCgroup&&) noexcept;
  SandboxCgroup(const SandboxCgroup&) = delete;
  SandboxCgroup& operator=(const SandboxCgroup&) = delete;
  ~SandboxCgroup();

  // Creates the directories and writes the limits: v2 memory.max (and memory.swap.max 0: the
  // limit is RAM + swap, OCI's memory.swap == memory.limit), pids.max, cpu.max; v1
  // memory.limit_in_bytes then memory.memsw.limit_in_bytes (same value), pids.max,
  // cpu.cfs_period_us then cpu.cfs_quota_us. The swap files are skipped where swap accounting
  // is off. On v2 it enables the controller in the caller's cgroup's cgroup.subtree_control if
  // needed, and leaves it enabled; the kernel refuses that (EBUSY, explained in the message)
  // when the caller's cgroup is not the root, since the caller's own process sits in it: on
  // v2, run nsctl in the root cgroup or in one whose processes live in leaves below it.
  // Errors, each naming the file: EEXIST when `name` exists in a hierarchy ("cgroup
  // /sys/fs/cgroup/pids/nsctl-42: File exists"; the existing directory is left alone), the
  // kernel's errno for a refused value ("cgroup /sys/fs/cgroup/memory/nsctl-42/
  // memory.limit_in_bytes: Invalid argument"), EACCES/EPERM. On any failure the directories
  // this call made are removed. ENOTSUP "cgroup: no hierarchy has the pids controller" for a
  // controller no mounted hierarchy offers; EINVAL for a `name` that is not one path
  // component. Empty limits create nothing. Kernel: v1 any; v2 4.15 (cpu.max).
  static Result<SandboxCgroup> create(const CgroupLimits& limits, std::string_view name);

  // Moves `pid` (the whole process) into every directory (cgroup.procs), in order; on an error
  // it may already be in the earlier ones. Errors name the file ("cgroup <dir>/cgroup.procs: No
  // such process").
  Result<void> add(pid_t pid) const;

  // Removes the directories, last created first. A cgroup whose last process is exiting can
  // still be busy for a moment (EBUSY): this retries for up to a second in all. A directory
  // already gone counts as removed. Idempotent: paths() keeps only what could not be removed
  // (the first such error is returned, e.g. EBUSY while processes remain), for a later call.
  Result<void> remove();

  // The directories, e.g. {"/sys/fs/cgroup/memory/nsctl-42", "/sys/fs/cgroup/pids/nsctl-42"}:
  // one per hierarchy used (controllers in one hierarchy share it), empty after remove().
  const std::vector<std::string>& paths() const { return paths_; }

 private:
  std::vector<std::string> paths_;
};

}  // namespace nsctl
