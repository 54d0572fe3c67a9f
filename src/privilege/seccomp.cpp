#include "privilege/seccomp.hpp"

#include <fmt/core.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "base/escape.hpp"
#include "nsctl/base/fd.hpp"
#include "sys/syscalls.hpp"

namespace nsctl {

namespace {

constexpr const char* kErrno = "SCMP_ACT_ERRNO";
constexpr const char* kAllow = "SCMP_ACT_ALLOW";

// The kernel clamps a filter's errno to MAX_ERRNO, and libseccomp keeps only the low 16 bits of
// it: a larger errnoRet would silently become a different errno.
constexpr std::uint32_t kMaxErrno = 4095;

// CLONE_NEWTIME (5.6) is newer than some libc headers.
constexpr std::uint64_t kCloneNewTime = 0x00000080;

SeccompRule deny(std::vector<std::string> names, std::vector<SeccompArg> args = {}) {
  return SeccompRule{std::move(names), kErrno, EPERM, std::move(args)};
}

SeccompArg masked_eq(unsigned index, std::uint64_t mask, std::uint64_t value) {
  return SeccompArg{index, mask, value, "SCMP_CMP_MASKED_EQ"};
}

// personality(2) values that stay allowed, as in Docker's profile: PER_LINUX (0), PER_LINUX32
// (8), UNAME26 (0x20000), both (0x20008), and 0xffffffff, which only queries. The rest can turn
// off ASLR (ADDR_NO_RANDOMIZE), map page zero (MMAP_PAGE_ZERO) or make data executable
// (READ_IMPLIES_EXEC).
//
// Docker's default action is ERRNO, so it allows those five values by EQ rules. With an ALLOW
// default the complement has to be denied, and libseccomp accepts only one comparison per
// argument in a rule (a second one is EINVAL), so no rule can say "x != 0 && x != 8". The
// complement is covered by masked-equality cubes instead. The kernel takes the argument as an
// unsigned int, so a value above 32 bits is denied outright (its low half would otherwise slip
// past the rules below on 64-bit arches). For a 32-bit x outside the allowed set: if x is
// neither 0 nor all ones, some maximal run of one bits (cyclically) ends at a bit i with bit i+1
// clear. Rule C_i = "bit i set, bit i+1 clear" for every i except 3 and 17 (the allowed bits)
// catches x unless every run ends at bit 3 or 17; then, since x is not 8, 0x20000 or 0x20008,
// one of those runs is longer than one bit, which D_3 = "bits 2 and 3 set, bit 4 clear" or
// D_17 = "bits 16 and 17 set, bit 18 clear" catches. No rule matches an allowed value: each
// needs a bit outside {3, 17} set, and one bit clear. 33 rules; at least 31 are needed, since no
// single cube can hold two of the one-bit values 1 << i (i not 3 or 17) without also holding 0.
std::vector<SeccompRule> personality_rules() {
  std::vector<SeccompRule> rules;
  rules.push_back(deny({"personality"}, {SeccompArg{0, 0xffffffffULL, 0, "SCMP_CMP_GT"}}));
  for (unsigned i = 0; i < 32; ++i) {
    if (i == 3 || i == 17) continue;
    std::uint64_t bit = 1ULL << i, next = 1ULL << ((i + 1) % 32);
    rules.push_back(deny({"personality"}, {masked_eq(0, bit | next, bit)}));
  }
  for (unsigned i : {3u, 17u}) {
    std::uint64_t run = (1ULL << i) | (1ULL << (i - 1)), next = 1ULL << (i + 1);
    rules.push_back(deny({"personality"}, {masked_eq(0, run | next, run)}));
  }
  return rules;
}

// Syscall names are [A-Za-z0-9_]; anything else cannot name one, and a NUL would cut the
// C string libseccomp reads ("mount\0x" would resolve to mount).
bool plausible_syscall_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

std::optional<std::uint32_t> arch_token(std::string_view name) {
  static constexpr std::pair<std::string_view, std::uint32_t> kArches[] = {
      {"SCMP_ARCH_X86", SCMP_ARCH_X86},
      {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
      {"SCMP_ARCH_X32", SCMP_ARCH_X32},
      {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
      {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
      {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
      {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
      {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
      {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
      {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
      {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
      {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
      {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
      {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
      {"SCMP_ARCH_S390", SCMP_ARCH_S390},
      {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
      {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
      {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
      {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
  };
  for (const auto& [n, token] : kArches)
    if (n == name) return token;
  return std::nullopt;
}

// The libseccomp action for an OCI action name and its errnoRet.
std::optional<std::uint32_t> action_value(std::string_view action,
                                          std::optional<std::uint32_t> errno_ret) {
  if (action == kAllow) return SCMP_ACT_ALLOW;
  if (action == kErrno) return SCMP_ACT_ERRNO(errno_ret.value_or(EPERM));
  if (action == "SCMP_ACT_KILL" || action == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL;
  if (action == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (action == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (action == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  // Without a tracer attached the kernel fails the call with ENOSYS.
  if (action == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(errno_ret.value_or(0));
  return std::nullopt;
}

std::optional<scmp_compare> compare_op(std::string_view op) {
  if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (op == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
  if (op == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
  return std::nullopt;
}

// Releases the libseccomp context on every path out of compile_seccomp.
class FilterCtx {
 public:
  explicit FilterCtx(scmp_filter_ctx ctx) : ctx_(ctx) {}
  FilterCtx(const FilterCtx&) = delete;
  FilterCtx& operator=(const FilterCtx&) = delete;
  ~FilterCtx() {
    if (ctx_ != nullptr) seccomp_release(ctx_);
  }
  scmp_filter_ctx get() const { return ctx_; }

 private:
  scmp_filter_ctx ctx_;
};

Result<std::uint32_t> checked_action(std::string_view action, std::optional<std::uint32_t> err,
                                     std::string_view where) {
  if (err && *err > kMaxErrno && (action == kErrno || action == "SCMP_ACT_TRACE"))
    return invalid(
        fmt::format("seccomp: {}: errnoRet {} out of range (0..{})", where, *err, kMaxErrno));
  auto value = action_value(action, err);
  if (!value)
    return invalid(
        fmt::format("seccomp: {}: unknown action \"{}\"", where, text::printable(action)));
  return *value;
}

Result<void> add_rule(scmp_filter_ctx ctx, std::uint32_t default_action, const SeccompRule& rule,
                      std::size_t i) {
  std::string where = fmt::format("syscalls[{}]", i);
  NSCTL_ASSIGN_OR_RETURN(std::uint32_t action, checked_action(rule.action, rule.errno_ret, where));
  if (rule.args.size() > 6)
    return invalid(
        fmt::format("seccomp: {}: {} argument comparisons (at most 6)", where, rule.args.size()));
  scmp_arg_cmp cmps[6] = {};
  for (std::size_t a = 0; a < rule.args.size(); ++a) {
    const SeccompArg& arg = rule.args[a];
    if (arg.index > 5)
      return invalid(
          fmt::format("seccomp: {}: argument index {} out of range (0..5)", where, arg.index));
    auto op = compare_op(arg.op);
    if (!op)
      return invalid(
          fmt::format("seccomp: {}: unknown operator \"{}\"", where, text::printable(arg.op)));
    // As runc passes them: for MASKED_EQ, `value` is the mask and `valueTwo` what the masked
    // argument must equal; the other operators compare with `value` alone.
    cmps[a] = scmp_arg_cmp{arg.index, *op, arg.value, arg.value_two};
  }
  // libseccomp refuses (EACCES) a rule whose action is the default one; such a rule changes
  // nothing, and Docker-format profiles do carry them, so runc skips them too.
  if (action == default_action) return {};
  for (const std::string& name : rule.names) {
    // Unknown names are skipped as Docker does: a profile lists syscalls of newer kernels and
    // of other architectures. A name not valid for any syscall is unknown too.
    if (!plausible_syscall_name(name)) continue;
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;
    // A name known to libseccomp but missing on the native arch (vm86 on x86-64) resolves to a
    // negative pseudo number, which libseccomp maps onto the other arches of the filter.
    int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(rule.args.size()), cmps);
    if (rc < 0) return fail(-rc, fmt::format("seccomp: {}: {}", where, name));
  }
  return {};
}

// Exports the program through a memfd: libseccomp 2.5 can only write it to an fd
// (seccomp_export_bpf_mem is 2.6).
Result<std::vector<sock_filter>> export_program(scmp_filter_ctx ctx) {
  UniqueFd fd(::memfd_create("nsctl-seccomp", MFD_CLOEXEC));
  if (!fd) return errno_error("seccomp: memfd_create");
  if (int rc = seccomp_export_bpf(ctx, fd.get()); rc < 0) return fail(-rc, "seccomp: export");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error("seccomp: fstat memfd");
  auto size = static_cast<std::size_t>(st.st_size);
  if (size == 0 || size % sizeof(sock_filter) != 0)
    return invalid(fmt::format("seccomp: exported program has {} bytes", size));
  if (size / sizeof(sock_filter) > BPF_MAXINSNS)
    return fail(E2BIG, fmt::format("seccomp: program of {} instructions exceeds the kernel's {}",
                                   size / sizeof(sock_filter), BPF_MAXINSNS));
  std::vector<sock_filter> program(size / sizeof(sock_filter));
  auto* out = reinterpret_cast<char*>(program.data());
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd.get(), out + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("seccomp: read memfd");
    if (n == 0) return invalid("seccomp: exported program is short");
    done += static_cast<std::size_t>(n);
  }
  return program;
}

}  // namespace

SeccompProfile default_seccomp_profile() {
  SeccompProfile p;
  p.default_action = kAllow;
#if defined(__x86_64__)
  // A 64-bit process can still enter the kernel through the i386 table (int 0x80) and the x32
  // one (syscall numbers with bit 30 set). Both get the same rules, so 32-bit programs keep
  // working and neither ABI is a way around them; an arch not listed is killed by the filter.
  p.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
#elif defined(__aarch64__)
  p.architectures = {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
#endif
  // The kernel itself: loading code into it, replacing or stopping it, and its tunables.
  p.syscalls.push_back(
      deny({"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
            "create_module", "get_kernel_syms", "query_module", "reboot", "_sysctl", "syslog",
            "iopl", "ioperm", "vm86", "vm86old", "uselib", "nfsservctl", "lookup_dcookie"}));
  // Machine-wide state a sandbox must not change: swap, the clock, process accounting, quotas.
  p.syscalls.push_back(
      deny({"swapon", "swapoff", "settimeofday", "stime", "clock_settime", "clock_settime64",
            "clock_adjtime", "clock_adjtime64", "adjtimex", "acct", "quotactl", "quotactl_fd"}));
  // Mounts, old and new API: they would reshape the filesystem the sandbox was given.
  p.syscalls.push_back(deny({"mount", "umount", "umount2", "pivot_root", "fsopen", "fsconfig",
                             "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr"}));
  // New or other namespaces: the sandbox's are fixed when it starts.
  p.syscalls.push_back(deny({"unshare", "setns"}));
  // Kernel facilities with a history of privilege escalations, or global in scope: keyrings
  // (not namespaced), eBPF, perf events, userfaultfd (stalls kernel code at will), io_uring
  // (Docker blocks it too), fanotify (watches the whole mount), NUMA memory placement.
  p.syscalls.push_back(
      deny({"add_key", "keyctl", "request_key", "bpf", "perf_event_open", "userfaultfd",
            "io_uring_setup", "io_uring_enter", "io_uring_register", "fanotify_init", "mbind",
            "set_mempolicy", "move_pages", "migrate_pages"}));
  // Reaching into other processes: their memory, fds and kernel objects; and file handles,
  // which open any file of a filesystem by inode and so escape a bind-mounted root ("shocker").
  p.syscalls.push_back(deny({"ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
                             "pidfd_getfd", "open_by_handle_at", "name_to_handle_at"}));
  auto personality = personality_rules();
  p.syscalls.insert(p.syscalls.end(), personality.begin(), personality.end());
  // clone creating namespaces. Plain clone (fork, posix_spawn, threads) stays allowed, so the
  // rules look at the flags: one rule per CLONE_NEW* bit, since a rule cannot say "any of".
  // CLONE_NEWTIME overlaps CSIGNAL in clone(2), where the kernel reads it as part of the exit
  // signal and so never creates a time namespace; no valid signal has that bit, so denying it
  // costs nothing and keeps the rule set the same as unshare's flags.
#if defined(__s390x__) || defined(__s390__)
  constexpr unsigned kCloneFlagsArg = 1;  // s390 passes the stack first
#else
  constexpr unsigned kCloneFlagsArg = 0;
#endif
  for (std::uint64_t flag :
       {std::uint64_t{CLONE_NEWNS}, std::uint64_t{CLONE_NEWCGROUP}, std::uint64_t{CLONE_NEWUTS},
        std::uint64_t{CLONE_NEWIPC}, std::uint64_t{CLONE_NEWUSER}, std::uint64_t{CLONE_NEWPID},
        std::uint64_t{CLONE_NEWNET}, kCloneNewTime})
    p.syscalls.push_back(deny({"clone"}, {masked_eq(kCloneFlagsArg, flag, flag)}));
  // clone3 passes its flags in memory, where a filter cannot look: ENOSYS makes glibc (2.34+)
  // fall back to clone, whose flags the rules above see.
  p.syscalls.push_back(SeccompRule{{"clone3"}, kErrno, ENOSYS, {}});
  return p;
}

Result<std::vector<sock_filter>> compile_seccomp(const SeccompProfile& profile) {
  NSCTL_ASSIGN_OR_RETURN(
      std::uint32_t default_action,
      checked_action(profile.default_action, profile.default_errno_ret, "defaultAction"));
  FilterCtx ctx(seccomp_init(default_action));
  if (ctx.get() == nullptr) return fail(EINVAL, "seccomp: seccomp_init");
  // A call from an arch the profile does not list kills the whole process rather than only the
  // thread (libseccomp's default), which would leave a half-working process behind.
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS); rc < 0)
    return fail(-rc, "seccomp: set the bad-arch action");
  // The native arch stays in the filter whatever the list says: nsctl execs the sandbox's
  // program with it.
  for (std::size_t i = 0; i < profile.architectures.size(); ++i) {
    const std::string& name = profile.architectures[i];
    auto token = arch_token(name);
    if (!token)
      return invalid(fmt::format("seccomp: architectures[{}]: unknown architecture \"{}\"", i,
                                 text::printable(name)));
    if (*token == seccomp_arch_native()) continue;
    if (int rc = seccomp_arch_add(ctx.get(), *token); rc < 0 && rc != -EEXIST)
      return fail(-rc, fmt::format("seccomp: architectures[{}]: {}", i, name));
  }
  for (std::size_t i = 0; i < profile.syscalls.size(); ++i)
    NSCTL_TRY(add_rule(ctx.get(), default_action, profile.syscalls[i], i));
  return export_program(ctx.get());
}

int load_seccomp(std::span<const sock_filter> program) noexcept {
  if (program.empty() || program.size() > BPF_MAXINSNS) return EINVAL;
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(program.size());
  // The kernel copies the program and never writes through this pointer.
  prog.filter = const_cast<sock_filter*>(program.data());
  if (sys::seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return errno;
  return 0;
}

}  // namespace nsctl
