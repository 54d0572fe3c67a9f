#include "cli.hpp"

#include <fmt/core.h>
#include <getopt.h>

namespace nsctl::cli {

std::string getopt_error(int c, char** argv) {
  // getopt_long leaves optind past the offending word.
  std::string_view word = optind > 0 ? argv[optind - 1] : "";
  if (c == ':') {
    if (optopt)
      return fmt::format("option requires an argument -- '{}'", static_cast<char>(optopt));
    return fmt::format("option '{}' requires an argument", quoted(word));
  }
  if (optopt)
    return fmt::format("invalid option -- '{}'", quoted(std::string(1, static_cast<char>(optopt))));
  return fmt::format("unrecognized option '{}'", quoted(word));
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
