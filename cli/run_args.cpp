#include "run_args.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "base/text.hpp"
#include "nsctl/base/fd.hpp"
#include "privilege/capabilities.hpp"
#include "privilege/credentials.hpp"
#include "privilege/idmap.hpp"
#include "privilege/seccomp.hpp"
#include "sandbox/sandbox_config.hpp"

namespace nsctl::cli {

namespace {

// Config files and seccomp profiles are a few kilobytes (Docker's profile is about 25 KiB);
// the cap keeps `--config /dev/zero`-like mistakes from eating memory.
constexpr std::size_t kMaxFileSize = 4 << 20;
constexpr std::int64_t kCpuPeriodUs = 100000;
constexpr std::int64_t kMaxCpus = 1048576;

enum Opt {
  kConfig = 256,
  kPrintConfig,
  kShare,
  kUserns,
  kUid,
  kGid,
  kGroups,
  kMapUsers,
  kMapGroups,
  kHostname,
  kDomainname,
  kAsPid1,
  kNoDieWithParent,
  kChdir,
  kRoot,
  kRo,
  kBind,
  kRoBind,
  kTmpfs,
  kProc,
  kDev,
  kOverlay,
  kVeth,
  kRlimit,
  kMemory,
  kPids,
  kCpus,
  kCapAdd,
  kSeccomp,
  kNoSeccomp,
  kKeepEnv,
  kSetenv,
  kUnsetenv,
  kTimeOffset,
  // --share-<type>: kShareFirst + the type's index. Each option has its own code, so that
  // getopt_long finds "--share-" ambiguous instead of taking the first match.
  kShareFirst = 512,
};

constexpr int share_code(NsType t) { return kShareFirst + static_cast<int>(t); }

const option kLong[] = {
    {"help", no_argument, nullptr, 'h'},
    {"config", required_argument, nullptr, kConfig},
    {"print-config", no_argument, nullptr, kPrintConfig},
    {"share", required_argument, nullptr, kShare},
    {"share-mnt", no_argument, nullptr, share_code(NsType::mnt)},
    {"share-net", no_argument, nullptr, share_code(NsType::net)},
    {"share-ipc", no_argument, nullptr, share_code(NsType::ipc)},
    {"share-uts", no_argument, nullptr, share_code(NsType::uts)},
    {"share-pid", no_argument, nullptr, share_code(NsType::pid)},
    {"share-cgroup", no_argument, nullptr, share_code(NsType::cgroup)},
    {"share-user", no_argument, nullptr, share_code(NsType::user)},
    {"share-time", no_argument, nullptr, share_code(NsType::time)},
    {"userns", no_argument, nullptr, kUserns},
    {"uid", required_argument, nullptr, kUid},
    {"gid", required_argument, nullptr, kGid},
    {"groups", required_argument, nullptr, kGroups},
    {"map-users", required_argument, nullptr, kMapUsers},
    {"map-groups", required_argument, nullptr, kMapGroups},
    {"hostname", required_argument, nullptr, kHostname},
    {"domainname", required_argument, nullptr, kDomainname},
    {"as-pid-1", no_argument, nullptr, kAsPid1},
    {"no-die-with-parent", no_argument, nullptr, kNoDieWithParent},
    {"chdir", required_argument, nullptr, kChdir},
    {"root", required_argument, nullptr, kRoot},
    {"ro", no_argument, nullptr, kRo},
    {"bind", required_argument, nullptr, kBind},
    {"ro-bind", required_argument, nullptr, kRoBind},
    {"tmpfs", required_argument, nullptr, kTmpfs},
    {"proc", required_argument, nullptr, kProc},
    {"dev", required_argument, nullptr, kDev},
    {"overlay", required_argument, nullptr, kOverlay},
    {"veth", optional_argument, nullptr, kVeth},
    {"rlimit", required_argument, nullptr, kRlimit},
    {"memory", required_argument, nullptr, kMemory},
    {"pids", required_argument, nullptr, kPids},
    {"cpus", required_argument, nullptr, kCpus},
    {"cap-add", required_argument, nullptr, kCapAdd},
    {"seccomp", required_argument, nullptr, kSeccomp},
    {"no-seccomp", no_argument, nullptr, kNoSeccomp},
    {"keep-env", no_argument, nullptr, kKeepEnv},
    {"setenv", required_argument, nullptr, kSetenv},
    {"unsetenv", required_argument, nullptr, kUnsetenv},
    {"time-offset", required_argument, nullptr, kTimeOffset},
    {nullptr, 0, nullptr, 0},
};

// Options with more than one argument take the words after their own, as bubblewrap's do.
int extra_arguments(int code) {
  switch (code) {
    case kBind:
    case kRoBind:
    case kSetenv:
      return 1;
    case kOverlay:
      return 3;
    default:
      return 0;
  }
}

// One option as given: applied after the --config file is read.
struct Op {
  int code = 0;
  std::string flag;  // "--bind", as the table spells it (the user may have abbreviated it)
  std::vector<std::string> args;
};

std::unexpected<Failure> bad_value(std::string_view flag, std::string message) {
  return failure(fmt::format("{}: {}", flag, message), kSetupFailedExit);
}

using Applied = std::expected<void, Failure>;

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    std::size_t p = text.find(sep);
    out.push_back(text.substr(0, p));
    if (p == std::string_view::npos) break;
    text.remove_prefix(p + 1);
  }
  return out;
}

