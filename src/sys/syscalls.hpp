// Raw wrappers for syscalls that glibc 2.36 does not wrap. Each returns -1 with errno set, like
// glibc; callers handle ENOSYS (an older kernel) with a fallback path.
#pragma once

#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "sys/kernel_defs.hpp"

namespace nsctl::sys {

inline long listmount(const MntIdReq* req, std::uint64_t* ids, std::size_t nr, unsigned flags) {
  return ::syscall(kNrListmount, req, ids, nr, flags);
}

inline long statmount(const MntIdReq* req, Statmount* buf, std::size_t bufsize, unsigned flags) {
  return ::syscall(kNrStatmount, req, buf, bufsize, flags);
}

}  // namespace nsctl::sys
