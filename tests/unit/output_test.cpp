// The output writers against what util-linux 2.38.1 prints. The expected strings marked
// "lsns:" are real lsns output captured on Debian 12 (the rows below rebuild its data);
// the rest follow libsmartcols' rules where no real tool shows the case.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/escape.hpp"
#include "output/table.hpp"

namespace nsctl::out {
namespace {

// lsns 2.38.1's column definitions (sys-utils/lsns.c): flags and width hints.
Column lsns_column(std::string_view name) {
  static const std::map<std::string_view, Column> kColumns = {
      {"NS", {"NS", Kind::number, true, false, false, false, 10}},
      {"TYPE", {"TYPE", Kind::string, false, false, false, false, 5}},
      {"PATH", {"PATH", Kind::string, false, false, false, false, 0}},
      {"NPROCS", {"NPROCS", Kind::number, true, false, false, false, 5}},
      {"PID", {"PID", Kind::number, true, false, false, false, 5}},
      {"USER", {"USER", Kind::string, false, false, false, false, 0}},
      {"COMMAND", {"COMMAND", Kind::string, false, true, false, false, 0}},
      {"NETNSID", {"NETNSID", Kind::string, true, false, false, false, 0}},
      {"NSFS", {"NSFS", Kind::string, false, false, true, false, 0}},
  };
  return kColumns.at(name);
}

std::vector<Column> lsns_columns(std::initializer_list<std::string_view> names,
                                 std::string_view tree_column = "") {
  std::vector<Column> cols;
  for (auto n : names) {
    cols.push_back(lsns_column(n));
    cols.back().tree = n == tree_column;
  }
  return cols;
}

Options with(Format format) {
  Options o;
  o.format = format;
  return o;
}

// ---- table ------------------------------------------------------------------------------

// lsns (default columns; COMMAND carries the process tree).
TEST(OutputTable, LsnsDefaultListing) {
  const auto cols = lsns_columns({"NS", "TYPE", "NPROCS", "PID", "USER", "COMMAND"}, "COMMAND");
  std::vector<Row> rows;
  const std::vector<std::pair<const char*, const char*>> ns = {
      {"4026531832", "mnt"},    {"4026531833", "net"}, {"4026531834", "time"},
      {"4026531835", "cgroup"}, {"4026531836", "pid"}, {"4026531837", "user"},
      {"4026531838", "uts"},    {"4026531839", "ipc"}};
  for (const auto& [id, type] : ns) {
    rows.push_back({{id, type, id == ns[0].first ? "70" : "71", "2", "root", "kthreadd"}, {}});
  }
  rows.back().children.push_back({{"4026531860", "mnt", "1", "25", "root", "kdevtmpfs"}, {}});
  Options o;
  o.tree = true;
  EXPECT_EQ(render(cols, rows, o),
            "        NS TYPE   NPROCS PID USER COMMAND\n"
            "4026531832 mnt        70   2 root kthreadd\n"
            "4026531833 net        71   2 root kthreadd\n"
            "4026531834 time       71   2 root kthreadd\n"
            "4026531835 cgroup     71   2 root kthreadd\n"
            "4026531836 pid        71   2 root kthreadd\n"
            "4026531837 user       71   2 root kthreadd\n"
            "4026531838 uts        71   2 root kthreadd\n"
            "4026531839 ipc        71   2 root kthreadd\n"
            "4026531860 mnt         1  25 root └─kdevtmpfs\n");
}

// The width hint widens a column only when its data is at least as wide as its header:
// lsns prints PID 3 wide for "25" but 5 wide for "4636", TYPE 4 wide for "net" but 5 for
// "user". A right-aligned last column with an empty cell leaves the separator.
TEST(OutputTable, WidthHintsAndEmptyLastCell) {
  auto cols = lsns_columns({"TYPE", "NETNSID"});
  std::vector<Row> rows = {
      {{"net", "unassigned"}, {}}, {{"uts", ""}, {}}, {{"net", "unassigned"}, {}}};
  // lsns -t uts -t net -o TYPE,NETNSID
  EXPECT_EQ(render(cols, rows, {}),
            "TYPE    NETNSID\n"
            "net  unassigned\n"
            "uts  \n"
            "net  unassigned\n");
  cols = lsns_columns({"TYPE", "PID"});
  rows = {{{"user", "4636"}, {}}};
  EXPECT_EQ(render(cols, rows, {}), "TYPE    PID\nuser   4636\n");
}

TEST(OutputTable, HeadingsOff) {
  const auto cols = lsns_columns({"NS", "TYPE", "NPROCS"});
  std::vector<Row> rows = {{{"4026531837", "user", "75"}, {}}};
  Options o;
  o.headings = false;
  // The header still sets the widths (NPROCS stays 6 wide), as in lsns -n.
  EXPECT_EQ(render(cols, rows, o), "4026531837 user      75\n");
  o.format = Format::raw;
  EXPECT_EQ(render(cols, rows, o), "4026531837 user 75\n");
}

TEST(OutputTable, EmptyTablePrintsNothing) {
  const auto cols = lsns_columns({"NS", "TYPE"});
  EXPECT_EQ(render(cols, {}, {}), "");
  EXPECT_EQ(render(cols, {}, with(Format::raw)), "");
  // lsns -J -p 99999
  EXPECT_EQ(render(cols, {}, with(Format::json)), "{\n   \"namespaces\": [\n\n   ]\n}\n");
}

TEST(OutputTable, MissingCellsAreEmpty) {
  const auto cols = lsns_columns({"NS", "TYPE", "USER"});
  std::vector<Row> rows = {{{"1"}, {}}, {{"2", "net", "root"}, {}}};
  EXPECT_EQ(render(cols, rows, {}),
            "NS TYPE USER\n"
            " 1      \n"
            " 2 net  root\n");
}

// ---- tree -------------------------------------------------------------------------------

std::vector<Row> user_tree(const char* root_nprocs) {
  Row r3001{{"4026532250", "user", "1", "4932", "root", "sleep 3001"}, {}};
  Row r3002{{"4026532251", "user", "1", "4933", "root", "sleep 3002"}, {}};
  Row r3003{{"4026532249", "user", "1", "4930", "root", "sleep 3003"}, {r3001, r3002}};
  Row r3005{{"4026532252", "user", "1", "4934", "root", "sleep 3005"}, {}};
  Row r3004{{"4026532248", "user", "1", "4928", "root", "sleep 3004"}, {r3003, r3005}};
  return {{{"4026531837", "user", root_nprocs, "2", "root", "kthreadd"}, {r3004}}};
}

const auto kTreeColumns = lsns_columns({"NS", "TYPE", "NPROCS", "PID", "USER", "COMMAND"}, "NS");

TEST(OutputTree, ThreeLevels) {
  Options o;
  o.tree = true;
  // lsns -T -t user
  EXPECT_EQ(render(kTreeColumns, user_tree("75"), o),
            "NS               TYPE  NPROCS   PID USER COMMAND\n"
            "4026531837       user      75     2 root kthreadd\n"
            "└─4026532248     user       1  4928 root sleep 3004\n"
            "  ├─4026532249   user       1  4930 root sleep 3003\n"
            "  │ ├─4026532250 user       1  4932 root sleep 3001\n"
            "  │ └─4026532251 user       1  4933 root sleep 3002\n"
            "  └─4026532252   user       1  4934 root sleep 3005\n");
  // Outside tree mode the children follow their parent, undecorated, and NS is right-aligned.
  EXPECT_EQ(render(kTreeColumns, user_tree("75"), {}),
            "        NS TYPE  NPROCS   PID USER COMMAND\n"
            "4026531837 user      75     2 root kthreadd\n"
            "4026532248 user       1  4928 root sleep 3004\n"
            "4026532249 user       1  4930 root sleep 3003\n"
            "4026532250 user       1  4932 root sleep 3001\n"
            "4026532251 user       1  4933 root sleep 3002\n"
            "4026532252 user       1  4934 root sleep 3005\n");
}

TEST(OutputTree, Raw) {
  Options o = with(Format::raw);
  o.tree = true;
  // lsns -T -t user -r
  EXPECT_EQ(render(kTreeColumns, user_tree("74"), o),
            R"(NS TYPE NPROCS PID USER COMMAND
4026531837 user 74 2 root kthreadd
\xe2\x94\x94\xe2\x94\x804026532248 user 1 4928 root sleep\x203004
\x20\x20\xe2\x94\x9c\xe2\x94\x804026532249 user 1 4930 root sleep\x203003
\x20\x20\xe2\x94\x82\x20\xe2\x94\x9c\xe2\x94\x804026532250 user 1 4932 root sleep\x203001
\x20\x20\xe2\x94\x82\x20\xe2\x94\x94\xe2\x94\x804026532251 user 1 4933 root sleep\x203002
\x20\x20\xe2\x94\x94\xe2\x94\x804026532252 user 1 4934 root sleep\x203005
)");
}

TEST(OutputTree, Json) {
  Options o = with(Format::json);
  o.tree = true;
  // lsns -T -t user -J
  const std::string expected = R"({
   "namespaces": [
      {
         "ns": 4026531837,
         "type": "user",
         "nprocs": 74,
         "pid": 2,
         "user": "root",
         "command": "kthreadd",
         "children": [
            {
               "ns": 4026532248,
               "type": "user",
               "nprocs": 1,
               "pid": 4928,
               "user": "root",
               "command": "sleep 3004",
               "children": [
                  {
                     "ns": 4026532249,
                     "type": "user",
                     "nprocs": 1,
                     "pid": 4930,
                     "user": "root",
                     "command": "sleep 3003",
                     "children": [
                        {
                           "ns": 4026532250,
                           "type": "user",
                           "nprocs": 1,
                           "pid": 4932,
                           "user": "root",
                           "command": "sleep 3001"
                        },{
                           "ns": 4026532251,
                           "type": "user",
                           "nprocs": 1,
                           "pid": 4933,
                           "user": "root",
                           "command": "sleep 3002"
                        }
                     ]
                  },{
                     "ns": 4026532252,
                     "type": "user",
                     "nprocs": 1,
                     "pid": 4934,
                     "user": "root",
                     "command": "sleep 3005"
                  }
               ]
            }
         ]
      }
   ]
}
)";
  EXPECT_EQ(render(kTreeColumns, user_tree("74"), o), expected);
  // Without tree mode the same rows come out flat, in the same order.
  const auto flat =
      nlohmann::json::parse(render(kTreeColumns, user_tree("74"), with(Format::json)));
  ASSERT_EQ(flat["namespaces"].size(), 6u);
  EXPECT_EQ(flat["namespaces"][3]["command"], "sleep 3001");
  EXPECT_FALSE(flat["namespaces"][1].contains("children"));
}

