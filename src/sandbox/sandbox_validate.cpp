// validate_sandbox: what can be refused before anything is created, with a message that names
// the field as the command line (--flag) and a config file (JSON path) call it.
#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "privilege/capabilities.hpp"
#include "privilege/credentials.hpp"
#include "sandbox/sandbox.hpp"
#include "sandbox/sandbox_config.hpp"

namespace nsctl {

namespace {

// A smaller limit cannot even exec a shell: the page tables, stack and the pages of the binary
// and libc are charged to the cgroup before main() runs, and the OOM killer ends the command at
// once with no hint of why. A number this small is almost always a unit mistake ("--memory 512"
// meant as MiB), so it is refused with the reason.
constexpr std::int64_t kMinMemoryBytes = std::int64_t{1} << 20;
// The kernel's bounds for the CFS bandwidth period (1 ms .. 1 s) and smallest quota (1 ms):
// sched/core.c, tg_set_cfs_bandwidth().
constexpr std::uint64_t kMinCpuPeriodUs = 1000, kMaxCpuPeriodUs = 1000000;
constexpr std::int64_t kMinCpuQuotaUs = 1000;
constexpr std::size_t kMaxUtsName = 64;  // __NEW_UTS_LEN
constexpr std::size_t kMaxIfName = 15;   // IFNAMSIZ - 1

std::unexpected<Error> bad(std::string message) { return invalid(std::move(message)); }

// "hostname needs a new uts namespace, but uts is shared (--share-uts, or no "uts" in
// linux.namespaces)".
std::unexpected<Error> needs_new(std::string_view what, NsType type) {
  return bad(
      fmt::format("{} needs a new {} namespace, but {} is shared (--share-{}, or no \"{}\" in "
                  "linux.namespaces)",
                  what, name(type), name(type), name(type), oci_namespace_name(type)));
}

bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

std::unexpected<Error> nul_in(std::string_view field) {
  return bad(fmt::format("{}: contains a NUL byte, which the kernel cannot take", field));
}

// Strings from a config file are checked as it is read; these are for specs built in code.
Result<void> check_no_nul(const SandboxSpec& s) {
  for (std::size_t i = 0; i < s.process.args.size(); ++i)
    if (has_nul(s.process.args[i])) return nul_in(fmt::format("process.args[{}]", i));
  for (std::size_t i = 0; i < s.process.env.size(); ++i)
    if (has_nul(s.process.env[i])) return nul_in(fmt::format("process.env[{}]", i));
  if (has_nul(s.process.cwd)) return nul_in("process.cwd");
  if (has_nul(s.root.path)) return nul_in("root.path");
  for (std::size_t i = 0; i < s.mounts.size(); ++i) {
    const SandboxMount& m = s.mounts[i];
    bool nul = has_nul(m.destination) || has_nul(m.type) || has_nul(m.source);
    for (const auto& o : m.options) nul = nul || has_nul(o);
    if (nul) return nul_in(fmt::format("mounts[{}]", i));
  }
  if (has_nul(s.hostname)) return nul_in("hostname");
  if (has_nul(s.domainname)) return nul_in("domainname");
  if (s.nsctl.veth && (has_nul(s.nsctl.veth->host_name) || has_nul(s.nsctl.veth->sandbox_name)))
    return nul_in("nsctl.veth");
  return {};
}

// Path components of `path` ("/a//b/" -> a, b).
bool has_dotdot(std::string_view path) {
  while (!path.empty()) {
    std::size_t slash = path.find('/');
    if (path.substr(0, slash) == "..") return true;
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return false;
}

bool is_absolute(std::string_view path) { return path.starts_with('/'); }

Result<void> check_process(const SandboxProcess& p) {
  if (p.args.empty())
    return bad("no command: give one after the options (or process.args in --config)");
  if (p.args[0].empty()) return bad("process.args[0]: the command name is empty");
  for (std::size_t i = 0; i < p.env.size(); ++i) {
    std::size_t eq = p.env[i].find('=');
    if (eq == 0 || eq == std::string::npos)
      return bad(fmt::format("process.env[{}]: '{}' is not NAME=value", i, p.env[i]));
  }
  if (!is_absolute(p.cwd))
    return bad(fmt::format("working directory (--chdir, process.cwd) '{}' is not an absolute path",
                           p.cwd));
  if (!p.no_new_privileges)
    return bad(
        "process.noNewPrivileges: false is not supported: nsctl run always sets "
        "no_new_privs");
  for (int bit = 0; bit < 64; ++bit) {
    if (!(p.capabilities & (std::uint64_t{1} << bit))) continue;
    // Known means the name table round-trips: capability_name() writes "CAP_<n>" past it.
    auto back = capability_from_name(capability_name(bit));
    if (!back || *back != bit)
      return bad(
          fmt::format("capabilities (--cap-add, process.capabilities): bit {} is not a "
                      "known capability",
                      bit));
  }
  std::set<int> seen;
  for (const auto& r : p.rlimits) {
    if (!rlimit_from_name(rlimit_name(r.resource)))
      return bad(
          fmt::format("rlimits (--rlimit, process.rlimits): unknown resource {}", r.resource));
    if (!seen.insert(r.resource).second)
      return bad(fmt::format("rlimits (--rlimit, process.rlimits): {} is given twice",
                             rlimit_name(r.resource)));
    if (r.soft > r.hard)
      return bad(fmt::format("rlimit {}: the soft limit {} is above the hard limit {}",
                             rlimit_name(r.resource), r.soft, r.hard));
  }
  return {};
}

struct OptionRule {
  std::string_view name;
  bool takes_value;  // "size=": a key with a value
};

constexpr OptionRule kBindOptions[] = {{"rbind", false}, {"bind", false},   {"ro", false},
                                       {"rw", false},    {"nosuid", false}, {"nodev", false},
                                       {"noexec", false}};
constexpr OptionRule kTmpfsOptions[] = {{"size", true},   {"mode", true},    {"nr_inodes", true},
                                        {"ro", false},    {"nosuid", false}, {"nodev", false},
                                        {"noexec", false}};
constexpr OptionRule kProcOptions[] = {{"nosuid", false}, {"nodev", false}, {"noexec", false}};
constexpr OptionRule kOverlayOptions[] = {
    {"lowerdir", true}, {"upperdir", true}, {"workdir", true}};

struct MountKind {
  std::string_view type;
  std::span<const OptionRule> options;
};

const MountKind kMountKinds[] = {
    {"bind", kBindOptions},       {"tmpfs", kTmpfsOptions}, {"proc", kProcOptions},
    {"overlay", kOverlayOptions}, {kMinimalDevType, {}},
};

// "0755", "1777": an octal mode of at most 07777.
bool valid_mode(std::string_view v) {
  if (v.empty() || v.size() > 5) return false;
  unsigned mode = 0;
  for (char c : v) {
    if (c < '0' || c > '7') return false;
    mode = mode * 8 + static_cast<unsigned>(c - '0');
  }
  return mode <= 07777;
}

Result<void> check_mount(const SandboxMount& m, std::size_t i) {
  std::string label = fmt::format("mount {} ({} on {})", i + 1, m.type, m.destination);
  auto fail = [&](std::string_view why) { return bad(fmt::format("{}: {}", label, why)); };
  if (!is_absolute(m.destination)) return fail("destination must be an absolute path");
  if (has_dotdot(m.destination)) return fail("destination must not contain '..'");
  const MountKind* kind = nullptr;
  for (const auto& k : kMountKinds)
    if (k.type == m.type) kind = &k;
  if (!kind)
    return fail(fmt::format("unknown type '{}' (nsctl mounts bind, tmpfs, proc, overlay and {})",
                            m.type, kMinimalDevType));
  std::string_view lower, upper, work;
  for (std::string_view o : m.options) {
    // The options of tmpfs and overlay reach the kernel as one comma-separated string.
    if (o.find(',') != std::string_view::npos)
      return fail(fmt::format("option '{}' holds a comma", o));
    std::size_t eq = o.find('=');
    std::string_view key = o.substr(0, eq);
    const OptionRule* rule = nullptr;
    for (const auto& r : kind->options)
      if (r.name == key) rule = &r;
    if (!rule || rule->takes_value != (eq != std::string_view::npos))
      return fail(fmt::format("option '{}' does not apply to a {} mount", o, m.type));
    std::string_view value = eq == std::string_view::npos ? "" : o.substr(eq + 1);
    if (rule->takes_value && value.empty())
      return fail(fmt::format("option '{}' needs a value", o));
    if (key == "mode" && !valid_mode(value))
      return fail(fmt::format("option '{}': the mode must be octal, at most 07777", o));
    if (key == "lowerdir") lower = value;
    if (key == "upperdir") upper = value;
    if (key == "workdir") work = value;
  }
  if (m.type == "bind") {
    if (m.source.empty()) return fail("a bind mount needs a source");
    if (!is_absolute(m.source))
      return fail(fmt::format("source '{}' must be an absolute path", m.source));
  }
  if (m.type == "overlay") {
    if (m.source.empty()) return fail("an overlay mount needs a source (\"overlay\")");
    if (lower.empty()) return fail("an overlay mount needs lowerdir=");
    // Without upperdir and workdir the overlay is read-only; one without the other is not.
    if (upper.empty() != work.empty())
      return fail("upperdir= and workdir= go together (neither: a read-only overlay)");
    std::string_view rest = lower;
    while (true) {
      std::size_t colon = rest.find(':');
      if (!is_absolute(rest.substr(0, colon)))
        return fail(fmt::format("lowerdir '{}' must be absolute paths separated by ':'", lower));
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
    if (!upper.empty() && (!is_absolute(upper) || !is_absolute(work)))
      return fail("upperdir and workdir must be absolute paths");
  }
  return {};
}

// The kernel's dev_valid_name(): 1..15 bytes, not "." or "..", no '/', ':' or whitespace.
bool valid_ifname(std::string_view n) {
  if (n.empty() || n.size() > kMaxIfName || n == "." || n == "..") return false;
  for (char c : n)
    if (c == '/' || c == ':' || c == ' ' || (c >= '\t' && c <= '\r')) return false;
  return true;
}

Result<void> check_veth(const SandboxVeth& v) {
  for (auto [what, n] :
       {std::pair<std::string_view, std::string_view>{"host", v.host_name},
        std::pair<std::string_view, std::string_view>{"sandbox", v.sandbox_name}}) {
    if (!valid_ifname(n))
      return bad(
          fmt::format("veth: the {} interface name '{}' is not a valid link name (1 to {} "
                      "bytes, no '/', ':' or spaces)",
                      what, n, kMaxIfName));
  }
  if (v.prefix_len < 1 || v.prefix_len > 30)
    return bad(fmt::format("veth: prefix length {} is outside 1..30 (two hosts need a /30)",
                           v.prefix_len));
  std::uint32_t mask = ~std::uint32_t{0} << (32 - v.prefix_len);
  std::string cidr = fmt::format("{}/{}", ipv4_text(v.host_address & mask), v.prefix_len);
  if (v.host_address == v.sandbox_address)
    return bad(fmt::format("veth: the host and the sandbox both have the address {}",
                           ipv4_text(v.host_address)));
  if ((v.host_address & mask) != (v.sandbox_address & mask))
    return bad(fmt::format("veth: the sandbox address {} is not in {}, the host's network",
                           ipv4_text(v.sandbox_address), cidr));
  for (auto [what, a] :
       {std::pair<std::string_view, std::uint32_t>{"host", v.host_address},
        std::pair<std::string_view, std::uint32_t>{"sandbox", v.sandbox_address}}) {
    if ((a & ~mask) == 0 || (a & ~mask) == ~mask)
      return bad(fmt::format("veth: the {} address {} is the network or broadcast address of {}",
                             what, ipv4_text(a), cidr));
  }
  return {};
}

bool maps(const IdMap& map, std::uint32_t id) {
  for (const auto& r : map)
    if (id >= r.inner && id - r.inner < r.count) return true;
  return false;
}

Result<void> check_user(const SandboxSpec& s) {
  const SandboxLinux& lx = s.linux_;
  bool new_user = lx.namespaces.contains(NsType::user);
  struct Map {
    const IdMap& map;
    std::string_view name, flag;
  };
  for (const Map& m : {Map{lx.uid_mappings, "uidMappings", "--map-users"},
                       Map{lx.gid_mappings, "gidMappings", "--map-groups"}}) {
    if (m.map.empty()) continue;
    if (!new_user) return needs_new(fmt::format("{} (linux.{})", m.flag, m.name), NsType::user);
    if (auto r = validate_id_map(m.map); !r)
      return bad(fmt::format("{} (linux.{}): {}", m.flag, m.name, r.error().message()));
  }
  if (!new_user) return {};
  if (!lx.uid_mappings.empty() && !maps(lx.uid_mappings, s.process.uid))
    return bad(
        fmt::format("uid {} (--uid, process.user.uid) is not mapped by --map-users "
                    "(linux.uidMappings)",
                    s.process.uid));
  if (!lx.gid_mappings.empty() && !maps(lx.gid_mappings, s.process.gid))
    return bad(
        fmt::format("gid {} (--gid, process.user.gid) is not mapped by --map-groups "
                    "(linux.gidMappings)",
                    s.process.gid));
  if (!s.process.additional_gids.empty()) {
    // Without gid mappings the namespace maps the caller's own gid alone, and an unprivileged
    // process may only write that map after denying setgroups(2) (user_namespaces(7)).
    if (lx.gid_mappings.empty())
      return bad(
          "supplementary groups (--groups, process.user.additionalGids) in a new user "
          "namespace need --map-groups (linux.gidMappings): with only the caller's gid "
          "mapped, the kernel denies setgroups");
    for (gid_t g : s.process.additional_gids)
      if (!maps(lx.gid_mappings, g))
        return bad(
            fmt::format("supplementary group {} (--groups, process.user.additionalGids) is "
                        "not mapped by --map-groups (linux.gidMappings)",
                        g));
  }
  return {};
}

Result<void> check_resources(const CgroupLimits& r) {
  // -1 is "unlimited" (CgroupLimits), as OCI writers use it.
  if (r.memory_bytes && *r.memory_bytes != -1 && *r.memory_bytes < kMinMemoryBytes)
    return bad(
        fmt::format("memory limit (--memory, linux.resources.memory.limit) of {} bytes is "
                    "below 1 MiB, too little to start a command",
                    *r.memory_bytes));
  if (r.pids && *r.pids != -1 && *r.pids < 1)
    return bad(
        fmt::format("pids limit (--pids, linux.resources.pids.limit) {} is below 1", *r.pids));
  if (r.cpu_quota_us && *r.cpu_quota_us != -1 && *r.cpu_quota_us < kMinCpuQuotaUs)
    return bad(
        fmt::format("cpu quota (--cpus, linux.resources.cpu.quota) of {} us is below the "
                    "kernel's minimum of {} us",
                    *r.cpu_quota_us, kMinCpuQuotaUs));
  if (r.cpu_period_us && (*r.cpu_period_us < kMinCpuPeriodUs || *r.cpu_period_us > kMaxCpuPeriodUs))
    return bad(fmt::format("cpu period (linux.resources.cpu.period) of {} us is outside {}..{}",
                           *r.cpu_period_us, kMinCpuPeriodUs, kMaxCpuPeriodUs));
  return {};
}

}  // namespace

Result<void> validate_sandbox(const SandboxSpec& s) {
  NSCTL_TRY(check_no_nul(s));
  NSCTL_TRY(check_process(s.process));
  const NsTypeSet& ns = s.linux_.namespaces;

  if (!s.root.path.empty() && !is_absolute(s.root.path))
    return bad(fmt::format("root (--root, root.path) '{}' is not an absolute path", s.root.path));
  for (std::size_t i = 0; i < s.mounts.size(); ++i) NSCTL_TRY(check_mount(s.mounts[i], i));
  if (!ns.contains(NsType::mnt)) {
    if (!s.root.path.empty() || s.root.readonly)
      return needs_new("--root/--ro (root)", NsType::mnt);
    if (!s.mounts.empty()) return needs_new("mounts", NsType::mnt);
  }

  for (auto [what, value] :
       {std::pair<std::string_view, std::string_view>{"hostname", s.hostname},
        std::pair<std::string_view, std::string_view>{"domainname", s.domainname}}) {
    if (value.empty()) continue;
    if (value.size() > kMaxUtsName)
      return bad(fmt::format("{} (--{}) is {} bytes long; the kernel takes at most {}", what, what,
                             value.size(), kMaxUtsName));
    if (!ns.contains(NsType::uts))
      return needs_new(fmt::format("{} (--{})", what, what), NsType::uts);
  }

  if ((s.linux_.monotonic_offset != 0 || s.linux_.boottime_offset != 0) &&
      !ns.contains(NsType::time))
    return needs_new("time offsets (--time-offset, linux.timeOffsets)", NsType::time);

  if (s.nsctl.veth) {
    if (!ns.contains(NsType::net)) return needs_new("--veth (nsctl.veth)", NsType::net);
    NSCTL_TRY(check_veth(*s.nsctl.veth));
  }
  if (s.nsctl.as_pid_1 && !ns.contains(NsType::pid))
    return needs_new("--as-pid-1 (nsctl.asPid1)", NsType::pid);

  NSCTL_TRY(check_user(s));
  NSCTL_TRY(check_resources(s.linux_.resources));
  return {};
}

}  // namespace nsctl
