#include "nsctl/ns/ns_id.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <cstdint>

#include "sys/kernel_defs.hpp"

namespace nsctl {

Result<dev_t> nsfs_device() {
  static dev_t cached = 0;
  if (cached != 0) return cached;
  struct stat st {};
  if (::stat("/proc/self/ns/user", &st) != 0) return errno_error("stat /proc/self/ns/user");
  cached = st.st_dev;
  return cached;
}

Result<NsId> ns_id_of(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno_error("fstat");
  return NsId{st.st_dev, st.st_ino};
}

Result<UniqueFd> open_ns_file(int dirfd, const char* path) {
  UniqueFd fd(::openat(dirfd, path, O_RDONLY | O_CLOEXEC));
  if (!fd) return errno_error(path);
  struct statfs sfs {};
  if (::fstatfs(fd.get(), &sfs) != 0) return errno_error(path);
  if (static_cast<std::uint64_t>(sfs.f_type) != NSFS_MAGIC)
    return std::unexpected(Error(EINVAL, std::string(path) + ": not a namespace file"));
  return fd;
}

Result<NsType> ns_type_of(int fd) {
  int flag = ::ioctl(fd, NS_GET_NSTYPE);
  if (flag < 0) return errno_error("NS_GET_NSTYPE");
  auto type = ns_type_from_clone_flag(flag);
  if (!type) return fail(EINVAL, "NS_GET_NSTYPE: unknown namespace type");
  return *type;
}

Result<UniqueFd> ns_owner(int fd) {
  UniqueFd owner(::ioctl(fd, NS_GET_USERNS));
  if (!owner) return errno_error("NS_GET_USERNS");
  // The ioctl's fd is O_CLOEXEC already (the kernel opens it so since 4.9).
  return owner;
}

Result<UniqueFd> ns_parent(int fd) {
  UniqueFd parent(::ioctl(fd, NS_GET_PARENT));
  if (!parent) return errno_error("NS_GET_PARENT");
  return parent;
}

Result<uid_t> ns_owner_uid(int fd) {
  uid_t uid = 0;
  if (::ioctl(fd, NS_GET_OWNER_UID, &uid) != 0) return errno_error("NS_GET_OWNER_UID");
  return uid;
}

Result<std::uint64_t> mntns_id(int fd) {
  __u64 id = 0;
  if (::ioctl(fd, NS_GET_MNTNS_ID, &id) != 0) return errno_error("NS_GET_MNTNS_ID");
  return id;
}

}  // namespace nsctl