// A multi-line cell in a tree: the continuation line keeps the tree's vertical line.
TEST(OutputTree, MultiLineCell) {
  const auto cols = lsns_columns({"NS", "TYPE", "NSFS", "COMMAND"}, "NS");
  Row root{{"4026531837", "user", "", "kthreadd"}, {}};
  const std::vector<std::pair<const char*, const char*>> kids = {
      {"4026531832", "mnt"},    {"4026531833", "net"}, {"4026531834", "time"},
      {"4026531835", "cgroup"}, {"4026531836", "pid"}, {"4026531838", "uts"},
      {"4026531839", "ipc"}};
  for (const auto& [id, type] : kids) root.children.push_back({{id, type, "", "kthreadd"}, {}});
  root.children.push_back({{"4026531860", "mnt", "", "kdevtmpfs"}, {}});
  root.children.push_back(
      {{"4026532177", "net", "/run/netns/nsctltest_a\n/run/netns/nsctltest_b", "sleep 3000"}, {}});
  root.children.push_back({{"4026532246", "mnt", "", "sleep 3000"}, {}});
  Options o;
  o.tree = true;
  // lsns -T -o NS,TYPE,NSFS,COMMAND (with /run/netns/nsctltest_b a bind mount of _a)
  EXPECT_EQ(render(cols, {root}, o),
            "NS           TYPE   NSFS                   COMMAND\n"
            "4026531837   user                          kthreadd\n"
            "├─4026531832 mnt                           kthreadd\n"
            "├─4026531833 net                           kthreadd\n"
            "├─4026531834 time                          kthreadd\n"
            "├─4026531835 cgroup                        kthreadd\n"
            "├─4026531836 pid                           kthreadd\n"
            "├─4026531838 uts                           kthreadd\n"
            "├─4026531839 ipc                           kthreadd\n"
            "├─4026531860 mnt                           kdevtmpfs\n"
            "├─4026532177 net    /run/netns/nsctltest_a sleep 3000\n"
            "│                   /run/netns/nsctltest_b \n"
            "└─4026532246 mnt                           sleep 3000\n");
}

