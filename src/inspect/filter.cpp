// The scols-filter(5) language: a hand-written lexer, a recursive-descent parser building a
// small AST, and an evaluator. Types are settled at parse time (column kinds are known then),
// so evaluation only converts cell text and compares.
#include "inspect/filter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <utility>

#include "inspect/filter_regex.hpp"

namespace nsctl {
namespace {

// ---- Values -------------------------------------------------------------------------------

// The types libsmartcols compares in; ValueKind::number columns hold u64 integers, and a
// float literal turns a comparison into a float one.
enum class Type { string, u64, flt, boolean };

struct Value {
  Type type = Type::string;
  bool empty = true;  // no value at all (an empty cell), not the empty string
  std::string str;
  std::uint64_t num = 0;
  long double fnum = 0;
  bool boolean = false;
};

constexpr std::string_view kSpace = " \t\n\v\f\r";

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// The characters of a column name after its first letter, as scols-filter(5) lists them.
bool is_name_char(char c) {
  return is_alpha(c) || is_digit(c) || c == '_' || c == '.' || c == '%' || c == ':' || c == '/' ||
         c == '-';
}
char to_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty() || !is_digit(s.front())) return std::nullopt;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Non-negative only, like the rest of the language: the text must start with a digit.
std::optional<long double> parse_float(std::string_view s) {
  long double v = 0;
  if (s.empty() || !is_digit(s.front())) return std::nullopt;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// As libsmartcols reads a string as a boolean: "1", "true" in any case, or a "yes" answer
// (rpmatch(3) in the C locale: starts with y or Y).
bool parse_bool(std::string_view s) {
  if (s == "1" || s.starts_with('y') || s.starts_with('Y')) return true;
  constexpr std::string_view kTrue = "true";
  return s.size() == kTrue.size() &&
         std::equal(s.begin(), s.end(), kTrue.begin(),
                    [](char a, char b) { return to_upper(a) == to_upper(b); });
}

// Converts `v` to `to`. A value that does not convert (a string that is not a number) becomes
// empty, so every comparison with it is false; returns false in that case.
bool cast(Value& v, Type to) {
  if (v.type == to) return true;
  const Type from = v.type;
  v.type = to;
  if (v.empty) return true;
  switch (from) {
    case Type::string:
      if (to == Type::u64) {
        const auto n = parse_u64(v.str);
        if (!n) break;
        v.num = *n;
      } else if (to == Type::flt) {
        const auto f = parse_float(v.str);
        if (!f) break;
        v.fnum = *f;
      } else {
        v.boolean = parse_bool(v.str);
      }
      return true;
    case Type::u64:
      if (to == Type::string) v.str = std::to_string(v.num);
      if (to == Type::flt) v.fnum = static_cast<long double>(v.num);
      if (to == Type::boolean) v.boolean = v.num > 0;
      return true;
    case Type::flt:
      if (to == Type::string) {
        char buf[64];
        const int n = std::snprintf(buf, sizeof buf, "%Lg", v.fnum);
        v.str.assign(
            buf, n > 0 ? std::min<std::size_t>(static_cast<std::size_t>(n), sizeof buf - 1) : 0);
      }
      if (to == Type::u64) {
        // Floats here are non-negative; clamp instead of the undefined out-of-range conversion.
        constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
        v.num =
            v.fnum >= static_cast<long double>(kMax) ? kMax : static_cast<std::uint64_t>(v.fnum);
      }
      if (to == Type::boolean) v.boolean = v.fnum > 0;
      return true;
    case Type::boolean:
      if (to == Type::string) v.str = v.boolean ? "true" : "false";
      if (to == Type::u64) v.num = v.boolean ? 1 : 0;
      if (to == Type::flt) v.fnum = v.boolean ? 1 : 0;
      return true;
  }
  v.empty = true;
  return false;
}

// A lone param as a condition: present and non-zero / non-empty.
bool truthy(const Value& v) {
  if (v.empty) return false;
  switch (v.type) {
    case Type::string:
      return !v.str.empty();
    case Type::u64:
      return v.num != 0;
    case Type::flt:
      return v.fnum != 0;
    case Type::boolean:
      return v.boolean;
  }
  return false;
}

enum class CmpOp { eq, ne, lt, le, gt, ge };

template <typename T>
int three_way(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

bool apply(CmpOp op, int c) {
  switch (op) {
    case CmpOp::eq:
      return c == 0;
    case CmpOp::ne:
      return c != 0;
    case CmpOp::lt:
      return c < 0;
    case CmpOp::le:
      return c <= 0;
    case CmpOp::gt:
      return c > 0;
    case CmpOp::ge:
      return c >= 0;
  }
  return false;
}

// Both sides already have type `t`.
bool compare(CmpOp op, const Value& l, const Value& r, Type t) {
  if (t == Type::string) {
    // An empty cell is like a NULL string in libsmartcols: equal only to another one, and
    // before every string (even "").
    int c = 0;
    if (l.empty || r.empty) {
      c = l.empty && r.empty ? 0 : (l.empty ? -1 : 1);
    } else {
      const int s = std::string_view(l.str).compare(r.str);
      c = s < 0 ? -1 : (s > 0 ? 1 : 0);
    }
    return apply(op, c);
  }
  if (l.empty || r.empty) return false;  // even for `!=`, as libsmartcols does
  switch (t) {
    case Type::u64:
      return apply(op, three_way(l.num, r.num));
    case Type::flt:
      return apply(op, three_way(l.fnum, r.fnum));
    case Type::boolean:
      return apply(op, three_way(l.boolean, r.boolean));
    case Type::string:
      break;
  }
  return false;
}

// ---- AST ------------------------------------------------------------------------------------

enum class NodeKind { literal, column, negation, conjunction, disjunction, comparison, match };

struct Node {
  NodeKind kind = NodeKind::literal;
  std::size_t offset = 0;  // byte offset of the token that made the node, for errors
  int depth = 1;           // height of the subtree; capped at kFilterMaxDepth
  Value value;             // literal
  std::size_t column = 0;  // column: index into Impl::columns
  Type column_type = Type::string;
  std::vector<std::unique_ptr<Node>> children;  // operands, left to right
  CmpOp op = CmpOp::eq;                         // comparison
  Type cmp_type = Type::string;                 // comparison: both sides converted to this
  bool negate = false;                          // match: `!~`
  std::unique_ptr<Regex> regex;                 // match
};

// The type a node yields when it is an operand of a comparison.
Type static_type(const Node& n) {
  switch (n.kind) {
    case NodeKind::literal:
      return n.value.type;
    case NodeKind::column:
      return n.column_type;
    default:
      return Type::boolean;
  }
}

// Input echoed in an error message: quoted, cut short (at a character boundary), control
// bytes escaped, so a hostile expression cannot make a huge or terminal-garbling message.
std::string quoted(std::string_view text) {
  constexpr std::size_t kMax = 40;
  std::size_t n = std::min(text.size(), kMax);
  while (n < text.size() && n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  std::string out = "'";
  for (const char c : text.substr(0, n)) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) {
      out += fmt::format("\\x{:02x}", b);
    } else {
      out += c;
    }
  }
  if (n < text.size()) out += "...";
  out += "'";
  return out;
}

// ---- Lexer ----------------------------------------------------------------------------------

enum class Tok {
  end,
  lparen,
  rparen,
  op_and,
  op_or,
  op_not,
  op_cmp,
  op_match,
  op_nomatch,
  string,
  integer,
  flt,
  boolean,
  name,
};

struct Token {
  Tok kind = Tok::end;
  std::size_t offset = 0;
  std::string_view text;  // as written
  CmpOp cmp = CmpOp::eq;
  std::string str;  // string: unquoted, unescaped, trimmed
  std::uint64_t num = 0;
  long double fnum = 0;
  bool boolean = false;
};

struct Keyword {
  std::string_view lower;
  Tok kind;
  CmpOp cmp;
  bool boolean;
};

constexpr Keyword kKeywords[] = {
    {"and", Tok::op_and, CmpOp::eq, false},    {"or", Tok::op_or, CmpOp::eq, false},
    {"not", Tok::op_not, CmpOp::eq, false},    {"eq", Tok::op_cmp, CmpOp::eq, false},
    {"ne", Tok::op_cmp, CmpOp::ne, false},     {"lt", Tok::op_cmp, CmpOp::lt, false},
    {"le", Tok::op_cmp, CmpOp::le, false},     {"gt", Tok::op_cmp, CmpOp::gt, false},
    {"ge", Tok::op_cmp, CmpOp::ge, false},     {"true", Tok::boolean, CmpOp::eq, true},
    {"false", Tok::boolean, CmpOp::eq, false},
};

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  std::string_view source() const { return src_; }

  // 1-based position in characters (UTF-8 code points) of byte `offset`.
  std::size_t position(std::size_t offset) const {
    std::size_t pos = 1;
    for (std::size_t i = 0; i < offset && i < src_.size(); ++i) {
      if ((static_cast<unsigned char>(src_[i]) & 0xC0) != 0x80) ++pos;
    }
    return pos;
  }

  Result<Token> next() {
    while (pos_ < src_.size() && kSpace.find(src_[pos_]) != std::string_view::npos) ++pos_;
    Token t;
    t.offset = pos_;
    if (pos_ >= src_.size()) return t;  // Tok::end

    const char c = src_[pos_];
    const char d = pos_ + 1 < src_.size() ? src_[pos_ + 1] : '\0';
    auto simple = [&](Tok kind, std::size_t len, CmpOp cmp = CmpOp::eq) {
      t.kind = kind;
      t.cmp = cmp;
      t.text = src_.substr(pos_, len);
      pos_ += len;
      return t;
    };
    switch (c) {
      case '(':
        return simple(Tok::lparen, 1);
      case ')':
        return simple(Tok::rparen, 1);
      case '&':
        if (d == '&') return simple(Tok::op_and, 2);
        return bad_char("&&");
      case '|':
        if (d == '|') return simple(Tok::op_or, 2);
        return bad_char("||");
      case '!':
        if (d == '=') return simple(Tok::op_cmp, 2, CmpOp::ne);
        if (d == '~') return simple(Tok::op_nomatch, 2);
        return simple(Tok::op_not, 1);
      case '=':
        if (d == '=') return simple(Tok::op_cmp, 2, CmpOp::eq);
        if (d == '~') return simple(Tok::op_match, 2);
        return bad_char("==");
      case '<':
        if (d == '=') return simple(Tok::op_cmp, 2, CmpOp::le);
        return simple(Tok::op_cmp, 1, CmpOp::lt);
      case '>':
        if (d == '=') return simple(Tok::op_cmp, 2, CmpOp::ge);
        return simple(Tok::op_cmp, 1, CmpOp::gt);
      case '"':
      case '\'':
        return lex_string(t);
      default:
        break;
    }
    if (is_digit(c)) return lex_number(t);
    if (is_alpha(c)) return lex_word(t);
    return bad_char({});
  }

  std::unexpected<Error> error_at(std::size_t offset, std::string_view what) const {
    return invalid(fmt::format("{} at position {}", what, position(offset)));
  }

 private:
  std::unexpected<Error> bad_char(std::string_view hint) const {
    const auto b = static_cast<unsigned char>(src_[pos_]);
    std::string what = b >= 0x20 && b < 0x7f ? fmt::format("unexpected character '{}'", src_[pos_])
                                             : fmt::format("unexpected byte 0x{:02x}", b);
    if (!hint.empty()) {
      return invalid(
          fmt::format("{} at position {} (did you mean '{}'?)", what, position(pos_), hint));
    }
    return error_at(pos_, what);
  }

  // "..." or '...': no newline inside (as in scols); \\, \" and \' are escapes, any other
  // backslash stays, so that regular expressions written for scols ("\.", "\s") mean the same.
  Result<Token> lex_string(Token& t) {
    const char quote = src_[pos_];
    std::size_t i = pos_ + 1;
    std::string s;
    for (;;) {
      if (i >= src_.size() || src_[i] == '\n') return error_at(pos_, "unterminated string");
      const char ch = src_[i];
      if (ch == quote) break;
      if (ch == '\\' && i + 1 < src_.size() &&
          (src_[i + 1] == '\\' || src_[i + 1] == '"' || src_[i + 1] == '\'')) {
        s += src_[i + 1];
        i += 2;
        continue;
      }
      s += ch;
      ++i;
    }
    t.kind = Tok::string;
    t.text = src_.substr(pos_, i + 1 - pos_);
    // libsmartcols trims string params; cells are trimmed the same way.
    t.str = std::string(trim(s));
    pos_ = i + 1;
    return t;
  }

  // [0-9]+ "." [0-9]+, or [0-9]+ with an optional K..Y suffix and optional "iB".
  Result<Token> lex_number(Token& t) {
    const std::size_t start = pos_;
    std::size_t i = pos_;
    while (i < src_.size() && is_digit(src_[i])) ++i;
    const std::string_view digits = src_.substr(start, i - start);
    bool is_float = false;
    unsigned shift = 0;
    if (i + 1 < src_.size() && src_[i] == '.' && is_digit(src_[i + 1])) {
      is_float = true;
      ++i;
      while (i < src_.size() && is_digit(src_[i])) ++i;
    } else if (i < src_.size()) {
      constexpr std::string_view kSuffixes = "KMGTPEZY";
      const auto k = kSuffixes.find(src_[i]);
      if (k != std::string_view::npos) {
        shift = 10 * static_cast<unsigned>(k + 1);
        ++i;
        if (src_.substr(i, 2) == "iB") i += 2;
      }
    }
    // A number runs into a name ("12x", "1KB", "1.2.3"): one bad token, not two good ones.
    std::size_t j = i;
    while (j < src_.size() && is_name_char(src_[j])) ++j;
    const std::string_view text = src_.substr(start, j - start);
    if (j != i) return error_at(start, fmt::format("invalid number {}", quoted(text)));
    auto too_large = [&] {
      return error_at(start, fmt::format("number {} too large", quoted(text)));
    };

    t.text = text;
    if (is_float) {
      const auto f = parse_float(text);
      if (!f) return error_at(start, fmt::format("number {} out of range", quoted(text)));
      t.kind = Tok::flt;
      t.fnum = *f;
    } else {
      auto n = parse_u64(digits);
      if (!n) return too_large();
      if (shift > 0 && *n != 0) {
        if (shift >= 64 || *n > (std::numeric_limits<std::uint64_t>::max() >> shift)) {
          return too_large();
        }
        *n <<= shift;
      }
      t.kind = Tok::integer;
      t.num = *n;
    }
    pos_ = j;
    return t;
  }

  // A keyword (all lower or all upper case, as scols accepts them) or a column name.
  Result<Token> lex_word(Token& t) {
    std::size_t i = pos_ + 1;
    while (i < src_.size() && is_name_char(src_[i])) ++i;
    t.text = src_.substr(pos_, i - pos_);
    t.kind = Tok::name;
    auto all_upper_of = [](std::string_view text, std::string_view lower) {
      return text.size() == lower.size() &&
             std::equal(text.begin(), text.end(), lower.begin(),
                        [](char a, char b) { return a == to_upper(b); });
    };
    for (const Keyword& k : kKeywords) {
      if (t.text == k.lower || all_upper_of(t.text, k.lower)) {
        t.kind = k.kind;
        t.cmp = k.cmp;
        t.boolean = k.boolean;
        break;
      }
    }
    pos_ = i;
    return t;
  }

  std::string_view src_;
  std::size_t pos_ = 0;
};

// How a token is shown in an error.
std::string describe(const Token& t) {
  return t.kind == Tok::end ? std::string("end of expression") : quoted(t.text);
}

}  // namespace