std::expected<std::string, std::string> current_dir() {
  std::string buf(4096, '\0');
  while (::getcwd(buf.data(), buf.size()) == nullptr) {
    if (errno != ERANGE || buf.size() > (1u << 20))
      return std::unexpected(fmt::format("getcwd: {}", strerror(errno)));
    buf.resize(buf.size() * 2);
  }
  buf.resize(std::char_traits<char>::length(buf.c_str()));
  return buf;
}

std::string join(std::string_view dir, std::string_view path) {
  if (dir.ends_with('/')) return fmt::format("{}{}", dir, path);
  return fmt::format("{}/{}", dir, path);
}

// `path` made absolute against the current directory, without resolving anything: the user's
// words stay recognizable in --print-config and in error messages.
std::expected<std::string, std::string> absolute(std::string_view path) {
  if (path.empty()) return std::unexpected(std::string("empty path"));
  if (path.starts_with('/')) return std::string(path);
  auto cwd = current_dir();
  if (!cwd) return std::unexpected(cwd.error());
  return join(*cwd, path);
}

std::expected<std::string, std::string> read_file(const std::string& path) {
  auto error = [](int err) { return std::unexpected(std::string(strerror(err))); };
  // O_NONBLOCK: a FIFO with no writer (or a tty) must not hang the open; FIFOs are read (as
  // `--config <(generate)` gives one), other special files are refused.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd) return error(errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return error(errno);
  if (S_ISDIR(st.st_mode)) return error(EISDIR);
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
    return std::unexpected(std::string("not a regular file"));
  if (S_ISFIFO(st.st_mode)) ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  std::string text;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return error(errno);
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxFileSize)
      return std::unexpected(fmt::format("larger than {} MiB", kMaxFileSize >> 20));
  }
  return text;
}

NsTypeSet without(NsTypeSet set, NsType type) {
  NsTypeSet out;
  for (const auto& t : ns_types())
    if (t.type != type && set.contains(t.type)) out.insert(t.type);
  return out;
}

Applied set_destination(const Op& op, std::string_view text, std::string& out) {
  if (!text.starts_with('/'))
    return bad_value(op.flag,
                     fmt::format("destination '{}' must be an absolute path", quoted(text)));
  out = text;
  return {};
}

Applied set_source(const Op& op, std::string_view text, std::string& out) {
  auto p = absolute(text);
  if (!p) return bad_value(op.flag, fmt::format("source '{}': {}", quoted(text), p.error()));
  out = std::move(*p);
  return {};
}

Applied add_mount(SandboxSpec& s, const Op& op) {
  SandboxMount m;
  const std::string& dst = op.args.back();
  if (auto r = set_destination(op, dst, m.destination); !r) return r;
  switch (op.code) {
    case kBind:
    case kRoBind:
      if (auto r = set_source(op, op.args[0], m.source); !r) return r;
      m.type = "bind";
      m.options = {"rbind"};
      if (op.code == kRoBind) m.options.emplace_back("ro");
      break;
    case kTmpfs:
      m.type = "tmpfs";
      m.source = "tmpfs";
      m.options = {"nosuid", "nodev"};
      break;
    case kProc:
      m.type = "proc";
      m.source = "proc";
      m.options = {"nosuid", "nodev", "noexec"};
      break;
    case kDev:
      m.type = kMinimalDevType;
      m.source = "tmpfs";
      break;
    case kOverlay: {
      std::string lower;
      for (std::string_view dir : split(op.args[0], ':')) {
        std::string abs;
        if (auto r = set_source(op, dir, abs); !r) return r;
        lower += lower.empty() ? abs : ":" + abs;
      }
      std::string upper, work;
      if (auto r = set_source(op, op.args[1], upper); !r) return r;
      if (auto r = set_source(op, op.args[2], work); !r) return r;
      m.type = "overlay";
      m.source = "overlay";
      m.options = {"lowerdir=" + lower, "upperdir=" + upper, "workdir=" + work};
      break;
    }
  }
  s.mounts.push_back(std::move(m));
  return {};
}