// libsmartcols (print_empty_cell): a parent's continuation line draws the line down to its
// children; the last child's draws nothing for itself.
TEST(OutputTree, ContinuationOfParentAndLastChild) {
  const std::vector<Column> cols = {{"NS", Kind::string, false, false, false, true, 0},
                                    {"NSFS", Kind::string, false, false, true, false, 0},
                                    {"T", Kind::string, false, false, false, false, 0}};
  Row child{{"2", "c\nd", "y"}, {}};
  Row root{{"1", "a\nb", "x"}, {child}};
  Options o;
  o.tree = true;
  EXPECT_EQ(render(cols, {root}, o),
            "NS  NSFS T\n"
            "1   a    x\n"
            "│   b    \n"
            "└─2 c    y\n"
            "    d    \n");
}

// ---- multi-line cells -------------------------------------------------------------------

std::vector<Row> netns_rows() {
  return {
      {{"4026531833", "net", "", "kthreadd"}, {}},
      {{"4026532177", "net", "/run/netns/nsctltest_a\n/run/netns/nsctltest_b", "sleep 3000"}, {}}};
}
const auto kNetnsColumns = lsns_columns({"NS", "TYPE", "NSFS", "COMMAND"});

TEST(OutputMultiLine, WrapOn) {
  // lsns -t net -o NS,TYPE,NSFS,COMMAND
  EXPECT_EQ(render(kNetnsColumns, netns_rows(), {}),
            "        NS TYPE NSFS                   COMMAND\n"
            "4026531833 net                         kthreadd\n"
            "4026532177 net  /run/netns/nsctltest_a sleep 3000\n"
            "                /run/netns/nsctltest_b \n");
}

