// The regular expressions of filter expressions (=~, !~): POSIX extended, compiled once.
// Private to the library.
#pragma once

#include <regex.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace nsctl {

// An upper bound of how many nodes glibc's regcomp builds for `pattern`: it copies the
// preceding item for every `+` and `{m,n}`, so stacked or nested repeats ("a+++++",
// "((a{99}){99}){99}") grow exponentially — seconds and gigabytes for a 25-byte pattern. Saturates
// at 1e9.
std::size_t regex_cost(std::string_view pattern);

// Patterns costing more than this are refused as too complex.
inline constexpr std::size_t kMaxRegexCost = 10000;

// A compiled POSIX extended regular expression; regfree()d on destruction. Held on the heap by
// the filter's AST and never moved, since regex_t is not documented as relocatable.
class Regex {
 public:
  Regex() = default;
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  ~Regex() {
    if (compiled_) regfree(&re_);
  }

  // Returns "" on success, else why the pattern was refused (regerror()'s text, or "too
  // complex").
  std::string compile(const std::string& pattern);

  bool search(const std::string& text) const {
    return regexec(&re_, text.c_str(), 0, nullptr, 0) == 0;
  }

 private:
  regex_t re_{};
  bool compiled_ = false;
};

}  // namespace nsctl