// ---- Filter ---------------------------------------------------------------------------------

struct Filter::Impl {
  std::unique_ptr<Node> root;
  std::vector<std::string> columns;
};

namespace {

using ColumnKindFn = std::function<std::optional<ValueKind>(std::string_view)>;
using CellFn = std::function<std::optional<std::string>(std::string_view)>;

class Parser {
 public:
  Parser(std::string_view src, const ColumnKindFn& column_kind, std::vector<std::string>& columns)
      : lex_(src), column_kind_(column_kind), columns_(columns) {}

  Result<std::unique_ptr<Node>> parse() {
    NSCTL_TRY(advance());
    if (tok_.kind == Tok::end) return invalid("empty expression");
    NSCTL_ASSIGN_OR_RETURN(auto root, parse_or({}));
    if (tok_.kind != Tok::end) return unexpected_token();
    return root;
  }

 private:
  using NodeResult = Result<std::unique_ptr<Node>>;

  Result<void> advance() {
    NSCTL_ASSIGN_OR_RETURN(tok_, lex_.next());
    return {};
  }

  std::unexpected<Error> unexpected_token() const {
    return lex_.error_at(tok_.offset, fmt::format("unexpected {}", describe(tok_)));
  }

  std::unexpected<Error> too_deep(std::size_t offset) const {
    return lex_.error_at(
        offset, fmt::format("expression nested too deeply (more than {} levels)", kFilterMaxDepth));
  }