TEST(OutputMultiLine, WrapOff) {
  Options o;
  o.wrap = false;
  // lsns -t net -o NS,TYPE,NSFS,COMMAND -W
  EXPECT_EQ(render(kNetnsColumns, netns_rows(), o),
            "        NS TYPE NSFS                                          COMMAND\n"
            "4026531833 net                                                kthreadd\n"
            "4026532177 net  /run/netns/nsctltest_a,/run/netns/nsctltest_b sleep 3000\n");
}

TEST(OutputMultiLine, Raw) {
  // lsns -t net -o NS,TYPE,NSFS,COMMAND -r (lsns -r implies -W)
  const std::string expected = R"(NS TYPE NSFS COMMAND
4026531833 net  kthreadd
4026532177 net /run/netns/nsctltest_a,/run/netns/nsctltest_b sleep\x203000
)";
  EXPECT_EQ(render(kNetnsColumns, netns_rows(), with(Format::raw)), expected);
}

TEST(OutputMultiLine, Json) {
  // lsns -t net -o NS,TYPE,NSFS,COMMAND -J
  EXPECT_EQ(render(kNetnsColumns, netns_rows(), with(Format::json)), R"({
   "namespaces": [
      {
         "ns": 4026531833,
         "type": "net",
         "nsfs": null,
         "command": "kthreadd"
      },{
         "ns": 4026532177,
         "type": "net",
         "nsfs": "/run/netns/nsctltest_a\n/run/netns/nsctltest_b",
         "command": "sleep 3000"
      }
   ]
}
)");
  Options o = with(Format::json);
  o.wrap = false;  // lsns -J -W
  const auto doc = nlohmann::json::parse(render(kNetnsColumns, netns_rows(), o));
  EXPECT_EQ(doc["namespaces"][1]["nsfs"], "/run/netns/nsctltest_a,/run/netns/nsctltest_b");
}

TEST(OutputMultiLine, WrapColumnFirstAndLast) {
  auto cols = lsns_columns({"NSFS", "NS"});
  std::vector<Row> rows;
  for (const Row& r : netns_rows()) rows.push_back({{r.cells[2], r.cells[0]}, {}});
  // lsns -t net -o NSFS,NS
  EXPECT_EQ(render(cols, rows, {}),
            "NSFS                           NS\n"
            "                       4026531833\n"
            "/run/netns/nsctltest_a 4026532177\n"
            "/run/netns/nsctltest_b \n");
  cols = lsns_columns({"NS", "NSFS"});
  for (Row& r : rows) std::swap(r.cells[0], r.cells[1]);
  // lsns -t net -o NS,NSFS
  EXPECT_EQ(render(cols, rows, {}),
            "        NS NSFS\n"
            "4026531833 \n"
            "4026532177 /run/netns/nsctltest_a\n"
            "           /run/netns/nsctltest_b\n");
}

// ---- truncation -------------------------------------------------------------------------

// The bytes of a process that named itself hostilely (argv[0]; the kernel joins argv by ' ').
const std::string kHostile =
    "x\x1b[31mred\ttab\nnl\r\b\x7f\xc2\x85"
    "c1 \xff\xfe inv \xe4\xb8\xad\xe6\x96\x87 wide \\x41 bs\\y \xe2\x94 3006";
// lsns prints it in a table as:
const std::string kHostileTable =
    R"(x\x1b[31mred\x09tab\x0anl\x0d\x08\x7f\xc2\x85c1 \xff\xfe inv 中文 wide \x5cx41 bs\y \xe2\x94 3006)";
// and in raw output as:
const std::string kHostileRaw =
    R"(x\x1b[31mred\x09tab\x0anl\x0d\x08\x7f\xc2\x85c1\x20\xff\xfe\x20inv\x20\xe4\xb8\xad\xe6\x96\x87\x20wide\x20\x5cx41\x20bs\x5cy\x20\xe2\x94\x203006)";

const char* const kWorkload =
    "/tmp/nsctl-workload --procs 100 -- /usr/bin/bash bench/compare.sh --inside 100 "
    "/tmp/nsctl-bench.TbKrwi/100 5 1";

