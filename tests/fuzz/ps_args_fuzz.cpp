// nsctl ps options: --ref PID, --container. See args_fuzz.hpp.
#include "../../cli/cmd_ps.cpp"
#include "args_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Argv args("ps", fuzz::as_view(data, size));
  nsctl::cli::PsOptions o;
  auto r = nsctl::cli::parse_options(args.argc(), args.argv(), o);
  fuzz::check_outcome(r);
  if (r && o.ref) FUZZ_CHECK(*o.ref > 0);
  return 0;
}
