// nsctl run options: getopt_long with the multi-word options (--bind SRC DST, --overlay with
// four), --share lists, ids and maps, sizes, CPUs, rlimits, veth networks, capabilities, time
// offsets, environment edits. See args_fuzz.hpp. A spec that parses goes through
// validate_sandbox and, when its strings are UTF-8, must survive --print-config and --config
// (sandbox_to_json, then sandbox_from_json over another base) unchanged.
//
// --config and --seccomp read the file they name (regular files and FIFOs only, at most
// 4 MiB); inputs naming a file descriptor or a standard stream are skipped, so that a pipe on
// the fuzzer's stdin cannot block a run. --keep-env reads environ; --veth calls getpid().
#include <string>

#include "args_fuzz.hpp"
#include "run_args.hpp"
#include "sandbox/sandbox.hpp"
#include "sandbox/sandbox_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = fuzz::as_view(data, size);
  if (in.find("fd/") != std::string_view::npos || in.find("std") != std::string_view::npos)
    return 0;
  fuzz::Argv args("run", in);
  auto r = nsctl::cli::parse_run_args(args.argc(), args.argv(), 1000, "xterm");
  if (!r) {
    FUZZ_CHECK(!r.error().message.empty());
    FUZZ_CHECK(fuzz::no_controls(r.error().message));
    FUZZ_CHECK(r.error().usage || r.error().exit_code == nsctl::kSetupFailedExit);
    return 0;
  }
  if (r->help) return 0;
  if (auto valid = nsctl::validate_sandbox(r->spec); !valid)
    FUZZ_CHECK(!valid.error().message().empty());
  nsctl::SandboxSpec spec = r->spec;
  // The default profile is 800 lines of JSON that would make each run ten times slower; its
  // round trip is the unit tests' and sandbox_config_fuzz's. A small profile stands in.
  static const nsctl::SeccompProfile kDefault = nsctl::default_seccomp_profile();
  if (spec.linux_.seccomp == kDefault) spec.linux_.seccomp = nsctl::SeccompProfile{};
  std::string text = nsctl::sandbox_to_json(spec);
  FUZZ_CHECK(fuzz::valid_utf8(text));
  // Bytes that are not UTF-8 are written as U+FFFD and cannot come back.
  if (text.find("\xef\xbf\xbd") != std::string::npos) return 0;
  auto back = nsctl::sandbox_from_json(text, nsctl::SandboxSpec{});
  if (!back) std::fprintf(stderr, "%s\n", back.error().message().c_str());
  FUZZ_CHECK(back);
  FUZZ_CHECK(*back == spec);
  return 0;
}
