// lsns -Q / nsctl ls --filter: the scols-filter language. The first line of the input is the
// expression; the following lines are the cells the row gives to the columns the filter reads
// (in the order of Filter::columns(); a line "\x01" means the row has no value there).
//
// Invariants: parsing never crashes and refuses nesting deeper than kFilterMaxDepth; error
// messages carry no raw control bytes; matches() asks for each column at most once and only
// for columns in columns().
#include <algorithm>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "inspect/filter.hpp"
#include "ls_view.hpp"

namespace {

std::optional<nsctl::ValueKind> column_kind(std::string_view name) {
  if (name == "FLAG") return nsctl::ValueKind::boolean;  // no ls column is boolean: add one
  const auto* c = nsctl::cli::ls_column(name);
  if (!c) return std::nullopt;
  return c->format.kind == nsctl::out::Kind::number ? nsctl::ValueKind::number
                                                    : nsctl::ValueKind::string;
}

void expect_too_deep(const std::string& expr) {
  auto f = nsctl::Filter::parse(expr, column_kind);
  FUZZ_CHECK(!f);
  FUZZ_CHECK(f.error().message().find("nested too deeply") != std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Deep nesting is refused, not recursed into (each would overflow the stack if it were).
  const int deep = 100000;
  expect_too_deep(std::string(deep, '(') + "PID" + std::string(deep, ')'));
  expect_too_deep(std::string(deep, '!') + "PID");
  std::string chain = "PID";
  for (int i = 0; i < deep; ++i) chain += " == PID";
  expect_too_deep(chain);
  std::string nots;
  for (int i = 0; i < deep; ++i) nots += "not ";
  expect_too_deep(nots + "PID");
  // Just inside the limit still parses.
  const int ok = nsctl::kFilterMaxDepth / 2;
  FUZZ_CHECK(
      nsctl::Filter::parse(std::string(ok, '(') + "PID" + std::string(ok, ')'), column_kind));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_view(data, size);
  std::size_t nl = text.find('\n');
  std::string_view expr = text.substr(0, nl);
  std::vector<std::string_view> cells;
  if (nl != std::string_view::npos) cells = fuzz::split(text.substr(nl + 1), '\n', 64);

  auto f = nsctl::Filter::parse(expr, column_kind);
  if (!f) {
    const std::string& m = f.error().message();
    FUZZ_CHECK(!m.empty());
    FUZZ_CHECK(fuzz::no_controls(m));
    return 0;
  }
  const auto& cols = f->columns();
  for (const auto& c : cols) FUZZ_CHECK(column_kind(c).has_value());

  std::vector<std::string> asked;
  bool result = f->matches([&](std::string_view name) -> std::optional<std::string> {
    FUZZ_CHECK(std::find(asked.begin(), asked.end(), name) == asked.end());
    auto it = std::find(cols.begin(), cols.end(), name);
    FUZZ_CHECK(it != cols.end());
    asked.emplace_back(name);
    std::size_t i = static_cast<std::size_t>(it - cols.begin());
    if (i >= cells.size() || cells[i] == "\x01") return std::nullopt;
    return std::string(cells[i]);
  });
  // Evaluation is deterministic.
  bool again = f->matches([&](std::string_view name) -> std::optional<std::string> {
    auto it = std::find(cols.begin(), cols.end(), name);
    std::size_t i = static_cast<std::size_t>(it - cols.begin());
    if (i >= cells.size() || cells[i] == "\x01") return std::nullopt;
    return std::string(cells[i]);
  });
  FUZZ_CHECK(result == again);
  return 0;
}