Applied share(SandboxSpec& s, const Op& op) {
  for (std::string_view item : split(op.args[0], ',')) {
    if (item == "all") {
      s.linux_.namespaces = NsTypeSet();
      continue;
    }
    auto t = ns_type_from_name(item);
    if (!t)
      return bad_value(op.flag, fmt::format("unknown namespace '{}' (mnt, net, ipc, uts, pid, "
                                            "cgroup, user, time or all)",
                                            quoted(item)));
    s.linux_.namespaces = without(s.linux_.namespaces, *t);
  }
  return {};
}

Applied add_map(SandboxSpec& s, const Op& op) {
  auto r = parse_id_range(op.args[0]);
  if (!r) return bad_value(op.flag, fmt::format("invalid mapping '{}'", quoted(op.args[0])));
  (op.code == kMapUsers ? s.linux_.uid_mappings : s.linux_.gid_mappings).push_back(*r);
  // As with unshare, a map asks for a user namespace (real root has none by default).
  s.linux_.namespaces.insert(NsType::user);
  return {};
}

Applied add_rlimit(SandboxSpec& s, const Op& op) {
  std::string_view text = op.args[0];
  std::size_t eq = text.find('=');
  if (eq == std::string_view::npos)
    return bad_value(op.flag, fmt::format("'{}' is not NAME=SOFT[:HARD]", quoted(text)));
  auto resource = rlimit_from_name(text.substr(0, eq));
  if (!resource)
    return bad_value(op.flag, fmt::format("unknown resource '{}'", quoted(text.substr(0, eq))));
  std::string_view values = text.substr(eq + 1);
  std::size_t colon = values.find(':');
  auto soft = parse_rlimit_value(values.substr(0, colon));
  auto hard = colon == std::string_view::npos ? soft : parse_rlimit_value(values.substr(colon + 1));
  if (!soft || !hard)
    return bad_value(op.flag, fmt::format("invalid limit in '{}' (a number, unlimited or "
                                          "infinity)",
                                          quoted(text)));
  if (*soft > *hard)
    return bad_value(op.flag,
                     fmt::format("the soft limit is above the hard limit in '{}'", quoted(text)));
  SandboxRlimit r{*resource, *soft, *hard};
  // A resource given again (or already in the config) is replaced, not listed twice.
  for (auto& old : s.process.rlimits) {
    if (old.resource == r.resource) {
      old = r;
      return {};
    }
  }
  s.process.rlimits.push_back(r);
  return {};
}

Applied add_capabilities(SandboxSpec& s, const Op& op) {
  for (std::string_view name : split(op.args[0], ',')) {
    if (name == "ALL" || name == "all") {
      int last = std::min(last_capability(), 63);
      for (int cap = 0; cap <= last; ++cap) s.process.capabilities |= std::uint64_t{1} << cap;
      continue;
    }
    auto cap = capability_from_name(name);
    if (!cap || *cap < 0 || *cap > 63)
      return bad_value(op.flag, fmt::format("unknown capability '{}'", quoted(name)));
    s.process.capabilities |= std::uint64_t{1} << *cap;
  }
  return {};
}

bool is_var(std::string_view entry, std::string_view name) {
  return entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=';
}

// --setenv replaces the variable where it is (and drops later copies, which an environ from
// --keep-env may hold) or appends it; --unsetenv removes every copy.
Applied set_env(SandboxSpec& s, const Op& op) {
  const std::string& name = op.args[0];
  if (name.empty() || name.find('=') != std::string::npos)
    return bad_value(op.flag, fmt::format("invalid variable name '{}'", quoted(name)));
  auto& env = s.process.env;
  auto first = std::find_if(env.begin(), env.end(), [&](const auto& e) { return is_var(e, name); });
  if (op.code == kUnsetenv || first == env.end()) {
    std::erase_if(env, [&](const auto& e) { return is_var(e, name); });
    if (op.code == kSetenv) env.push_back(fmt::format("{}={}", name, op.args[1]));
    return {};
  }
  *first = fmt::format("{}={}", name, op.args[1]);
  env.erase(std::remove_if(first + 1, env.end(), [&](const auto& e) { return is_var(e, name); }),
            env.end());
  return {};
}

