// Raw wrappers for syscalls that glibc 2.36 does not wrap. Each returns -1 with errno set, like
// glibc; callers handle ENOSYS (an older kernel) with a fallback path.
#pragma once

#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "sys/kernel_defs.hpp"

namespace nsctl::sys {

// glibc 2.36 declares pidfd_open/pidfd_getfd in <sys/pidfd.h> without extern "C", so C++
// cannot link against them: call the kernel directly. Both return an O_CLOEXEC fd (5.3, 5.6).
inline int pidfd_open(pid_t pid, unsigned flags) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, flags));
}
inline int pidfd_getfd(int pidfd, int targetfd, unsigned flags) {
  return static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, targetfd, flags));
}

inline long listmount(const MntIdReq* req, std::uint64_t* ids, std::size_t nr, unsigned flags) {
  return ::syscall(kNrListmount, req, ids, nr, flags);
}

inline long statmount(const MntIdReq* req, Statmount* buf, std::size_t bufsize, unsigned flags) {
  return ::syscall(kNrStatmount, req, buf, bufsize, flags);
}

}  // namespace nsctl::sys
