// Namespaces held by mounts: bind mounts of nsfs files (e.g. /run/netns/NAME), read from any
// mount namespace — also one that no process is in, only an fd holds.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "nsctl/base/error.hpp"
#include "nsctl/ns/ns_type.hpp"

namespace nsctl {

// One nsfs mount: a namespace that stays alive because its file is mounted somewhere.
struct NsfsMountEntry {
  // As seen inside that mount namespace (any byte but NUL). From listmount: relative to the
  // caller's root in its own namespace, to the root mount ("/") in another; empty for a mount
  // not reachable from there (which mountinfo omits).
  std::string mount_point;
  NsType type = NsType::net;  // from the mount's root, "net:[4026532281]"
  ino_t ino = 0;              // the namespace's inode (on the nsfs device, see nsfs_device())
  bool operator==(const NsfsMountEntry&) const = default;
};

// The nsfs mounts of the mount namespace behind `mntns_fd` (an nsfs fd of a mount namespace,
// e.g. /proc/PID/ns/mnt), in mount-id order, read with listmount(2) + statmount(2) without
// entering the namespace. Needs CAP_SYS_ADMIN over the namespace's owning user namespace.
//
// Kernel: 6.18+ takes `mntns_fd` itself (mnt_id_req.mnt_ns_fd); 6.10..6.17 take its 64-bit id
// (NS_GET_MNTNS_ID). The form that works is remembered for the process. Errors:
//   ENOSYS, EINVAL or E2BIG from "listmount": the kernel is older than 6.10 — fall back to
//     /proc/PID/mountinfo (nsfs_mounts_from_mountinfo) through a process in the namespace;
//   EINVAL "not a mount namespace" when `mntns_fd` is another namespace type or no nsfs file;
//   EPERM/ENOENT from listmount/statmount when the caller lacks the privilege.
// Mounts that disappear while being read are skipped.
Result<std::vector<NsfsMountEntry>> list_nsfs_mounts(int mntns_fd);

// The same from the text of a /proc/PID/mountinfo (the fallback, and the path when a process
// is in the namespace): the lines with filesystem type "nsfs" whose root names a namespace.
// Other lines are not parsed at all, so a malformed one that is not nsfs costs nothing; a
// malformed nsfs line is skipped.
std::vector<NsfsMountEntry> nsfs_mounts_from_mountinfo(std::string_view mountinfo_text);

}  // namespace nsctl
