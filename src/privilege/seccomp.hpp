// Seccomp filters: a profile in the shape of the OCI runtime spec's `linux.seccomp` (which is
// also Docker's profile format), the default profile of `nsctl run`, and its compilation to a
// BPF program with libseccomp, so that a child can load it between fork and exec without
// allocating.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nsctl/base/error.hpp"

namespace nsctl {

// One argument comparison of a rule (OCI: {"index", "value", "valueTwo", "op"}).
struct SeccompArg {
  unsigned index = 0;           // 0..5
  std::uint64_t value = 0;      // for SCMP_CMP_MASKED_EQ: the mask
  std::uint64_t value_two = 0;  // for SCMP_CMP_MASKED_EQ: what (argument & mask) must equal
  std::string op;               // "SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",
                                // "SCMP_CMP_GT", "SCMP_CMP_GE", "SCMP_CMP_MASKED_EQ"
  bool operator==(const SeccompArg&) const = default;
};

// A rule: these syscalls (by name) get `action` when all `args` match.
struct SeccompRule {
  std::vector<std::string> names;
  std::string action;                      // "SCMP_ACT_ERRNO", "SCMP_ACT_ALLOW", "SCMP_ACT_KILL",
                                           // "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                                           // "SCMP_ACT_TRAP", "SCMP_ACT_LOG", "SCMP_ACT_TRACE"
  std::optional<std::uint32_t> errno_ret;  // for SCMP_ACT_ERRNO (default EPERM), 0..4095
  std::vector<SeccompArg> args;
  bool operator==(const SeccompRule&) const = default;
};

struct SeccompProfile {
  std::string default_action = "SCMP_ACT_ALLOW";
  std::optional<std::uint32_t> default_errno_ret;
  // "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", ...; empty: the
  // native one, which is always included. A syscall from an architecture not listed kills the
  // process.
  std::vector<std::string> architectures;
  std::vector<SeccompRule> syscalls;
  bool operator==(const SeccompProfile&) const = default;
};

// The default of `nsctl run`, in the spirit of Docker's default profile: everything is allowed
// except what reaches outside the sandbox or into the kernel's global state — module loading,
// kexec, reboot, swap, clock setting, mount and namespace creation (unshare, setns, clone with
// CLONE_NEW*; clone3 gets ENOSYS so that libc falls back to clone, whose flags a filter can
// see), keyrings, bpf, perf_event_open, userfaultfd, io_uring, ptrace and other processes'
// memory, file handles (open_by_handle_at), kernel accounting, and personality values other
// than the five Docker allows (so ASLR stays on). On x86-64 the x86 (int 0x80) and x32 entry
// points get the same rules, so 32-bit programs run and neither ABI is a way around them.
// Denied calls fail with EPERM. Syscalls newer than libseccomp's table (Debian's 2.5.4: 6.7)
// cannot be named, so they stay allowed.
SeccompProfile default_seccomp_profile();

// Parses a profile from JSON text in the OCI `linux.seccomp` / Docker format. Unknown fields
// are ignored (Docker profiles carry "comment", "includes", ...); `names` may also be given as
// the older single "name". Docker's conditions ("includes"/"excludes": caps, arches,
// minKernel) are not evaluated, so every conditional rule of a Docker profile applies: with an
// ERRNO default that allows what Docker allows only with CAP_SYS_ADMIN. Numbers must be
// unsigned integers that fit (errnoRet 0..4095, index 0..5); nesting deeper than 32 levels or
// text past 16 MiB is refused. SCMP_ACT_NOTIFY is refused (nsctl has no seccomp agent).
// Errors (EINVAL) name the JSON path and the reason:
// "syscalls[3].action: unknown action \"SCMP_ACT_FOO\"".
Result<SeccompProfile> parse_seccomp_profile(std::string_view json_text);

// The BPF program for `profile` (libseccomp 2.5+). Syscall names unknown to libseccomp, or not
// present on an architecture, are skipped as Docker does; so is a rule whose action is the
// default one. libseccomp allows one comparison per argument index in a rule. Errors (EINVAL,
// or libseccomp's errno; E2BIG past the kernel's 4096 instructions) name the rule:
// "seccomp: syscalls[2]: argument index 7 out of range (0..5)".
Result<std::vector<sock_filter>> compile_seccomp(const SeccompProfile& profile);

// Loads a compiled program into the calling thread with seccomp(2) (kernel 3.17+); the caller
// must have no_new_privs set or CAP_SYS_ADMIN. Async-signal-safe, no allocation. Returns 0 or
// the errno.
int load_seccomp(std::span<const sock_filter> program) noexcept;

// The seccomp filters of process `pid`, oldest first (the order to load them in to get the
// same filtering), read with PTRACE_SECCOMP_GET_FILTER (kernel 4.4+): the process is
// ptrace-stopped for the moment of the read. Needs CAP_SYS_ADMIN in the initial user
// namespace and ptrace access to the process. Errors: "pid 42: read its seccomp filter:
// ptrace: Operation not permitted".
Result<std::vector<std::vector<sock_filter>>> read_seccomp_filters(pid_t pid);

}  // namespace nsctl