  // Gives `n` the height of its operands plus one, refusing trees the evaluator could not
  // walk safely.
  NodeResult finish(std::unique_ptr<Node> n) const {
    int depth = 0;
    for (const auto& c : n->children) depth = std::max(depth, c->depth);
    n->depth = depth + 1;
    if (n->depth > kFilterMaxDepth) return too_deep(n->offset);
    return n;
  }

  // `after` is the text of the operator (or "(") the operand follows; empty at the start.
  NodeResult parse_or(std::string_view after) {
    return parse_chain(after, Tok::op_or, NodeKind::disjunction, &Parser::parse_and);
  }
  NodeResult parse_and(std::string_view after) {
    return parse_chain(after, Tok::op_and, NodeKind::conjunction, &Parser::parse_cmp);
  }

  // a && b && c is one node with three operands, so long chains stay flat.
  NodeResult parse_chain(std::string_view after, Tok op, NodeKind kind,
                         NodeResult (Parser::*operand)(std::string_view)) {
    NSCTL_ASSIGN_OR_RETURN(auto first, (this->*operand)(after));
    if (tok_.kind != op) return first;
    auto n = std::make_unique<Node>();
    n->kind = kind;
    n->offset = tok_.offset;
    n->children.push_back(std::move(first));
    while (tok_.kind == op) {
      const std::string_view op_text = tok_.text;
      NSCTL_TRY(advance());
      NSCTL_ASSIGN_OR_RETURN(auto next, (this->*operand)(op_text));
      n->children.push_back(std::move(next));
    }
    return finish(std::move(n));
  }

