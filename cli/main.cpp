// The nsctl program: the command table, and dispatch by argv[0] for the compatibility names.
#include <fmt/core.h>

#include <cstring>
#include <string_view>

#include "commands.hpp"

namespace {

struct Command {
  std::string_view name;
  int (*run)(int argc, char** argv);
  std::string_view summary;
};

constexpr Command kCommands[] = {
    {"ls", nsctl::cli::cmd_ls, "list namespaces (lsns compatible)"},
};

int usage(FILE* out) {
  fmt::print(out, "Usage: nsctl <command> [options]\n\nCommands:\n");
  for (const auto& c : kCommands) fmt::print(out, "  {:<10} {}\n", c.name, c.summary);
  fmt::print(out, "\nRun 'nsctl <command> --help' for a command's options.\n");
  return out == stdout ? 0 : 2;
}

std::string_view base_name(const char* path) {
  std::string_view p(path);
  std::size_t slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view self = argc > 0 ? base_name(argv[0]) : "nsctl";
  // Installed as lsns (a link to this binary), behave as that tool.
  if (self == "lsns") return nsctl::cli::cmd_lsns(argc, argv);
  if (argc < 2) return usage(stderr);
  std::string_view name = argv[1];
  if (name == "-h" || name == "--help" || name == "help") return usage(stdout);
  if (name == "-V" || name == "--version") {
    fmt::print("nsctl {}\n", NSCTL_VERSION);
    return 0;
  }
  for (const auto& c : kCommands)
    if (c.name == name) return c.run(argc - 1, argv + 1);
  fmt::print(stderr, "nsctl: unknown command '{}'\n", name);
  return usage(stderr);
}
