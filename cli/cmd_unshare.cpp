// nsctl unshare: run a command in new namespaces, with the options, messages and exit codes of
// util-linux unshare 2.42 (and unshare itself when the binary is invoked under that name).
#include <fmt/core.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include "base/text.hpp"
#include "cli.hpp"
#include "commands.hpp"
#include "nsctl/version.hpp"
#include "privilege/idmap.hpp"
#include "process/supervise.hpp"
#include "unshare/unshare.hpp"

namespace nsctl::cli {

namespace {

void print_help(const Invocation& inv) {
  fmt::print(
      "\nUsage:\n {} [options] [<program> [<argument>...]]\n\n"
      "Run a program with some namespaces unshared from the parent.\n\nOptions:\n"
      " -m, --mount[=<file>]      unshare mounts namespace\n"
      " -u, --uts[=<file>]        unshare UTS namespace (hostname etc)\n"
      " -i, --ipc[=<file>]        unshare System V IPC namespace\n"
      " -n, --net[=<file>]        unshare network namespace\n"
      " -p, --pid[=<file>]        unshare pid namespace\n"
      " -U, --user[=<file>]       unshare user namespace\n"
      " -C, --cgroup[=<file>]     unshare cgroup namespace\n"
      " -T, --time[=<file>]       unshare time namespace\n\n"
      " --mount-proc[=<dir>]      mount proc filesystem first (implies --mount)\n"
      " --mount-binfmt[=<dir>]    mount binfmt filesystem first (implies --user and --mount)\n"
      " -l, --load-interp <file>  load binfmt definition in the namespace (implies "
      "--mount-binfmt)\n"
      " --propagation slave|shared|private|unchanged\n"
      "                           modify mount propagation in mount namespace\n"
      " -R, --root <dir>          run the command with root directory set to <dir>\n"
      " -w, --wd <dir>            change working directory to <dir>\n\n"
      " -S, --setuid <uid>        set uid in entered namespace\n"
      " -G, --setgid <gid>        set gid in entered namespace\n"
      " --map-user <uid>|<name>   map current user to uid (implies --user)\n"
      " --map-group <gid>|<name>  map current group to gid (implies --user)\n"
      " -r, --map-root-user       map current user to root (implies --user)\n"
      " -c, --map-current-user    map current user to itself (implies --user)\n"
      " --map-auto                map users and groups automatically (implies --user)\n"
      " --map-subids              map the first block of user IDs owned by euid (implies "
      "--user)\n"
      " --map-users <inneruid>:<outeruid>:<count>\n"
      "                           map count users from outeruid to inneruid (implies --user)\n"
      " --map-groups <innergid>:<outergid>:<count>\n"
      "                           map count groups from outergid to innergid (implies --user)\n"
      " --owner <uid>:<gid>       set the user namespace owner (implies --user)\n\n"
      " -f, --fork                fork before launching <program>\n"
      " --kill-child[=<signame>]  when dying, kill the forked child (implies --fork)\n"
      "                             defaults to SIGKILL\n"
      " --forward-signals         forward SIGTERM and SIGINT to child (implies --fork)\n\n"
      " --setgroups allow|deny    control the setgroups syscall in user namespaces\n"
      " --keep-caps               retain capabilities granted in user namespaces\n\n"
      " --monotonic <offset>      set clock monotonic offset (seconds) in time namespaces\n"
      " --boottime <offset>       set clock boottime offset (seconds) in time namespaces\n"
      " --clear-env               do not inherit environment variables from the calling "
      "process\n"
      " --whitelist-env <list>    clear environment except for specified variables\n\n"
      " -h, --help                display this help\n"
      " -V, --version             display version\n",
      inv.prog);
  if (!inv.compat)
    fmt::print("\nA missing persistence <file> is created (and removed again if the run fails).\n");
  fmt::print("\nFor more details see unshare(1).\n");
}

// "KILL", "SIGKILL", "kill": as util-linux's signame_to_signum (no numbers).
std::optional<int> parse_signal(std::string_view text) {
  if (text.size() > 3 && strncasecmp(text.data(), "SIG", 3) == 0) text.remove_prefix(3);
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev && text.size() == std::strlen(abbrev) &&
        strncasecmp(text.data(), abbrev, text.size()) == 0)
      return sig;
  }
  return std::nullopt;
}

