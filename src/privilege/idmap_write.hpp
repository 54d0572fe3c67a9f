// Writing a user namespace's id maps from outside it: uid_map and gid_map directly, or through
// newuidmap/newgidmap (the setuid helpers of the uidmap package) when an unprivileged caller
// maps subordinate ids, and setgroups before and after. Planned by the parent; the writes
// themselves are async-signal-safe, for a helper process forked before unshare(2) as well as
// for the parent of a clone. One mechanism for unshare, the sandbox and the OCI runtime.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nsctl/base/error.hpp"
#include "privilege/idmap.hpp"
#include "process/child_report.hpp"

namespace nsctl {

// The stages write_id_maps() reports (ChildFailure::stage).
enum IdMapStage : std::int32_t {
  kMapSetgroupsBefore = 100,
  kMapUidOpen,
  kMapUidWrite,
  kMapGidOpen,
  kMapGidWrite,
  kMapSetgroupsAfter,
  kMapNewuidmap,  // err: the helper's wait status, or -errno if it could not run
  kMapNewgidmap,
};

// One map file: text to write, or a helper to run. Both empty: nothing to do.
struct IdMapFile {
  std::string path;  // /proc/PID/uid_map
  std::string text;
  std::string helper;  // newuidmap's path
  std::vector<std::string> helper_args;
  std::vector<char*> helper_argv;  // pointers into helper_args, nullptr-terminated
  bool empty() const { return text.empty() && helper.empty(); }
};

struct IdMapPlan {
  std::string setgroups_path;              // /proc/PID/setgroups
  const char* setgroups_before = nullptr;  // "deny": before the gid map (unprivileged maps)
  const char* setgroups_after = nullptr;   // "allow"/"deny" asked for, after the maps
  IdMapFile uid, gid;
  char* const* envp = nullptr;  // for newuidmap/newgidmap
  bool empty() const { return !setgroups_before && !setgroups_after && uid.empty() && gid.empty(); }
};

// A plan for the namespace of `pid` (a pid as the caller sees it; "self" is fine too as
// `proc_dir`): `uid_map`/`gid_map` as given (empty: none). `helpers`: run newuidmap/newgidmap
// with the ranges instead of writing (an unprivileged caller mapping more than its own id).
// A direct gid map from a caller without CAP_SETGID needs setgroups denied first: pass
// `deny_setgroups`. The plan's argv pointers are final: do not copy it after this.
IdMapPlan plan_id_maps(const std::string& proc_dir, const IdMap& uid_map, const IdMap& gid_map,
                       bool helpers, bool deny_setgroups);

// Writes the plan (setgroups before, uid map, gid map, setgroups after). ENOENT on a setgroups
// file is not an error (kernels before 3.19). Async-signal-safe; false with *f on failure.
bool write_id_maps(const IdMapPlan& plan, ChildFailure* f) noexcept;

// The message for a failure of write_id_maps(): "failed to write /proc/42/uid_map: ...",
// "newuidmap failed", "failed to execute newuidmap (install the uidmap package)".
Error id_map_error(const ChildFailure& f, const IdMapPlan& plan);

// The first `name` on PATH (or /usr/local/bin:/usr/bin:/bin) that is executable; "" if none.
std::string find_program(const char* name);

}  // namespace nsctl
