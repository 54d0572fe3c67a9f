// The table and raw formats, laid out as libsmartcols 2.38 lays them out (calculate.c for the
// column widths, print.c for the cells), and the render() entry point.
#include "output/table.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <deque>
#include <string_view>

#include "base/escape.hpp"
#include "output/json.hpp"

namespace nsctl::out {
namespace {

// libsmartcols' UTF-8 tree symbols (the same in lsns -T, findmnt and lsblk).
constexpr std::string_view kBranch = "\u251c\u2500";  // "├─" a child with siblings below
constexpr std::string_view kRight = "\u2514\u2500";   // "└─" the last child
constexpr std::string_view kVertical = "\u2502 ";     // "│ " an ancestor with siblings below
constexpr std::string_view kBlank = "  ";             //      an ancestor that was last

// A row in output order, with the tree drawing that precedes its tree cell.
struct Line {
  const Row* row = nullptr;
  std::string art;       // on the row's own line
  std::string cont_art;  // on its continuation lines (multi-line cells)
};

void flatten_children(const Row& parent, const std::string& prefix, bool tree,
                      std::vector<Line>& out) {
  for (std::size_t i = 0; i < parent.children.size(); ++i) {
    const Row& child = parent.children[i];
    const bool last = i + 1 == parent.children.size();
    std::string own;
    Line line{&child, {}, {}};
    if (tree) {
      line.art = prefix;
      line.art += last ? kRight : kBranch;
      own = prefix;
      own += last ? kBlank : kVertical;
      line.cont_art = own;
      if (!child.children.empty()) line.cont_art += kVertical;
    }
    out.push_back(std::move(line));
    flatten_children(child, own, tree, out);
  }
}

std::vector<Line> flatten(const std::vector<Row>& rows, bool tree) {
  std::vector<Line> out;
  for (const Row& root : rows) {
    Line line{&root, {}, {}};
    if (tree && !root.children.empty()) line.cont_art = kVertical;
    out.push_back(std::move(line));
    flatten_children(root, {}, tree, out);
  }
  return out;
}

std::string_view cell_of(const Row& row, std::size_t c) {
  return c < row.cells.size() ? std::string_view(row.cells[c]) : std::string_view();
}

std::string join_lines(std::string_view s) {
  std::string r(s);
  std::replace(r.begin(), r.end(), '\n', ',');
  return r;
}

// ---- raw ----------------------------------------------------------------------------------

std::string render_raw(const std::vector<Column>& columns, const std::vector<Line>& lines,
                       const Options& options) {
  std::string out;
  if (lines.empty() || columns.empty()) return out;
  if (options.headings) {
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (c) out += ' ';
      out += text::raw_encode(columns[c].name);
    }
    out += '\n';
  }
  for (const Line& line : lines) {
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (c) out += ' ';
      const Column& col = columns[c];
      // Raw output has no multi-line cells (lsns -r implies -W: lines joined by ',').
      std::string text =
          col.wrap ? join_lines(cell_of(*line.row, c)) : std::string(cell_of(*line.row, c));
      if (options.tree && col.tree) text.insert(0, line.art);
      out += text::raw_encode(text);
    }
    out += '\n';
  }
  return out;
}

// ---- table --------------------------------------------------------------------------------

struct ColumnLayout {
  bool right = false;
  bool trunc = false;
  bool multiline = false;  // a wrap column with wrap on: one chunk per output line
  bool tree = false;       // draws the tree (tree mode only)
  std::size_t width = 0;
  std::size_t width_min = 0;
  std::size_t width_treeart = 0;
};

// One output line of a cell, safe for a terminal, and its width in cells.
struct Chunk {
  std::string_view text;
  std::size_t width = 0;
};

// The chunks of one row's cells, laid out for the table: the table is written in two passes
// over the rows (widths, then text), each building one row at a time here, so that the
// writer holds no more than a row besides the output.
class RowChunks {
 public:
  RowChunks(const std::vector<Column>& columns, const std::vector<ColumnLayout>& layout)
      : columns_(columns), layout_(layout), cells_(columns.size()) {}

