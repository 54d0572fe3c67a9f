// Row filters in the libsmartcols filter language (scols-filter(5)), as `lsns -Q/--filter`
// takes them: `TYPE == "net" && NPROCS > 1`, `COMMAND =~ "^sleep"`, `NOT (PID lt 100)`.
//
// The language, as nsctl reads it:
//   expr     := or
//   or       := and { ("||" | "or" | "OR") and }
//   and      := cmp { ("&&" | "and" | "AND") cmp }
//   cmp      := unary { cmpop unary } | unary ("=~" | "!~") string
//   cmpop    := "==" "eq" "EQ" | "!=" "ne" "NE" | "<" "lt" "LT" | "<=" "le" "LE"
//             | ">" "gt" "GT" | ">=" "ge" "GE"
//   unary    := ("!" | "not" | "NOT") unary | "(" expr ")" | param
//   param    := integer | float | string | "true" | "false" | "TRUE" | "FALSE" | column
//   integer  := [0-9]+ with an optional K M G T P E Z Y suffix (powers of 1024), "iB" optional
//   float    := [0-9]+ "." [0-9]+
//   string   := '"' ... '"' | "'" ... "'"  (no newline inside; \\ \" \' are escapes, any
//               other backslash is kept as is so regular expressions like "\." work)
//   column   := [A-Za-z][A-Za-z0-9_.%:/-]*  (case-insensitive)
// Keywords are all lower-case or all upper-case ("And" is a column name, as in scols).
//
// Meaning (scols-filter(5), and libsmartcols' behaviour where the page is silent):
// - A lone param is true when it is not empty: a non-empty string, a non-zero number, `true`.
//   So `-Q NETNSID` keeps rows whose NETNSID is set.
// - A comparison picks one type for both sides: the side's own type when both agree; else the
//   literal's type over the column's (`NS == "4026531836"` compares strings, `NAME > 5`
//   numbers); else the left side's; a float on either side makes a number comparison a float
//   one. Sub-expressions are booleans. Strings compare bytewise (strcmp).
// - Strings, from literals and from cells, are trimmed of surrounding white space.
// - An empty cell (no value): any number or boolean comparison with it is false (even `!=`);
//   as a string it equals only another empty cell and sorts before every string, even "";
//   a regular expression sees it as "". A number cell that does not parse as a non-negative
//   integer (or float) behaves as empty (libsmartcols fails the whole listing instead).
// - `=~` / `!~` match a POSIX extended regular expression (unanchored, like grep -E) given as
//   a string literal on the right; the left side is read as a string.
// - Numbers are non-negative: u64 integers, long double floats.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nsctl/base/error.hpp"

namespace nsctl {

// The type of a column's values as the filter compares them.
enum class ValueKind { string, number, boolean };

// How deeply parentheses, `!` and chained comparisons may nest; deeper input is an error, so
// hostile input cannot exhaust the stack of the parser or of the evaluation.
inline constexpr int kFilterMaxDepth = 256;

class Filter {
 public:
  // Parses `expr`. `column_kind(name)` is called with each column name upper-cased (ASCII)
  // and returns the column's kind, or nullopt when there is no such column.
  // Errors (Error::invalid, errno EINVAL) say what is wrong and where, with a 1-based position
  // counted in characters (UTF-8 code points):
  //   "empty expression"
  //   "unknown column 'FOO' at position 1"
  //   "unexpected ')' at position 12", "unexpected 'PID' at position 5"
  //   "unexpected character '=' at position 4 (did you mean '=='?)", "unexpected byte 0x01 at ..."
  //   "unterminated string at position 5"                (where the string starts)
  //   "expected a value after '==' at position 9"        (where the value should be)
  //   "missing ')' for '(' at position 3"                (where the '(' is)
  //   "expected a string after '=~' at position 7"
  //   "invalid number '12x' at position 3", "number '99999999999999999999' too large at ...",
  //   "number '1000...0.5' out of range at ..."            (a float beyond long double)
  //   "'abc' is not a number at position 6"              (a literal a comparison needs as one)
  //   "invalid regular expression '([': <regerror text>"
  //   "expression nested too deeply (more than 256 levels) at position 257"
  // Input echoed in a message is quoted, cut after 40 bytes ("...") and control bytes escaped.
  static Result<Filter> parse(
      std::string_view expr,
      const std::function<std::optional<ValueKind>(std::string_view)>& column_kind);

  // Evaluates the filter for one row. `cell(name)` returns the text of the named column (the
  // upper-case name from columns()), or nullopt when the row has no value there. Each column
  // is asked for at most once per call, and only when the evaluation needs it (`&&` and `||`
  // short-circuit). Never fails: a value that does not fit a comparison makes it false.
  bool matches(const std::function<std::optional<std::string>(std::string_view)>& cell) const;

  // The columns the expression reads, upper-cased, each once, in order of first use, so the
  // caller can compute them (and only them) before filtering.
  const std::vector<std::string>& columns() const;

  Filter(Filter&&) noexcept;
  Filter& operator=(Filter&&) noexcept;
  ~Filter();

 private:
  struct Impl;
  explicit Filter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nsctl