  // Comparisons chain to the left as in scols: a == b == c is (a == b) == c.
  NodeResult parse_cmp(std::string_view after) {
    NSCTL_ASSIGN_OR_RETURN(auto left, parse_unary(after));
    while (tok_.kind == Tok::op_cmp || tok_.kind == Tok::op_match || tok_.kind == Tok::op_nomatch) {
      const Token op = tok_;
      NSCTL_TRY(advance());
      const std::size_t right_offset = tok_.offset;
      NSCTL_ASSIGN_OR_RETURN(auto right, parse_unary(op.text));
      auto n = std::make_unique<Node>();
      n->offset = op.offset;
      if (op.kind == Tok::op_cmp) {
        n->kind = NodeKind::comparison;
        n->op = op.cmp;
        NSCTL_TRY(settle_types(*left, *right, n->cmp_type));
      } else {
        n->kind = NodeKind::match;
        n->negate = op.kind == Tok::op_nomatch;
        if (right->kind != NodeKind::literal || right->value.type != Type::string) {
          return lex_.error_at(right_offset, fmt::format("expected a string after '{}'", op.text));
        }
        n->regex = std::make_unique<Regex>();
        const std::string err = n->regex->compile(right->value.str);
        if (!err.empty()) {
          return invalid(
              fmt::format("invalid regular expression {}: {}", quoted(right->value.str), err));
        }
      }
      n->children.push_back(std::move(left));
      n->children.push_back(std::move(right));
      NSCTL_ASSIGN_OR_RETURN(left, finish(std::move(n)));
    }
    return left;
  }

