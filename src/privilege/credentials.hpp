// A process's identity and privilege — uid, gid, groups, the five capability sets and
// no_new_privs: read from /proc/PID/status, and taken on by a process that nsctl starts. One
// mechanism (apply_credentials) for the sandbox's init, unshare's child and enter's child.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nsctl/base/error.hpp"
#include "process/child_report.hpp"

namespace nsctl {

// The five capability sets; bit N is capability N.
struct CapSets {
  std::uint64_t inheritable = 0, permitted = 0, effective = 0, bounding = 0, ambient = 0;
  bool operator==(const CapSets&) const = default;
};

// What /proc/PID/status says of a process's identity, in the reader's user namespace.
struct Credentials {
  uid_t uid = 0;  // the effective ids
  gid_t gid = 0;
  std::vector<gid_t> groups;
  CapSets caps;
  bool no_new_privs = false;
  int seccomp_mode = 0;  // 0 none, 1 strict, 2 filter
};

// Parses the Uid, Gid (effective field), Groups, Cap{Inh,Prm,Eff,Bnd,Amb}, NoNewPrivs and
// Seccomp lines of /proc/PID/status. Errors name the missing or malformed line.
Result<Credentials> parse_status_credentials(std::string_view status);

// The stages apply_credentials() reports (ChildFailure::stage).
enum CredentialStage : std::int32_t {
  kCredGroups = 900,
  kCredBounding,
  kCredKeepCaps,
  kCredGid,
  kCredUid,
  kCredCapset,
  kCredAmbient,
  kCredNoNewPrivs,
};
inline bool is_credential_stage(std::int32_t stage) {
  return stage >= kCredGroups && stage <= kCredNoNewPrivs;
}

// The credentials a process takes on before exec, planned beforehand (no allocation when
// applied). Steps run in the order the kernel allows: groups, bounding set (dropping needs
// CAP_SETPCAP), PR_SET_KEEPCAPS so that the permitted set survives the uid change, gid, uid,
// then inheritable/permitted/effective (capset), the ambient set, and no_new_privs last.
struct CredentialPlan {
  bool set_groups = false;
  std::vector<gid_t> groups;
  bool groups_may_fail = false;  // EPERM is fine (a user namespace with setgroups denied)
  bool set_gid = false;
  gid_t gid = 0;  // real, effective, saved and fs
  bool set_uid = false;
  uid_t uid = 0;
  bool set_caps = false;  // `caps` replaces all five sets (the bounding set only shrinks)
  CapSets caps;
  bool keep_caps = false;  // keep the permitted set across the uid change (nsenter --keep-caps)
  // What is permitted after the uid change becomes inheritable and ambient too, so that it
  // survives exec (unshare --keep-caps).
  bool ambient_from_permitted = false;
  bool no_new_privs = false;
  int last_cap = 40;  // last_capability(), read by the planner
};

// Applies the plan to the calling process. Async-signal-safe; false with *f on failure.
bool apply_credentials(const CredentialPlan& plan, ChildFailure* f) noexcept;

// What a failed stage was doing, for messages: "setresuid 1000", "capset".
std::string credential_step(const ChildFailure& f, const CredentialPlan& plan);

}  // namespace nsctl