  void build(const Line& line) {
    arena_.clear();
    height_ = 1;
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      const ColumnLayout& col = layout_[c];
      const std::string_view text = cell_of(*line.row, c);
      std::vector<Chunk>& cell = cells_[c];
      cell.clear();
      if (col.multiline) {
        for (std::size_t start = 0;;) {
          const std::size_t nl = text.find('\n', start);
          cell.push_back(chunk(text.substr(start, nl - start)));
          if (nl == std::string_view::npos) break;
          start = nl + 1;
        }
        // A trailing '\n' adds no blank continuation line.
        while (cell.size() > 1 && cell.back().text.empty()) cell.pop_back();
      } else if (columns_[c].wrap && text.find('\n') != std::string_view::npos) {
        cell.push_back(chunk(keep(join_lines(text))));
      } else {
        cell.push_back(chunk(text));
      }
      if (col.tree) {
        // The art is printable, so it is its own safe encoding.
        Chunk& first = cell.front();
        first = {keep(line.art + std::string(first.text)),
                 first.width + text::display_width(line.art)};
      }
      height_ = std::max(height_, cell.size());
    }
  }

  const std::vector<Chunk>& cell(std::size_t c) const { return cells_[c]; }
  std::size_t height() const { return height_; }

 private:
  Chunk chunk(std::string_view text) {
    // Most cells need no escape: they are written from the row itself.
    if (text::is_plain_ascii(text)) return {text, text.size()};
    text::Safe safe = text::safe_encode(text);
    return {keep(std::move(safe.text)), safe.width};
  }
  // Text that the chunks of this row point into; a deque, so that earlier strings stay put.
  std::string_view keep(std::string text) { return arena_.emplace_back(std::move(text)); }

  const std::vector<Column>& columns_;
  const std::vector<ColumnLayout>& layout_;
  std::vector<std::vector<Chunk>> cells_;
  std::deque<std::string> arena_;
  std::size_t height_ = 1;
};

void pad(std::string& out, std::size_t from, std::size_t to) {
  if (from < to) out.append(to - from, ' ');
}

// print.c's print_data(): one cell of the header or of a row's first line.
void print_data(std::string& out, const ColumnLayout& col, Chunk data, bool is_last) {
  std::size_t width = col.width;
  std::size_t len = data.width;
  if (is_last && len < width && !col.right) width = len;
  text::Safe cut;
  if (len > width && col.trunc) {
    cut = text::truncate_to_width(data.text, width);
    data = {cut.text, cut.width};
    len = data.width;
  }
  if (!data.text.empty()) {
    if (col.right) {
      pad(out, len, width);
      len = std::max(len, width);
    }
    out += data.text;
  }
  if (is_last) return;
  pad(out, len, width);
  out += ' ';
}

// print.c's print_pending_data(): a further line of a multi-line cell (never right-aligned,
// never truncated, as in libsmartcols).
void print_pending(std::string& out, const ColumnLayout& col, Chunk data, bool is_last) {
  out += data.text;
  if (is_last) return;
  pad(out, data.width, col.width);
  out += ' ';
}

// print.c's print_empty_cell(): a blank cell of a continuation line; the tree column keeps
// drawing its vertical lines.
void print_empty(std::string& out, const ColumnLayout& col, const Line& line, bool is_last) {
  std::size_t len = 0;
  if (col.tree) {
    out += line.cont_art;
    len = text::display_width(line.cont_art);
  }
  if (is_last) return;
  pad(out, len, col.width);
  out += ' ';
}

