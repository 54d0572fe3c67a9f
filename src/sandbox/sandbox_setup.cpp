// The planning half of `nsctl run`: from a SandboxSpec to the plan its init follows (every
// string, path and program made here, in the parent), and the init's {stage, errno} reports
// back into messages that name the stage and the object.
#include <fmt/core.h>
#include <limits.h>
#include <sys/mount.h>
#include <time.h>

#include <cstdlib>

#include "net/rtnl.hpp"
#include "privilege/capabilities.hpp"
#include "privilege/credentials.hpp"
#include "sandbox/sandbox_config.hpp"
#include "sandbox/sandbox_plan.hpp"

namespace nsctl::detail {

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The signals init passes on to the command (the list; the terminal's own signals
// reach the command directly).
constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

std::uint64_t flag_attr(std::string_view option) {
  if (option == "ro") return MOUNT_ATTR_RDONLY;
  if (option == "nosuid") return MOUNT_ATTR_NOSUID;
  if (option == "nodev") return MOUNT_ATTR_NODEV;
  if (option == "noexec") return MOUNT_ATTR_NOEXEC;
  return 0;
}

// Splits OCI options into mount attributes and filesystem parameters ("size=1m" -> size, 1m;
// "newinstance" -> a flag parameter). "rw", "bind", "rbind" are handled by the caller.
void add_options(MountStep& s, const std::vector<std::string>& options) {
  for (const auto& o : options) {
    if (std::uint64_t a = flag_attr(o)) {
      s.attr |= a;
      continue;
    }
    if (o == "rw" || o == "bind" || o == "rbind") continue;
    std::size_t eq = o.find('=');
    s.config.emplace_back(o.substr(0, eq), eq == std::string::npos ? "" : o.substr(eq + 1));
    s.has_value.push_back(eq != std::string::npos);
    if (!s.legacy_data.empty()) s.legacy_data += ',';
    s.legacy_data += o;
  }
}

MountStep fs_step(int index, std::string target, std::string shown, std::string fstype,
                  std::string source, bool create) {
  MountStep s;
  s.kind = MountStep::fs;
  s.mount_index = index;
  s.target = std::move(target);
  s.shown = std::move(shown);
  s.fstype = std::move(fstype);
  s.source = std::move(source);
  s.create = create;
  return s;
}

MountStep simple_step(MountStep::Kind kind, int index, const std::string& target,
                      const std::string& shown, std::string source = {}) {
  MountStep s;
  s.kind = kind;
  s.mount_index = index;
  s.target = target;
  s.shown = shown;
  s.source = std::move(source);
  s.create = true;
  return s;
}

// The minimal /dev: a tmpfs; the harmless character devices bound from the caller's /dev
// (a user namespace cannot mknod); a devpts of its own with ptmx; shm; the usual links.
void add_minimal_dev(std::vector<MountStep>& steps, int index, const std::string& dst,
                     const std::string& shown, bool create) {
  MountStep tmpfs = fs_step(index, dst, shown, "tmpfs", "tmpfs", create);
  add_options(tmpfs, {"mode=755", "nosuid", "noexec"});
  steps.push_back(std::move(tmpfs));
  for (const char* dev : {"null", "zero", "full", "random", "urandom", "tty"}) {
    std::string t = fmt::format("{}/{}", dst, dev), sh = fmt::format("{}/{}", shown, dev);
    steps.push_back(simple_step(MountStep::mkfile, index, t, sh));
    MountStep bind = simple_step(MountStep::bind, index, t, sh, fmt::format("/dev/{}", dev));
    bind.recursive = false;
    steps.push_back(std::move(bind));
  }
  std::string pts = dst + "/pts", pts_shown = shown + "/pts";
  MountStep devpts = fs_step(index, pts, pts_shown, "devpts", "devpts", true);
  add_options(devpts, {"newinstance", "ptmxmode=0666", "mode=620", "nosuid", "noexec"});
  steps.push_back(std::move(devpts));
  steps.push_back(
      simple_step(MountStep::symlink, index, dst + "/ptmx", shown + "/ptmx", "pts/ptmx"));
  MountStep shm = fs_step(index, dst + "/shm", shown + "/shm", "tmpfs", "shm", true);
  add_options(shm, {"mode=1777", "nosuid", "nodev"});
  steps.push_back(std::move(shm));
  const std::pair<const char*, const char*> links[] = {{"fd", "/proc/self/fd"},
                                                       {"stdin", "/proc/self/fd/0"},
                                                       {"stdout", "/proc/self/fd/1"},
                                                       {"stderr", "/proc/self/fd/2"},
                                                       {"core", "/proc/kcore"}};
  for (const auto& [name, text] : links)
    steps.push_back(simple_step(MountStep::symlink, index, fmt::format("{}/{}", dst, name),
                                fmt::format("{}/{}", shown, name), text));
}

Result<std::vector<MountStep>> plan_mounts(const SandboxSpec& spec, const std::string& root) {
  std::vector<MountStep> steps;
  // Mount points are created only inside a root of the sandbox's own; without one the targets
  // are the caller's directories, which nsctl does not create.
  bool create = !root.empty();
  bool userns = spec.linux_.namespaces.contains(NsType::user);
  for (std::size_t i = 0; i < spec.mounts.size(); ++i) {
    const SandboxMount& m = spec.mounts[i];
    int index = static_cast<int>(i);
    std::string shown = root.empty() ? m.destination : root + m.destination;
    if (m.type == "bind") {
      MountStep s = simple_step(MountStep::bind, index, m.destination, shown, m.source);
      s.create = create;
      for (const auto& o : m.options) {
        if (o == "bind") s.recursive = false;
        s.attr |= flag_attr(o);
      }
      steps.push_back(std::move(s));
    } else if (m.type == kMinimalDevType) {
      add_minimal_dev(steps, index, m.destination, shown, create);
    } else {
      MountStep s = fs_step(index, m.destination, shown, m.type,
                            m.source.empty() ? m.type : m.source, create);
      add_options(s, m.options);
      // Overlayfs in a user namespace keeps its metadata in user.* xattrs (5.11+): trusted.*
      // needs privilege over the initial namespace.
      if (m.type == "overlay" && userns) {
        s.config.emplace_back("userxattr", "");
        s.has_value.push_back(false);
        s.legacy_data += s.legacy_data.empty() ? "userxattr" : ",userxattr";
      }
      steps.push_back(std::move(s));
    }
  }
  return steps;
}

std::string timens_offsets(const SandboxLinux& l) {
  std::string text;
  if (l.monotonic_offset) text += fmt::format("{} {} 0\n", CLOCK_MONOTONIC, l.monotonic_offset);
  if (l.boottime_offset) text += fmt::format("{} {} 0\n", CLOCK_BOOTTIME, l.boottime_offset);
  return text;
}

}  // namespace

Program make_sandbox_program(const SandboxSpec& spec) {
  return Program(spec.process.args, spec.process.env, {}, kDefaultPath);
}

Result<SandboxPlan> make_sandbox_plan(const SandboxSpec& spec, const Program& prog) {
  const NsTypeSet ns = spec.linux_.namespaces;
  SandboxPlan p;
  p.die_with_parent = spec.nsctl.die_with_parent;
  p.new_cgroup_ns = ns.contains(NsType::cgroup);
  p.new_time_ns = ns.contains(NsType::time);
  p.timens_offsets = timens_offsets(spec.linux_);
  p.new_mount_ns = ns.contains(NsType::mnt);
  if (!spec.root.path.empty()) {
    // One canonical path: it is both the mount point and the prefix in messages.
    char resolved[PATH_MAX];
    if (!::realpath(spec.root.path.c_str(), resolved))
      return errno_error(fmt::format("root {}", spec.root.path));
    p.root = resolved;
  }
  p.root_readonly = spec.root.readonly;
  NSCTL_ASSIGN_OR_RETURN(p.steps, plan_mounts(spec, p.root));
  p.hostname = spec.hostname;
  p.domainname = spec.domainname;
  if (ns.contains(NsType::net)) p.loopback_up = link_up_request(1);  // lo is 1 in every netns
  for (const auto& r : spec.process.rlimits) p.rlimits.push_back({r.resource, {r.soft, r.hard}});
  CredentialPlan& c = p.creds;
  c.last_cap = std::min(last_capability(), 63);
  // A user namespace with a single gid mapping has setgroups denied (an unprivileged caller's
  // only way to write gid_map); its groups are whatever the kernel shows as overflow ids.
  c.set_groups = !(ns.contains(NsType::user) && spec.linux_.gid_mappings.empty());
  c.groups = spec.process.additional_gids;
  c.set_uid = c.set_gid = true;
  c.uid = spec.process.uid;
  c.gid = spec.process.gid;
  // The kept capabilities are all five sets, ambient too for a non-root command (root gets its
  // bounding set at exec anyway).
  std::uint64_t kept = spec.process.capabilities;
  c.set_caps = true;
  c.caps = {kept, kept, kept, kept, c.uid != 0 ? kept : 0};
  c.no_new_privs = true;
  p.cwd = spec.process.cwd.empty() ? "/" : spec.process.cwd;
  if (spec.linux_.seccomp) {
    NSCTL_ASSIGN_OR_RETURN(p.seccomp, compile_seccomp(*spec.linux_.seccomp));
  }
  p.as_pid_1 = spec.nsctl.as_pid_1;
  std::copy(std::begin(kForwarded), std::end(kForwarded), p.forwarded);
  p.program = &prog;
  return p;
}

namespace {

std::string step_message(const SandboxPlan& p, std::int32_t rel) {
  std::size_t index = static_cast<std::size_t>(rel / 64);
  std::int32_t sub = rel % 64;
  if (index >= p.steps.size()) return "mount";
  const MountStep& s = p.steps[index];
  std::string what;
  switch (s.kind) {
    case MountStep::bind:
      what = fmt::format("bind {} on {}", s.source, s.shown);
      break;
    case MountStep::fs:
      what = fmt::format("mount {} on {}", s.fstype, s.shown);
      break;
    case MountStep::mkfile:
    case MountStep::mkdir:
      return fmt::format("create {}", s.shown);
    case MountStep::symlink:
      return fmt::format("symlink {} -> {}", s.shown, s.source);
  }
  if (sub == kSubTarget) return fmt::format("{}: mount point", what);
  if (sub >= kSubConfig && static_cast<std::size_t>(sub - kSubConfig) < s.config.size()) {
    const auto& [key, value] = s.config[static_cast<std::size_t>(sub - kSubConfig)];
    return s.has_value[static_cast<std::size_t>(sub - kSubConfig)]
               ? fmt::format("{}: option {}={}", what, key, value)
               : fmt::format("{}: option {}", what, key);
  }
  return what;
}

}  // namespace

Error sandbox_child_error(const ChildFailure& f, const SandboxPlan& p) {
  std::string what;
  if (is_credential_stage(f.stage)) {
    what = credential_step(f, p.creds);
  } else if (f.stage >= kSbStep) {
    what = step_message(p, f.stage - kSbStep);
  } else if (f.stage >= kSbRlimit) {
    std::size_t i = static_cast<std::size_t>(f.stage - kSbRlimit);
    what = i < p.rlimits.size() ? fmt::format("setrlimit {}", rlimit_name(p.rlimits[i].first))
                                : "setrlimit";
  } else {
    switch (f.stage) {
      case kSbPdeathsig:
        what = "set the parent-death signal";
        break;
      case kSbCgroupNs:
        what = "unshare cgroup namespace";
        break;
      case kSbTimeNs:
        what = "unshare time namespace";
        break;
      case kSbTimeOffsets:
        what = "write /proc/self/timens_offsets";
        break;
      case kSbTimeJoin:
        what = "enter the new time namespace";
        break;
      case kSbPropagation:
        what = "make / private";
        break;
      case kSbRootBind:
        what = fmt::format("bind root {} on itself", p.root);
        break;
      case kSbRootFd:
        what = fmt::format("open root {}", p.root.empty() ? "/" : p.root);
        break;
      case kSbRootReadonly:
        what = "make the root read-only";
        break;
      case kSbPivotChdir:
        what = fmt::format("chdir {}", p.root);
        break;
      case kSbPivot:
        what = fmt::format("pivot_root {}", p.root);
        break;
      case kSbOldRoot:
        what = "detach the old root";
        break;
      case kSbHostname:
        what = fmt::format("sethostname {}", p.hostname);
        break;
      case kSbDomainname:
        what = fmt::format("setdomainname {}", p.domainname);
        break;
      case kSbLoopback:
        what = "set lo up";
        break;
      case kSbChdir:
        what = fmt::format("chdir {}", p.cwd);
        break;
      case kSbCloseFds:
        what = "close inherited file descriptors";
        break;
      case kSbFork:
        what = "fork the command";
        break;
      case kSbSeccomp:
        what = "load the seccomp filter";
        break;
      case kSbExec:
        what = fmt::format("exec {}", p.program ? p.program->file() : "?");
        break;
      default:
        what = fmt::format("setup stage {}", f.stage);
        break;
    }
  }
  return Error::from_errno(f.err, what);
}

}  // namespace nsctl::detail
