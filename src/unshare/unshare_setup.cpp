#include <fcntl.h>
#include <fmt/core.h>
#include <pwd.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <tuple>

#include "privilege/capabilities.hpp"
#include "unshare/unshare.hpp"
#include "unshare/unshare_plan.hpp"

extern char** environ;

// The planning half of unshare: turning a spec into the strings and plans that the child and
// the outside helper follow, and their {stage, errno} reports back into unshare's messages.
namespace nsctl::detail {

static std::string read_text(const char* path, bool* ok) {
  std::ifstream in(path);
  *ok = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Program make_program(const UnshareSpec& spec) {
  std::vector<std::string> env;
  if (spec.env_whitelist) {
    for (char** e = environ; *e; ++e) {
      std::string_view entry(*e);
      std::string_view name = entry.substr(0, entry.find('='));
      for (const auto& keep : *spec.env_whitelist)
        if (keep == name) env.emplace_back(entry);
    }
  } else if (!spec.clear_env) {
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
  }
  if (!spec.argv.empty()) return Program(spec.argv, std::move(env));
  // As util-linux: $SHELL (from the command's environment) or /bin/sh, as a login shell.
  std::string shell = "/bin/sh";
  for (const auto& e : env)
    if (e.starts_with("SHELL=")) {
      if (e.size() > 6) shell = e.substr(6);
      break;
    }
  std::size_t slash = shell.rfind('/');
  std::string arg0 = "-" + (slash == std::string::npos ? shell : shell.substr(slash + 1));
  return Program({std::move(arg0)}, std::move(env), shell);
}

static bool interp_is_fixed(const std::string& interp) {
  std::size_t colon = interp.rfind(':');
  return colon != std::string::npos && interp.find('F', colon) != std::string::npos;
}

ChildPlan make_child_plan(const UnshareSpec& spec, const Program& prog) {
  ChildPlan c;
  c.new_mount_ns = spec.types.contains(NsType::mnt);
  c.propagation = spec.propagation;
  if (spec.root) {
    c.root = spec.root->c_str();
    c.wd = "/";
  }
  if (spec.wd) c.wd = spec.wd->c_str();
  if (spec.mount_proc) {
    c.proc = spec.mount_proc->c_str();
    c.proc_make_private = !spec.root && spec.propagation != (MS_REC | MS_PRIVATE);
  }
  if (spec.mount_binfmt) c.binfmt = spec.mount_binfmt->c_str();
  if (spec.load_interp) {
    c.interp = spec.load_interp->c_str();
    c.interp_before_root = spec.root && interp_is_fixed(*spec.load_interp);
  }
  // As util-linux: setgroups(0) and setgid, then setuid; the permitted capabilities kept as
  // ambient ones (--keep-caps) so that they survive exec.
  CredentialPlan& cred = c.creds;
  if (spec.setgid) {
    cred.set_groups = cred.set_gid = true;
    cred.gid = *spec.setgid;
  }
  if (spec.setuid) {
    cred.set_uid = true;
    cred.uid = *spec.setuid;
  }
  cred.ambient_from_permitted = spec.keep_caps && spec.types.contains(NsType::user);
  if (cred.ambient_from_permitted) cred.last_cap = std::min(last_capability(), 63);
  c.pdeath_signal = spec.kill_child_signal;
  c.program = &prog;
  return c;
}

// Where the helper program for unprivileged range maps lives (searched in PATH now, because the
// helper that runs it may not allocate).
Result<MapSpec> plan_ranges(const UnshareSpec& spec) {
  MapSpec m;
  uid_t euid = ::geteuid();
  gid_t egid = ::getegid();
  m.uid_ranges = spec.user_map;
  m.gid_ranges = spec.group_map;
  if (spec.map_user && (!m.uid_ranges.empty() || spec.owner))
    m.uid_ranges = with_single_id(m.uid_ranges, euid, *spec.map_user);
  if (spec.map_group && (!m.gid_ranges.empty() || spec.owner))
    m.gid_ranges = with_single_id(m.gid_ranges, egid, *spec.map_group);
  if (!m.uid_ranges.empty()) NSCTL_TRY(validate_id_map(m.uid_ranges));
  if (!m.gid_ranges.empty()) NSCTL_TRY(validate_id_map(m.gid_ranges));
  m.external = euid != 0 && (!m.uid_ranges.empty() || !m.gid_ranges.empty());
  if (!m.external) return m;
  // newuidmap/newgidmap check /etc/subuid themselves; checking first means nothing has been
  // created when the map is refused, and the message says which range.
  const passwd* pw = ::getpwuid(euid);
  std::string user = pw ? pw->pw_name : std::to_string(euid);
  for (auto [ranges, file, own] : {std::tuple{&m.uid_ranges, "/etc/subuid", euid},
                                   std::tuple{&m.gid_ranges, "/etc/subgid", egid}}) {
    if (ranges->empty()) continue;
    bool ok = false;
    std::string text = read_text(file, &ok);
    auto allowed = subid_ranges(text, user, euid);
    NSCTL_TRY(check_subordinate(*ranges, allowed, own, fmt::format("{} in {}", user, file)));
  }
  return m;
}

// The maps and binds for the namespaces of `pid`; `self`: pid is this process after unshare(2)
// (so pid and time are the *_for_children links).
OutsidePlan make_outside_plan(const UnshareSpec& spec, const MapSpec& maps, pid_t pid,
                              bool ranges_only) {
  OutsidePlan o;
  o.maps = plan_id_maps(fmt::format("/proc/{}", pid), maps.uid_ranges, maps.gid_ranges,
                        maps.external, false);
  IdMapPlan& m = o.maps;
  if (!ranges_only) {
    if (spec.map_user && maps.uid_ranges.empty())
      m.uid.text = fmt::format("{} {} 1", *spec.map_user, ::geteuid());
    if (spec.map_group && maps.gid_ranges.empty()) {
      // Unprivileged gid maps need setgroups denied first (3.19+); util-linux denies always.
      m.setgroups_before = "deny";
      m.gid.text = fmt::format("{} {} 1", *spec.map_group, ::getegid());
    }
    if (spec.setgroups == Setgroups::deny) m.setgroups_before = "deny";
    if (spec.setgroups == Setgroups::allow) m.setgroups_after = "allow";
  } else if (!maps.gid_ranges.empty() && spec.setgroups == Setgroups::deny) {
    m.setgroups_before = "deny";  // before the gid map, or the kernel refuses it
  }
  return o;
}

void plan_binds(OutsidePlan& o, const UnshareSpec& spec, pid_t pid, bool for_children) {
  // util-linux's order: the user namespace first, mnt late.
  constexpr NsType kOrder[] = {NsType::user, NsType::cgroup, NsType::ipc, NsType::uts,
                               NsType::net,  NsType::pid,    NsType::mnt, NsType::time};
  for (NsType t : kOrder) {
    const std::string& target = spec.persist[index(t)];
    if (target.empty()) continue;
    std::string_view entry =
        for_children && !info(t).for_children.empty() ? info(t).for_children : name(t);
    o.binds.push_back({fmt::format("/proc/{}/ns/{}", pid, entry), target});
  }
}

Error child_error(const ChildFailure& f, const UnshareSpec& spec, const Program& prog) {
  auto str = [](const std::optional<std::string>& s) { return s ? *s : std::string(); };
  std::string what;
  switch (f.stage) {
    case kStageSync:
      what = "failed to synchronize with the parent";
      break;
    case kStagePropagation:
      what = "cannot change root filesystem propagation";
      break;
    case kStageBinfmtEarly:
      what = "mount /proc/sys/fs/binfmt_misc failed";
      break;
    case kStageInterpDir:
      what = fmt::format("cannot open {}", str(spec.mount_binfmt));
      break;
    case kStageInterpOpen:
      what = fmt::format("cannot open {}/register", str(spec.mount_binfmt));
      break;
    case kStageInterpWrite:
      what = fmt::format("write failed {}/register", str(spec.mount_binfmt));
      break;
    case kStageChroot:
      what = fmt::format("cannot change root directory to '{}'", str(spec.root));
      break;
    case kStageChdir:
      what = fmt::format("cannot change directory to {}", spec.wd ? *spec.wd : "/");
      break;
    case kStageProcPrivate:
      what = fmt::format("cannot change {} filesystem propagation", str(spec.mount_proc));
      break;
    case kStageProcMount:
      what = fmt::format("mount {} failed", str(spec.mount_proc));
      break;
    case kStageBinfmtMount:
      what = fmt::format("mount {} failed", str(spec.mount_binfmt));
      break;
    case kCredGroups:
      what = "setgroups failed";
      break;
    case kCredGid:
      what = "setgid() failed";
      break;
    case kCredUid:
      what = "setuid() failed";
      break;
    case kStagePdeathsig:
      what = "prctl failed";
      break;
    case kCredCapset:
    case kCredAmbient:
      what = "cannot raise the ambient capabilities";
      break;
    case kStageExec:
      what = fmt::format("failed to execute {}", prog.file());
      break;
    default:
      what = fmt::format("child setup failed (stage {})", f.stage);
      break;
  }
  return Error::from_errno(f.err, what);
}

Error outside_error(const ChildFailure& f, const OutsidePlan& o) {
  if (f.stage >= kStageBind) {
    auto i = static_cast<std::size_t>(f.stage - kStageBind);
    if (i < o.binds.size())
      return Error::from_errno(
          f.err, fmt::format("mount {} on {} failed", o.binds[i].source, o.binds[i].target));
  }
  return id_map_error(f, o.maps);
}

}  // namespace nsctl::detail