std::optional<std::uint32_t> parse_uint_id(const char* text) { return parse_id(text); }

std::optional<uid_t> user_id(const char* text) {
  if (auto id = parse_uint_id(text)) return *id;
  if (const passwd* pw = ::getpwnam(text)) return pw->pw_uid;
  return std::nullopt;
}

std::optional<gid_t> group_id(const char* text) {
  if (auto id = parse_uint_id(text)) return *id;
  if (const group* gr = ::getgrnam(text)) return gr->gr_gid;
  return std::nullopt;
}

std::optional<std::int64_t> parse_offset(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  return parse_number<std::int64_t>(text);
}

// --map-users/--map-groups values that read a file: auto, subids, all.
Outcome add_special_map(std::string_view value, bool users, IdMap& map) {
  const char* subfile = users ? "/etc/subuid" : "/etc/subgid";
  if (value == "all") {
    const char* file = users ? "/proc/self/uid_map" : "/proc/self/gid_map";
    std::ifstream in(file);
    if (!in) return failure(fmt::format("could not open '{}': {}", file, strerror(errno)));
    std::stringstream ss;
    ss << in.rdbuf();
    IdMap all = passthrough_map(ss.str());
    map.insert(map.end(), all.begin(), all.end());
    return 0;
  }
  uid_t euid = ::geteuid();
  const passwd* pw = ::getpwuid(euid);
  if (!pw) return failure(fmt::format("you (user {}) don't exist.", euid));
  std::string user = pw->pw_name;
  std::ifstream in(subfile);
  if (!in) return failure(fmt::format("could not open '{}': {}", subfile, strerror(errno)));
  std::stringstream ss;
  ss << in.rdbuf();
  auto r = subid_range(ss.str(), subfile, user, euid, value == "subids");
  if (!r) return failure(r.error().message());
  map.push_back(*r);
  return 0;
}

Outcome add_map(const char* value, bool users, IdMap& map) {
  std::string_view v(value);
  if (v == "auto" || v == "subids" || v == "all") return add_special_map(v, users, map);
  auto r = parse_id_range(v);
  if (!r) return failure(quoted(r.error().message()));
  map.push_back(*r);
  return 0;
}

// Option implications as util-linux applies them while parsing.
struct Parsed {
  UnshareSpec spec;
  bool help = false, version = false;
};

void set_type(UnshareSpec& s, NsType t, const char* file) {
  s.types.insert(t);
  if (file) s.persist[index(t)] = file;
}

