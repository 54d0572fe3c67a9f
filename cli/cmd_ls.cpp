// nsctl ls: every namespace on the machine, with the options, columns and output of
// util-linux lsns 2.42 (and lsns itself when the binary is invoked under that name).
#include <fmt/core.h>
#include <getopt.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"
#include "inspect/filter.hpp"
#include "ls_view.hpp"
#include "nsctl/inspect/scan.hpp"
#include "nsctl/version.hpp"
#include "output/table.hpp"
#include "proc/proc.hpp"

namespace nsctl::cli {

namespace {

struct LsOptions {
  out::Options output;
  std::vector<LsColumn> columns;
  std::optional<std::string> output_arg;  // -o LIST or -o +LIST
  bool output_all = false;
  NsTypeSet types;
  std::optional<pid_t> task;
  std::optional<ino_t> ns;
  bool persistent = false;
  bool list_columns = false;
  std::optional<std::string> filter;
  std::optional<std::string> container;
  bool no_sockets = false;
  unsigned jobs = 0;  // 0: one per CPU
  TreeKind tree = TreeKind::none;
  bool list = false;
  bool help = false;
  bool version = false;
};

constexpr LsColumn kDefaultColumns[] = {LsColumn::ns,  LsColumn::type, LsColumn::nprocs,
                                        LsColumn::pid, LsColumn::user, LsColumn::command};

void print_help(const Invocation& inv) {
  fmt::print(
      "Usage:\n {} [options] [<namespace>]\n\nList system namespaces.\n\nOptions:\n"
      " -J, --json             use JSON output format\n"
      " -l, --list             use list format output\n"
      " -n, --noheadings       don't print headings\n"
      " -o, --output <list>    define which output columns to use\n"
      "     --output-all       output all columns\n"
      " -P, --persistent       namespaces without processes\n"
      " -p, --task <pid>       print process namespaces\n"
      " -r, --raw              use the raw output format\n"
      " -u, --notruncate       don't truncate text in columns\n"
      " -W, --nowrap           don't use multi-line representation\n"
      " -t, --type <name>      namespace type (mnt, net, ipc, user, pid, uts, cgroup, time)\n"
      " -T, --tree <rel>       use tree format (parent, owner, or process)\n"
      " -Q, --filter <expr>    apply display filter\n",
      inv.prog);
  if (!inv.compat)
    fmt::print(
        "     --container <name|id>  only namespaces of this container (name or id prefix)\n"
        "     --no-sockets       don't look for network namespaces held only by sockets\n"
        "{}",
        kJobsHelp);
  fmt::print(
      "\n -H, --list-columns     list the available columns\n"
      " -h, --help             display this help\n"
      " -V, --version          display version\n\nAvailable output columns:\n");
  for (const auto& c : ls_columns()) {
    if (inv.compat && (c.id == LsColumn::container || c.id == LsColumn::holders)) continue;
    fmt::print("{:>12}  {}\n", c.name, c.help);
  }
}

// Applies an --output list: "+LIST" extends the default columns, "LIST" replaces them.
Outcome apply_columns(std::string_view list, LsOptions& o) {
  if (!list.empty() && list.front() == '+')
    list.remove_prefix(1);
  else
    o.columns.clear();
  while (true) {
    std::size_t comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    const LsColumnInfo* info = ls_column(name);
    if (!info) return failure(fmt::format("unknown column: {}", quoted(name)));
    o.columns.push_back(info->id);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return 0;
}

Outcome parse_options(int argc, char** argv, LsOptions& o) {
  enum { kOutputAll = 256, kContainer, kNoSockets, kJobs };
  static const option kLong[] = {
      {"json", no_argument, nullptr, 'J'},
      {"list", no_argument, nullptr, 'l'},
      {"noheadings", no_argument, nullptr, 'n'},
      {"output", required_argument, nullptr, 'o'},
      {"output-all", no_argument, nullptr, kOutputAll},
      {"persistent", no_argument, nullptr, 'P'},
      {"task", required_argument, nullptr, 'p'},
      {"raw", no_argument, nullptr, 'r'},
      {"notruncate", no_argument, nullptr, 'u'},
      {"nowrap", no_argument, nullptr, 'W'},
      {"type", required_argument, nullptr, 't'},
      {"tree", optional_argument, nullptr, 'T'},
      {"filter", required_argument, nullptr, 'Q'},
      {"list-columns", no_argument, nullptr, 'H'},
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},
      {"container", required_argument, nullptr, kContainer},
      {"no-sockets", no_argument, nullptr, kNoSockets},
      {"jobs", required_argument, nullptr, kJobs},
      {nullptr, 0, nullptr, 0},
  };
  optind = 0;  // full reset: main may have parsed another argv
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":Jlno:Pp:ruWt:T::Q:HhV", kLong, nullptr)) != -1) {
    switch (c) {
      case 'J':
        o.output.format = out::Format::json;
        break;
      case 'l':
        o.list = true;
        break;
      case 'n':
        o.output.headings = false;
        break;
      case 'o':
        o.output_arg = optarg;
        break;
      case kOutputAll:
        o.output_all = true;
        break;
      case 'P':
        o.persistent = true;
        break;
      case 'p': {
        auto pid = parse_decimal(optarg);
        if (!pid || *pid <= 0 || *pid > 0x3fffffff)
          return failure(fmt::format("invalid PID argument: '{}'", quoted(optarg)));
        o.task = static_cast<pid_t>(*pid);
        break;
      }
      case 'r':
        o.output.format = out::Format::raw;
        break;
      case 'u':
        o.output.truncate = false;
        break;
      case 'W':
        o.output.wrap = false;
        break;
      case 't': {
        auto type = ns_type_from_name(optarg);
        if (!type) return failure(fmt::format("unknown namespace type: {}", quoted(optarg)));
        o.types.insert(*type);
        break;
      }
      case 'T': {
        std::string_view rel = optarg ? optarg : "owner";
        if (rel.starts_with('=')) rel.remove_prefix(1);  // -T=owner, as lsns accepts
        if (rel == "owner")
          o.tree = TreeKind::owner;
        else if (rel == "parent")
          o.tree = TreeKind::parent;
        else if (rel == "process")
          o.tree = TreeKind::process;
        else
          return failure(fmt::format("unknown tree type: {}", quoted(rel)));
        break;
      }
      case 'Q':
        o.filter = optarg;
        break;
      case 'H':
        o.list_columns = true;
        break;
      case 'h':
        o.help = true;
        break;
      case 'V':
        o.version = true;
        break;
      case kContainer:
        o.container = optarg;
        break;
      case kNoSockets:
        o.no_sockets = true;
        break;
      case kJobs: {
        auto jobs = parse_jobs(optarg);
        if (!jobs) return std::unexpected(jobs.error());
        o.jobs = *jobs;
        break;
      }
      default:
        return usage_error(getopt_error(c, argv));
    }
  }
  if (o.list && o.tree != TreeKind::none)
    return usage_error("options --list and --tree are mutually exclusive");
  if (o.task && optind < argc) return usage_error("--task is mutually exclusive with <namespace>");
  // As lsns: without --list, rows hang under the row of their process's parent.
  if (!o.list && o.tree == TreeKind::none) o.tree = TreeKind::process;
  if (optind < argc) {
    auto ino = parse_decimal(argv[optind]);
    if (!ino || *ino <= 0)
      return failure(fmt::format("invalid namespace argument: '{}'", quoted(argv[optind])));
    o.ns = static_cast<ino_t>(*ino);
    if (optind + 1 < argc)
      return usage_error(fmt::format("unexpected argument '{}'", quoted(argv[optind + 1])));
  }
  return 0;
}

