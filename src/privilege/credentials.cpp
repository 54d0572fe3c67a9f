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

int capset_v3(__user_cap_data_struct (&data)[2]) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  return sys::capset(&header, data);
}

// The highest capability this kernel knows.
int last_cap() {
  static const int last = [] {
    std::string text;
    if (read_file_at(AT_FDCWD, "/proc/sys/kernel/cap_last_cap", text, true))
      if (auto v = parse_decimal(text.substr(0, text.find('\n')))) return static_cast<int>(*v);
    return CAP_LAST_CAP;
  }();
  return last;
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
  } caps[] = {{"CapInh", &c.inheritable},
              {"CapPrm", &c.permitted},
              {"CapEff", &c.effective},
              {"CapBnd", &c.bounding},
              {"CapAmb", &c.ambient}};
  for (auto& cap : caps) {
    NSCTL_ASSIGN_OR_RETURN(std::string_view f, need(cap.name));
    if (!nth_number(f, 0, *cap.out, 16)) return bad(cap.name);
  }
  std::string_view nnp = status_field(status, "NoNewPrivs");
  c.no_new_privs = nnp == "1";
  return c;
}

Result<void> assume_credentials(const Credentials& c) {
  if (::setgroups(c.groups.size(), c.groups.data()) != 0) return errno_error("setgroups");
  // Drop from the bounding set what the target lacks; needs CAP_SETPCAP, so before setuid.
  for (int cap = 0; cap <= last_cap(); ++cap) {
    if (c.bounding & (1ULL << cap)) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      return errno_error("drop capability " + std::to_string(cap) + " from the bounding set");
  }
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return errno_error("PR_SET_KEEPCAPS");
  if (::setresgid(c.gid, c.gid, c.gid) != 0)
    return errno_error("setresgid " + std::to_string(c.gid));
  if (::setresuid(c.uid, c.uid, c.uid) != 0)
    return errno_error("setresuid " + std::to_string(c.uid));
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    data[i].inheritable = static_cast<__u32>(c.inheritable >> (32 * i));
    data[i].permitted = static_cast<__u32>(c.permitted >> (32 * i));
    data[i].effective = static_cast<__u32>(c.effective >> (32 * i));
  }
  if (capset_v3(data) != 0) return errno_error("capset");
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
    return errno_error("clear ambient capabilities");
  for (int cap = 0; cap <= last_cap(); ++cap) {
    if (!(c.ambient & (1ULL << cap))) continue;
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
      return errno_error("raise ambient capability " + std::to_string(cap));
  }
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return errno_error("PR_SET_KEEPCAPS");
  if (c.no_new_privs && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return errno_error("PR_SET_NO_NEW_PRIVS");
  return {};
}

namespace {

// capabilities(7), in number order: kCapNames[n] is capability n.
constexpr std::string_view kCapNames[] = {"CAP_CHOWN",
                                          "CAP_DAC_OVERRIDE",
                                          "CAP_DAC_READ_SEARCH",
                                          "CAP_FOWNER",
                                          "CAP_FSETID",
                                          "CAP_KILL",
                                          "CAP_SETGID",
                                          "CAP_SETUID",
                                          "CAP_SETPCAP",
                                          "CAP_LINUX_IMMUTABLE",
                                          "CAP_NET_BIND_SERVICE",
                                          "CAP_NET_BROADCAST",
                                          "CAP_NET_ADMIN",
                                          "CAP_NET_RAW",
                                          "CAP_IPC_LOCK",
                                          "CAP_IPC_OWNER",
                                          "CAP_SYS_MODULE",
                                          "CAP_SYS_RAWIO",
                                          "CAP_SYS_CHROOT",
                                          "CAP_SYS_PTRACE",
                                          "CAP_SYS_PACCT",
                                          "CAP_SYS_ADMIN",
                                          "CAP_SYS_BOOT",
                                          "CAP_SYS_NICE",
                                          "CAP_SYS_RESOURCE",
                                          "CAP_SYS_TIME",
                                          "CAP_SYS_TTY_CONFIG",
                                          "CAP_MKNOD",
                                          "CAP_LEASE",
                                          "CAP_AUDIT_WRITE",
                                          "CAP_AUDIT_CONTROL",
                                          "CAP_SETFCAP",
                                          "CAP_MAC_OVERRIDE",
                                          "CAP_MAC_ADMIN",
                                          "CAP_SYSLOG",
                                          "CAP_WAKE_ALARM",
                                          "CAP_BLOCK_SUSPEND",
                                          "CAP_AUDIT_READ",
                                          "CAP_PERFMON",
                                          "CAP_BPF",
                                          "CAP_CHECKPOINT_RESTORE"};
static_assert(std::size(kCapNames) == 41);

}  // namespace

std::optional<int> capability_from_name(std::string_view name) {
  constexpr std::string_view kPrefix = "CAP_";
  // "cap_net_raw" and "net_raw" alike; the prefix alone is no name.
  if (name.size() > kPrefix.size() && iequals(name.substr(0, kPrefix.size()), kPrefix))
    name.remove_prefix(kPrefix.size());
  if (name.empty()) return std::nullopt;
  for (std::size_t i = 0; i < std::size(kCapNames); ++i)
    if (iequals(name, kCapNames[i].substr(kPrefix.size()))) return static_cast<int>(i);
  return std::nullopt;
}

std::string capability_name(int cap) {
  if (cap >= 0 && static_cast<std::size_t>(cap) < std::size(kCapNames))
    return std::string(kCapNames[cap]);
  return "CAP_" + std::to_string(cap);
}

// CAP_LAST_CAP of the 6.1 headers nsctl builds with is 40 (CAP_CHECKPOINT_RESTORE).
int last_capability() { return last_cap(); }

}  // namespace nsctl