  // The type both sides are compared in, as libsmartcols picks it: the common type; else the
  // literal's over the column's; else the left's; float over integer. Literals are converted
  // now, once; one that cannot be is an error here rather than a silent false per row.
  Result<void> settle_types(Node& left, Node& right, Type& out) const {
    const Type l = static_type(left);
    const Type r = static_type(right);
    Type t = l;
    if (l != r) {
      const bool lcol = left.kind == NodeKind::column;
      const bool rcol = right.kind == NodeKind::column;
      if (lcol && !rcol) t = r;
      if (t == Type::u64 && (l == Type::flt || r == Type::flt)) t = Type::flt;
    }
    for (Node* side : {&left, &right}) {
      if (side->kind != NodeKind::literal) continue;
      const std::string before = side->value.str;
      if (!cast(side->value, t)) {
        return lex_.error_at(side->offset, fmt::format("{} is not a number", quoted(before)));
      }
    }
    out = t;
    return {};
  }

  NodeResult parse_unary(std::string_view after) {
    switch (tok_.kind) {
      case Tok::op_not: {
        const Token op = tok_;
        if (++nesting_ > kFilterMaxDepth) return too_deep(op.offset);
        NSCTL_TRY(advance());
        NSCTL_ASSIGN_OR_RETURN(auto operand, parse_unary(op.text));
        --nesting_;
        auto n = std::make_unique<Node>();
        n->kind = NodeKind::negation;
        n->offset = op.offset;
        n->children.push_back(std::move(operand));
        return finish(std::move(n));
      }
      case Tok::lparen: {
        const Token open = tok_;
        if (++nesting_ > kFilterMaxDepth) return too_deep(open.offset);
        NSCTL_TRY(advance());
        NSCTL_ASSIGN_OR_RETURN(auto inner, parse_or(open.text));
        if (tok_.kind == Tok::end) return lex_.error_at(open.offset, "missing ')' for '('");
        if (tok_.kind != Tok::rparen) return unexpected_token();
        --nesting_;
        NSCTL_TRY(advance());
        return inner;
      }
      case Tok::string:
      case Tok::integer:
      case Tok::flt:
      case Tok::boolean:
        return literal();
      case Tok::name:
        return column();
      default:
        break;
    }
    if (after.empty()) return unexpected_token();
    return lex_.error_at(tok_.offset, fmt::format("expected a value after '{}'", after));
  }

