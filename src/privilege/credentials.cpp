#include "privilege/credentials.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "base/text.hpp"
#include "privilege/capabilities.hpp"
#include "proc/proc.hpp"
#include "sys/syscalls.hpp"

namespace nsctl {

namespace {

// The value of "Name:\t..." in a status text, or empty.
std::string_view status_field(std::string_view status, std::string_view name) {
  std::size_t pos = 0;
  while (pos < status.size()) {
    std::size_t eol = status.find('\n', pos);
    std::string_view line = status.substr(pos, eol == std::string_view::npos ? eol : eol - pos);
    if (line.size() > name.size() && line.starts_with(name) && line[name.size()] == ':') {
      line.remove_prefix(name.size() + 1);
      while (!line.empty() && (line.front() == '\t' || line.front() == ' ')) line.remove_prefix(1);
      return line;
    }
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  return {};
}

// The n-th whitespace-separated number of a field.
template <typename T>
bool nth_number(std::string_view field, int n, T& out, int base = 10) {
  for (int i = 0;; ++i) {
    while (!field.empty() && (field.front() == '\t' || field.front() == ' '))
      field.remove_prefix(1);
    if (field.empty()) return false;
    std::size_t end = field.find_first_of(" \t");
    std::string_view word = field.substr(0, end);
    if (i == n) {
      auto [p, ec] = std::from_chars(word.data(), word.data() + word.size(), out, base);
      return ec == std::errc() && p == word.data() + word.size();
    }
    field.remove_prefix(word.size());
  }
}

}  // namespace

Result<Credentials> parse_status_credentials(std::string_view status) {
  Credentials c;
  auto need = [&](std::string_view name) -> Result<std::string_view> {
    std::string_view f = status_field(status, name);
    if (f.empty() && name != "Groups")
      return std::unexpected(Error(EINVAL, "status: no " + std::string(name) + " line"));
    return f;
  };
  auto bad = [](std::string_view name) {
    return std::unexpected(Error(EINVAL, "status: malformed " + std::string(name) + " line"));
  };
  NSCTL_ASSIGN_OR_RETURN(std::string_view uid, need("Uid"));
  if (!nth_number(uid, 1, c.uid)) return bad("Uid");  // the effective uid
  NSCTL_ASSIGN_OR_RETURN(std::string_view gid, need("Gid"));
  if (!nth_number(gid, 1, c.gid)) return bad("Gid");
  std::string_view groups = status_field(status, "Groups");
  for (int i = 0;; ++i) {
    gid_t g = 0;
    if (!nth_number(groups, i, g)) break;
    c.groups.push_back(g);
  }
  struct {
    const char* name;
    std::uint64_t* out;
  } caps[] = {{"CapInh", &c.caps.inheritable},
              {"CapPrm", &c.caps.permitted},
              {"CapEff", &c.caps.effective},
              {"CapBnd", &c.caps.bounding},
              {"CapAmb", &c.caps.ambient}};
  for (auto& cap : caps) {
    NSCTL_ASSIGN_OR_RETURN(std::string_view f, need(cap.name));
    if (!nth_number(f, 0, *cap.out, 16)) return bad(cap.name);
  }
  std::string_view nnp = status_field(status, "NoNewPrivs");
  c.no_new_privs = nnp == "1";
  if (std::string_view mode = status_field(status, "Seccomp"); !mode.empty())
    (void)nth_number(mode, 0, c.seccomp_mode);
  return c;
}

bool apply_credentials(const CredentialPlan& p, ChildFailure* f) noexcept {
  auto has = [](std::uint64_t set, int cap) { return cap < 64 && (set >> cap) & 1; };
  if (p.set_groups && ::setgroups(p.groups.size(), p.groups.data()) != 0 &&
      !(p.groups_may_fail && errno == EPERM))
    return fail_with(f, kCredGroups, errno);
  if (p.set_caps) {
    // The bounding set first: dropping needs CAP_SETPCAP, which the uid change may take away.
    for (int cap = 0; cap <= p.last_cap; ++cap)
      if (!has(p.caps.bounding, cap) && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 &&
          errno != EINVAL)
        return fail_with(f, kCredBounding, errno);
  }
  // Keep the permitted set across the uid change; capset below sets what stays.
  if ((p.set_caps || p.keep_caps) && ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
    return fail_with(f, kCredKeepCaps, errno);
  if (p.set_gid && ::setresgid(p.gid, p.gid, p.gid) != 0) return fail_with(f, kCredGid, errno);
  if (p.set_uid && ::setresuid(p.uid, p.uid, p.uid) != 0) return fail_with(f, kCredUid, errno);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  CapSets caps = p.caps;
  if (p.ambient_from_permitted) {
    // unshare --keep-caps: what is permitted now becomes inheritable and ambient.
    if (sys::capget(&header, data) != 0) return fail_with(f, kCredCapset, errno);
    caps.permitted = data[0].permitted | std::uint64_t{data[1].permitted} << 32;
    caps.effective = data[0].effective | std::uint64_t{data[1].effective} << 32;
    caps.inheritable = caps.ambient = caps.permitted;
  }
  if (p.set_caps || p.ambient_from_permitted) {
    for (int i = 0; i < 2; ++i) {
      data[i].inheritable = static_cast<std::uint32_t>(caps.inheritable >> (32 * i));
      data[i].permitted = static_cast<std::uint32_t>(caps.permitted >> (32 * i));
      data[i].effective = static_cast<std::uint32_t>(caps.effective >> (32 * i));
    }
    if (sys::capset(&header, data) != 0) return fail_with(f, kCredCapset, errno);
    // EINVAL: a kernel without ambient capabilities (before 4.3), which then has none to clear.
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
      return fail_with(f, kCredAmbient, errno);
    for (int cap = 0; cap <= p.last_cap; ++cap)
      if (has(caps.ambient, cap) && ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
        return fail_with(f, kCredAmbient, errno);
  }
  if (p.set_caps && ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
    return fail_with(f, kCredKeepCaps, errno);
  if (p.no_new_privs && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return fail_with(f, kCredNoNewPrivs, errno);
  return true;
}

std::string credential_step(const ChildFailure& f, const CredentialPlan& p) {
  switch (f.stage) {
    case kCredGroups:
      return "setgroups";
    case kCredBounding:
      return "drop capabilities from the bounding set";
    case kCredKeepCaps:
      return "PR_SET_KEEPCAPS";
    case kCredGid:
      return "setresgid " + std::to_string(p.gid);
    case kCredUid:
      return "setresuid " + std::to_string(p.uid);
    case kCredCapset:
      return "capset";
    case kCredAmbient:
      return "set ambient capabilities";
    case kCredNoNewPrivs:
      return "PR_SET_NO_NEW_PRIVS";
    default:
      return "credentials (stage " + std::to_string(f.stage) + ")";
  }
}

}  // namespace nsctl
