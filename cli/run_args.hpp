// The options of `nsctl run`, turned into a SandboxSpec. Separate from cmd_run.cpp so that the
// unit tests and the fuzz target reach the parser without running anything.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "cli.hpp"
#include "sandbox/sandbox.hpp"

namespace nsctl::cli {

struct RunOptions {
  SandboxSpec spec;
  bool print_config = false;  // --print-config: print sandbox_to_json(spec) instead of running
  bool help = false;          // -h/--help: nothing else is parsed
};

using RunParse = std::expected<RunOptions, Failure>;

// Parses `nsctl run [options] [--] command [arg...]` (argv[0] is "run"). The spec starts as
// default_sandbox(euid, term); a --config file (wherever it appears) is overlaid on it first,
// then the other options apply in the order given: scalars replace, lists (mounts, groups,
// maps, capabilities, rlimits of other resources) are appended to. A command replaces the
// config's process.args; without one, the config's stays.
//
// Relative paths: --bind/--ro-bind sources, --overlay directories and --root are made absolute
// against the current directory (as the user typed them, without resolving symlinks or "..");
// in a --config file, a relative root.path and bind sources are taken relative to the file's
// directory, as OCI takes them relative to the bundle. Destinations must be absolute.
//
// Errors: unknown options and missing arguments are usage errors (exit 2, as for every nsctl
// command); bad values, and files that cannot be read or parsed, fail with kSetupFailedExit
// (125) and name the option and value: "--memory: invalid size 'lots'". Reads the --config and
// --seccomp files, the current directory, the environment (--keep-env) and getpid() (--veth);
// changes getopt's globals; nothing else.
RunParse parse_run_args(int argc, char** argv, uid_t euid, const char* term);

// The value parsers, for tests. Errors are the reason, without the option's name.

// "64m", "1G", "2KiB", "512kb", "1048576": bytes, base 1024 (k, m, g, t; "b", "ib" may follow;
// any case). Integers only; 0 and sizes above 2^63-1 are refused.
std::expected<std::int64_t, std::string> parse_size(std::string_view text);

// "0.5", "2", ".25": CPUs as a quota in microseconds per 100000 us period (0.5 -> 50000).
// Decimal, read digit by digit (no locale, no floating point); at most 5 decimals count
// (0.00001 CPU = 1 us), more non-zero decimals are refused, as are 0 and more than 1048576.
std::expected<std::int64_t, std::string> parse_cpus(std::string_view text);

// "1024", "unlimited", "infinity" (RLIM_INFINITY).
std::expected<rlim_t, std::string> parse_rlimit_value(std::string_view text);

// --veth without a network: the /30 block k = pid % 16384 of 10.200.0.0/16, the host at
// 10.200.0.0 + 4k + 1 and the sandbox at + 2; the host link "nsctl<pid>", the sandbox's "eth0".
SandboxVeth default_veth(pid_t pid);

// --veth=192.168.7.0/24: the host gets the first address of the network, the sandbox the
// second. The address must be the network's own (no host bits), the prefix 1..30.
std::expected<SandboxVeth, std::string> veth_for_network(std::string_view cidr, pid_t pid);

}  // namespace nsctl::cli