int list_columns(const LsOptions& o, const Invocation& inv) {
  std::vector<out::Column> cols = {{.name = "NAME"}, {.name = "TYPE"}, {.name = "DESCRIPTION"}};
  std::vector<out::Row> rows;
  for (const auto& c : ls_columns()) {
    if (inv.compat && (c.id == LsColumn::container || c.id == LsColumn::holders)) continue;
    std::string_view kind = c.format.kind == out::Kind::number ? "number" : "string";
    rows.push_back(out::Row{{std::string(c.name), std::string(kind), std::string(c.help)}, {}});
  }
  out::Options opt = o.output;
  opt.json_root = "lscolumns";
  opt.width = opt.format == out::Format::table ? out::terminal_width(STDOUT_FILENO) : 0;
  std::fputs(out::render(cols, rows, opt).c_str(), stdout);
  return 0;
}

// Adds to `selected` (kept in model order) the owners or parents of every selected namespace,
// transitively.
void add_ancestors(const Model& model, TreeKind tree, std::vector<std::size_t>& selected) {
  std::vector<bool> in(model.namespaces.size(), false);
  for (std::size_t i : selected) in[i] = true;
  std::vector<std::size_t> work = selected;
  while (!work.empty()) {
    const Namespace& ns = model.namespaces[work.back()];
    work.pop_back();
    const std::optional<NsId>& up = tree == TreeKind::owner ? ns.owner : ns.parent;
    const Namespace* next = up ? model.find(*up) : nullptr;
    if (!next) continue;
    std::size_t i = static_cast<std::size_t>(next - model.namespaces.data());
    if (in[i]) continue;
    in[i] = true;
    work.push_back(i);
  }
  selected.clear();
  for (std::size_t i = 0; i < in.size(); ++i)
    if (in[i]) selected.push_back(i);
}

