// A process's identity and privilege — uid, gid, groups, the five capability sets and
// no_new_privs — read from /proc/PID/status and taken on by the caller (`enter --follow`).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nsctl/base/error.hpp"

namespace nsctl {

struct Credentials {
  uid_t uid = 0;  // real, effective, saved and fs are all set to these
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::uint64_t inheritable = 0, permitted = 0, effective = 0, bounding = 0, ambient = 0;
  bool no_new_privs = false;
};

// Parses the Uid, Gid (effective field), Groups, Cap{Inh,Prm,Eff,Bnd,Amb} and NoNewPrivs lines
// of /proc/PID/status. Errors name the missing or malformed line.
Result<Credentials> parse_status_credentials(std::string_view status);

// Makes the calling process have `c`, in the order the kernel allows: supplementary groups,
// bounding set (drops need CAP_SETPCAP), gid and uid with PR_SET_KEEPCAPS so permitted
// capabilities survive, then the inheritable/permitted/effective sets (capset), the ambient
// set, and no_new_privs last. After execve the kernel recomputes the sets from these as it did
// for the target's own exec. Errors name the step: "setresuid 1000: Operation not permitted".
Result<void> assume_credentials(const Credentials& c);

// Capability names as capabilities(7) spells them: "CAP_NET_RAW", also "net_raw" and
// "NET_RAW" (any case) -> 13; nullopt for an unknown name.
std::optional<int> capability_from_name(std::string_view name);
// 13 -> "CAP_NET_RAW"; a number past the table -> "CAP_41".
std::string capability_name(int cap);
// The highest capability the running kernel knows (/proc/sys/kernel/cap_last_cap); 40 when it
// cannot be read.
int last_capability();

}  // namespace nsctl
