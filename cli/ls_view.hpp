// The columns of `nsctl ls` (lsns's, plus CONTAINER and HOLDERS) and the rows they make.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nsctl/inspect/scan.hpp"
#include "output/table.hpp"

namespace nsctl::cli {

enum class LsColumn {
  ns,
  type,
  path,
  nprocs,
  pid,
  ppid,
  command,
  uid,
  user,
  netnsid,
  nsfs,
  pns,
  ons,
  container,
  holders
};

struct LsColumnInfo {
  LsColumn id;
  std::string_view name;
  std::string_view help;
  out::Column format;
};

// Every column, in the order of `--help` and --output-all.
const std::vector<LsColumnInfo>& ls_columns();
const LsColumnInfo* ls_column(std::string_view name);  // case-insensitive; nullptr if unknown

enum class TreeKind { none, process, parent, owner };

struct LsView {
  std::vector<LsColumn> columns;
  TreeKind tree = TreeKind::none;
  bool wrap = true;  // multi-line NSFS cells; off: ","-separated (lsns -W)
  // As util-linux lsns: NSFS shows only the bind mounts of nsctl's own mount namespace.
  bool own_mounts_only = false;
};

// The text of one cell (empty: no value).
std::string ls_cell(const Model& model, const Namespace& ns, LsColumn column, const LsView& view);

// The rows for the selected namespaces (indexes into model.namespaces, in order), as a flat list
// or, when view.tree is set, as a forest.
std::vector<out::Row> ls_rows(const Model& model, const std::vector<std::size_t>& selected,
                              const LsView& view);

// The rows for `lsns <namespace>`: the namespace's processes, one row each (PID, PPID, UID,
// USER and COMMAND are the process's), as a process tree unless view.tree is none.
std::vector<out::Row> ls_process_rows(const Model& model, const Namespace& ns, const LsView& view);

}  // namespace nsctl::cli
