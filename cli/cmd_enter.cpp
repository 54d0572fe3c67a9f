// nsctl enter: join the namespaces of a process, a container or nsfs files, then run a command
// (the shell by default) — nsenter's options, plus `--follow` to become one of the target's
// own processes (its uid, groups, capabilities, no_new_privs, cgroup, LSM label, environment,
// root and working directory). Every check and join happens before the command is executed.
#include <fcntl.h>
#include <fmt/core.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"
#include "nsctl/enter/enter.hpp"
#include "nsctl/inspect/scan.hpp"
#include "nsctl/ns/ns_id.hpp"
#include "nsctl/version.hpp"
#include "proc/proc.hpp"
#include "process/supervise.hpp"
#include "sys/syscalls.hpp"

extern char** environ;

namespace nsctl::cli {

namespace {

struct NsChoice {
  bool wanted = false;
  std::string file;  // empty: the target's
};

struct EnterOptions {
  std::optional<pid_t> pid;
  std::optional<std::uint64_t> pidfs_ino;
  std::array<NsChoice, kNsTypeCount> ns;
  bool all = false;
  std::optional<int> net_socket;
  bool user_parent = false;
  std::optional<std::string> setuid, setgid;  // a number or "follow"
  bool preserve_credentials = false;
  bool keep_caps = false;
  std::optional<std::string> root, wd;  // "" means the target's
  std::optional<std::string> wdns;
  bool env = false;
  bool no_fork = false;
  bool join_cgroup = false;
  bool follow_context = false;
  bool follow = false;
  bool for_children = false;
  std::vector<std::string> command;
  std::optional<std::string> container;
  bool help = false, version = false;
};

void print_help(const Invocation& inv) {
  fmt::print(
      "Usage:\n {} [options] {}[<program> [<argument>...]]\n\n"
      "Run a program with namespaces of other processes.\n\nOptions:\n"
      " -a, --all              enter all namespaces\n"
      " -t, --target <pid>[:<inode>]  target process to get namespaces from\n"
      " -m, --mount[=<file>]   enter mount namespace\n"
      " -u, --uts[=<file>]     enter UTS namespace (hostname etc)\n"
      " -i, --ipc[=<file>]     enter System V IPC namespace\n"
      " -n, --net[=<file>]     enter network namespace\n"
      " -N, --net-socket <fd>  enter socket's network namespace (use with --target)\n"
      " -p, --pid[=<file>]     enter pid namespace\n"
      " -C, --cgroup[=<file>]  enter cgroup namespace\n"
      " -U, --user[=<file>]    enter user namespace\n"
      "     --user-parent      enter parent user namespace\n"
      " -T, --time[=<file>]    enter time namespace\n"
      " -S, --setuid[=<uid>]   set uid in entered namespace (a number or 'follow')\n"
      " -G, --setgid[=<gid>]   set gid in entered namespace (a number or 'follow')\n"
      "     --preserve-credentials do not touch uids or gids\n"
      "     --keep-caps        retain capabilities granted in user namespaces\n"
      " -r, --root[=<dir>]     set the root directory\n"
      " -w, --wd[=<dir>]       set the working directory\n"
      " -W, --wdns <dir>       set the working directory in namespace\n"
      " -e, --env              inherit environment variables from target process\n"
      " -F, --no-fork          do not fork before exec'ing <program>\n"
      " -c, --join-cgroup      join the cgroup of the target process\n"
      " -Z, --follow-context   set SELinux context according to --target PID\n",
      inv.prog, inv.compat ? "" : "[<container>] ");
  if (!inv.compat)
    fmt::print(
        "     --follow           become one of the target's processes: its uid, gid, groups,\n"
        "                        capabilities, no_new_privs, cgroup, LSM label, environment,\n"
        "                        root and working directory (implies -c -e -r -w -S/-G follow)\n"
        "     --for-children     take pid and time from the target's *_for_children\n"
        "     --container <name|id>  the target is this container's first process\n");
  fmt::print(
      "\n -h, --help             display this help\n -V, --version          display version\n");
}

// "PID" or "PID:INODE".
Outcome parse_target(std::string_view arg, EnterOptions& o) {
  std::size_t colon = arg.find(':');
  auto pid = parse_decimal(arg.substr(0, colon));
  if (!pid || *pid <= 0 || *pid > 0x3fffffff)
    return failure(fmt::format("invalid PID argument: '{}'", quoted(arg)));
  o.pid = static_cast<pid_t>(*pid);
  if (colon != std::string_view::npos) {
    auto ino = parse_decimal(arg.substr(colon + 1));
    if (!ino || *ino <= 0) return failure(fmt::format("invalid inode in '{}'", quoted(arg)));
    o.pidfs_ino = static_cast<std::uint64_t>(*ino);
  }
  return 0;
}

// Reads a credential spec: a number, or "follow" (the target's, from `status`).
Outcome parse_id(const std::string& spec, const char* what, unsigned follow_value, unsigned& out) {
  if (spec == "follow") {
    out = follow_value;
    return 0;
  }
  auto v = parse_decimal(spec);
  if (!v || *v < 0 || *v > 0xfffffffe)
    return failure(fmt::format("invalid {} argument: '{}'", what, quoted(spec)));
  out = static_cast<unsigned>(*v);
  return 0;
}

Outcome parse_options(int argc, char** argv, const Invocation& inv, EnterOptions& o) {
  enum { kPreserve = 256, kUserParent, kKeepCaps, kFollow, kForChildren, kContainer };
  static const option kLong[] = {
      {"all", no_argument, nullptr, 'a'},
      {"target", required_argument, nullptr, 't'},
      {"mount", optional_argument, nullptr, 'm'},
      {"uts", optional_argument, nullptr, 'u'},
      {"ipc", optional_argument, nullptr, 'i'},
      {"net", optional_argument, nullptr, 'n'},
      {"net-socket", required_argument, nullptr, 'N'},
      {"pid", optional_argument, nullptr, 'p'},
      {"cgroup", optional_argument, nullptr, 'C'},
      {"user", optional_argument, nullptr, 'U'},
      {"user-parent", no_argument, nullptr, kUserParent},
      {"time", optional_argument, nullptr, 'T'},
      {"setuid", required_argument, nullptr, 'S'},
      {"setgid", required_argument, nullptr, 'G'},
      {"preserve-credentials", no_argument, nullptr, kPreserve},
      {"keep-caps", no_argument, nullptr, kKeepCaps},
      {"root", optional_argument, nullptr, 'r'},
      {"wd", optional_argument, nullptr, 'w'},
      {"wdns", required_argument, nullptr, 'W'},
      {"env", no_argument, nullptr, 'e'},
      {"no-fork", no_argument, nullptr, 'F'},
      {"join-cgroup", no_argument, nullptr, 'c'},
      {"follow-context", no_argument, nullptr, 'Z'},
      {"follow", no_argument, nullptr, kFollow},
      {"for-children", no_argument, nullptr, kForChildren},
      {"container", required_argument, nullptr, kContainer},
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},
      {nullptr, 0, nullptr, 0},
  };
  optind = 0;
  opterr = 0;
  int c;
  // '+': the first non-option starts the command.
  while ((c = getopt_long(argc, argv, "+:at:m::u::i::n::N:p::C::U::T::S:G:r::w::W:eFcZhV", kLong,
                          nullptr)) != -1) {
    auto choose = [&](NsType type) {
      o.ns[index(type)].wanted = true;
      if (optarg) o.ns[index(type)].file = optarg;
    };
    switch (c) {
      case 'a':
        o.all = true;
        break;
      case 't':
        if (auto r = parse_target(optarg, o); !r) return r;
        break;
      case 'm':
        choose(NsType::mnt);
        break;
      case 'u':
        choose(NsType::uts);
        break;
      case 'i':
        choose(NsType::ipc);
        break;
      case 'n':
        choose(NsType::net);
        break;
      case 'p':
        choose(NsType::pid);
        break;
      case 'C':
        choose(NsType::cgroup);
        break;
      case 'U':
        choose(NsType::user);
        break;
      case 'T':
        choose(NsType::time);
        break;
      case 'N': {
        auto fd = parse_decimal(optarg);
        if (!fd || *fd < 0 || *fd > 0x7fffffff)
          return failure(fmt::format("invalid socket fd: '{}'", quoted(optarg)));
        o.net_socket = static_cast<int>(*fd);
        break;
      }
      case kUserParent:
        o.user_parent = true;
        break;
      case 'S':
        o.setuid = optarg;
        break;
      case 'G':
        o.setgid = optarg;
        break;
      case kPreserve:
        o.preserve_credentials = true;
        break;
      case kKeepCaps:
        o.keep_caps = true;
        break;
      case 'r':
        o.root = optarg ? optarg : "";
        break;
      case 'w':
        o.wd = optarg ? optarg : "";
        break;
      case 'W':
        o.wdns = optarg;
        break;
      case 'e':
        o.env = true;
        break;
      case 'F':
        o.no_fork = true;
        break;
      case 'c':
        o.join_cgroup = true;
        break;
      case 'Z':
        o.follow_context = true;
        break;
      case kFollow:
        o.follow = true;
        break;
      case kForChildren:
        o.for_children = true;
        break;
      case kContainer:
        o.container = optarg;
        break;
      case 'h':
        o.help = true;
        break;
      case 'V':
        o.version = true;
        break;
      default:
        return usage_error(getopt_error(c, argv));
    }
  }
  for (int i = optind; i < argc; ++i) o.command.emplace_back(argv[i]);
  bool any_file = false;
  for (const auto& n : o.ns) any_file |= !n.file.empty();
  // nsctl enter [options] CONTAINER [program...]: without -t, a first word that is not a path
  // names a container when no namespace file says where to go.
  if (!inv.compat && !o.pid && !o.container && !any_file && !o.command.empty() &&
      o.command.front().find('/') == std::string::npos) {
    o.container = o.command.front();
    o.command.erase(o.command.begin());
  }
  if (o.wd && o.wdns) return usage_error("--wd and --wdns are mutually exclusive");
  if (o.net_socket && !o.pid && !o.container) return failure("--net-socket requires --target");
  // Numeric ids are checked now, so that a typo fails before anything is joined.
  for (const auto* id : {&o.setuid, &o.setgid}) {
    unsigned ignored = 0;
    if (*id)
      if (auto r = parse_id(**id, id == &o.setuid ? "UID" : "GID", 0, ignored); !r) return r;
  }
  if (o.follow) {
    o.join_cgroup = o.env = true;
    if (!o.root) o.root = "";
    if (!o.wd && !o.wdns) o.wd = "";
    if (!o.setuid) o.setuid = "follow";
    if (!o.setgid) o.setgid = "follow";
  }
  return 0;
}

// The target named by a container name or id prefix: its lowest-pid process that is not the
// engine's monitor. An ambiguous name lists what it matches.
Outcome resolve_container(const std::string& query, EnterOptions& o) {
  ScanOptions scan_options;
  scan_options.fds = scan_options.mounts = scan_options.relations = false;
  scan_options.commands = ScanOptions::Detail::none;
  scan_options.containers = ScanOptions::Detail::all;
  auto model = scan(scan_options);
  if (!model) return failure(model.error().message());
  std::vector<std::string> matches;
  const Process* first = nullptr;
  for (const Process& p : model->processes) {
    if (!p.container || p.container->monitor || !container_matches(*p.container, query)) continue;
    std::string shown = p.container->display();
    if (std::find(matches.begin(), matches.end(), shown) == matches.end()) matches.push_back(shown);
    if (!first) first = &p;
  }
  if (matches.empty()) return failure(fmt::format("no container matches '{}'", quoted(query)));
  if (matches.size() > 1) {
    std::string list;
    for (const auto& m : matches) list += (list.empty() ? "" : ", ") + m;
    return failure(
        fmt::format("'{}' matches {} containers: {}", quoted(query), matches.size(), list));
  }
  o.pid = first->pid;
  return 0;
}

}  // namespace

