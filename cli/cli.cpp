#include "cli.hpp"

#include <fmt/core.h>
#include <getopt.h>

namespace nsctl::cli {

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

std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f || c >= 0x80)
      out += fmt::format("\\x{:02x}", c);
    else
      out.push_back(static_cast<char>(c));
  }
  return out;
}

}  // namespace nsctl::cli