Applied set_time_offsets(SandboxSpec& s, const Op& op) {
  for (std::string_view item : split(op.args[0], ',')) {
    std::size_t eq = item.find('=');
    std::string_view clock = item.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : item.substr(eq + 1);
    if (!value.empty() && value.front() == '+') value.remove_prefix(1);
    auto secs = parse_number<std::int64_t>(value);
    if ((clock != "monotonic" && clock != "boottime") || !secs)
      return bad_value(op.flag, fmt::format("invalid offset '{}' (monotonic=SECONDS or "
                                            "boottime=SECONDS, comma-separated)",
                                            quoted(item)));
    (clock == "monotonic" ? s.linux_.monotonic_offset : s.linux_.boottime_offset) = *secs;
  }
  return {};
}

Applied apply(SandboxSpec& s, const Op& op) {
  const std::string arg = op.args.empty() ? std::string() : op.args[0];
  switch (op.code) {
    case kShare:
      return share(s, op);
    case kUserns:
      s.linux_.namespaces.insert(NsType::user);
      return {};
    case kUid:
    case kGid: {
      auto id = parse_id(arg);
      if (!id) return bad_value(op.flag, fmt::format("invalid id '{}'", quoted(arg)));
      if (op.code == kUid)
        set_sandbox_uid(s, *id);
      else
        s.process.gid = *id;
      return {};
    }
    case kGroups:
      for (std::string_view g : split(arg, ',')) {
        auto id = parse_id(g);
        if (!id) return bad_value(op.flag, fmt::format("invalid group id '{}'", quoted(g)));
        s.process.additional_gids.push_back(*id);
      }
      return {};
    case kMapUsers:
    case kMapGroups:
      return add_map(s, op);
    case kHostname:
    case kDomainname:
      if (arg.empty()) return bad_value(op.flag, "empty name");
      (op.code == kHostname ? s.hostname : s.domainname) = arg;
      return {};
    case kAsPid1:
      s.nsctl.as_pid_1 = true;
      return {};
    case kNoDieWithParent:
      s.nsctl.die_with_parent = false;
      return {};
    case kChdir:
      if (!arg.starts_with('/'))
        return bad_value(op.flag, fmt::format("'{}' is not an absolute path (it is a path in the "
                                              "sandbox)",
                                              quoted(arg)));
      s.process.cwd = arg;
      return {};
    case kRoot:
      return set_source(op, arg, s.root.path);
    case kRo:
      s.root.readonly = true;
      return {};
    case kBind:
    case kRoBind:
    case kTmpfs:
    case kProc:
    case kDev:
    case kOverlay:
      return add_mount(s, op);
    case kVeth: {
      if (op.args.empty()) {
        s.nsctl.veth = default_veth(::getpid());
        return {};
      }
      auto v = veth_for_network(arg, ::getpid());
      if (!v) return bad_value(op.flag, v.error());
      s.nsctl.veth = std::move(*v);
      return {};
    }
    case kRlimit:
      return add_rlimit(s, op);
    case kMemory: {
      auto v = parse_size(arg);
      if (!v) return bad_value(op.flag, v.error());
      s.linux_.resources.memory_bytes = *v;
      return {};
    }
    case kPids: {
      auto v = parse_number<std::int64_t>(arg);
      if (!v || *v < 1)
        return bad_value(op.flag, fmt::format("invalid number '{}' (at least 1)", quoted(arg)));
      s.linux_.resources.pids = *v;
      return {};
    }
    case kCpus: {
      auto v = parse_cpus(arg);
      if (!v) return bad_value(op.flag, v.error());
      s.linux_.resources.cpu_quota_us = *v;
      s.linux_.resources.cpu_period_us = kCpuPeriodUs;
      return {};
    }
    case kCapAdd:
      return add_capabilities(s, op);
    case kSeccomp: {
      auto text = read_file(arg);
      if (!text) return bad_value(op.flag, fmt::format("'{}': {}", quoted(arg), text.error()));
      auto profile = parse_seccomp_profile(*text);
      if (!profile)
        return bad_value(op.flag,
                         fmt::format("'{}': {}", quoted(arg), quoted(profile.error().message())));
      s.linux_.seccomp = std::move(*profile);
      return {};
    }
    case kNoSeccomp:
      s.linux_.seccomp.reset();
      return {};
    case kKeepEnv:
      s.process.env.clear();
      for (char** e = environ; e && *e; ++e) s.process.env.emplace_back(*e);
      return {};
    case kSetenv:
    case kUnsetenv:
      return set_env(s, op);
    case kTimeOffset:
      return set_time_offsets(s, op);
    default:
      if (op.code >= kShareFirst && op.code < kShareFirst + static_cast<int>(kNsTypeCount))
        s.linux_.namespaces = without(s.linux_.namespaces, NsType(op.code - kShareFirst));
      return {};
  }
}

