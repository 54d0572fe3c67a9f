#include "cli.hpp"

#include <fmt/core.h>
#include <getopt.h>
#include <pwd.h>

#include <unordered_map>

#include "proc/proc.hpp"

namespace nsctl::cli {

const std::string& user_name(uid_t uid) {
  static std::unordered_map<uid_t, std::string> cache;
  auto [it, inserted] = cache.try_emplace(uid);
  if (inserted) {
    passwd pw{};
    passwd* result = nullptr;
    char buf[4096];
    if (::getpwuid_r(uid, &pw, buf, sizeof buf, &result) == 0 && result)
      it->second = result->pw_name;
    else
      it->second = std::to_string(uid);
  }
  return it->second;
}

std::expected<unsigned, Failure> parse_jobs(const char* arg) {
  auto n = parse_decimal(arg);
  if (!n || *n < 1 || *n > 64)
    return usage_error(fmt::format("invalid --jobs argument: '{}' (1 to 64)", quoted(arg)));
  return static_cast<unsigned>(*n);
}

std::string getopt_error(int c, char** argv) {
  // getopt_long leaves optind past the offending word; for a long option, optopt is the
  // option's internal code (or 0 when unknown), so the message names the word the user typed.
  std::string_view word = optind > 0 ? argv[optind - 1] : "";
  if (word.starts_with("--")) {
    std::string_view name = word.substr(0, word.find('='));
    if (c == ':') return fmt::format("option '{}' requires an argument", quoted(name));
    if (optopt) return fmt::format("option '{}' doesn't allow an argument", quoted(name));
    return fmt::format("unrecognized option '{}'", quoted(word));
  }
  char letter = static_cast<char>(optopt);
  if (c == ':') return fmt::format("option requires an argument -- '{}'", quoted({&letter, 1}));
  return fmt::format("invalid option -- '{}'", quoted({&letter, 1}));
}

}  // namespace nsctl::cli
