// Seccomp filters: a profile in the shape of the OCI runtime spec's `linux.seccomp` (which is
// also Docker's profile format), the default profile of `nsctl run`, and its compilation to a
// BPF program with libseccomp, so that a child can load it between fork and exec without
// allocating.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nsctl/error.hpp"

namespace nsctl {

// One argument comparison of a rule (OCI: {"index", "value", "valueTwo", "op"}).
struct SeccompArg {
  unsigned index = 0;            // 0..5
  std::uint64_t value = 0;
  std::uint64_t value_two = 0;   // the mask's value for SCMP_CMP_MASKED_EQ
  std::string op;                // "SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",
                                 // "SCMP_CMP_GT", "SCMP_CMP_GE", "SCMP_CMP_MASKED_EQ"
  bool operator==(const SeccompArg&) const = default;
};

// A rule: these syscalls (by name) get `action` when all `args` match.
struct SeccompRule {
  std::vector<std::string> names;
  std::string action;                  // "SCMP_ACT_ERRNO", "SCMP_ACT_ALLOW", "SCMP_ACT_KILL",
                                       // "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_LOG"
  std::optional<std::uint32_t> errno_ret;  // for SCMP_ACT_ERRNO (default EPERM)
  std::vector<SeccompArg> args;
  bool operator==(const SeccompRule&) const = default;
};

struct SeccompProfile {
  std::string default_action = "SCMP_ACT_ALLOW";
  std::optional<std::uint32_t> default_errno_ret;
  // "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", ...; empty: the
  // native one. Syscalls of architectures not listed are killed by the kernel filter.
  std::vector<std::string> architectures;
  std::vector<SeccompRule> syscalls;
  bool operator==(const SeccompProfile&) const = default;
};

// The default of `nsctl run`, in the spirit of Docker's default profile: everything is allowed
// except what reaches outside the sandbox or into the kernel's global state — module loading,
// kexec, reboot, swap, clock setting, mount and namespace creation (unshare, setns, clone with
// CLONE_NEW*; clone3 gets ENOSYS so that libc falls back to clone, whose flags a filter can
// see), keyrings, bpf, perf_event_open, userfaultfd, ptrace of others' memory, kernel
// accounting and the old 32-bit entry points (x86 and x32 syscalls on x86-64). Denied calls
// fail with EPERM.
SeccompProfile default_seccomp_profile();

// Parses a profile from JSON text in the OCI `linux.seccomp` / Docker format. Unknown fields
// are ignored (Docker profiles carry "comment", "includes", ...); `names` may also be given as
// the older single "name". Errors (EINVAL) name the JSON path and the reason:
// "syscalls[3].action: unknown action \"SCMP_ACT_FOO\"".
Result<SeccompProfile> parse_seccomp_profile(std::string_view json_text);

// The BPF program for `profile` (libseccomp 2.5+). Syscall names unknown to libseccomp, or not
// present on an architecture, are skipped as Docker does. Errors name the rule:
// "seccomp: syscalls[2]: argument index 7 out of range".
Result<std::vector<sock_filter>> compile_seccomp(const SeccompProfile& profile);

// Loads a compiled program into the calling thread with seccomp(2) (kernel 3.17+); the caller
// must have no_new_privs set or CAP_SYS_ADMIN. Async-signal-safe, no allocation. Returns 0 or
// the errno.
int load_seccomp(std::span<const sock_filter> program) noexcept;

}  // namespace nsctl
