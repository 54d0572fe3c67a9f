#include "privilege/capabilities.hpp"

#include <fcntl.h>
#include <linux/capability.h>

#include <iterator>
#include <string>

#include "base/text.hpp"
#include "proc/proc.hpp"

namespace nsctl {

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