Outcome run_enter(const Invocation& inv, int argc, char** argv) {
  EnterOptions o;
  if (auto r = parse_options(argc, argv, inv, o); !r) return r;
  if (o.help) {
    print_help(inv);
    return 0;
  }
  if (o.version) {
    fmt::print("{} from nsctl {}\n", inv.compat ? "nsenter" : "nsctl enter", NSCTL_VERSION);
    return 0;
  }
  if (o.container)
    if (auto r = resolve_container(*o.container, o); !r) return r;
  if (o.follow && !o.pid) return failure("--follow needs a target: -t PID or a container");

  // Which namespaces: -a takes every type the target has (a file option overrides its path).
  // Becoming one of the container's processes, or naming a container with no namespace
  // option, means all of its namespaces, as docker exec does.
  bool any_choice = false;
  for (const auto& n : o.ns) any_choice |= n.wanted;
  if ((o.follow || o.container) && !any_choice && !o.net_socket && !o.user_parent) o.all = true;
  if (o.all && !o.pid) return failure("no target PID specified for --all");
  bool any = o.all || o.user_parent || o.net_socket;
  for (const auto& n : o.ns) any |= n.wanted;
  if (!any && !o.join_cgroup && !o.root && !o.wd && !o.follow)
    return failure("no namespace specified: use -a, -m, -u, -i, -n, -p, -C, -U or -T");

  EnterSpec spec;
  spec.pid = o.pid.value_or(0);
  spec.pidfs_ino = o.pidfs_ino;
  for (std::size_t i = 0; i < kNsTypeCount; ++i) {
    spec.namespaces[i].join = o.ns[i].wanted;
    spec.namespaces[i].file = o.ns[i].file;
  }
  spec.all = o.all;
  spec.for_children = o.for_children;
  spec.user_parent = o.user_parent;
  spec.net_socket = o.net_socket;
  spec.follow = o.follow;
  for (auto [given, value, from_target, what] :
       {std::tuple{&o.setuid, &spec.uid, &spec.uid_from_target, "UID"},
        std::tuple{&o.setgid, &spec.gid, &spec.gid_from_target, "GID"}}) {
    if (!*given || o.follow) continue;
    if (**given == "follow") {
      *from_target = true;
      continue;
    }
    unsigned id = 0;
    if (auto r = parse_id(**given, what, 0, id); !r) return r;
    *value = id;
  }
  spec.preserve_credentials = o.preserve_credentials;
  spec.keep_caps = o.keep_caps;
  spec.join_cgroup = o.join_cgroup;
  spec.follow_lsm_label = o.follow_context;
  spec.root = o.root;
  spec.wd = o.wd;
  spec.wd_in_ns = o.wdns;
  spec.command = o.command;
  spec.target_env = o.env;
  if (!o.env)
    for (char** e = environ; *e; ++e) spec.env.emplace_back(*e);

  auto exec_failure = [](const Error& e) {
    return failure(e.message(), e.code() == ENOENT ? 127 : 126);
  };
  // A new pid namespace applies to children only: fork unless told not to.
  bool pid_ns = o.all || o.ns[index(NsType::pid)].wanted;
  if (!pid_ns || o.no_fork) {
    auto r = exec_in(spec);  // returns only on failure
    if (r.error().is_exec_failure()) return exec_failure(r.error());
    return failure(r.error().message());
  }
  // nsctl stays as the command's supervisor, outside the target's pid namespace but maybe
  // visible from it (a shared /proc, or a target that shares the host's): nothing of the caller
  // may be reached through it. Not dumpable (so /proc/<nsctl>/fd, mem, environ are root's
  // and ptrace is refused), and no inherited fd kept open.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  (void)sys::close_range(3, ~0U, 0);
  auto mask = SignalMaskGuard::block(forwarded_signals());
  if (!mask) return failure(mask.error().message());
  auto child = spawn_in(spec);
  if (!child) {
    if (child.error().is_exec_failure()) return exec_failure(child.error());
    return failure(child.error().message());
  }
  auto status = supervise(child->pidfd.get(), forwarded_signals());
  if (!status) return failure(status.error().message());
  std::fflush(stdout);
  exit_like(*status);
}

}  // namespace nsctl::cli
