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

#include "nsctl/error.hpp"

namespace nsctl {

// OCI linux.resources: memory.limit, pids.limit, cpu.quota/cpu.period.
struct CgroupLimits {
  std::optional<std::int64_t> memory_bytes;  // hard limit; swap is limited to the same total
  std::optional<std::int64_t> pids;          // most tasks (processes and threads) at once
  std::optional<std::int64_t> cpu_quota_us;  // CPU time per period
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

  // Creates the directories and writes the limits. On v2 it enables the controller in
  // cgroup.subtree_control of the parent if needed. On any failure what was created is removed
  // and the error names the file: "cgroup /sys/fs/cgroup/memory/nsctl-42/memory.limit_in_bytes:
  // Permission denied"; a controller that no hierarchy offers: ENOTSUP "cgroup: no hierarchy
  // has the pids controller". Empty limits create nothing.
  static Result<SandboxCgroup> create(const CgroupLimits& limits, std::string_view name);

  // Moves `pid` into every directory (cgroup.procs). Errors name the file.
  Result<void> add(pid_t pid) const;

  // Removes the directories, deepest first. A cgroup whose last process is exiting can still
  // be busy for a moment (EBUSY): this retries for up to a second. Idempotent.
  Result<void> remove();

  // The directories, e.g. {"/sys/fs/cgroup/memory/nsctl-42", "/sys/fs/cgroup/pids/nsctl-42"}.
  const std::vector<std::string>& paths() const { return paths_; }

 private:
  std::vector<std::string> paths_;
};

}  // namespace nsctl