std::vector<Row> path_rows() {
  Row s3001{{"4026532250", "/proc/4932/ns/user", "sleep 3001", "user"}, {}};
  Row s3002{{"4026532251", "/proc/4933/ns/user", "sleep 3002", "user"}, {}};
  Row s3003{{"4026532249", "/proc/4930/ns/user", "sleep 3003", "user"}, {s3001, s3002}};
  Row s3005{{"4026532252", "/proc/4934/ns/user", "sleep 3005", "user"}, {}};
  return {{{"4026531837", "/proc/2/ns/user", "kthreadd", "user"}, {}},
          {{"4026532247", "/proc/18902/ns/user", kHostile, "user"}, {}},
          {{"4026532248", "/proc/4928/ns/user", "sleep 3004", "user"}, {s3003, s3005}},
          {{"4026532328", "/proc/21256/ns/user", kWorkload, "user"}, {}}};
}
const auto kPathColumns = lsns_columns({"NS", "PATH", "COMMAND", "TYPE"}, "COMMAND");

TEST(OutputTruncate, FitsTerminalWidth) {
  Options o;
  o.tree = true;
  // lsns -t user -o NS,PATH,COMMAND,TYPE (not a terminal)
  EXPECT_EQ(render(kPathColumns, path_rows(), o),
            "        NS PATH                COMMAND                                               "
            "                                                         TYPE\n"
            "4026531837 /proc/2/ns/user     kthreadd                                              "
            "                                                         user\n"
            "4026532247 /proc/18902/ns/user " +
                kHostileTable +
                "              user\n"
                "4026532248 /proc/4928/ns/user  sleep 3004                                        "
                "                                                             user\n"
                "4026532249 /proc/4930/ns/user  ├─sleep 3003                                      "
                "                                                             user\n"
                "4026532250 /proc/4932/ns/user  │ ├─sleep 3001                                    "
                "                                                             user\n"
                "4026532251 /proc/4933/ns/user  │ └─sleep 3002                                    "
                "                                                             user\n"
                "4026532252 /proc/4934/ns/user  └─sleep 3005                                      "
                "                                                             user\n"
                "4026532328 /proc/21256/ns/user " +
                kWorkload + " user\n");

  o.width = 45;  // script -qc 'stty cols 45; lsns -t user -o NS,PATH,COMMAND,TYPE'
  EXPECT_EQ(render(kPathColumns, path_rows(), o),
            "        NS PATH                COMMAND  TYPE\n"
            "4026531837 /proc/2/ns/user     kthreadd user\n"
            "4026532247 /proc/18902/ns/user x\\x1b[31 user\n"
            "4026532248 /proc/4928/ns/user  sleep 30 user\n"
            "4026532249 /proc/4930/ns/user  ├─sleep  user\n"
            "4026532250 /proc/4932/ns/user  │ ├─slee user\n"
            "4026532251 /proc/4933/ns/user  │ └─slee user\n"
            "4026532252 /proc/4934/ns/user  └─sleep  user\n"
            "4026532328 /proc/21256/ns/user /tmp/nsc user\n");

  // Never narrower than the header ("COMMAND"): the line overflows a 30-column terminal.
  o.width = 30;  // script -qc 'stty cols 30; lsns -t user -o NS,PATH,COMMAND,TYPE'
  const std::string narrow =
      "        NS PATH                COMMAND TYPE\n"
      "4026531837 /proc/2/ns/user     kthread user\n"
      "4026532247 /proc/18902/ns/user x\\x1b[3 user\n"
      "4026532248 /proc/4928/ns/user  sleep 3 user\n"
      "4026532249 /proc/4930/ns/user  ├─sleep user\n"
      "4026532250 /proc/4932/ns/user  │ ├─sle user\n"
      "4026532251 /proc/4933/ns/user  │ └─sle user\n"
      "4026532252 /proc/4934/ns/user  └─sleep user\n"
      "4026532328 /proc/21256/ns/user /tmp/ns user\n";
  EXPECT_EQ(render(kPathColumns, path_rows(), o), narrow);

  // lsns -u: nothing is cut.
  o.truncate = false;
  Options unlimited;
  unlimited.tree = true;
  EXPECT_EQ(render(kPathColumns, path_rows(), o), render(kPathColumns, path_rows(), unlimited));
}

// A wide character that would straddle the column's edge is dropped and the cell padded.
TEST(OutputTruncate, WideCharacterAtTheEdge) {
  const auto cols = lsns_columns({"NS", "COMMAND", "TYPE"});
  std::vector<Row> rows = {{{"4026531837", "kthreadd", "user"}, {}},
                           {{"4026532247", kHostile, "user"}, {}},
                           {{"4026532248", "sleep 3004", "user"}, {}}};
  Options o;
  o.width = 80;  // script -qc 'stty cols 80; lsns -t user -o NS,COMMAND,TYPE'
  EXPECT_EQ(
      render(cols, rows, o),
      "        NS COMMAND                                                         TYPE\n"
      "4026531837 kthreadd                                                        user\n"
      "4026532247 x\\x1b[31mred\\x09tab\\x0anl\\x0d\\x08\\x7f\\xc2\\x85c1 \\xff\\xfe inv 中 user\n"
      "4026532248 sleep 3004                                                      user\n");
  o.width = 81;
  EXPECT_EQ(
      render(cols, rows, o),
      "        NS COMMAND                                                          TYPE\n"
      "4026531837 kthreadd                                                         user\n"
      "4026532247 x\\x1b[31mred\\x09tab\\x0anl\\x0d\\x08\\x7f\\xc2\\x85c1 \\xff\\xfe inv 中  user\n"
      "4026532248 sleep 3004                                                       user\n");
}

