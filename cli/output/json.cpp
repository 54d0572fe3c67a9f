#include "output/json.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

#include "base/escape.hpp"
#include "base/text.hpp"

namespace nsctl::out::detail {
namespace {

// The layout of util-linux's ul_jsonwrt (lib/jsonwrt.c), which lsns -J prints with: 3-space
// indentation, "},{" between objects of an array, and keys lower-cased. Reproduced state for
// state so the bytes match.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void open_object(std::optional<std::string_view> name) { open(name, "{"); }
  void open_array(std::optional<std::string_view> name) { open(name, "["); }
  void close_object() { close('}'); }
  void close_array() { close(']'); }

  // name: <literal>, where literal is already valid JSON (null, true, 42).
  void value_literal(std::string_view name, std::string_view literal) {
    print_name(name);
    out_ += ": ";
    out_ += literal;
    after_close_ = true;
  }
  void value_string(std::string_view name, std::string_view s) {
    print_name(name);
    out_ += ": ";
    text::json_quote(out_, s);
    after_close_ = true;
  }

 private:
  void indent() {
    for (int i = 0; i < indent_; ++i) out_ += "   ";
  }

  void print_name(std::optional<std::string_view> name) {
    if (after_close_) out_ += name ? ",\n" : ",";
    if (name || !after_close_) indent();
    if (name) {
      text::json_quote(out_, ascii_lower(*name));
    }
  }

  void open(std::optional<std::string_view> name, std::string_view bracket) {
    print_name(name);
    if (name) out_ += ": ";
    out_ += bracket;
    out_ += '\n';
    ++indent_;
    after_close_ = false;
  }

  void close(char bracket) {
    --indent_;
    out_ += '\n';
    indent();
    out_ += bracket;
    if (bracket == '}' && indent_ == 0) out_ += '\n';
    after_close_ = true;
  }

  std::string& out_;
  int indent_ = 0;
  bool after_close_ = false;
};

void write_value(JsonWriter& w, const Column& col, std::string_view cell, const Options& options) {
  if (cell.empty()) {
    w.value_literal(col.name, "null");
    return;
  }
  switch (col.kind) {
    case Kind::number:
      // libsmartcols writes number cells verbatim; one that is not a number would break the
      // document, so it is written as a string instead.
      if (is_json_number(cell)) {
        w.value_literal(col.name, cell);
      } else {
        w.value_string(col.name, cell);
      }
      return;
    case Kind::boolean: {
      const char c = cell.front();
      w.value_literal(col.name, (c == '0' || c == 'n' || c == 'N') ? "false" : "true");
      return;
    }
    case Kind::string:
      break;
  }
  if (col.wrap && !options.wrap) {
    // lsns -W joins the lines of a multi-line cell with ','; with wrap on it keeps the '\n'.
    std::string joined(cell);
    for (char& c : joined) {
      if (c == '\n') c = ',';
    }
    w.value_string(col.name, joined);
    return;
  }
  w.value_string(col.name, cell);
}

void write_row(JsonWriter& w, const std::vector<Column>& columns, const Row& row,
               const Options& options) {
  w.open_object(std::nullopt);
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const std::string_view cell = c < row.cells.size() ? std::string_view(row.cells[c]) : "";
    write_value(w, columns[c], cell, options);
  }
  if (options.tree && !row.children.empty()) {
    w.open_array("children");
    for (const Row& child : row.children) write_row(w, columns, child, options);
    w.close_array();
  }
  w.close_object();
  if (!options.tree) {
    // Outside tree mode the children follow their parent as ordinary rows.
    for (const Row& child : row.children) write_row(w, columns, child, options);
  }
}

}  // namespace

bool is_json_number(std::string_view s) {
  // Integers only, of at most 20 digits: every JSON reader takes them exactly. The JSON grammar
  // also allows "3e026532201", which readers reject or round (found by fuzzing).
  std::string_view digits = s.starts_with('-') ? s.substr(1) : s;
  if (digits.empty() || digits.size() > 20 || (digits.size() > 1 && digits.front() == '0'))
    return false;
  return std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string render_json(const std::vector<Column>& columns, const std::vector<Row>& rows,
                        const Options& options) {
  std::string out;
  JsonWriter w(out);
  w.open_object(std::nullopt);
  w.open_array(options.json_root);
  for (const Row& row : rows) write_row(w, columns, row, options);
  w.close_array();
  w.close_object();
  return out;
}

}  // namespace nsctl::out::detail
