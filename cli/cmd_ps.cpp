// nsctl ps: the processes whose namespaces differ from PID 1's (or --ref PID's), which types
// differ, and which container each belongs to; --group folds processes that share exactly
// the same namespaces (usually one container each) into one row.
#include <fmt/core.h>
#include <getopt.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "base/escape.hpp"
#include "cli.hpp"
#include "commands.hpp"
#include "nsctl/inspect/scan.hpp"
#include "output/table.hpp"
#include "proc/proc.hpp"

namespace nsctl::cli {

namespace {

struct PsOptions {
  out::Options output;
  std::optional<pid_t> ref;
  bool group = false;
  std::optional<std::string> container;
  unsigned jobs = 0;  // 0: one per CPU
  bool help = false;
};

void print_help(const Invocation& inv) {
  fmt::print(
      "Usage:\n {} [options]\n\n"
      "List the processes whose namespaces differ from PID 1's: which types differ, their\n"
      "inodes, and the container each process belongs to.\n\nOptions:\n"
      "     --ref <pid>        compare with this process instead of PID 1\n"
      " -g, --group            one row per set of namespaces (usually one container)\n"
      "     --container <name|id>  only processes of this container\n"
      " -J, --json             use JSON output format\n"
      " -r, --raw              use the raw output format\n"
      " -n, --noheadings       don't print headings\n"
      " -u, --notruncate       don't truncate text in columns\n"
      "{}"
      " -h, --help             display this help\n",
      inv.prog, kJobsHelp);
}

Outcome parse_options(int argc, char** argv, PsOptions& o) {
  enum { kRef = 256, kContainer, kJobs };
  static const option kLong[] = {
      {"ref", required_argument, nullptr, kRef},
      {"group", no_argument, nullptr, 'g'},
      {"container", required_argument, nullptr, kContainer},
      {"jobs", required_argument, nullptr, kJobs},
      {"json", no_argument, nullptr, 'J'},
      {"raw", no_argument, nullptr, 'r'},
      {"noheadings", no_argument, nullptr, 'n'},
      {"notruncate", no_argument, nullptr, 'u'},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  optind = 0;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":gJrnuh", kLong, nullptr)) != -1) {
    switch (c) {
      case kRef: {
        auto pid = parse_decimal(optarg);
        if (!pid || *pid <= 0 || *pid > 0x3fffffff)
          return failure(fmt::format("invalid PID argument: '{}'", quoted(optarg)));
        o.ref = static_cast<pid_t>(*pid);
        break;
      }
      case 'g':
        o.group = true;
        break;
      case kContainer:
        o.container = optarg;
        break;
      case kJobs: {
        auto jobs = parse_jobs(optarg);
        if (!jobs) return std::unexpected(jobs.error());
        o.jobs = *jobs;
        break;
      }
      case 'J':
        o.output.format = out::Format::json;
        break;
      case 'r':
        o.output.format = out::Format::raw;
        break;
      case 'n':
        o.output.headings = false;
        break;
      case 'u':
        o.output.truncate = false;
        break;
      case 'h':
        o.help = true;
        break;
      default:
        return usage_error(getopt_error(c, argv));
    }
  }
  if (optind < argc)
    return usage_error(fmt::format("unexpected argument '{}'", quoted(argv[optind])));
  return 0;
}

// The types in which `p` differs from `ref` (types unreadable on either side don't count).
NsTypeSet differing(const Process& p, const Process& ref) {
  NsTypeSet set;
  for (const auto& t : ns_types()) {
    const NsId& a = p.ns[index(t.type)];
    const NsId& b = ref.ns[index(t.type)];
    if (a && b && a != b) set.insert(t.type);
  }
  return set;
}

// "net:4026532303 pid:4026532306" in table order of types.
std::string namespaces_text(const Process& p, NsTypeSet set) {
  std::string out;
  for (const auto& t : ns_types()) {
    if (!set.contains(t.type)) continue;
    if (!out.empty()) out += ' ';
    out += fmt::format("{}:{}", t.name, p.ns[index(t.type)].ino);
  }
  return out;
}

out::Column col(std::string name, bool number = false, bool truncate = false) {
  out::Column c;
  c.name = std::move(name);
  c.kind = number ? out::Kind::number : out::Kind::string;
  c.right = number;
  c.truncate = truncate;
  return c;
}

// JSON by hand: the namespaces of a row are an object {"net": 4026532303, ...}, which the
// flat table writer does not do.
std::string json_document(const char* root, const std::vector<std::string>& objects) {
  std::string out = fmt::format("{{\n   \"{}\": [", root);
  for (std::size_t i = 0; i < objects.size(); ++i) {
    out += i ? ",\n      " : "\n      ";
    out += objects[i];
  }
  out += objects.empty() ? "]\n}\n" : "\n   ]\n}\n";
  return out;
}

std::string json_string(std::string_view s) {
  std::string out;
  text::json_quote(out, s);
  return out;
}

std::string json_namespaces(const Process& p, NsTypeSet set) {
  std::string out = "{";
  for (const auto& t : ns_types()) {
    if (!set.contains(t.type)) continue;
    if (out.size() > 1) out += ", ";
    out += fmt::format("\"{}\": {}", t.name, p.ns[index(t.type)].ino);
  }
  return out + "}";
}

std::string json_or_null(std::string_view s) { return s.empty() ? "null" : json_string(s); }

}  // namespace