// The config file's relative root.path and bind sources are relative to its directory (OCI:
// to the bundle), not to wherever nsctl happens to be started.
Applied resolve_config_paths(SandboxSpec& s, const std::string& config_path) {
  std::size_t slash = config_path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : config_path.substr(0, slash + 1);
  auto abs_dir = absolute(dir);
  if (!abs_dir) return bad_value("--config", abs_dir.error());
  // The defaults it was overlaid on have no relative paths: any here came from the file.
  if (!s.root.path.empty() && !s.root.path.starts_with('/'))
    s.root.path = join(*abs_dir, s.root.path);
  for (auto& m : s.mounts)
    if (m.type == "bind" && !m.source.empty() && !m.source.starts_with('/'))
      m.source = join(*abs_dir, m.source);
  return {};
}

}  // namespace

std::expected<std::int64_t, std::string> parse_size(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  auto number = parse_number<std::uint64_t>(text.substr(0, digits));
  std::string suffix = ascii_lower(text.substr(digits));
  std::uint64_t unit = 0;
  if (suffix.empty() || suffix == "b") {
    unit = 1;
  } else {
    static constexpr std::pair<char, int> kUnits[] = {{'k', 10}, {'m', 20}, {'g', 30}, {'t', 40}};
    std::string_view rest = std::string_view(suffix).substr(1);
    if (rest.empty() || rest == "b" || rest == "ib")
      for (auto [letter, shift] : kUnits)
        if (suffix[0] == letter) unit = std::uint64_t{1} << shift;
  }
  auto invalid_size = [&] {
    return std::unexpected(
        fmt::format("invalid size '{}' (bytes, or a number with k, m, g or t; "
                    "base 1024)",
                    quoted(text)));
  };
  if (digits == 0 || unit == 0) return invalid_size();
  if (!number) return std::unexpected(fmt::format("size '{}' is too large", quoted(text)));
  if (*number == 0) return std::unexpected(fmt::format("size '{}' is zero", quoted(text)));
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (*number > kMax / unit)
    return std::unexpected(fmt::format("size '{}' is too large", quoted(text)));
  return static_cast<std::int64_t>(*number * unit);
}

std::expected<std::int64_t, std::string> parse_cpus(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return std::unexpected(fmt::format("invalid number of CPUs '{}'{}", quoted(text), why));
  };
  std::size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  auto all_digits = [](std::string_view s) {
    for (char c : s)
      if (c < '0' || c > '9') return false;
    return true;
  };
  if ((whole.empty() && frac.empty()) || !all_digits(whole) || !all_digits(frac))
    return bad(" (a decimal number such as 0.5 or 2)");
  // The period is 100000 us: five decimals are whole microseconds.
  constexpr std::size_t kDecimals = 5;
  for (std::size_t i = kDecimals; i < frac.size(); ++i)
    if (frac[i] != '0') return bad(" (at most 5 decimals: 0.00001 CPU is 1 us per 100 ms)");
  std::int64_t cpus = 0;
  if (!whole.empty()) {
    // Leading zeros are fine; the value is bounded below.
    while (whole.size() > 1 && whole.front() == '0') whole.remove_prefix(1);
    if (whole.size() > 7) return bad(" (too many)");
    cpus = *parse_number<std::int64_t>(whole);
  }
  if (cpus > kMaxCpus) return bad(" (too many)");
  std::int64_t quota = cpus * kCpuPeriodUs;
  std::int64_t scale = kCpuPeriodUs / 10;
  for (std::size_t i = 0; i < frac.size() && i < kDecimals; ++i, scale /= 10)
    quota += (frac[i] - '0') * scale;
  if (quota == 0) return bad(" (must be more than 0)");
  return quota;
}

