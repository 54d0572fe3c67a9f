#include "inspect/filter.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace nsctl {
namespace {

std::optional<ValueKind> kind_of(std::string_view name) {
  static const std::map<std::string, ValueKind, std::less<>> kColumns = {
      {"NS", ValueKind::number},     {"TYPE", ValueKind::string},    {"NPROCS", ValueKind::number},
      {"PID", ValueKind::number},    {"COMMAND", ValueKind::string}, {"NETNSID", ValueKind::string},
      {"USER", ValueKind::string},   {"PATH", ValueKind::string},    {"FLAG", ValueKind::boolean},
      {"NS-X.Y", ValueKind::string},
  };
  const auto it = kColumns.find(name);
  if (it == kColumns.end()) return std::nullopt;
  return it->second;
}

using Row = std::map<std::string, std::string, std::less<>>;

const Row kNetRow = {{"NS", "4026531840"},      {"TYPE", "net"},
                     {"NPROCS", "10"},          {"PID", "1"},
                     {"USER", "root"},          {"COMMAND", "/sbin/init splash"},
                     {"PATH", "/proc/1/ns/net"}};

std::optional<std::string> lookup(const Row& row, std::string_view name) {
  const auto it = row.find(name);
  if (it == row.end()) return std::nullopt;
  return it->second;
}

// Parses `expr` (which must parse) and evaluates it on `row`.
bool eval(std::string_view expr, const Row& row = kNetRow) {
  auto f = Filter::parse(expr, kind_of);
  EXPECT_TRUE(f) << expr << ": " << f.error().message();
  if (!f) return false;
  return f->matches([&](std::string_view name) { return lookup(row, name); });
}

// The parse error for `expr`, or "<parsed>".
std::string error_of(std::string_view expr) {
  auto f = Filter::parse(expr, kind_of);
  if (f) return "<parsed>";
  EXPECT_EQ(f.error().code(), EINVAL);
  return f.error().message();
}

TEST(FilterCompare, EveryOperatorAndWordForm) {
  struct Case {
    const char* op;
    bool vs11, vs10, vs9;  // "NPROCS <op> 11", "... 10", "... 9", where NPROCS is 10
  };
  const Case cases[] = {
      {"==", false, true, false}, {"eq", false, true, false}, {"EQ", false, true, false},
      {"!=", true, false, true},  {"ne", true, false, true},  {"NE", true, false, true},
      {"<", true, false, false},  {"lt", true, false, false}, {"LT", true, false, false},
      {"<=", true, true, false},  {"le", true, true, false},  {"LE", true, true, false},
      {">", false, false, true},  {"gt", false, false, true}, {"GT", false, false, true},
      {">=", false, true, true},  {"ge", false, true, true},  {"GE", false, true, true},
  };
  for (const Case& c : cases) {
    const std::string op = c.op;
    EXPECT_EQ(eval("NPROCS " + op + " 11"), c.vs11) << op;
    EXPECT_EQ(eval("NPROCS " + op + " 10"), c.vs10) << op;
    EXPECT_EQ(eval("NPROCS " + op + " 9"), c.vs9) << op;
    // The same with the operands swapped reverses the order.
    EXPECT_EQ(eval("11 " + op + " NPROCS"), c.vs9) << op;
  }
  // Symbolic operators need no spaces.
  EXPECT_TRUE(eval("NPROCS==10"));
  EXPECT_TRUE(eval("TYPE!=\"mnt\""));
  EXPECT_TRUE(eval("PID<=1&&NPROCS>=10"));
}

TEST(FilterCompare, StringsCompareBytewise) {
  EXPECT_TRUE(eval("TYPE == \"net\""));
  EXPECT_TRUE(eval("TYPE eq 'net'"));
  EXPECT_FALSE(eval("TYPE == \"Net\""));
  EXPECT_TRUE(eval("TYPE > \"mnt\""));
  EXPECT_TRUE(eval("TYPE < \"pid\""));
  EXPECT_TRUE(eval("\"net\" == TYPE"));
  EXPECT_TRUE(eval("'abc' < 'abd'"));
  EXPECT_TRUE(eval("USER == USER"));
  EXPECT_FALSE(eval("USER == TYPE"));
}

TEST(FilterCompare, NumbersVersusStrings) {
  // A number column against a number: numeric.
  EXPECT_TRUE(eval("NPROCS > 9"));
  // Against a string literal the literal's type wins: "10" < "9" as strings.
  EXPECT_FALSE(eval("NPROCS > \"9\""));
  EXPECT_TRUE(eval("NPROCS == \"10\""));
  // A string column against a number: the cell is read as a number.
  const Row row = {{"USER", "0042"}, {"TYPE", "net"}};
  EXPECT_TRUE(eval("USER == 42", row));
  EXPECT_FALSE(eval("USER == \"42\"", row));
  // ...and a cell that is not a number makes the comparison false, whichever the operator.
  EXPECT_FALSE(eval("TYPE == 1", row));
  EXPECT_FALSE(eval("TYPE != 1", row));
  // Big values stay exact.
  EXPECT_TRUE(eval("NS == 4026531840"));
  EXPECT_TRUE(eval("NS > 4026531839 && NS < 4026531841"));
  const Row big = {{"NS", "18446744073709551615"}};
  EXPECT_TRUE(eval("NS == 18446744073709551615", big));
  EXPECT_TRUE(eval("NS > 18446744073709551614", big));
}

TEST(FilterCompare, FloatsAndSuffixes) {
  EXPECT_TRUE(eval("NPROCS > 9.5"));
  EXPECT_TRUE(eval("NPROCS < 10.25"));
  EXPECT_TRUE(eval("NPROCS == 10.0"));
  EXPECT_TRUE(eval("1.5 < 2"));
  EXPECT_TRUE(eval("1K == 1024"));
  EXPECT_TRUE(eval("1KiB == 1024"));
  EXPECT_TRUE(eval("3M == 3145728"));
  EXPECT_TRUE(eval("1G == 1073741824 && 1T == 1099511627776"));
  EXPECT_TRUE(eval("1P == 1125899906842624 && 1E == 1152921504606846976"));
  EXPECT_TRUE(eval("15EiB > 1E"));
  EXPECT_TRUE(eval("0Y == 0"));
  const Row row = {{"NPROCS", "2048"}};
  EXPECT_TRUE(eval("NPROCS == 2K", row));
  EXPECT_TRUE(eval("NPROCS > 1K && NPROCS <= 2KiB && NPROCS > 2047.5", row));
}

TEST(FilterCompare, Booleans) {
  EXPECT_TRUE(eval("true"));
  EXPECT_TRUE(eval("TRUE"));
  EXPECT_FALSE(eval("false"));
  EXPECT_FALSE(eval("FALSE"));
  EXPECT_TRUE(eval("true == TRUE && false != true"));
  EXPECT_TRUE(eval("(NPROCS > 1) == true"));
  EXPECT_TRUE(eval("(NPROCS > 100) == false"));
  for (const char* yes : {"1", "true", "TRUE", "yes", "y", "Yes"}) {
    const Row row = {{"FLAG", yes}};
    EXPECT_TRUE(eval("FLAG", row)) << yes;
    EXPECT_TRUE(eval("FLAG == true", row)) << yes;
  }
  for (const char* no : {"0", "false", "no", "n", "2", "garbage"}) {
    const Row row = {{"FLAG", no}};
    EXPECT_FALSE(eval("FLAG", row)) << no;
    EXPECT_TRUE(eval("FLAG == false", row)) << no;
  }
  // A boolean against a string compares as booleans: "net" is not a yes.
  EXPECT_TRUE(eval("(PID == 1) != \"net\""));
}

TEST(FilterLogic, AndOrNotInEveryForm) {
  for (const char* op : {"&&", "and", "AND"}) {
    const std::string o = op;
    EXPECT_TRUE(eval("TYPE == \"net\" " + o + " PID == 1")) << op;
    EXPECT_FALSE(eval("TYPE == \"net\" " + o + " PID == 2")) << op;
    EXPECT_FALSE(eval("TYPE == \"mnt\" " + o + " PID == 1")) << op;
  }
  for (const char* op : {"||", "or", "OR"}) {
    const std::string o = op;
    EXPECT_TRUE(eval("TYPE == \"mnt\" " + o + " PID == 1")) << op;
    EXPECT_TRUE(eval("TYPE == \"net\" " + o + " PID == 2")) << op;
    EXPECT_FALSE(eval("TYPE == \"mnt\" " + o + " PID == 2")) << op;
  }
  for (const char* op : {"!", "not ", "NOT "}) {
    const std::string o = op;
    EXPECT_FALSE(eval(o + "(TYPE == \"net\")")) << op;
    EXPECT_TRUE(eval(o + "(TYPE == \"mnt\")")) << op;
    EXPECT_TRUE(eval(o + o + "(TYPE == \"net\")")) << op;
  }
  EXPECT_TRUE(eval("!(NPROCS<5)"));
  EXPECT_TRUE(eval("NOT(NPROCS<5)"));
  // Keywords are all lower or all upper case; anything else is a column name.
  EXPECT_EQ(error_of("PID == 1 And PID == 1"), "unexpected 'And' at position 10");
  EXPECT_EQ(error_of("Not PID"), "unknown column 'Not' at position 1");
  // A keyword is a whole word: "andx" is a name.
  EXPECT_EQ(error_of("PID andx PID"), "unexpected 'andx' at position 5");
}

TEST(FilterLogic, PrecedenceAndParentheses) {
  // && binds tighter than ||.
  EXPECT_TRUE(eval("TYPE == \"net\" || TYPE == \"pid\" && PID == 2"));
  EXPECT_FALSE(eval("(TYPE == \"net\" || TYPE == \"pid\") && PID == 2"));
  EXPECT_TRUE(eval("PID == 2 && TYPE == \"pid\" || TYPE == \"net\""));
  EXPECT_FALSE(eval("PID == 2 && (TYPE == \"pid\" || TYPE == \"net\")"));
  // ! binds tighter than && and ||.
  EXPECT_FALSE(eval("!PID && TYPE"));
  EXPECT_TRUE(eval("!NETNSID && TYPE"));
  EXPECT_TRUE(eval("!NETNSID || PID == 7"));
  // Comparisons bind tighter than && and ||, and ! binds tighter than comparisons, so
  // `!PID == false` is `(!PID) == false`.
  EXPECT_TRUE(eval("!PID == false"));
  EXPECT_TRUE(eval("PID == 1 == true"));  // (PID == 1) == true
  EXPECT_TRUE(eval("(((PID))) == ((1))"));
  EXPECT_TRUE(eval("((TYPE == 'net') and ((PID lt 2) or (PID gt 100)))"));
  EXPECT_TRUE(eval("NOT NOT NOT (PID ne 1)"));
}

TEST(FilterLogic, LoneParams) {
  EXPECT_TRUE(eval("TYPE"));
  EXPECT_TRUE(eval("type"));  // column names are case-insensitive
  EXPECT_FALSE(eval("NETNSID"));
  EXPECT_TRUE(eval("1"));
  EXPECT_FALSE(eval("0"));
  EXPECT_TRUE(eval("0.5"));
  EXPECT_FALSE(eval("0.0"));
  EXPECT_TRUE(eval("'x'"));
  EXPECT_FALSE(eval("''"));
  EXPECT_FALSE(eval("'   '"));  // trimmed to ""
  const Row zero = {{"NPROCS", "0"}, {"TYPE", ""}, {"USER", "0"}};
  EXPECT_FALSE(eval("NPROCS", zero));  // a number: zero is false
  EXPECT_FALSE(eval("TYPE", zero));    // a string: "" is false
  EXPECT_TRUE(eval("USER", zero));     // a string: "0" is not empty
  const Row junk = {{"NPROCS", "many"}};
  EXPECT_FALSE(eval("NPROCS", junk));  // not a number: as if empty
}

TEST(FilterEmpty, MissingCellsCompareAsScolsDoes) {
  const Row row = {{"TYPE", "net"}};  // NPROCS, NETNSID, USER have no value
  // Numbers: every comparison with an empty cell is false, even !=.
  for (const char* op : {"==", "!=", "<", "<=", ">", ">="}) {
    EXPECT_FALSE(eval(std::string("NPROCS ") + op + " 0", row)) << op;
    EXPECT_FALSE(eval(std::string("0 ") + op + " NPROCS", row)) << op;
  }
  EXPECT_TRUE(eval("!NPROCS", row));
  EXPECT_TRUE(eval("!(NPROCS == 0)", row));
  // Strings: an empty cell equals only another empty cell and sorts before every string.
  EXPECT_FALSE(eval("NETNSID == \"\"", row));
  EXPECT_TRUE(eval("NETNSID != \"x\"", row));
  EXPECT_TRUE(eval("NETNSID < \"\"", row));
  EXPECT_TRUE(eval("NETNSID == USER", row));
  EXPECT_FALSE(eval("NETNSID != USER", row));
  EXPECT_TRUE(eval("TYPE > NETNSID", row));
  // An empty string cell is a value.
  const Row blank = {{"NETNSID", ""}};
  EXPECT_TRUE(eval("NETNSID == \"\"", blank));
  // Booleans.
  EXPECT_FALSE(eval("FLAG == false", row));
  EXPECT_FALSE(eval("FLAG != true", row));
  // A regular expression sees "".
  EXPECT_TRUE(eval("NETNSID =~ \"^$\"", row));
  EXPECT_TRUE(eval("NETNSID !~ \".\"", row));
  // An empty row never crashes anything.
  EXPECT_FALSE(eval("NS > 0 || TYPE || COMMAND =~ 'x' || FLAG", {}));
}

TEST(FilterEmpty, CellsAreTrimmed) {
  const Row row = {{"TYPE", "  net\t"}, {"NPROCS", " 7 "}};
  EXPECT_TRUE(eval("TYPE == 'net'", row));
  EXPECT_TRUE(eval("TYPE == '  net  '", row));
  EXPECT_TRUE(eval("NPROCS == 7", row));
}

TEST(FilterRegex, MatchAndNoMatch) {
  EXPECT_TRUE(eval("COMMAND =~ \"init\""));  // unanchored
  EXPECT_TRUE(eval("COMMAND =~ \"^/sbin/[a-z]+ \""));
  EXPECT_FALSE(eval("COMMAND =~ \"^init\""));
  EXPECT_TRUE(eval("COMMAND !~ \"^init\""));
  EXPECT_FALSE(eval("COMMAND !~ \"init\""));
  EXPECT_TRUE(eval("TYPE =~ '^(net|pid)$'"));  // extended syntax
  EXPECT_TRUE(eval("TYPE =~ ('n.t')"));
  EXPECT_TRUE(eval("PATH =~ \"/ns/net$\" && TYPE =~ \"e\""));
  // A number column is matched as its text.
  EXPECT_TRUE(eval("NS =~ \"^4026\""));
  EXPECT_TRUE(eval("NPROCS =~ \"^1[0-9]$\""));
  // Backslashes other than \\ \" \' reach the regular expression as written.
  const Row row = {{"COMMAND", "a.b"}, {"PATH", "axb"}};
  EXPECT_TRUE(eval("COMMAND =~ \"^a\\.b$\"", row));
  EXPECT_FALSE(eval("PATH =~ \"^a\\.b$\"", row));
  EXPECT_TRUE(eval("PATH =~ \"^a.b$\"", row));
  // Compiled once: many rows, one parse.
  auto f = Filter::parse("COMMAND =~ '^sleep [0-9]+$'", kind_of);
  ASSERT_TRUE(f) << f.error().message();
  int hits = 0;
  for (int i = 0; i < 1000; ++i) {
    const Row r = {{"COMMAND", (i % 2 ? "sleep " : "bash ") + std::to_string(i)}};
    hits += f->matches([&](std::string_view n) { return lookup(r, n); });
  }
  EXPECT_EQ(hits, 500);
}

TEST(FilterQuoting, QuotesAndEscapes) {
  const Row row = {{"COMMAND", "say \"hi\" it's a\\b"}};
  EXPECT_TRUE(eval(R"(COMMAND == "say \"hi\" it's a\\b")", row));
  EXPECT_TRUE(eval(R"(COMMAND == 'say "hi" it\'s a\\b')", row));
  EXPECT_TRUE(eval(R"(COMMAND =~ "\"hi\"")", row));
  EXPECT_TRUE(eval(R"("a\zb" == 'a\zb')"));  // unknown escapes stay as written
  EXPECT_TRUE(eval(R"('' == "")"));
  EXPECT_TRUE(eval(R"("()&&||!" == '()&&||!')"));  // operators inside strings are text
  EXPECT_TRUE(eval("'caf\xc3\xa9' > 'cafe'"));     // UTF-8 bytes compare as bytes
}

TEST(FilterColumns, NamesListedOnceUpperCased) {
  std::vector<std::string> asked;
  auto f = Filter::parse("pid == 1 && (Type == 'net' || PID > 3) && !netnsid && ns-x.y",
                         [&](std::string_view name) {
                           asked.emplace_back(name);
                           return kind_of(name);
                         });
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ(f->columns(), (std::vector<std::string>{"PID", "TYPE", "NETNSID", "NS-X.Y"}));
  // column_kind sees upper-case names only.
  EXPECT_EQ(asked, (std::vector<std::string>{"PID", "TYPE", "PID", "NETNSID", "NS-X.Y"}));
  // No columns in a constant expression.
  auto c = Filter::parse("1 == 1", kind_of);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->columns().empty());
  EXPECT_TRUE(c->matches([](std::string_view) -> std::optional<std::string> {
    ADD_FAILURE() << "no column should be read";
    return std::nullopt;
  }));
}

TEST(FilterColumns, EachCellFetchedAtMostOnceAndOnlyWhenNeeded) {
  auto f = Filter::parse("(PID == 1 || PID == 2 || PID == 3) && TYPE == 'net' && PID", kind_of);
  ASSERT_TRUE(f) << f.error().message();
  std::map<std::string, int> calls;
  auto cell = [&](std::string_view name) {
    ++calls[std::string(name)];
    return lookup(kNetRow, name);
  };
  EXPECT_TRUE(f->matches(cell));
  EXPECT_EQ(calls["PID"], 1);
  EXPECT_EQ(calls["TYPE"], 1);
  // Short-circuit: a false left side of && reads nothing on the right.
  calls.clear();
  auto g = Filter::parse("PID == 99 && TYPE == 'net'", kind_of);
  ASSERT_TRUE(g);
  EXPECT_FALSE(g->matches(cell));
  EXPECT_EQ(calls.count("TYPE"), 0u);
}

TEST(FilterColumns, MoveKeepsTheFilter) {
  auto f = Filter::parse("TYPE == 'net' && COMMAND =~ 'init'", kind_of);
  ASSERT_TRUE(f);
  Filter a = std::move(*f);
  auto row = [](std::string_view n) { return lookup(kNetRow, n); };
  EXPECT_TRUE(a.matches(row));
  auto g = Filter::parse("PID == 2", kind_of);
  ASSERT_TRUE(g);
  a = std::move(*g);
  EXPECT_FALSE(a.matches(row));
  EXPECT_EQ(a.columns(), std::vector<std::string>{"PID"});
}

TEST(FilterErrors, MessagesNameTheProblemAndItsPosition) {
  EXPECT_EQ(error_of(""), "empty expression");
  EXPECT_EQ(error_of("  \t\n "), "empty expression");
  EXPECT_EQ(error_of("FOO == 1"), "unknown column 'FOO' at position 1");
  EXPECT_EQ(error_of("PID == 1 && foo"), "unknown column 'foo' at position 13");
  EXPECT_EQ(error_of("(PID == 1))"), "unexpected ')' at position 11");
  EXPECT_EQ(error_of("TYPE == 'net' )"), "unexpected ')' at position 15");
  EXPECT_EQ(error_of(")"), "unexpected ')' at position 1");
  EXPECT_EQ(error_of("TYPE == \"net"), "unterminated string at position 9");
  EXPECT_EQ(error_of("TYPE == 'net"), "unterminated string at position 9");
  EXPECT_EQ(error_of("TYPE == 'n\net'"), "unterminated string at position 9");
  EXPECT_EQ(error_of("TYPE == 'net\\'"), "unterminated string at position 9");
  EXPECT_EQ(error_of("TYPE == && PID"), "expected a value after '==' at position 9");
  EXPECT_EQ(error_of("TYPE =="), "expected a value after '==' at position 8");
  EXPECT_EQ(error_of("TYPE eq )"), "expected a value after 'eq' at position 9");
  EXPECT_EQ(error_of("PID == 1 &&"), "expected a value after '&&' at position 12");
  EXPECT_EQ(error_of("PID == 1 or"), "expected a value after 'or' at position 12");
  EXPECT_EQ(error_of("!"), "expected a value after '!' at position 2");
  EXPECT_EQ(error_of("NOT"), "expected a value after 'NOT' at position 4");
  EXPECT_EQ(error_of("()"), "expected a value after '(' at position 2");
  EXPECT_EQ(error_of("(PID == 1"), "missing ')' for '(' at position 1");
  EXPECT_EQ(error_of("((PID == 1) && (TYPE"), "missing ')' for '(' at position 16");
  EXPECT_EQ(error_of("(PID PID)"), "unexpected 'PID' at position 6");
  EXPECT_EQ(error_of("PID PID"), "unexpected 'PID' at position 5");
  EXPECT_EQ(error_of("&& PID"), "unexpected '&&' at position 1");
  EXPECT_EQ(error_of("== 1"), "unexpected '==' at position 1");
  EXPECT_EQ(error_of("PID =~ 5"), "expected a string after '=~' at position 8");
  EXPECT_EQ(error_of("PID !~ TYPE"), "expected a string after '!~' at position 8");
  EXPECT_EQ(error_of("PID =~"), "expected a value after '=~' at position 7");
  EXPECT_EQ(error_of("PID == 12x"), "invalid number '12x' at position 8");
  EXPECT_EQ(error_of("PID == 1KB"), "invalid number '1KB' at position 8");
  EXPECT_EQ(error_of("PID == 1.2.3"), "invalid number '1.2.3' at position 8");
  EXPECT_EQ(error_of("PID == 2.5K"), "invalid number '2.5K' at position 8");
  EXPECT_EQ(error_of("PID == 18446744073709551616"),
            "number '18446744073709551616' too large at position 8");
  EXPECT_EQ(error_of("PID == 16E"), "number '16E' too large at position 8");
  EXPECT_EQ(error_of("PID == 1Z"), "number '1Z' too large at position 8");
  EXPECT_EQ(error_of("5 == 'abc'"), "'abc' is not a number at position 6");
  EXPECT_EQ(error_of("PID = 1"), "unexpected character '=' at position 5 (did you mean '=='?)");
  EXPECT_EQ(error_of("PID == 1 & 1"),
            "unexpected character '&' at position 10 (did you mean '&&'?)");
  EXPECT_EQ(error_of("PID == 1 | 1"),
            "unexpected character '|' at position 10 (did you mean '||'?)");
  EXPECT_EQ(error_of("PID == $1"), "unexpected character '$' at position 8");
  EXPECT_EQ(error_of(std::string("PID == \x01", 8)), "unexpected byte 0x01 at position 8");
  EXPECT_EQ(error_of("-1 == PID"), "unexpected character '-' at position 1");
  // Positions count characters, not bytes.
  EXPECT_EQ(error_of("'\xc3\xa9t\xc3\xa9' == FOO"), "unknown column 'FOO' at position 10");
  EXPECT_EQ(error_of("TYPE == '\xc3\xa9' )"), "unexpected ')' at position 13");
  // Long tokens are cut short in messages.
  EXPECT_EQ(error_of("PID " + std::string(100, 'A')),
            "unexpected '" + std::string(40, 'A') + "...' at position 5");
}

TEST(FilterErrors, EchoedInputIsShortAndPrintable) {
  EXPECT_EQ(error_of(std::string(100, 'Z')),
            "unknown column '" + std::string(40, 'Z') + "...' at position 1");
  EXPECT_EQ(error_of("5 == 'a\x01"
                     "b'"),
            "'a\\x01b' is not a number at position 6");
  // Cut before a multi-byte character, never inside it.
  EXPECT_EQ(error_of("5 == '" + std::string(39, 'a') + "\xc3\xa9xyz'"),
            "'" + std::string(39, 'a') + "...' is not a number at position 6");
  const std::string huge = "1" + std::string(6000, '0') + ".5";
  EXPECT_EQ(error_of("PID > " + huge),
            "number '" + huge.substr(0, 40) + "...' out of range at position 7");
  const std::string e = error_of("COMMAND =~ '(" + std::string(1000, 'x') + "'");
  EXPECT_LT(e.size(), 200u) << e;
}

TEST(FilterErrors, InvalidRegularExpression) {
  const std::string e = error_of("COMMAND =~ \"([\"");
  EXPECT_EQ(e.rfind("invalid regular expression '([': ", 0), 0u) << e;
  EXPECT_GT(e.size(), std::string("invalid regular expression '([': ").size());
  EXPECT_EQ(error_of("COMMAND !~ 'a{2,1}'").rfind("invalid regular expression 'a{2,1}': ", 0), 0u);
}

TEST(FilterErrors, DeepNestingIsRefused) {
  const auto nested = [](int n) {
    return std::string(static_cast<std::size_t>(n), '(') + "PID == 1" +
           std::string(static_cast<std::size_t>(n), ')');
  };
  EXPECT_TRUE(eval(nested(200)));
  EXPECT_EQ(error_of(nested(kFilterMaxDepth + 1)),
            "expression nested too deeply (more than 256 levels) at position 257");
  EXPECT_NE(error_of(nested(100000)).find("nested too deeply"), std::string::npos);
  // Unclosed: still the depth error, found before the missing ')'.
  EXPECT_NE(error_of(std::string(100000, '(')).find("nested too deeply"), std::string::npos);
  std::string nots(100000, '!');
  EXPECT_NE(error_of(nots + "PID").find("nested too deeply"), std::string::npos);
  EXPECT_FALSE(eval(std::string(200, '!') + "(PID == 2)"));
  // Chained comparisons nest too: (((PID == 1) == true) == true) ...
  std::string chain = "PID == 1";
  for (int i = 0; i < 300; ++i) chain += " == true";
  EXPECT_NE(error_of(chain).find("nested too deeply"), std::string::npos);
  // Long && / || chains stay flat and are fine.
  std::string wide = "PID == 1";
  for (int i = 0; i < 50000; ++i) wide += i % 2 ? " && PID" : " || NPROCS > 3";
  EXPECT_TRUE(eval(wide));
  // Nesting mixes (, ! and and/or.
  std::string mixed;
  for (int i = 0; i < 200; ++i) mixed += "!(PID && ";
  mixed += "TYPE";
  for (int i = 0; i < 200; ++i) mixed += ")";
  EXPECT_NE(error_of(mixed).find("nested too deeply"), std::string::npos);
}

TEST(FilterGarbage, UnbalancedAndLoneOperators) {
  const char* inputs[] = {
      "(",         ")",     "((",     "))",      "(()",    "())",         "(PID",
      "PID)",      "&&",    "||",     "!",       "!!",     "==",          "!=",
      "<",         ">",     "<=",     ">=",      "=~",     "!~",          "and",
      "or",        "not",   "eq ne",  "PID ==",  "== PID", "PID && ",     " || PID",
      "PID ! 1",   "!(",    "!)",     "( && )",  "'",      "\"",          "'\\",
      "\"\\\"",    "1..2",  "1.",     ".5",      "1e5",    "0x10",        "PID==1==",
      "true true", "(true", "=~ 'x'", "PID =~ ", "PID=~(", "PID =~ ('x'", "'x' =~ 'x' =~ 'x'",
  };
  for (const char* in : inputs) {
    auto f = Filter::parse(in, kind_of);
    if (f) {
      f->matches([](std::string_view n) { return lookup(kNetRow, n); });
    } else {
      EXPECT_FALSE(f.error().message().empty()) << in;
      EXPECT_EQ(f.error().code(), EINVAL) << in;
    }
  }
  EXPECT_TRUE(eval("'x' =~ 'x' =~ 'true'"));  // (x =~ x) read as text: "true"
}

TEST(FilterGarbage, RandomBytesAndTokenSoupNeverCrash) {
  std::mt19937 rng(20240611);
  auto row = [](std::string_view n) { return lookup(kNetRow, n); };
  // Random bytes, all 256 values.
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 48, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 256);
    auto f = Filter::parse(s, kind_of);
    if (f) f->matches(row);
  }
  // Random sequences of the language's own pieces, which parse far more often.
  const char* pieces[] = {
      "(",     ")",       "!",
      "not ",  "&&",      "||",
      " and ", " OR ",    "==",
      "!=",    "<",       "<=",
      ">",     ">=",      " eq ",
      "=~",    "!~",      "PID",
      "TYPE",  "NETNSID", "FLAG",
      "NS",    "1",       "0",
      "2.5",   "1K",      "'net'",
      "\"\"",  "'^n'",    "'(['",
      "true",  " ",       "\"a\\\"",
      "'",     "\\",      "=",
      "&",     "FOO",     "99999999999999999999",
  };
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    const int n = static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) s += pieces[rng() % std::size(pieces)];
    auto f = Filter::parse(s, kind_of);
    if (f) {
      ++parsed;
      f->matches(row);
      f->matches([](std::string_view) { return std::optional<std::string>(); });
      f->matches([](std::string_view) { return std::optional<std::string>("\xff junk \x01"); });
    } else {
      EXPECT_FALSE(f.error().message().empty()) << s;
    }
  }
  EXPECT_GT(parsed, 100);  // the soup does exercise evaluation
}

}  // namespace
}  // namespace nsctl

