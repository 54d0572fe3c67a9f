// nsctl enter / nsenter options: -t PID[:INODE], -S/-G ids or "follow", -N socket fds,
// namespace files, --container. See args_fuzz.hpp.
#include "../../cli/cmd_enter.cpp"
#include "args_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = fuzz::as_view(data, size);
  // The first byte picks the invocation: nsctl enter, or the nsenter link.
  bool compat = size > 0 && (data[0] & 1);
  if (size > 0) in.remove_prefix(1);
  nsctl::cli::Invocation inv{compat ? "nsenter" : "nsctl enter",
                             compat ? "nsenter" : "nsctl: enter", compat};
  fuzz::Argv args(compat ? "nsenter" : "enter", in);
  nsctl::cli::EnterOptions o;
  auto r = nsctl::cli::parse_options(args.argc(), args.argv(), inv, o);
  fuzz::check_outcome(r);
  if (r && o.pid) FUZZ_CHECK(*o.pid > 0);
  return 0;
}
