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

// pidfd_send_signal(2), 5.1: signals the process behind a pidfd (no pid reuse race). glibc
// 2.36 has no usable C++ declaration either.
inline int pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

// close_range(2), 5.9 (CLOSE_RANGE_CLOEXEC 5.11). Async-signal-safe.
inline int close_range(unsigned first, unsigned last, unsigned flags) {
  return static_cast<int>(::syscall(SYS_close_range, first, last, flags));
}

// seccomp(2), 3.17: `args` is a struct sock_fprog for SECCOMP_SET_MODE_FILTER.
inline int seccomp(unsigned op, unsigned flags, void* args) {
  return static_cast<int>(::syscall(SYS_seccomp, op, flags, args));
}

// clone3(2), 5.3: like fork() when args->stack is 0 (the child returns 0 on a copy of the
// caller's stack). glibc 2.36 has no wrapper. ENOSYS on older kernels.
inline long clone3(CloneArgs* args) { return ::syscall(SYS_clone3, args, sizeof *args); }

// pivot_root(2): glibc has no wrapper.
inline int pivot_root(const char* new_root, const char* put_old) {
  return static_cast<int>(::syscall(SYS_pivot_root, new_root, put_old));
}

// openat2(2), 5.6: `how` is a struct open_how of <linux/openat2.h>. ENOSYS on older kernels.
inline int openat2(int dirfd, const char* path, void* how, std::size_t size) {
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, how, size));
}

// capget(2)/capset(2): glibc leaves them to libcap. `header` and `data` are the
// __user_cap_header_struct / __user_cap_data_struct[2] of <linux/capability.h>.
inline int capget(void* header, void* data) {
  return static_cast<int>(::syscall(SYS_capget, header, data));
}
inline int capset(void* header, const void* data) {
  return static_cast<int>(::syscall(SYS_capset, header, data));
}

inline long listmount(const MntIdReq* req, std::uint64_t* ids, std::size_t nr, unsigned flags) {
  return ::syscall(kNrListmount, req, ids, nr, flags);
}

inline long statmount(const MntIdReq* req, Statmount* buf, std::size_t bufsize, unsigned flags) {
  return ::syscall(kNrStatmount, req, buf, bufsize, flags);
}

}  // namespace nsctl::sys