  NodeResult literal() {
    auto n = std::make_unique<Node>();
    n->offset = tok_.offset;
    n->value.empty = false;
    switch (tok_.kind) {
      case Tok::string:
        n->value.type = Type::string;
        n->value.str = std::move(tok_.str);
        break;
      case Tok::integer:
        n->value.type = Type::u64;
        n->value.num = tok_.num;
        break;
      case Tok::flt:
        n->value.type = Type::flt;
        n->value.fnum = tok_.fnum;
        break;
      default:
        n->value.type = Type::boolean;
        n->value.boolean = tok_.boolean;
        break;
    }
    NSCTL_TRY(advance());
    return n;
  }

  NodeResult column() {
    std::string upper(tok_.text);
    for (char& c : upper) c = to_upper(c);
    const auto kind = column_kind_(upper);
    if (!kind)
      return lex_.error_at(tok_.offset, fmt::format("unknown column {}", quoted(tok_.text)));
    auto n = std::make_unique<Node>();
    n->kind = NodeKind::column;
    n->offset = tok_.offset;
    switch (*kind) {
      case ValueKind::string:
        n->column_type = Type::string;
        break;
      case ValueKind::number:
        n->column_type = Type::u64;
        break;
      case ValueKind::boolean:
        n->column_type = Type::boolean;
        break;
    }
    const auto it = std::find(columns_.begin(), columns_.end(), upper);
    n->column = static_cast<std::size_t>(it - columns_.begin());
    if (it == columns_.end()) columns_.push_back(std::move(upper));
    NSCTL_TRY(advance());
    return n;
  }