// calculate.c's __scols_calculate() for lsns's columns (absolute width hints only): the widths
// from the data, then, on a terminal too narrow for them, the truncatable columns reduced one
// cell at a time, round-robin, down to their header's width.
void compute_widths(std::vector<ColumnLayout>& layout, const std::vector<Column>& columns,
                    RowChunks& row, const std::vector<Line>& lines, const Options& options) {
  std::vector<std::size_t> data_width(columns.size(), 0);
  for (const Line& line : lines) {
    row.build(line);
    for (std::size_t c = 0; c < columns.size(); ++c) {
      for (const Chunk& chunk : row.cell(c)) data_width[c] = std::max(data_width[c], chunk.width);
      if (layout[c].tree)
        layout[c].width_treeart = std::max(layout[c].width_treeart, text::display_width(line.art));
    }
  }
  for (std::size_t c = 0; c < columns.size(); ++c) {
    ColumnLayout& col = layout[c];
    // The header counts even with headings off, as in libsmartcols.
    col.width_min = std::max<std::size_t>(1, text::safe_encode(columns[c].name).width);
    std::size_t w = data_width[c];
    const std::size_t hint = columns[c].width_hint;
    if (w < col.width_min) {
      w = col.width_min;
    } else if (hint >= 1 && w < hint && col.width_min < hint) {
      w = hint;
    }
    col.width = w;
  }

  if (options.width == 0 || layout.empty()) return;  // not a terminal: never truncate
  std::size_t total = layout.size() - 1;             // the separators
  for (const ColumnLayout& col : layout) total += col.width;

  while (total > options.width) {
    const std::size_t before = total;
    for (ColumnLayout& col : layout) {
      if (total <= options.width) break;
      if (col.width == col.width_min) continue;
      // "never truncate the tree" (libsmartcols compares the table's width here).
      if (col.tree && total <= col.width_treeart) continue;
      if (col.width == 0) continue;
      if (col.trunc) {
        --col.width;
        --total;
      }
    }
    if (before == total) break;  // nothing left to reduce: the lines overflow
  }
}

std::string render_table(const std::vector<Column>& columns, const std::vector<Line>& lines,
                         const Options& options) {
  std::string out;
  if (lines.empty() || columns.empty()) return out;

  std::vector<ColumnLayout> layout(columns.size());
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const Column& def = columns[c];
    ColumnLayout& col = layout[c];
    col.tree = options.tree && def.tree;
    col.right = def.right && !col.tree;  // lsns -T draws NS left-aligned
    col.trunc = def.truncate && options.truncate;
    col.multiline = def.wrap && options.wrap;
  }
  RowChunks row(columns, layout);
  compute_widths(layout, columns, row, lines, options);

  // Every line but multi-line cells' continuations is at most this long: one allocation.
  std::size_t line_length = columns.size();
  for (const ColumnLayout& col : layout) line_length += col.width;
  out.reserve((lines.size() + 1) * line_length);

  const std::size_t last = columns.size() - 1;
  if (options.headings) {
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const text::Safe name = text::safe_encode(columns[c].name);
      print_data(out, layout[c], {name.text, name.width}, c == last);
    }
    out += '\n';
  }
  for (const Line& line : lines) {
    row.build(line);
    for (std::size_t c = 0; c < columns.size(); ++c)
      print_data(out, layout[c], row.cell(c).front(), c == last);
    out += '\n';
    for (std::size_t k = 1; k < row.height(); ++k) {
      for (std::size_t c = 0; c < columns.size(); ++c) {
        if (k < row.cell(c).size()) {
          print_pending(out, layout[c], row.cell(c)[k], c == last);
        } else {
          print_empty(out, layout[c], line, c == last);
        }
      }
      out += '\n';
    }
  }
  return out;
}

}  // namespace

std::string render(const std::vector<Column>& columns, const std::vector<Row>& rows,
                   const Options& options) {
  if (options.format == Format::json) return detail::render_json(columns, rows, options);
  const std::vector<Line> lines = flatten(rows, options.tree);
  if (options.format == Format::raw) return render_raw(columns, lines, options);
  return render_table(columns, lines, options);
}

std::size_t terminal_width(int fd) {
  if (isatty(fd) != 1) return 0;
  winsize ws{};
  if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  // lib/ttyutils.c: $COLUMNS only when the terminal does not report its size.
  if (const char* env = std::getenv("COLUMNS"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(env, &end, 10);
    if (errno == 0 && *end == '\0' && v > 0 && v <= INT_MAX) return static_cast<std::size_t>(v);
  }
  return 80;
}

}  // namespace nsctl::out