// Several truncatable columns give up one cell each in turn.
TEST(OutputTruncate, RoundRobin) {
  const std::vector<Column> cols = {{"A", Kind::string, false, true, false, false, 0},
                                    {"B", Kind::string, false, true, false, false, 0},
                                    {"C", Kind::string, false, false, false, false, 0}};
  std::vector<Row> rows = {{{"aaaaaaaa", "bbbbbbbb", "cc"}, {}}};
  Options o;
  o.width = 15;  // 8+1+8+1+2 = 20: A and B lose 3 and 2
  EXPECT_EQ(render(cols, rows, o), "A     B      C\naaaaa bbbbbb cc\n");
}

// ---- escapes ----------------------------------------------------------------------------

TEST(OutputEscape, HostileCommandInTableAndRaw) {
  const auto cols = lsns_columns({"NS", "TYPE", "PID", "COMMAND"});
  std::vector<Row> rows = {{{"4026532247", "user", "18902", kHostile}, {}}};
  // lsns -t user -o NS,TYPE,PID,COMMAND   and   ... -r
  EXPECT_EQ(render(cols, rows, {}),
            "        NS TYPE    PID COMMAND\n4026532247 user  18902 " + kHostileTable + "\n");
  EXPECT_EQ(render(cols, rows, with(Format::raw)),
            "NS TYPE PID COMMAND\n4026532247 user 18902 " + kHostileRaw + "\n");
}

TEST(OutputEscape, ControlCharactersInNonWrapCells) {
  const std::vector<Column> cols = {{"A", Kind::string, false, false, false, false, 0},
                                    {"B", Kind::string, false, false, false, false, 0}};
  std::vector<Row> rows = {{{"one\ntwo", "\x1b]0;title\x07\r\x9b"}, {}}};
  EXPECT_EQ(render(cols, rows, {}),
            "A          B\n"
            "one\\x0atwo \\x1b]0;title\\x07\\x0d\\x9b\n");
  EXPECT_EQ(render(cols, rows, with(Format::raw)),
            "A B\none\\x0atwo \\x1b]0;title\\x07\\x0d\\x9b\n");
}

// No byte that a terminal acts on survives, and the text stays valid UTF-8, whatever the input.
TEST(OutputEscape, EveryByteIsSafe) {
  std::string all;
  for (int b = 1; b < 256; ++b) all += static_cast<char>(b);
  all += "\xc2\x80\xc2\x9f\xe2\x80\xa8\xed\xa0\x80\xf4\x90\x80\x80\xc0\xaf";  // C1, U+2028, bad
  const std::vector<Column> cols = {{"A", Kind::string, false, true, false, false, 0},
                                    {"B", Kind::string, true, false, true, false, 0}};
  for (Format f : {Format::table, Format::raw}) {
    for (bool wrap : {true, false}) {
      Options o = with(f);
      o.wrap = wrap;
      o.width = 60;
      const std::string out = render(cols, {{{all, all}, {}}}, o);
      for (std::size_t i = 0; i < out.size();) {
        const auto b = static_cast<unsigned char>(out[i]);
        ASSERT_TRUE(b == '\n' || (b >= 0x20 && b != 0x7f)) << "byte " << int{b} << " at " << i;
        char32_t cp = 0;
        const std::size_t len = text::decode_utf8(out, i, cp);
        ASSERT_NE(len, 0u) << "invalid UTF-8 at " << i;
        ASSERT_FALSE(cp >= 0x80 && cp < 0xa0) << "C1 control at " << i;
        ASSERT_NE(cp, char32_t{0x2028});
        i += len;
      }
      if (f == Format::raw) {
        EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2);  // header + one row
      }
    }
  }
}

// "\x" in the data is written \x5cx so that the escapes stay unambiguous (table mode; raw
// mode escapes every backslash).
TEST(OutputEscape, BackslashX) {
  const std::vector<Column> cols = {{"A", Kind::string, false, false, false, false, 0}};
  std::vector<Row> rows = {{{R"(\x41 \y \)"}, {}}};
  EXPECT_EQ(render(cols, rows, {}), "A\n\\x5cx41 \\y \\\n");
  EXPECT_EQ(render(cols, rows, with(Format::raw)), "A\n\\x5cx41\\x20\\x5cy\\x20\\x5c\n");
  const auto doc = nlohmann::json::parse(render(cols, rows, with(Format::json)));
  EXPECT_EQ(doc["namespaces"][0]["a"], R"(\x41 \y \)");
}