std::expected<rlim_t, std::string> parse_rlimit_value(std::string_view text) {
  if (text == "unlimited" || text == "infinity") return RLIM_INFINITY;
  auto v = parse_number<std::uint64_t>(text);
  if (!v) return std::unexpected(fmt::format("invalid limit '{}'", quoted(text)));
  return static_cast<rlim_t>(*v);
}

SandboxVeth default_veth(pid_t pid) {
  constexpr std::uint32_t kBase = (10u << 24) | (200u << 16);  // 10.200.0.0/16
  std::uint32_t block = static_cast<std::uint32_t>(pid) % 16384;
  SandboxVeth v;
  v.host_name = fmt::format("nsctl{}", pid);
  v.sandbox_name = "eth0";
  v.host_address = kBase + 4 * block + 1;
  v.sandbox_address = kBase + 4 * block + 2;
  v.prefix_len = 30;
  return v;
}

std::expected<SandboxVeth, std::string> veth_for_network(std::string_view cidr, pid_t pid) {
  auto invalid_network = [&] {
    return std::unexpected(
        fmt::format("invalid network '{}' (an IPv4 network such as 192.168.7.0/24)", quoted(cidr)));
  };
  std::size_t slash = cidr.find('/');
  if (slash == std::string_view::npos) return invalid_network();
  auto address = parse_ipv4(cidr.substr(0, slash));
  std::string_view prefix_text = cidr.substr(slash + 1);
  auto prefix = prefix_text.size() <= 2 ? parse_number<unsigned>(prefix_text) : std::nullopt;
  if (!address || !prefix || *prefix > 32) return invalid_network();
  if (*prefix < 1 || *prefix > 30)
    return std::unexpected(fmt::format(
        "network '{}': the prefix must be 1..30 (a /30 is the smallest with two addresses)",
        quoted(cidr)));
  std::uint32_t mask = ~std::uint32_t{0} << (32 - *prefix);
  if ((*address & ~mask) != 0)
    return std::unexpected(fmt::format("'{}' is not a network address (did you mean {}/{}?)",
                                       quoted(cidr), ipv4_text(*address & mask), *prefix));
  SandboxVeth v = default_veth(pid);
  v.host_address = *address + 1;
  v.sandbox_address = *address + 2;
  v.prefix_len = *prefix;
  return v;
}

RunParse parse_run_args(int argc, char** argv, uid_t euid, const char* term) {
  RunOptions out;
  std::vector<Op> ops;
  std::optional<std::string> config;
  optind = 0;
  opterr = 0;
  int c;
  int index = -1;
  // '+': options end at the command's name, as in bubblewrap and unshare.
  while ((c = getopt_long(argc, argv, "+:h", kLong, &index)) != -1) {
    if (c == 'h') {
      out.help = true;
      return out;
    }
    if (c == '?' || c == ':' || index < 0) return usage_error(getopt_error(c, argv));
    Op op{c, fmt::format("--{}", kLong[index].name), {}};
    index = -1;
    if (optarg) op.args.emplace_back(optarg);
    int extra = extra_arguments(c);
    for (int k = 0; k < extra; ++k) {
      if (optind >= argc)
        return usage_error(fmt::format("option '{}' requires {} arguments", op.flag, extra + 1));
      op.args.emplace_back(argv[optind++]);
    }
    if (c == kConfig) {
      if (config) return usage_error("option '--config' given twice");
      config = op.args[0];
    } else if (c == kPrintConfig) {
      out.print_config = true;
    } else {
      ops.push_back(std::move(op));
    }
  }

  SandboxSpec& s = out.spec;
  s = default_sandbox(euid, term);
  if (config) {
    auto text = read_file(*config);
    if (!text) return bad_value("--config", fmt::format("'{}': {}", quoted(*config), text.error()));
    auto overlaid = sandbox_from_json(*text, s);
    if (!overlaid)
      return bad_value(
          "--config", fmt::format("'{}': {}", quoted(*config), quoted(overlaid.error().message())));
    if (auto r = resolve_config_paths(*overlaid, *config); !r) return std::unexpected(r.error());
    s = std::move(*overlaid);
  }
  for (const Op& op : ops)
    if (auto r = apply(s, op); !r) return std::unexpected(r.error());
  if (optind < argc) {
    s.process.args.clear();
    for (int i = optind; i < argc; ++i) s.process.args.emplace_back(argv[i]);
  }
  return out;
}

}  // namespace nsctl::cli