namespace nsctl {
namespace {

// glibc's regcomp copies the item before every `+` and `{m,n}`: stacked repeats would take
// seconds and gigabytes, so they are refused when parsing, with the reason.
TEST(FilterRegex, ExponentialPatternsAreRefusedAsTooComplex) {
  auto kind = [](std::string_view) -> std::optional<ValueKind> { return ValueKind::string; };
  auto r = Filter::parse(R"(COMMAND =~ "a+++++++++++++++++++++")", kind);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("too complex"), std::string::npos) << r.error().message();
  EXPECT_FALSE(Filter::parse(R"(COMMAND =~ "((a{99}){99}){99}")", kind));
  EXPECT_TRUE(Filter::parse(R"(COMMAND =~ "^(sleep|nginx: [a-z]+ process)$")", kind));
  EXPECT_TRUE(Filter::parse(R"(COMMAND =~ "[0-9]{1,5}x+")", kind));
}

}  // namespace
}  // namespace nsctl

namespace nsctl {
namespace {

TEST(FilterRegex, StackedRepeatOperatorsAreRefused) {
  auto kind = [](std::string_view) -> std::optional<ValueKind> { return ValueKind::string; };
  for (const char* re : {"l*++++++++++++", "a**", "a+?", "a{2}{3}", "x?*"}) {
    auto r = Filter::parse(std::string("COMMAND =~ \"") + re + "\"", kind);
    EXPECT_FALSE(r) << re;
  }
  EXPECT_TRUE(Filter::parse(R"(COMMAND =~ "a*b+c?d{2}")", kind));
  EXPECT_TRUE(Filter::parse(R"(COMMAND =~ "\\++")", kind));  // an escaped '+' repeated once
}

}  // namespace
}  // namespace nsctl
