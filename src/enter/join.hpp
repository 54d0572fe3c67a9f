// What entering starts from: the target process (held by a pidfd) and the namespace fds to
// join, each opened and checked before anything changes.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "nsctl/base/error.hpp"
#include "nsctl/base/fd.hpp"
#include "nsctl/ns/ns_id.hpp"
#include "nsctl/ns/ns_type.hpp"

namespace nsctl {

// A process nsctl acts on: held by a pidfd from the first moment, so that a recycled pid
// cannot redirect what follows, with its /proc directory open.
struct Target {
  pid_t pid = 0;
  UniqueFd pidfd;
  UniqueFd proc_dir;  // /proc/PID
};

// Opens the target: pidfd_open (5.3+), then /proc/PID, then checks the pidfd still names a
// live process (so the directory is that process's). With `pidfs_ino`, the pidfd's inode
// (unique per process on 6.9+, what nsenter's PID:inode form and getino(1) use) must match.
// Errors: "pid N: no such process" (ESRCH), "pid N: a kernel thread has no namespaces to
// enter" (EINVAL), "pid N: inode I does not match (the pid was reused?)" (ESRCH).
Result<Target> open_target(pid_t pid, std::optional<std::uint64_t> pidfs_ino = std::nullopt);

// Checks that the target is still alive (pidfd_send_signal with signal 0): after reading
// through /proc/PID, this proves the files read were the target's.
Result<void> check_alive(const Target& target);

// The target's namespace of `type`; with `for_children`, its pid_for_children or
// time_for_children (other types have no such link: EINVAL). Errors name the link.
Result<UniqueFd> target_namespace(const Target& target, NsType type, bool for_children = false);

// The network namespace of the target's socket `fd` (pidfd_getfd 5.6+, SIOCGSKNS). Errors:
// "pid N: fd F: Bad file descriptor", "pid N: fd F: not a socket".
Result<UniqueFd> socket_namespace(const Target& target, int fd);

// An nsfs file given by the user (/run/netns/blue, /proc/PID/ns/mnt, a bind mount), checked to
// be a namespace of `type`. Errors: "<path>: not a namespace file", "<path>: a uts namespace,
// not net".
Result<UniqueFd> namespace_file(const std::string& path, NsType type);

// The identity of the caller's own namespace of `type`; nullopt if it cannot be read.
std::optional<NsId> own_namespace(NsType type);

}  // namespace nsctl
