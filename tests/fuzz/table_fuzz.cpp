// A whole render() round (cli/output/table.hpp) with fuzzed cells, column flags and options,
// in the table, raw and JSON formats.
//
// Input: byte 0 picks options, byte 1 the column count (1..6) and bytes 2..7 each column's
// kind and flags; the rest is the cells, separated by 0xff, taken row-major; a cell starting
// with 0xfe makes its row a child of the previous top-level row (tree mode nests it).
//
// Invariants: JSON output always parses, has the root key and one object per row (nested in
// tree mode); raw output is one line per row plus the header, each with exactly columns-1
// separators, and no byte outside printable ASCII; table output has no control byte except the
// newlines and is valid UTF-8.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "output/table.hpp"

namespace o = nsctl::out;

namespace {

std::size_t count_rows(const std::vector<o::Row>& rows) {
  std::size_t n = 0;
  for (const auto& r : rows) n += 1 + count_rows(r.children);
  return n;
}

std::size_t count_json_rows(const nlohmann::json& arr) {
  std::size_t n = 0;
  for (const auto& obj : arr) {
    FUZZ_CHECK(obj.is_object());
    ++n;
    if (obj.contains("children")) n += count_json_rows(obj["children"]);
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 8) return 0;
  static const char* const kNames[] = {"NS", "TYPE", "NPROCS", "PID", "COMMAND", "NSFS"};
  std::uint8_t opt = data[0];
  std::size_t ncols = 1 + data[1] % 6;
  std::vector<o::Column> cols;
  for (std::size_t i = 0; i < ncols; ++i) {
    std::uint8_t f = data[2 + i];
    o::Column c;
    c.name = kNames[i];
    c.kind = static_cast<o::Kind>(f % 3);
    c.right = f & 0x04;
    c.truncate = f & 0x08;
    c.wrap = f & 0x10;
    c.tree = (i == 0) && (f & 0x20);
    c.width_hint = (f & 0x40) ? 10 : 0;
    cols.push_back(std::move(c));
  }
  o::Options options;
  options.headings = opt & 0x01;
  options.truncate = opt & 0x02;
  options.wrap = opt & 0x04;
  options.tree = opt & 0x08;
  options.width = (opt & 0x10) ? 20 + (opt >> 5) * 7 : 0;

  std::vector<o::Row> rows;
  std::vector<std::string_view> cells = fuzz::split(fuzz::as_view(data + 8, size - 8), '\xff', 512);
  for (std::size_t i = 0; i < cells.size(); i += ncols) {
    o::Row row;
    bool child = !cells[i].empty() && cells[i].front() == '\xfe';
    for (std::size_t k = 0; k < ncols && i + k < cells.size(); ++k) {
      std::string_view c = cells[i + k];
      if (k == 0 && child) c.remove_prefix(1);
      row.cells.emplace_back(c);  // a short last row leaves cells missing: they are ""
    }
    if (child && !rows.empty())
      rows.back().children.push_back(std::move(row));
    else
      rows.push_back(std::move(row));
  }
  const std::size_t total = count_rows(rows);

  // JSON.
  options.format = o::Format::json;
  std::string json = o::render(cols, rows, options);
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) std::fprintf(stderr, "invalid JSON:\n%s\n", json.c_str());
  FUZZ_CHECK(!doc.is_discarded());
  FUZZ_CHECK(doc.is_object() && doc.contains(options.json_root));
  const auto& arr = doc[options.json_root];
  FUZZ_CHECK(arr.is_array());
  FUZZ_CHECK(count_json_rows(arr) == total);
  if (options.tree) FUZZ_CHECK(arr.size() == rows.size());

  // Raw.
  options.format = o::Format::raw;
  std::string raw = o::render(cols, rows, options);
  if (rows.empty()) {
    FUZZ_CHECK(raw.empty());
  } else {
    FUZZ_CHECK(raw.back() == '\n');
    std::size_t lines = 0, spaces = 0;
    for (char c : raw) {
      if (c == '\n') {
        FUZZ_CHECK(spaces == ncols - 1);
        ++lines;
        spaces = 0;
      } else if (c == ' ') {
        ++spaces;
      } else {
        FUZZ_CHECK(c > 0x20 && c < 0x7f);
      }
    }
    FUZZ_CHECK(lines == total + (options.headings ? 1 : 0));
  }

  // Table.
  options.format = o::Format::table;
  std::string table = o::render(cols, rows, options);
  FUZZ_CHECK(fuzz::no_controls(table, "\n"));
  FUZZ_CHECK(fuzz::valid_utf8(table));
  if (rows.empty()) FUZZ_CHECK(table.empty());
  return 0;
}
