// The output writers of the nsctl program: table, raw and JSON, as util-linux's libsmartcols
// prints them (lsns, findmnt, lsblk), so that `nsctl ls` output is byte-compatible with lsns.
//
// These functions never print: they return the whole text, which the CLI writes to stdout.
// Every byte of a cell reaches the output escaped where it could harm a terminal or a JSON
// parser: control characters, DEL, C1 controls and invalid UTF-8 become the text \xNN in table
// and raw output, and JSON output is always a valid document (see render()).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace nsctl::out {

// How a column's cells are written in JSON.
enum class Kind { string, number, boolean };

struct Column {
  std::string name;  // header text, e.g. "NS", "NPROCS"; JSON key is the name lower-cased
  Kind kind = Kind::string;
  bool right = false;     // right-aligned (lsns: NS, NPROCS, PID, PPID, UID, PNS, ONS, NETNSID)
  bool truncate = false;  // may be cut to fit the terminal (lsns 2.38.1: COMMAND; not PATH)
  bool wrap = false;      // may hold several lines separated by '\n' (lsns: NSFS)
  bool tree = false;      // in tree mode, this column draws the tree (lsns -T: NS)
  // libsmartcols' absolute width hint (lsns: NS 10, TYPE 5, NPROCS 5, PID 5, PPID 5, PNS 10,
  // ONS 10): a column whose widest cell is at least as wide as its header is widened to the
  // hint. That is why lsns prints "TYPE " five wide for "user" but four wide for "net".
  std::size_t width_hint = 0;
};

struct Row {
  std::vector<std::string> cells;  // one per column; "" means empty (JSON null); missing = ""
  std::vector<Row> children;       // nested in tree mode; outside it, listed after their parent
};

enum class Format { table, raw, json };

struct Options {
  Format format = Format::table;
  bool headings = true;  // lsns -n turns headings off
  bool truncate = true;  // lsns -u (--notruncate) turns truncation off
  bool wrap = true;      // lsns -W (--nowrap) turns multi-line cells off
  bool tree = false;     // lsns -T
  std::string json_root = "namespaces";
  std::size_t width = 0;  // terminal width; 0 means unlimited (not a terminal)
};

// The whole output, each line ending in '\n'; "" for the table and raw formats when there are
// no rows (libsmartcols prints no header then). What each format does:
//
// table: columns separated by one space, each as wide as its widest cell, header or width
//   hint; right-aligned columns padded on the left; the last column is not padded (but when its
//   cell is empty the line ends with the separator, as libsmartcols does). With width > 0 and
//   truncate on, `truncate` columns are cut (no ellipsis), one cell at a time round-robin, down
//   to no less than their header's width. A `wrap` cell's '\n'-separated lines go on
//   continuation lines (the other columns left blank); with wrap off they are joined by ','
//   as lsns -W does. In tree mode the tree column is drawn with "├─", "└─", "│ " and is
//   left-aligned.
// raw: cells separated by one space, no padding; every byte that is not printable ASCII, and
//   space, tab and backslash, is written as \xNN so a row is one line and one field per cell.
//   Wrap cells are joined by ',' (lsns -r implies -W); the tree art is kept (escaped).
// json: {"<json_root>": [{...},{...}]} with 3-space indentation, exactly as lsns -J; numbers
//   unquoted (a number cell that is not a valid JSON number is written as a string), booleans
//   true/false ("0", "n...", "N..." are false), empty cells null; in tree mode a row's children
//   go into a "children" array. Strings escape '"', '\\' and control characters (\n, \t, ...,
//   \u00XX); valid UTF-8 passes through unchanged; each byte of invalid UTF-8 is written as the
//   4-character text \xNN (JSON "\\xNN"), so the document is always valid JSON.
std::string render(const std::vector<Column>& columns, const std::vector<Row>& rows,
                   const Options& options);

// The width to lay a table out for when writing to fd, as libsmartcols determines it: 0 when
// fd is not a terminal (lsns never truncates into a pipe, even with $COLUMNS set); otherwise
// the terminal's TIOCGWINSZ column count, else $COLUMNS if it is a positive integer, else 80.
std::size_t terminal_width(int fd);

}  // namespace nsctl::out
