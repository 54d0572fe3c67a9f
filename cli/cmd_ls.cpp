#include <fmt/core.h>

#include "commands.hpp"

namespace nsctl::cli {

// Work in progress: the lsns-compatible listing lands with the discovery scan.
int cmd_ls(int, char**) {
  fmt::print(stderr, "nsctl: ls: not implemented yet\n");
  return 1;
}
int cmd_lsns(int argc, char** argv) { return cmd_ls(argc, argv); }
int cmd_ps(int, char**) { return 1; }

}  // namespace nsctl::cli