  Lexer lex_;
  const ColumnKindFn& column_kind_;
  std::vector<std::string>& columns_;
  Token tok_;
  int nesting_ = 0;  // open '(' and '!' the parser is inside
};

// One row's evaluation: fetches each column at most once, when first needed.
class Evaluator {
 public:
  Evaluator(const std::vector<std::string>& columns, const CellFn& cell)
      : columns_(columns), cell_(cell), cache_(columns.size()) {}

  bool truth(const Node& n) {
    switch (n.kind) {
      case NodeKind::conjunction:
        return std::all_of(n.children.begin(), n.children.end(),
                           [this](const auto& c) { return truth(*c); });
      case NodeKind::disjunction:
        return std::any_of(n.children.begin(), n.children.end(),
                           [this](const auto& c) { return truth(*c); });
      case NodeKind::negation:
        return !truth(*n.children[0]);
      case NodeKind::comparison: {
        Value l = value(*n.children[0]);
        Value r = value(*n.children[1]);
        cast(l, n.cmp_type);
        cast(r, n.cmp_type);
        return compare(n.op, l, r, n.cmp_type);
      }
      case NodeKind::match: {
        Value l = value(*n.children[0]);
        cast(l, Type::string);
        // An empty cell is matched as "" (scols does the same).
        const bool found = n.regex->search(l.empty ? std::string() : l.str);
        return found != n.negate;
      }
      case NodeKind::literal:
      case NodeKind::column:
        return truthy(value(n));
    }
    return false;
  }

 private:
  Value value(const Node& n) {
    if (n.kind == NodeKind::literal) return n.value;
    Value v;
    if (n.kind == NodeKind::column) {
      auto& slot = cache_[n.column];
      if (!slot) slot.emplace(cell_(columns_[n.column]));
      if (*slot) {
        v.empty = false;
        v.str = std::string(trim(**slot));
      }
      cast(v, n.column_type);  // a number column whose text is no number: empty
      return v;
    }
    v.type = Type::boolean;
    v.empty = false;
    v.boolean = truth(n);
    return v;
  }

  const std::vector<std::string>& columns_;
  const CellFn& cell_;
  std::vector<std::optional<std::optional<std::string>>> cache_;
};

}  // namespace

Filter::Filter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Filter::Filter(Filter&&) noexcept = default;
Filter& Filter::operator=(Filter&&) noexcept = default;
Filter::~Filter() = default;

Result<Filter> Filter::parse(std::string_view expr, const ColumnKindFn& column_kind) {
  auto impl = std::make_unique<Impl>();
  Parser parser(expr, column_kind, impl->columns);
  NSCTL_ASSIGN_OR_RETURN(impl->root, parser.parse());
  return Filter(std::move(impl));
}

bool Filter::matches(const CellFn& cell) const {
  if (!impl_ || !impl_->root) return false;  // moved from
  Evaluator ev(impl_->columns, cell);
  return ev.truth(*impl_->root);
}

const std::vector<std::string>& Filter::columns() const {
  static const std::vector<std::string> kNone;
  return impl_ ? impl_->columns : kNone;
}

}  // namespace nsctl
