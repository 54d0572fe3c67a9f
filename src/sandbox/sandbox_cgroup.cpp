#include "sandbox/sandbox_cgroup.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "nsctl/base/fd.hpp"
#include "proc/cgroup_paths.hpp"
#include "proc/proc.hpp"

namespace nsctl {
namespace {

Result<std::string> read_text(const std::string& path) {
  std::string out;
  if (auto r = read_file_at(AT_FDCWD, path.c_str(), out); !r)
    return std::unexpected(r.error().with_context("cgroup"));
  return out;
}

// One write of the whole value: cgroup files take a value per write(2) and report a rejected
// value as that write's errno.
Result<void> write_text(const std::string& path, std::string_view value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return errno_error("cgroup " + path);
  ssize_t n = ::write(fd.get(), value.data(), value.size());
  if (n < 0) return errno_error("cgroup " + path);
  if (static_cast<std::size_t>(n) != value.size()) return fail(EIO, "cgroup " + path);
  return {};
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// OCI's -1 ("unlimited") as the v2 files and pids.max spell it; v1 memory and cfs_quota_us
// take -1 itself.
std::string max_or(std::int64_t v) { return v == -1 ? "max" : std::to_string(v); }

// One directory to create: the caller's cgroup in one hierarchy and the limited controllers
// that hierarchy serves.
struct Placement {
  bool v2 = false;
  std::string parent;  // the caller's cgroup directory
  int hierarchy = 0;   // /proc/self/cgroup's hierarchy id (0 for v2)
  std::vector<std::string_view> controllers;
};

// Decides, per controller, which hierarchy serves it. A controller is bound to exactly one
// hierarchy, so "v2 if v2 has it, else the v1 one" never has two candidates.
Result<std::vector<Placement>> plan(const std::vector<std::string_view>& wanted) {
  NSCTL_ASSIGN_OR_RETURN(std::string cgroup_text, read_text("/proc/self/cgroup"));
  NSCTL_ASSIGN_OR_RETURN(std::string mountinfo_text, read_text("/proc/self/mountinfo"));
  std::vector<CgroupLine> lines = parse_cgroup(cgroup_text);
  auto parsed = parse_mountinfo(mountinfo_text);
  if (!parsed) return std::unexpected(parsed.error().with_context("cgroup: /proc/self/mountinfo"));
  const std::vector<MountInfo>& mounts = *parsed;

  // The v2 hierarchy: the caller's cgroup there and the controllers it can hand to children
  // (its cgroup.controllers), and what the whole hierarchy has (the mount's cgroup.controllers)
  // to tell "v2 has it but not here" from "v2 does not have it".
  std::optional<std::string> v2_dir;
  std::string v2_here;
  std::string v2_root;
  for (const CgroupLine& line : lines) {
    if (line.hierarchy != 0 || !line.controllers.empty()) continue;
    for (const MountInfo& m : mounts) {
      if (m.fs_type != "cgroup2") continue;
      v2_dir = cgroup_dir_in_mount(m, line.path);
      if (!v2_dir) continue;
      NSCTL_ASSIGN_OR_RETURN(v2_here, read_text(*v2_dir + "/cgroup.controllers"));
      NSCTL_ASSIGN_OR_RETURN(v2_root, read_text(m.mount_point + "/cgroup.controllers"));
      break;
    }
    break;
  }

  std::vector<Placement> out;
  auto place = [&](bool v2, const std::string& parent, int hierarchy, std::string_view c) {
    for (Placement& p : out) {
      if (p.v2 == v2 && p.hierarchy == hierarchy) {
        p.controllers.push_back(c);
        return;
      }
    }
    out.push_back({v2, parent, hierarchy, {c}});
  };

  for (std::string_view c : wanted) {
    if (v2_dir && has_token(v2_here, ' ', c)) {
      place(true, *v2_dir, 0, c);
      continue;
    }
    if (v2_dir && has_token(v2_root, ' ', c)) {
      // Bound to v2 (so no v1 hierarchy can have it) but not passed down to our cgroup:
      // enabling it on the way down would change cgroups that are not ours.
      return fail(ENOTSUP, fmt::format("cgroup: the {} controller is not enabled for {} "
                                       "(cgroup.subtree_control of its parent)",
                                       c, *v2_dir));
    }
    bool found = false;
    for (const CgroupLine& line : lines) {
      if (line.hierarchy == 0 || !has_token(line.controllers, ',', c)) continue;
      for (const MountInfo& m : mounts) {
        if (m.fs_type != "cgroup" || !has_token(m.super_options, ',', c)) continue;
        if (auto dir = cgroup_dir_in_mount(m, line.path)) {
          place(false, *dir, line.hierarchy, c);
          found = true;
          break;
        }
      }
      break;
    }
    if (!found) return fail(ENOTSUP, fmt::format("cgroup: no hierarchy has the {} controller", c));
  }
  return out;
}

// Lets the children of the caller's v2 cgroup use `controller`.
//
// cgroup v2 lets a cgroup other than the root hand controllers to its children only while it
// holds no processes itself (the no-internal-processes rule; the kernel answers EBUSY), and the
// caller's own cgroup always holds the caller. So this works when the caller runs in the
// hierarchy's root cgroup, which the rule exempts (a cgroup namespace's root is not). Elsewhere
// we stop with EBUSY and say why, and move nobody: the way out — every process of that cgroup
// into a leaf below it, as systemd's delegation asks of a supervisor — would move processes
// this library did not start (the shell that ran nsctl, at least) and change the caller's own
// accounting. The controller stays enabled on removal: another sandbox under the same cgroup
// may be using it.
Result<void> enable_v2(const std::string& parent, std::string_view controller) {
  std::string file = parent + "/cgroup.subtree_control";
  NSCTL_ASSIGN_OR_RETURN(std::string enabled, read_text(file));
  if (has_token(enabled, ' ', controller)) return {};
  auto r = write_text(file, fmt::format("+{}", controller));
  if (!r && r.error().code() == EBUSY) {
    return std::unexpected(
        Error(EBUSY, fmt::format("{} (cgroup v2 passes {} to child cgroups only from the root or a "
                                 "cgroup without processes, and {} holds nsctl itself)",
                                 r.error().message(), controller, parent)));
  }
  return r;
}

// Writes the limits of one directory, in the order the kernel's checks need.
Result<void> write_limits(const Placement& p, const std::string& dir, const CgroupLimits& l) {
  bool memory = std::ranges::find(p.controllers, "memory") != p.controllers.end();
  bool pids = std::ranges::find(p.controllers, "pids") != p.controllers.end();
  bool cpu = std::ranges::find(p.controllers, "cpu") != p.controllers.end();
  const std::uint64_t period = l.cpu_period_us.value_or(100000);
  if (p.v2) {
    if (memory) {
      NSCTL_TRY(write_text(dir + "/memory.max", max_or(*l.memory_bytes)));
      // memory.swap.max counts swap alone, where OCI's memory.swap is RAM + swap: the limit is
      // the total, so no swap on top. Absent without swap accounting (CONFIG_MEMCG_SWAP or
      // swapaccount=0), where nothing can be swapped out of the limit anyway.
      std::string swap = dir + "/memory.swap.max";
      if (exists(swap)) NSCTL_TRY(write_text(swap, *l.memory_bytes == -1 ? "max" : "0"));
    }
    if (pids) NSCTL_TRY(write_text(dir + "/pids.max", max_or(*l.pids)));
    if (cpu) {
      NSCTL_TRY(
          write_text(dir + "/cpu.max", fmt::format("{} {}", max_or(*l.cpu_quota_us), period)));
    }
    return {};
  }
  if (memory) {
    const std::string value = std::to_string(*l.memory_bytes);
    NSCTL_TRY(write_text(dir + "/memory.limit_in_bytes", value));
    // memsw is RAM + swap, the same total as the limit (OCI's memory.swap == memory.limit:
    // no swap). It comes second: the kernel refuses memsw below limit_in_bytes, and a new
    // cgroup starts with both unlimited. Absent without swap accounting.
    std::string memsw = dir + "/memory.memsw.limit_in_bytes";
    if (exists(memsw)) NSCTL_TRY(write_text(memsw, value));
  }
  if (pids) NSCTL_TRY(write_text(dir + "/pids.max", max_or(*l.pids)));
  if (cpu) {
    // Period first: the new cgroup's quota is unlimited, so any valid period is accepted, and
    // the quota is then checked (at least 1 ms, within the parent's share) against the period
    // it will run with rather than the default one.
    NSCTL_TRY(write_text(dir + "/cpu.cfs_period_us", std::to_string(period)));
    NSCTL_TRY(write_text(dir + "/cpu.cfs_quota_us", std::to_string(*l.cpu_quota_us)));
  }
  return {};
}

// -1 means unlimited (OCI); other negative values are refused here because the kernel is not
// consistent about them (v1 cpu.cfs_quota_us takes any negative number as unlimited).
Result<void> check_value(std::string_view what, const std::optional<std::int64_t>& v) {
  if (v && *v < -1)
    return invalid(
        fmt::format("cgroup: {} limit {}: must be -1 (unlimited) or at least 0", what, *v));
  return {};
}

}  // namespace

SandboxCgroup::SandboxCgroup(SandboxCgroup&& other) noexcept
    : paths_(std::exchange(other.paths_, {})) {}

SandboxCgroup& SandboxCgroup::operator=(SandboxCgroup&& other) noexcept {
  if (this != &other) {
    (void)remove();
    paths_ = std::exchange(other.paths_, {});
  }
  return *this;
}

SandboxCgroup::~SandboxCgroup() { (void)remove(); }

Result<SandboxCgroup> SandboxCgroup::create(const CgroupLimits& limits, std::string_view name) {
  if (limits.empty()) return SandboxCgroup();
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos ||
      name.find('\0') != std::string_view::npos)
    return invalid(fmt::format("cgroup: bad name \"{}\": must be one path component", name));
  NSCTL_TRY(check_value("memory", limits.memory_bytes));
  NSCTL_TRY(check_value("pids", limits.pids));
  NSCTL_TRY(check_value("cpu quota", limits.cpu_quota_us));

