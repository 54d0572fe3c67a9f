// What every command shares: how it was invoked, how it fails, and option-parsing helpers.
#pragma once

#include <sys/types.h>

#include <expected>
#include <string>
#include <string_view>

#include "base/escape.hpp"

namespace nsctl::cli {

// How the program was invoked: as "nsctl ls" or, through a link, as "lsns".
struct Invocation {
  std::string prog;     // "nsctl ls" or "lsns": for "Try '<prog> --help'"
  std::string tag;      // "nsctl: ls" or "lsns": the prefix of error messages
  bool compat = false;  // invoked under a util-linux name: its exit codes
};

// A failed command: main.cpp prints "<tag>: <message>" and exits 1, or for usage errors adds
// "Try '<prog> --help'" and exits 2 (1 under a util-linux name, as util-linux does).
struct Failure {
  std::string message;
  bool usage = false;
  int exit_code = 1;  // for failures that are not usage errors (e.g. 126/127: exec failed)
};
using Outcome = std::expected<int, Failure>;

inline std::unexpected<Failure> usage_error(std::string message) {
  return std::unexpected(Failure{std::move(message), true});
}
inline std::unexpected<Failure> failure(std::string message, int exit_code = 1) {
  return std::unexpected(Failure{std::move(message), false, exit_code});
}

// The message for getopt_long's '?' or ':' return (run with opterr = 0 and a leading ':').
std::string getopt_error(int c, char** argv);

// User input echoed in an error message: text::printable (src/base/escape.hpp).
inline std::string quoted(std::string_view text) { return text::printable(text); }

// The name of user `uid`, or its number when it has none; looked up once per uid (getpwuid_r
// may read /etc/passwd at every call).
const std::string& user_name(uid_t uid);

// The argument of --jobs: how many threads read /proc (1 to 64), or a usage error.
std::expected<unsigned, Failure> parse_jobs(const char* arg);
inline constexpr const char* kJobsHelp =
    "     --jobs <n>         threads that read /proc (default: one per CPU)\n";

}  // namespace nsctl::cli
