// nsctl ls / lsns options: -o/--output column lists, -t types, -T tree kinds, -p PIDs, the
// <namespace> argument. See args_fuzz.hpp.
#include "../../cli/cmd_ls.cpp"
#include "args_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Argv args("ls", fuzz::as_view(data, size));
  nsctl::cli::LsOptions o;
  auto r = nsctl::cli::parse_options(args.argc(), args.argv(), o);
  fuzz::check_outcome(r);
  if (r && o.output_arg) {
    auto c = nsctl::cli::apply_columns(*o.output_arg, o);
    fuzz::check_outcome(c);
    if (c) FUZZ_CHECK(!o.columns.empty());
  }
  return 0;
}
