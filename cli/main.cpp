// The nsctl program: the command table, dispatch by argv[0] for the util-linux names, and the
// one place where errors are printed.
#include <fmt/core.h>
#include <malloc.h>

#include <cstdio>
#include <string_view>

#include "commands.hpp"
#include "nsctl/version.hpp"

namespace {

using nsctl::cli::Invocation;
using nsctl::cli::Outcome;

struct Command {
  std::string_view name;
  Outcome (*run)(const Invocation&, int, char**);
  std::string_view summary;
};

constexpr Command kCommands[] = {
    {"ls", nsctl::cli::run_ls, "list every namespace (lsns compatible)"},
    {"ps", nsctl::cli::run_ps, "processes whose namespaces differ from init's, by container"},
    {"unshare", nsctl::cli::run_unshare, "run a command in new namespaces (unshare compatible)"},
    {"enter", nsctl::cli::run_enter, "run a command in the namespaces of a process or container"},
    {"run", nsctl::cli::run_run,
     "a sandbox: new namespaces, root filesystem, mounts, limits, least privilege"},
};

// A link to the binary under one of these names behaves as that util-linux tool.
struct CompatName {
  std::string_view name;
  std::string_view command;
};
constexpr CompatName kCompat[] = {{"lsns", "ls"}, {"nsenter", "enter"}, {"unshare", "unshare"}};

int usage(FILE* out) {
  fmt::print(out, "Usage: nsctl <command> [options]\n\nCommands:\n");
  for (const auto& c : kCommands) fmt::print(out, "  {:<10} {}\n", c.name, c.summary);
  fmt::print(out, "\nRun 'nsctl <command> --help' for a command's options.\n");
  return out == stdout ? 0 : 2;
}

std::string_view base_name(std::string_view path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

const Command* find_command(std::string_view name) {
  for (const auto& c : kCommands)
    if (c.name == name) return &c;
  return nullptr;
}

int run(const Command& cmd, const Invocation& inv, int argc, char** argv) {
  Outcome outcome = cmd.run(inv, argc, argv);
  if (std::fflush(stdout) != 0) {
    fmt::print(stderr, "{}: write error\n", inv.tag);
    return 1;
  }
  if (outcome) return *outcome;
  fmt::print(stderr, "{}: {}\n", inv.tag, outcome.error().message);
  if (!outcome.error().usage) return outcome.error().exit_code;
  fmt::print(stderr, "Try '{} --help' for more information.\n", inv.prog);
  return inv.compat ? 1 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  // nsctl runs briefly and frees much of what it allocates just before allocating again (a
  // parallel scan's parts, then the rows, then the output text). Freed memory stays in the heap
  // for reuse instead of going back to the kernel, and large blocks come from the heap too, so
  // each page is faulted in once: on a busy host a fresh page costs more than the bytes on it.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  std::string_view self = argc > 0 ? base_name(argv[0]) : "nsctl";
  for (const auto& compat : kCompat) {
    if (self == compat.name) {
      Invocation inv{std::string(compat.name), std::string(compat.name), true};
      return run(*find_command(compat.command), inv, argc, argv);
    }
  }
  if (argc < 2) return usage(stderr);
  std::string_view name = argv[1];
  if (name == "-h" || name == "--help" || name == "help") return usage(stdout);
  if (name == "-V" || name == "--version") {
    fmt::print("nsctl {}\n", NSCTL_VERSION);
    return 0;
  }
  const Command* cmd = find_command(name);
  if (!cmd) {
    fmt::print(stderr, "nsctl: unknown command '{}'\n", nsctl::cli::quoted(name));
    return usage(stderr);
  }
  Invocation inv{fmt::format("nsctl {}", name), fmt::format("nsctl: {}", name), false};
  return run(*cmd, inv, argc - 1, argv + 1);
}
