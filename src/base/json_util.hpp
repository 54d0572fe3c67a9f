// Helpers shared by the JSON readers (sandbox_config.cpp, seccomp_profile.cpp): private to the
// library.
#pragma once

#include <fmt/core.h>

#include <cstddef>
#include <string_view>

#include "nsctl/base/error.hpp"

namespace nsctl::json_util {

// True when `text` nests arrays and objects deeper than `max`, checked before nlohmann builds
// the tree (its parser recurses). Brackets inside strings do not count; nothing else of the text
// is checked here (the parser does that).
inline bool nested_deeper_than(std::string_view text, std::size_t max) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

// An error at a JSON path: "process.rlimits[1].type: unknown resource".
inline std::unexpected<Error> bad(std::string_view path, std::string_view what) {
  return invalid(fmt::format("{}: {}", path, what));
}

}  // namespace nsctl::json_util