// `lsns <namespace>`: the namespace's processes, by default as PID PPID USER COMMAND in a
// process tree.
Outcome list_namespace_processes(const Namespace& ns, const Model& model, LsOptions& o,
                                 LsView& view) {
  if (!o.output_arg && !o.output_all)
    view.columns = {LsColumn::pid, LsColumn::ppid, LsColumn::user, LsColumn::command};
  if (o.tree != TreeKind::process) view.tree = TreeKind::none;
  auto has = [&](LsColumn c) {
    return std::find(view.columns.begin(), view.columns.end(), c) != view.columns.end();
  };
  if (!has(LsColumn::command)) view.tree = TreeKind::none;
  std::vector<out::Column> columns;
  for (LsColumn c : view.columns) {
    const LsColumnInfo* info = nullptr;
    for (const auto& i : ls_columns())
      if (i.id == c) info = &i;
    out::Column col = info->format;
    col.width_hint = 0;  // lsns lays out this view without its width hints
    col.tree = view.tree != TreeKind::none && c == LsColumn::command;
    columns.push_back(std::move(col));
  }
  o.output.tree = view.tree != TreeKind::none;
  if (o.output.format == out::Format::table) o.output.width = out::terminal_width(STDOUT_FILENO);
  std::string text = out::render(columns, ls_process_rows(model, ns, view), o.output);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace

Outcome run_ls(const Invocation& inv, int argc, char** argv) {
  LsOptions o;
  if (auto r = parse_options(argc, argv, o); !r) return r;
  if (o.help) {
    print_help(inv);
    return 0;
  }
  if (o.version) {
    fmt::print("{} from nsctl {}\n", inv.compat ? "lsns" : "nsctl ls", NSCTL_VERSION);
    return 0;
  }
  if (o.list_columns) return list_columns(o, inv);

  // The columns, as lsns settles them: the defaults (listing network namespaces adds their
  // ids and bind mounts), then -o replaces or, with "+", extends them.
  if (o.output_all) {
    for (const auto& col : ls_columns())
      if (!inv.compat || (col.id != LsColumn::container && col.id != LsColumn::holders))
        o.columns.push_back(col.id);
  } else {
    o.columns.assign(std::begin(kDefaultColumns), std::end(kDefaultColumns));
    if (o.types.contains(NsType::net))
      o.columns.insert(o.columns.end() - 1, {LsColumn::netnsid, LsColumn::nsfs});
    if (o.container) o.columns.insert(o.columns.end() - 1, LsColumn::container);
    if (o.output_arg)
      if (auto r = apply_columns(*o.output_arg, o); !r) return r;
  }

  // The filter may name any column; it is evaluated on cell text.
  std::optional<Filter> filter;
  std::vector<LsColumn> needed = o.columns;
  if (o.filter) {
    auto parsed = Filter::parse(*o.filter, [](std::string_view name) -> std::optional<ValueKind> {
      const LsColumnInfo* c = ls_column(name);
      if (!c) return std::nullopt;
      return c->format.kind == out::Kind::number ? ValueKind::number : ValueKind::string;
    });
    if (!parsed) return failure("filter: " + parsed.error().message());
    for (const auto& name : parsed->columns())
      if (const LsColumnInfo* c = ls_column(name)) needed.push_back(c->id);
    filter = std::move(*parsed);
  }
  auto uses = [&](LsColumn c) {
    return std::find(needed.begin(), needed.end(), c) != needed.end();
  };

  // `lsns <namespace>` lists that namespace's processes, so it needs every command line.
  const auto detail = o.ns ? ScanOptions::Detail::all : ScanOptions::Detail::representatives;
  ScanOptions scan_options;
  // -t reads only the links of those types (and mnt, to find bind mounts), unless a tree by
  // owner or parent, or those columns, need the other types' namespaces with their processes.
  if (!o.types.empty() && o.tree != TreeKind::owner && o.tree != TreeKind::parent &&
      !uses(LsColumn::ons) && !uses(LsColumn::pns) && !o.task) {
    scan_options.types = o.types;
    scan_options.types.insert(NsType::mnt);
  }
  scan_options.sockets = !o.no_sockets;
  scan_options.netnsid = uses(LsColumn::netnsid);
  scan_options.commands = uses(LsColumn::command) ? detail : ScanOptions::Detail::none;
  scan_options.containers =
      uses(LsColumn::container) || o.container ? detail : ScanOptions::Detail::none;
  // PPID and the process tree need the representatives' stat; COMMAND reads it only where the
  // command line is empty (kernel threads).
  scan_options.stat = o.ns || uses(LsColumn::ppid) || o.tree == TreeKind::process
                          ? detail
                          : ScanOptions::Detail::none;
  scan_options.workers = o.jobs;  // nothing here needs a single-threaded process
  auto model = scan(scan_options);
  if (!model) return failure(model.error().message());
  if (model->stats.denied)
    fmt::print(stderr,
               "{}: {} process{} could not be read (permission denied): run as root to see all "
               "namespaces\n",
               inv.tag, model->stats.denied, model->stats.denied == 1 ? "" : "es");

  const Process* task = nullptr;
  if (o.task) {
    task = model->process(*o.task);
    // lsns prints nothing for a pid it cannot find; nsctl says so.
    if (!task && inv.compat) return 0;
    if (!task) return failure(fmt::format("pid {}: no such process", *o.task));
  }
  std::vector<std::size_t> selected;
  LsView view{o.columns, o.tree, o.output.wrap, inv.compat};
  for (std::size_t i = 0; i < model->namespaces.size(); ++i) {
    const Namespace& ns = model->namespaces[i];
    if (!o.types.empty() && !o.types.contains(ns.type)) continue;
    if (o.ns && ns.id.ino != *o.ns) continue;
    if (o.persistent && !ns.procs.empty()) continue;
    if (task && task->ns[index(ns.type)] != ns.id) continue;
    if (o.container) {
      const Process* rep = ns.procs.empty() ? nullptr : &model->processes[ns.procs.front()];
      if (!rep || !rep->container || !container_matches(*rep->container, *o.container)) continue;
    }
    if (filter && !filter->matches([&](std::string_view name) -> std::optional<std::string> {
          const LsColumnInfo* c = ls_column(name);
          if (!c) return std::nullopt;
          std::string text = ls_cell(*model, ns, c->id, view);
          if (text.empty()) return std::nullopt;
          return text;
        }))
      continue;
    selected.push_back(i);
  }
  if (o.ns && selected.empty()) return failure(fmt::format("not found namespace: {}", *o.ns));
  if (o.ns) return list_namespace_processes(model->namespaces[selected.front()], *model, o, view);
  // As lsns, a tree by owner or parent shows the ancestors of what it shows, whatever their
  // type, so that every row hangs where it belongs.
  if (o.tree == TreeKind::owner || o.tree == TreeKind::parent)
    add_ancestors(*model, o.tree, selected);

  // The tree is drawn in COMMAND for the process tree (as lsns), else in NS; without that
  // column there is no tree.
  const LsColumn tree_column = o.tree == TreeKind::process ? LsColumn::command : LsColumn::ns;
  if (std::find(o.columns.begin(), o.columns.end(), tree_column) == o.columns.end())
    o.tree = TreeKind::none;
  std::vector<out::Column> columns;
  for (LsColumn c : o.columns) {
    out::Column col =
        std::find_if(ls_columns().begin(), ls_columns().end(), [&](const LsColumnInfo& info) {
          return info.id == c;
        })->format;
    col.tree = o.tree != TreeKind::none && c == tree_column;
    columns.push_back(std::move(col));
  }
  o.output.tree = o.tree != TreeKind::none;
  view.tree = o.tree;
  if (o.output.format == out::Format::table) o.output.width = out::terminal_width(STDOUT_FILENO);
  std::string text = out::render(columns, ls_rows(*model, selected, view), o.output);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace nsctl::cli