// Wide characters take two cells, combining marks none: the columns after them stay aligned.
TEST(OutputEscape, WideCharacters) {
  const std::vector<Column> cols = {{"NAME", Kind::string, false, false, false, false, 0},
                                    {"N", Kind::number, true, false, false, false, 0}};
  std::vector<Row> rows = {{{"中文字", "1"}, {}},
                           {{"e\xcc\x81t\xc3\xa9", "22"}, {}},   // é as e + U+0301, then é
                           {{"\xf0\x9f\x98\x80!", "333"}, {}}};  // U+1F600
  EXPECT_EQ(render(cols, rows, {}),
            "NAME     N\n"
            "中文字   1\n"
            "e\xcc\x81t\xc3\xa9     22\n"
            "\xf0\x9f\x98\x80!    333\n");
  EXPECT_EQ(text::safe_encode("中文").width, 4u);
  EXPECT_EQ(text::safe_encode("e\xcc\x81").width, 1u);
  EXPECT_EQ(text::truncate_to_width("a中b", 2).text, "a");
  EXPECT_EQ(text::truncate_to_width("a中b", 3).text, "a中");
}

TEST(OutputEscape, Utf8Decoder) {
  char32_t cp = 0;
  EXPECT_EQ(text::decode_utf8("\xe4\xb8\xad", 0, cp), 3u);
  EXPECT_EQ(cp, char32_t{0x4e2d});
  EXPECT_EQ(text::decode_utf8("\xf4\x8f\xbf\xbf", 0, cp), 4u);  // U+10FFFF
  EXPECT_EQ(text::decode_utf8("\xc0\xaf", 0, cp), 0u);          // overlong '/'
  EXPECT_EQ(text::decode_utf8("\xe0\x80\xaf", 0, cp), 0u);      // overlong
  EXPECT_EQ(text::decode_utf8("\xed\xa0\x80", 0, cp), 0u);      // surrogate
  EXPECT_EQ(text::decode_utf8("\xf4\x90\x80\x80", 0, cp), 0u);  // past U+10FFFF
  EXPECT_EQ(text::decode_utf8("\xe4\xb8", 0, cp), 0u);          // truncated
  EXPECT_EQ(text::decode_utf8("\xe4"
                              "A",
                              0, cp),
            0u);  // not a continuation
  EXPECT_EQ(text::decode_utf8("\x80", 0, cp), 0u);
}

// ---- JSON -------------------------------------------------------------------------------

TEST(OutputJson, LsnsShape) {
  const auto cols = lsns_columns({"NS", "TYPE", "NPROCS", "PID", "USER", "NETNSID", "COMMAND"});
  std::vector<Row> rows = {
      {{"4026531833", "net", "74", "2", "root", "unassigned", "kthreadd"}, {}},
      {{"4026532177", "net", "1", "4636", "root", "unassigned", "sleep 3000"}, {}}};
  // lsns -t net -J (without the NSFS column)
  EXPECT_EQ(render(cols, rows, with(Format::json)), R"({
   "namespaces": [
      {
         "ns": 4026531833,
         "type": "net",
         "nprocs": 74,
         "pid": 2,
         "user": "root",
         "netnsid": "unassigned",
         "command": "kthreadd"
      },{
         "ns": 4026532177,
         "type": "net",
         "nprocs": 1,
         "pid": 4636,
         "user": "root",
         "netnsid": "unassigned",
         "command": "sleep 3000"
      }
   ]
}
)");
}