Outcome parse(const Invocation& inv, int argc, char** argv, Parsed& p) {
  enum {
    kMountProc = 256,
    kMountBinfmt,
    kPropagation,
    kSetgroups,
    kKillChild,
    kKeepCaps,
    kMonotonic,
    kBoottime,
    kMapUser,
    kMapUsers,
    kMapGroup,
    kMapGroups,
    kMapAuto,
    kMapSubids,
    kOwner,
    kForwardSignals,
    kClearEnv,
    kWhitelistEnv,
  };
  static const option kLong[] = {
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},
      {"mount", optional_argument, nullptr, 'm'},
      {"uts", optional_argument, nullptr, 'u'},
      {"ipc", optional_argument, nullptr, 'i'},
      {"net", optional_argument, nullptr, 'n'},
      {"pid", optional_argument, nullptr, 'p'},
      {"user", optional_argument, nullptr, 'U'},
      {"cgroup", optional_argument, nullptr, 'C'},
      {"time", optional_argument, nullptr, 'T'},
      {"fork", no_argument, nullptr, 'f'},
      {"kill-child", optional_argument, nullptr, kKillChild},
      {"forward-signals", no_argument, nullptr, kForwardSignals},
      {"mount-proc", optional_argument, nullptr, kMountProc},
      {"mount-binfmt", optional_argument, nullptr, kMountBinfmt},
      {"map-user", required_argument, nullptr, kMapUser},
      {"map-users", required_argument, nullptr, kMapUsers},
      {"map-group", required_argument, nullptr, kMapGroup},
      {"map-groups", required_argument, nullptr, kMapGroups},
      {"map-root-user", no_argument, nullptr, 'r'},
      {"map-current-user", no_argument, nullptr, 'c'},
      {"map-auto", no_argument, nullptr, kMapAuto},
      {"map-subids", no_argument, nullptr, kMapSubids},
      {"owner", required_argument, nullptr, kOwner},
      {"propagation", required_argument, nullptr, kPropagation},
      {"setgroups", required_argument, nullptr, kSetgroups},
      {"keep-caps", no_argument, nullptr, kKeepCaps},
      {"setuid", required_argument, nullptr, 'S'},
      {"setgid", required_argument, nullptr, 'G'},
      {"root", required_argument, nullptr, 'R'},
      {"wd", required_argument, nullptr, 'w'},
      {"monotonic", required_argument, nullptr, kMonotonic},
      {"boottime", required_argument, nullptr, kBoottime},
      {"load-interp", required_argument, nullptr, 'l'},
      {"clear-env", no_argument, nullptr, kClearEnv},
      {"whitelist-env", required_argument, nullptr, kWhitelistEnv},
      {nullptr, 0, nullptr, 0},
  };
  UnshareSpec& s = p.spec;
  s.propagation = MS_REC | MS_PRIVATE;
  s.create_persist_files = !inv.compat;
  bool binfmt_set = false;
  optind = 0;
  opterr = 0;
  int c;
  // '+': options end at the program's name, as in unshare.
  while ((c = getopt_long(argc, argv, "+:fhVmuinpCTUrR:w:S:G:cl:", kLong, nullptr)) != -1) {
    switch (c) {
      case 'f':
        s.fork = true;
        break;
      case 'm':
        set_type(s, NsType::mnt, optarg);
        break;
      case 'u':
        set_type(s, NsType::uts, optarg);
        break;
      case 'i':
        set_type(s, NsType::ipc, optarg);
        break;
      case 'n':
        set_type(s, NsType::net, optarg);
        break;
      case 'p':
        set_type(s, NsType::pid, optarg);
        break;
      case 'U':
        set_type(s, NsType::user, optarg);
        break;
      case 'C':
        set_type(s, NsType::cgroup, optarg);
        break;
      case 'T':
        set_type(s, NsType::time, optarg);
        break;
      case kMountProc:
        s.types.insert(NsType::mnt);
        s.mount_proc = optarg ? optarg : "/proc";
        break;
      case kMountBinfmt:
        s.types.insert(NsType::mnt);
        s.types.insert(NsType::user);
        if (optarg) {
          s.mount_binfmt = optarg;
        } else {
          if (!s.mount_proc) s.mount_proc = "/proc";
          s.mount_binfmt = "/proc/sys/fs/binfmt_misc";
        }
        binfmt_set = true;
        break;
      case 'l':
        s.types.insert(NsType::mnt);
        s.types.insert(NsType::user);
        if (!binfmt_set) {
          if (!s.mount_proc) s.mount_proc = "/proc";
          s.mount_binfmt = "/proc/sys/fs/binfmt_misc";
          binfmt_set = true;
        }
        s.load_interp = optarg;
        break;
      case kMapUser: {
        s.types.insert(NsType::user);
        auto id = user_id(optarg);
        if (!id) return failure(fmt::format("failed to parse uid: '{}'", quoted(optarg)));
        s.map_user = *id;
        break;
      }
      case kMapGroup: {
        s.types.insert(NsType::user);
        auto id = group_id(optarg);
        if (!id) return failure(fmt::format("failed to parse gid: '{}'", quoted(optarg)));
        s.map_group = *id;
        break;
      }
      case 'r':
        s.types.insert(NsType::user);
        s.map_user = 0;
        s.map_group = 0;
        break;
      case 'c':
        s.types.insert(NsType::user);
        s.map_user = ::geteuid();
        s.map_group = ::getegid();
        break;
      case kMapUsers:
        s.types.insert(NsType::user);
        if (auto r = add_map(optarg, true, s.user_map); !r) return r;
        break;
      case kMapGroups:
        s.types.insert(NsType::user);
        if (auto r = add_map(optarg, false, s.group_map); !r) return r;
        break;
      case kMapAuto:
      case kMapSubids: {
        s.types.insert(NsType::user);
        const char* how = c == kMapAuto ? "auto" : "subids";
        if (auto r = add_special_map(how, true, s.user_map); !r) return r;
        if (auto r = add_special_map(how, false, s.group_map); !r) return r;
        break;
      }
      case kOwner: {
        s.types.insert(NsType::user);
        std::string_view v(optarg);
        std::size_t colon = v.find(':');
        auto uid = parse_id(v.substr(0, colon));
        auto gid = colon == std::string_view::npos ? std::nullopt : parse_id(v.substr(colon + 1));
        if (!uid || !gid) return failure("failed to parse owner");
        s.owner = std::pair<uid_t, gid_t>(*uid, *gid);
        break;
      }
      case kSetgroups: {
        std::string_view v(optarg);
        if (v == "allow")
          s.setgroups = Setgroups::allow;
        else if (v == "deny")
          s.setgroups = Setgroups::deny;
        else
          return failure(fmt::format("unsupported --setgroups argument '{}'", quoted(v)));
        break;
      }
      case kPropagation: {
        std::string_view v(optarg);
        if (v == "slave")
          s.propagation = MS_REC | MS_SLAVE;
        else if (v == "private")
          s.propagation = MS_REC | MS_PRIVATE;
        else if (v == "shared")
          s.propagation = MS_REC | MS_SHARED;
        else if (v == "unchanged")
          s.propagation = 0;
        else
          return failure(fmt::format("unsupported propagation mode: {}", quoted(v)));
        break;
      }
      case kKillChild: {
        s.fork = true;
        if (!optarg) {
          s.kill_child_signal = SIGKILL;
          break;
        }
        auto sig = parse_signal(optarg);
        if (!sig) return failure(fmt::format("unknown signal: {}", quoted(optarg)));
        s.kill_child_signal = *sig;
        break;
      }
      case kKeepCaps:
        s.keep_caps = true;
        break;
      case kForwardSignals:
        s.fork = true;
        s.forward_signals = true;
        break;
      case 'S': {
        auto id = parse_id(optarg);
        if (!id) return failure(fmt::format("failed to parse uid: '{}'", quoted(optarg)));
        s.setuid = *id;
        break;
      }
      case 'G': {
        auto id = parse_id(optarg);
        if (!id) return failure(fmt::format("failed to parse gid: '{}'", quoted(optarg)));
        s.setgid = *id;
        break;
      }
      case 'R':
        s.root = optarg;
        break;
      case 'w':
        s.wd = optarg;
        break;
      case kMonotonic:
      case kBoottime: {
        auto v = parse_offset(optarg);
        const char* what = c == kMonotonic ? "monotonic" : "boottime";
        if (!v)
          return failure(fmt::format("failed to parse {} offset: '{}'", what, quoted(optarg)));
        (c == kMonotonic ? s.monotonic : s.boottime) = *v;
        break;
      }
      case kClearEnv:
        s.clear_env = true;
        break;
      case kWhitelistEnv: {
        if (!s.env_whitelist) s.env_whitelist.emplace();
        std::string_view v(optarg);
        while (true) {
          std::size_t comma = v.find(',');
          if (!v.substr(0, comma).empty()) s.env_whitelist->emplace_back(v.substr(0, comma));
          if (comma == std::string_view::npos) break;
          v.remove_prefix(comma + 1);
        }
        break;
      }
      case 'h':
        p.help = true;
        return 0;
      case 'V':
        p.version = true;
        return 0;
      default:
        return usage_error(getopt_error(c, argv));
    }
  }
  for (int i = optind; i < argc; ++i) s.argv.emplace_back(argv[i]);
  return 0;
}

}  // namespace

Outcome run_unshare(const Invocation& inv, int argc, char** argv) {
  Parsed p;
  if (auto r = parse(inv, argc, argv, p); !r) return r;
  if (p.help) {
    print_help(inv);
    return 0;
  }
  if (p.version) {
    fmt::print("{} from nsctl {}\n", inv.compat ? "unshare" : "nsctl unshare", NSCTL_VERSION);
    return 0;
  }
  bool exec_failed = false;
  // Nothing is printed past this point by us; flush what the caller's stdio may hold, since
  // the command replaces (or shares) this process's stdout.
  std::fflush(stdout);
  auto status = nsctl::run_unshare(p.spec, &exec_failed);
  if (!status) {
    int code = 1;
    if (exec_failed) code = status.error().code() == ENOENT ? 127 : 126;
    return failure(quoted(status.error().message()), code);
  }
  std::fflush(stdout);
  exit_like(*status);
}

}  // namespace nsctl::cli