Outcome run_ps(const Invocation& inv, int argc, char** argv) {
  PsOptions o;
  if (auto r = parse_options(argc, argv, o); !r) return r;
  if (o.help) {
    print_help(inv);
    return 0;
  }
  ScanOptions scan_options;
  // ps compares processes; what holds namespaces without processes does not matter here.
  scan_options.fds = false;
  scan_options.mounts = false;
  scan_options.relations = false;
  scan_options.commands = ScanOptions::Detail::all;
  scan_options.containers = ScanOptions::Detail::all;
  scan_options.workers = o.jobs;  // nothing here needs a single-threaded process
  auto model = scan(scan_options);
  if (!model) return failure(model.error().message());

  pid_t ref_pid = o.ref.value_or(1);
  const Process* ref = model->process(ref_pid);
  if (!ref && o.ref) return failure(fmt::format("pid {}: no such process", ref_pid));
  if (!ref) {
    ref = model->process(::getpid());
    if (!ref) return failure("cannot read the namespaces of pid 1 nor of nsctl itself");
    fmt::print(stderr, "{}: cannot read pid 1's namespaces; comparing with nsctl's own (pid {})\n",
               inv.tag, ref->pid);
  }
  if (model->stats.denied)
    fmt::print(stderr,
               "{}: {} process{} could not be read (permission denied): run as root to see all\n",
               inv.tag, model->stats.denied, model->stats.denied == 1 ? "" : "es");

  struct Listed {
    const Process* p;
    NsTypeSet diff;
  };
  std::vector<Listed> listed;
  for (const Process& p : model->processes) {
    NsTypeSet diff = differing(p, *ref);
    if (diff.empty()) continue;
    if (o.container && (!p.container || !container_matches(*p.container, *o.container))) continue;
    listed.push_back({&p, diff});
  }
  auto container_text = [](const Process& p) {
    return p.container ? p.container->display() : std::string();
  };

  std::string text;
  if (!o.group) {
    if (o.output.format == out::Format::json) {
      std::vector<std::string> objects;
      for (const auto& l : listed)
        objects.push_back(fmt::format(
            "{{\"pid\": {}, \"ppid\": {}, \"user\": {}, \"container\": {}, \"namespaces\": {}, "
            "\"command\": {}}}",
            l.p->pid, l.p->ppid, json_string(user_name(l.p->uid)),
            json_or_null(container_text(*l.p)), json_namespaces(*l.p, l.diff),
            json_string(l.p->command)));
      text = json_document("processes", objects);
    } else {
      std::vector<out::Column> cols = {col("PID", true),  col("PPID", true),
                                       col("USER"),       col("CONTAINER"),
                                       col("NAMESPACES"), col("COMMAND", false, true)};
      std::vector<out::Row> rows;
      for (const auto& l : listed)
        rows.push_back(
            out::Row{{std::to_string(l.p->pid), std::to_string(l.p->ppid), user_name(l.p->uid),
                      container_text(*l.p), namespaces_text(*l.p, l.diff), l.p->command},
                     {}});
      if (o.output.format == out::Format::table)
        o.output.width = out::terminal_width(STDOUT_FILENO);
      text = out::render(cols, rows, o.output);
    }
  } else {
    // Group by the exact set of differing namespaces (type and identity).
    std::map<std::vector<ino_t>, std::vector<const Listed*>> groups;
    for (const auto& l : listed) {
      std::vector<ino_t> key;
      for (const auto& t : ns_types())
        key.push_back(l.diff.contains(t.type) ? l.p->ns[index(t.type)].ino : 0);
      groups[key].push_back(&l);
    }
    // In order of each group's lowest pid.
    std::vector<const std::vector<const Listed*>*> ordered;
    for (const auto& [key, members] : groups) ordered.push_back(&members);
    std::sort(ordered.begin(), ordered.end(),
              [](auto* a, auto* b) { return a->front()->p->pid < b->front()->p->pid; });
    auto pids_text = [](const std::vector<const Listed*>& members, const char* sep) {
      std::string out;
      for (const Listed* m : members) out += (out.empty() ? "" : sep) + std::to_string(m->p->pid);
      return out;
    };
    if (o.output.format == out::Format::json) {
      std::vector<std::string> objects;
      for (const auto* members : ordered) {
        const Listed& first = *members->front();
        objects.push_back(fmt::format(
            "{{\"namespaces\": {}, \"container\": {}, \"nprocs\": {}, \"pids\": [{}], "
            "\"command\": {}}}",
            json_namespaces(*first.p, first.diff), json_or_null(container_text(*first.p)),
            members->size(), pids_text(*members, ", "), json_string(first.p->command)));
      }
      text = json_document("groups", objects);
    } else {
      std::vector<out::Column> cols = {col("NPROCS", true), col("CONTAINER"), col("NAMESPACES"),
                                       col("PIDS", false, true), col("COMMAND", false, true)};
      std::vector<out::Row> rows;
      for (const auto* members : ordered) {
        const Listed& first = *members->front();
        rows.push_back(out::Row{
            {std::to_string(members->size()), container_text(*first.p),
             namespaces_text(*first.p, first.diff), pids_text(*members, ","), first.p->command},
            {}});
      }
      if (o.output.format == out::Format::table)
        o.output.width = out::terminal_width(STDOUT_FILENO);
      text = out::render(cols, rows, o.output);
    }
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace nsctl::cli