TEST(OutputJson, KindsAndNulls) {
  const std::vector<Column> cols = {{"NUM", Kind::number, true, false, false, false, 0},
                                    {"Flag", Kind::boolean, false, false, false, false, 0},
                                    {"MAJ:MIN", Kind::string, false, false, false, false, 0}};
  std::vector<Row> rows = {{{"-1500", "1", "8:0"}, {}},   {{"unassigned", "0", ""}, {}},
                           {{"", "", "x"}, {}},           {{"0x10", "no", "y"}, {}},
                           {{"3e026532201", "", ""}, {}}, {{"-1.5e3", "", ""}, {}}};
  Options o = with(Format::json);
  o.json_root = "BlockDevices";
  const std::string out = render(cols, rows, o);
  const auto doc = nlohmann::json::parse(out);
  const auto& a = doc["blockdevices"];  // keys are lower-cased, the root's too
  ASSERT_EQ(a.size(), 6u);
  EXPECT_EQ(a[0]["num"], -1500);
  EXPECT_EQ(a[0]["flag"], true);
  EXPECT_EQ(a[0]["maj:min"], "8:0");
  EXPECT_EQ(a[1]["num"], "unassigned");  // not a number: kept, as a string
  EXPECT_EQ(a[1]["flag"], false);
  EXPECT_TRUE(a[1]["maj:min"].is_null());
  EXPECT_TRUE(a[2]["num"].is_null());
  EXPECT_TRUE(a[2]["flag"].is_null());
  EXPECT_EQ(a[3]["num"], "0x10");
  EXPECT_EQ(a[3]["flag"], false);
  EXPECT_NE(out.find("\"num\": -1500,"), std::string::npos);
  // Only integers are written bare: "3e026532201" is JSON by the grammar, but readers reject
  // it (nlohmann: out of range), and fractions are never nsctl's numbers.
  EXPECT_EQ(a[4]["num"], "3e026532201");
  EXPECT_EQ(a[5]["num"], "-1.5e3");
}

TEST(OutputJson, HostileStringsStayValid) {
  const std::vector<Column> cols = {{"S", Kind::string, false, false, false, false, 0},
                                    {"W", Kind::string, false, false, true, true, 0}};
  // Valid UTF-8 comes back byte for byte.
  std::string valid;
  for (int b = 1; b < 0x80; ++b) valid += static_cast<char>(b);
  valid += "\"\\\"quoted\" \\x41 \xc2\x85 \xe2\x80\xa8 中文 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf";
  for (bool tree : {false, true}) {
    Options o = with(Format::json);
    o.tree = tree;
    std::vector<Row> rows = {{{valid, valid}, {{{valid, "a\nb"}, {}}}}};
    const std::string out = render(cols, rows, o);
    nlohmann::json doc;
    ASSERT_NO_THROW(doc = nlohmann::json::parse(out)) << out;
    EXPECT_EQ(doc["namespaces"][0]["s"].get<std::string>(), valid);
    EXPECT_EQ(doc["namespaces"][0]["w"].get<std::string>(), valid);
    const auto& child = tree ? doc["namespaces"][0]["children"][0] : doc["namespaces"][1];
    EXPECT_EQ(child["w"], "a\nb");
  }
  EXPECT_NE(render(cols, {{{"\x01\x1f\x7f", ""}, {}}}, with(Format::json)).find(R"("\u0001\u001f)"),
            std::string::npos);

  // Each byte of invalid UTF-8 becomes the text \xNN; the valid parts around it survive.
  const std::string invalid =
      "a\xff"
      "b\xc0\xaf"
      "c\xed\xa0\x80"
      "d\xe4\xb8"
      "e\x80"
      "中";
  const std::string out = render(cols, {{{invalid, ""}, {}}}, with(Format::json));
  nlohmann::json doc;
  ASSERT_NO_THROW(doc = nlohmann::json::parse(out)) << out;
  EXPECT_EQ(doc["namespaces"][0]["s"], R"(a\xffb\xc0\xafc\xed\xa0\x80d\xe4\xb8e\x80)"
                                       "中");
  EXPECT_NE(out.find(R"("s": "a\\xffb)"), std::string::npos);
}

// ---- terminal width ---------------------------------------------------------------------

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(OutputTerminalWidth, PipeIsUnlimitedEvenWithColumns) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  ScopedEnv env("COLUMNS", "40");
  EXPECT_EQ(terminal_width(fds[1]), 0u);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(OutputTerminalWidth, TerminalSizeThenColumnsThen80) {
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) GTEST_SKIP() << "no pseudo-terminals here";
  ASSERT_EQ(::grantpt(master), 0);
  ASSERT_EQ(::unlockpt(master), 0);
  const int slave = ::open(::ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(slave, 0);
  winsize ws{};
  ws.ws_col = 0;
  ASSERT_EQ(::ioctl(slave, TIOCSWINSZ, &ws), 0);
  {
    ScopedEnv env("COLUMNS", "40");
    EXPECT_EQ(terminal_width(slave), 40u);  // the terminal does not know its size
    ws.ws_col = 77;
    ws.ws_row = 24;
    ASSERT_EQ(::ioctl(slave, TIOCSWINSZ, &ws), 0);
    EXPECT_EQ(terminal_width(slave), 77u);  // lsns prefers the terminal to $COLUMNS
  }
  ws.ws_col = 0;
  ASSERT_EQ(::ioctl(slave, TIOCSWINSZ, &ws), 0);
  {
    ScopedEnv env("COLUMNS", "4x");
    EXPECT_EQ(terminal_width(slave), 80u);
  }
  ::close(slave);
  ::close(master);
}

}  // namespace
}  // namespace nsctl::out
