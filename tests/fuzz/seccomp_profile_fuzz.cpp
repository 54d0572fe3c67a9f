// Seccomp profiles (`nsctl run --seccomp FILE`): OCI/Docker JSON from the user, parsed with
// nlohmann-json, whose exceptions must never escape, then compiled with libseccomp. A profile
// that parses holds only what the compiler can take; what it compiles fits the kernel.
#include <linux/filter.h>

#include "fuzz_check.hpp"
#include "privilege/seccomp.hpp"

namespace {

bool syscall_name(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_view(data, size);
  auto p = nsctl::parse_seccomp_profile(text);
  if (!p) {
    FUZZ_CHECK(p.error().code() == EINVAL || p.error().code() == ENOMEM);
    // Messages quote the input; they must not carry its raw bytes to a terminal.
    FUZZ_CHECK(!p.error().message().empty() && fuzz::printable_ascii(p.error().message()));
    return 0;
  }
  FUZZ_CHECK(p->default_action.starts_with("SCMP_ACT_"));
  FUZZ_CHECK(!p->default_errno_ret || *p->default_errno_ret <= 4095);
  std::size_t names = 0;
  for (const auto& rule : p->syscalls) {
    FUZZ_CHECK(!rule.names.empty());
    for (const auto& name : rule.names) FUZZ_CHECK(syscall_name(name));
    FUZZ_CHECK(rule.action.starts_with("SCMP_ACT_"));
    FUZZ_CHECK(!rule.errno_ret || *rule.errno_ret <= 4095);
    FUZZ_CHECK(rule.args.size() <= 6);
    for (const auto& arg : rule.args) {
      FUZZ_CHECK(arg.index <= 5);
      FUZZ_CHECK(arg.op.starts_with("SCMP_CMP_"));
    }
    names += rule.names.size();
  }
  // The same text parses to the same profile.
  auto again = nsctl::parse_seccomp_profile(text);
  FUZZ_CHECK(again && *again == *p);
  // Compiling costs a memfd and libseccomp's tree; small profiles are enough to reach it.
  if (names <= 64) {
    auto prog = nsctl::compile_seccomp(*p);
    if (prog) {
      FUZZ_CHECK(!prog->empty() && prog->size() <= BPF_MAXINSNS);
      FUZZ_CHECK(BPF_CLASS(prog->back().code) == BPF_RET);
    } else {
      FUZZ_CHECK(!prog.error().message().empty() && fuzz::printable_ascii(prog.error().message()));
    }
  }
  return 0;
}