  std::vector<std::string_view> wanted;
  if (limits.memory_bytes) wanted.push_back("memory");
  if (limits.pids) wanted.push_back("pids");
  if (limits.cpu_quota_us) wanted.push_back("cpu");
  NSCTL_ASSIGN_OR_RETURN(std::vector<Placement> placements, plan(wanted));

  // On any error below, `cg` goes out of scope and its destructor removes the directories made
  // so far: only those, since a directory joins paths_ only after our mkdir created it.
  SandboxCgroup cg;
  for (const Placement& p : placements) {
    if (p.v2) {
      // Before mkdir, so the new cgroup has the controllers' files from its start.
      for (std::string_view c : p.controllers) NSCTL_TRY(enable_v2(p.parent, c));
    }
    std::string dir = fmt::format("{}/{}", p.parent, name);
    // EEXIST is an error: the directory may be someone else's, so it is neither used nor
    // removed.
    if (::mkdir(dir.c_str(), 0755) != 0) return errno_error("cgroup " + dir);
    cg.paths_.push_back(dir);
    NSCTL_TRY(write_limits(p, dir, limits));
  }
  return cg;
}

Result<void> SandboxCgroup::add(pid_t pid) const {
  const std::string text = std::to_string(pid);
  for (const std::string& dir : paths_) NSCTL_TRY(write_text(dir + "/cgroup.procs", text));
  return {};
}

Result<void> SandboxCgroup::remove() {
  using Clock = std::chrono::steady_clock;
  // One second in all: a task killed a moment ago still counts until it has finished exiting.
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(1);
  std::optional<Error> first_error;
  std::vector<std::string> left;
  for (auto it = paths_.rbegin(); it != paths_.rend(); ++it) {
    for (;;) {
      if (::rmdir(it->c_str()) == 0 || errno == ENOENT) break;
      int err = errno;
      if (err == EBUSY && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      if (!first_error) first_error = Error::from_errno(err, "cgroup " + *it);
      left.insert(left.begin(), *it);  // kept in creation order for a later retry
      break;
    }
  }
  paths_ = std::move(left);
  if (first_error) return std::unexpected(std::move(*first_error));
  return {};
}

}  // namespace nsctl
