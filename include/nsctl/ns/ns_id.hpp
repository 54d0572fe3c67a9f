// Namespace identity and the NS_GET_* ioctls of ioctl_ns(2).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>

#include "nsctl/base/error.hpp"
#include "nsctl/base/fd.hpp"
#include "nsctl/ns/ns_type.hpp"

namespace nsctl {

// A namespace is identified by (st_dev, st_ino) of its nsfs file.
struct NsId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const NsId&) const = default;
  explicit operator bool() const { return ino != 0; }
};

struct NsIdHash {
  std::size_t operator()(const NsId& id) const noexcept {
    return std::hash<ino_t>{}(id.ino) ^ (std::hash<dev_t>{}(id.dev) << 1);
  }
};

// The device of the nsfs filesystem: every namespace lives on it, so an inode read from a
// "net:[4026531840]" link plus this device is a full identity. Errors: those of stat(2) on
// /proc/self/ns/user (cached after the first success).
Result<dev_t> nsfs_device();

// The identity of the namespace an nsfs fd refers to. Errors: EBADF; EINVAL if not nsfs.
Result<NsId> ns_id_of(int fd);

// Opens an nsfs file (O_RDONLY | O_CLOEXEC) and checks that it is one: a regular file or
// directory there gives EINVAL "not a namespace file". Kernel 3.8+.
Result<UniqueFd> open_ns_file(int dirfd, const char* path);

// NS_GET_NSTYPE (4.11+): the type of the namespace behind `fd`.
Result<NsType> ns_type_of(int fd);

// NS_GET_USERNS (4.9+): an fd for the user namespace owning the namespace behind `fd`.
// EPERM when the owner is outside the caller's user namespace.
Result<UniqueFd> ns_owner(int fd);

// NS_GET_PARENT (4.9+): an fd for the parent of a pid or user namespace. EPERM at the
// caller's own ancestor boundary (or the initial namespace); EINVAL for other types.
Result<UniqueFd> ns_parent(int fd);

// NS_GET_OWNER_UID (4.11+): the uid of the creator of a user namespace, in the caller's view.
Result<uid_t> ns_owner_uid(int fd);

// NS_GET_MNTNS_ID (6.8+): the 64-bit id of a mount namespace, as listmount(2) takes it.
Result<std::uint64_t> mntns_id(int fd);

}  // namespace nsctl
