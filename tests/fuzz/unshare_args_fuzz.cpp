// nsctl unshare / unshare options: --map-users/--map-groups (id ranges, auto, subids, all),
// --map-user/--map-group, -S/-G, --owner, --kill-child signal names, --monotonic/--boottime
// offsets, --propagation, --setgroups, persistence files. See args_fuzz.hpp.
//
// --map-user NAME looks the name up (getpwnam) and --map-users=all|auto|subids reads
// /proc/self/uid_map or /etc/subuid: reads only.
#include "../../cli/cmd_unshare.cpp"
#include "args_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = fuzz::as_view(data, size);
  bool compat = size > 0 && (data[0] & 1);
  if (size > 0) in.remove_prefix(1);
  nsctl::cli::Invocation inv{compat ? "unshare" : "nsctl unshare",
                             compat ? "unshare" : "nsctl: unshare", compat};
  fuzz::Argv args(compat ? "unshare" : "unshare", in);
  nsctl::cli::Parsed p;
  auto r = nsctl::cli::parse(inv, args.argc(), args.argv(), p);
  fuzz::check_outcome(r);

  // The value parsers on the whole input too, as one word.
  if (auto sig = nsctl::cli::parse_signal(in)) FUZZ_CHECK(*sig > 0 && *sig < NSIG);
  (void)nsctl::cli::parse_offset(in);
  return 0;
}
