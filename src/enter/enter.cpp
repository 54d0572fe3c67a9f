// Entering, the planning half: open the target and every namespace, read what the command
// inherits from the target (credentials, limits, seccomp filter, cgroups, environment, label),
// check that the target is still the process that was chosen, and fill an EnterPlan. Then
// spawn_in() runs the plan in a child (enter_child.cpp) and exec_in() in the caller.
#include "nsctl/enter/enter.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "base/escape.hpp"
#include "enter/cgroup_join.hpp"
#include "enter/enter_plan.hpp"
#include "enter/join.hpp"
#include "nsctl/ns/ns_id.hpp"
#include "privilege/capabilities.hpp"
#include "privilege/credentials.hpp"
#include "privilege/idmap.hpp"
#include "privilege/seccomp.hpp"
#include "proc/proc.hpp"
#include "process/launch.hpp"
#include "process/supervise.hpp"
#include "sys/syscalls.hpp"

namespace nsctl {

namespace {

using detail::EnterPlan;

// Everything a plan points into, kept alive until the exec.
struct Prepared {
  std::optional<Target> target;
  std::array<UniqueFd, kNsTypeCount> fds;
  UniqueFd root, wd;
  std::optional<Program> program, fallback;
  EnterPlan plan;
};

// The variables the dynamic loader and libc obey, which must not pass from a less privileged
// process to a more privileged command: glibc's list for AT_SECURE programs (unsecvars.h).
constexpr std::string_view kLoaderVariables[] = {
    "GCONV_PATH",       "GETCONF_DIR",     "GLIBC_TUNABLES",  "HOSTALIASES",   "LD_AUDIT",
    "LD_DEBUG",         "LD_DEBUG_OUTPUT", "LD_DYNAMIC_WEAK", "LD_HWCAP_MASK", "LD_LIBRARY_PATH",
    "LD_ORIGIN_PATH",   "LD_PRELOAD",      "LD_PROFILE",      "LD_SHOW_AUXV",  "LD_USE_LOAD_BIAS",
    "LOCALDOMAIN",      "LOCPATH",         "MALLOC_TRACE",    "NIS_PATH",      "NLSPATH",
    "RESOLV_HOST_CONF", "RES_OPTIONS",     "TMPDIR",          "TZDIR"};

bool is_loader_variable(std::string_view entry) {
  std::string_view name = entry.substr(0, entry.find('='));
  if (name.starts_with("LD_")) return true;
  return std::find(std::begin(kLoaderVariables), std::end(kLoaderVariables), name) !=
         std::end(kLoaderVariables);
}

std::string pid_context(pid_t pid) { return fmt::format("pid {}", pid); }

Result<std::string> read_target_file(const Target& t, const char* name) {
  std::string text;
  if (auto r = read_file_at(t.proc_dir.get(), name, text); !r)
    return std::unexpected(r.error().with_context(pid_context(t.pid)));
  return text;
}

// The LSM label of the target (AppArmor or SELinux), to apply at exec; "" when none.
std::string lsm_label(const Target& t) {
  std::string text;
  for (const char* path : {"attr/apparmor/current", "attr/current"}) {
    if (!read_file_at(t.proc_dir.get(), path, text)) continue;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
    // AppArmor writes "profile (mode)"; exec takes the profile.
    if (auto sp = text.find(" ("); sp != std::string::npos) text.resize(sp);
    if (text.empty() || text == "unconfined" || text == "kernel") return {};
    return text;
  }
  return {};
}

// An id of the target (in the caller's view) as the joined user namespace sees it.
Result<std::uint32_t> inner_id(const IdMap& map, std::uint32_t id, const char* what, pid_t pid) {
  auto inner = map_to_inner(map, id);
  if (!inner)
    return std::unexpected(Error(EINVAL, fmt::format("{}: its {} {} is not mapped in its user "
                                                     "namespace",
                                                     pid_context(pid), what, id)));
  return *inner;
}

// The credentials of `--follow`: the target's identity, in the user namespace the command
// ends up in, and its privilege only where it holds it.
Result<void> plan_follow(const Target& t, bool joins_user, bool joins_target_user,
                         EnterPlan& plan) {
  NSCTL_ASSIGN_OR_RETURN(std::string status, read_target_file(t, "status"));
  auto theirs = parse_status_credentials(status);
  if (!theirs) return std::unexpected(theirs.error().with_context(pid_context(t.pid)));
  if (joins_user && !joins_target_user)
    return invalid("--follow: the user namespace to enter must be the target's own");

  CredentialPlan& c = plan.creds;
  c.last_cap = std::min(last_capability(), 63);
  c.set_uid = c.set_gid = c.set_groups = true;
  // Groups first, in the caller's view, while the caller may still set them: a user namespace
  // with setgroups denied (an unprivileged user's) refuses them afterwards.
  plan.groups_before_join = true;
  plan.host_groups = theirs->groups;
  c.uid = theirs->uid;
  c.gid = theirs->gid;
  c.groups = theirs->groups;
  if (joins_user) {
    NSCTL_ASSIGN_OR_RETURN(std::string uid_text, read_target_file(t, "uid_map"));
    NSCTL_ASSIGN_OR_RETURN(std::string gid_text, read_target_file(t, "gid_map"));
    IdMap uids = parse_kernel_map(uid_text), gids = parse_kernel_map(gid_text);
    NSCTL_ASSIGN_OR_RETURN(c.uid, inner_id(uids, theirs->uid, "uid", t.pid));
    NSCTL_ASSIGN_OR_RETURN(c.gid, inner_id(gids, theirs->gid, "gid", t.pid));
    c.groups.clear();
    for (gid_t g : theirs->groups)
      if (auto inner = map_to_inner(gids, g)) c.groups.push_back(*inner);
    c.groups_may_fail = true;  // then the groups set before the join stand
  }
  // Capabilities count only in the user namespace they are held in: the target's sets are
  // taken when the command is in the target's user namespace. A command that stays in another
  // one (the target in a user namespace of its own, entered with -n alone, say) gets none —
  // otherwise an unprivileged container's root would become a fully capable host process.
  bool same_user_ns = joins_target_user;
  if (!joins_user) {
    NSCTL_ASSIGN_OR_RETURN(UniqueFd target_user, target_namespace(t, NsType::user));
    auto id = ns_id_of(target_user.get());
    same_user_ns = id && own_namespace(NsType::user) == *id;
  }
  c.set_caps = true;
  c.caps = same_user_ns ? theirs->caps : CapSets{};
  c.no_new_privs = theirs->no_new_privs;

  // Resource limits, from /proc/PID/limits: prlimit(2) of another user's process would need
  // CAP_SYS_RESOURCE, which the caller may lack.
  NSCTL_ASSIGN_OR_RETURN(std::string limits, read_target_file(t, "limits"));
  auto parsed = parse_limits(limits);
  if (!parsed) return std::unexpected(parsed.error().with_context(pid_context(t.pid)));
  plan.rlimits = std::move(*parsed);
  // The seccomp filter, as the target's own exec left it.
  if (theirs->seccomp_mode == 1)
    return invalid(
        fmt::format("{}: --follow: the target runs in strict seccomp mode, which "
                    "allows no exec",
                    pid_context(t.pid)));
  if (theirs->seccomp_mode == 2) {
    auto filters = read_seccomp_filters(t.pid);
    if (!filters)
      return std::unexpected(
          filters.error().with_context("--follow needs the target's seccomp filter"));
    plan.seccomp = std::move(*filters);
    // Loading a filter needs no_new_privs or CAP_SYS_ADMIN: without the first, load it while
    // the second is still there (as runc does).
    plan.seccomp_before_credentials = !theirs->no_new_privs;
  }
  return {};
}

// nsenter's -S/-G/--keep-caps: the given ids (0 by default when a user namespace is joined).
Result<void> plan_ids(const EnterSpec& spec, const std::optional<Target>& t, bool joins_user,
                      EnterPlan& plan) {
  if (spec.preserve_credentials) return {};
  if (!joins_user && !spec.uid && !spec.gid && !spec.uid_from_target && !spec.gid_from_target)
    return {};
  CredentialPlan& c = plan.creds;
  c.uid = spec.uid.value_or(0);
  c.gid = spec.gid.value_or(0);
  if (spec.uid_from_target || spec.gid_from_target) {
    if (!t) return invalid("-S follow / -G follow need a target");
    NSCTL_ASSIGN_OR_RETURN(std::string status, read_target_file(*t, "status"));
    auto theirs = parse_status_credentials(status);
    if (!theirs) return std::unexpected(theirs.error().with_context(pid_context(t->pid)));
    std::uint32_t uid = theirs->uid, gid = theirs->gid;
    if (joins_user) {
      NSCTL_ASSIGN_OR_RETURN(std::string uid_text, read_target_file(*t, "uid_map"));
      NSCTL_ASSIGN_OR_RETURN(std::string gid_text, read_target_file(*t, "gid_map"));
      NSCTL_ASSIGN_OR_RETURN(uid, inner_id(parse_kernel_map(uid_text), uid, "uid", t->pid));
      NSCTL_ASSIGN_OR_RETURN(gid, inner_id(parse_kernel_map(gid_text), gid, "gid", t->pid));
    }
    if (spec.uid_from_target) c.uid = uid;
    if (spec.gid_from_target) c.gid = gid;
  }
  c.keep_caps = spec.keep_caps;
  // In a user namespace with setgroups denied, setgroups fails: not an error (as nsenter).
  c.set_groups = joins_user;
  c.groups_may_fail = true;
  c.set_gid = c.set_uid = true;
  return {};
}

Result<UniqueFd> open_dir(const std::optional<Target>& t, const std::string& given,
                          const char* link, const char* option) {
  UniqueFd fd;
  std::string path = given;
  if (path.empty()) {
    if (!t) return std::unexpected(Error(EINVAL, fmt::format("no target for --{}", option)));
    fd.reset(::openat(t->proc_dir.get(), link, O_PATH | O_DIRECTORY | O_CLOEXEC));
    path = fmt::format("/proc/{}/{}", t->pid, link);
  } else {
    fd.reset(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  }
  if (!fd) return errno_error(path);
  return fd;
}

Result<void> prepare(const EnterSpec& spec, bool may_fork, Prepared& out) {
  EnterPlan& plan = out.plan;
  if (spec.follow && !spec.pid) return invalid("--follow needs a target process");
  if (spec.pid) {
    NSCTL_ASSIGN_OR_RETURN(out.target, open_target(spec.pid, spec.pidfs_ino));
  }
  const std::optional<Target>& t = out.target;

  // Every namespace fd, before anything changes.
  std::array<bool, kNsTypeCount> wanted{};
  for (std::size_t i = 0; i < kNsTypeCount; ++i) wanted[i] = spec.namespaces[i].join || spec.all;
  if (spec.all && !t) return invalid("no target PID specified for --all");
  if (spec.user_parent) wanted[index(NsType::user)] = true;
  if (spec.net_socket) wanted[index(NsType::net)] = true;
  bool all_from_target = t.has_value();
  NsTypeSet types;
  for (const auto& ti : ns_types()) {
    std::size_t i = index(ti.type);
    if (!wanted[i]) continue;
    const std::string& file = spec.namespaces[i].file;
    Result<UniqueFd> fd = std::unexpected(Error());
    if (!file.empty()) {
      fd = namespace_file(file, ti.type);
      all_from_target = false;
    } else if (t) {
      bool children = spec.for_children && !ti.for_children.empty();
      fd = target_namespace(*t, ti.type, children);
      if (children) all_from_target = false;
    } else {
      return invalid(fmt::format("neither filename nor target pid supplied for ns/{}", ti.name));
    }
    if (!fd) {
      // -a skips a type this kernel lacks, as nsenter does.
      if (spec.all && file.empty() && fd.error().code() == ENOENT) continue;
      return std::unexpected(fd.error());
    }
    out.fds[i] = std::move(*fd);
    types.insert(ti.type);
  }
  UniqueFd& user_fd = out.fds[index(NsType::user)];
  if (spec.user_parent && user_fd) {
    auto parent = ns_parent(user_fd.get());
    if (!parent) return std::unexpected(parent.error().with_context("--user-parent"));
    user_fd = std::move(*parent);
    all_from_target = false;
  }
  if (spec.net_socket) {
    if (!t) return invalid("--net-socket requires --target");
    NSCTL_ASSIGN_OR_RETURN(out.fds[index(NsType::net)], socket_namespace(*t, *spec.net_socket));
    all_from_target = false;
  }
  // A namespace the caller is in already is not joined (setns to one's own user namespace is
  // EINVAL); the pid namespace still means a fork, as nsenter forks.
  bool joins_target_user = false;
  for (const auto& ti : ns_types()) {
    UniqueFd& fd = out.fds[index(ti.type)];
    if (!fd) continue;
    auto id = ns_id_of(fd.get());
    if (id && own_namespace(ti.type) == *id) {
      fd.reset();
      continue;
    }
    if (all_from_target) plan.setns_flags |= ti.clone_flag;
    if (ti.type == NsType::user && t && !spec.user_parent &&
        spec.namespaces[index(ti.type)].file.empty())
      joins_target_user = true;
  }
  bool joins_user = static_cast<bool>(user_fd);
  if (all_from_target && plan.setns_flags) {
    plan.target_pidfd = t->pidfd.get();
    plan.target_pid = t->pid;
  }
  if (!plan.setns_flags)
    for (std::size_t i = 0; i < kNsTypeCount; ++i) plan.ns_fds[i] = out.fds[i].get();
  plan.fork_after_join = may_fork && types.contains(NsType::pid);

  // Root and working directory are opened before the join: afterwards /proc/PID may not be
  // reachable, or may be another /proc.
  if (spec.root) {
    NSCTL_ASSIGN_OR_RETURN(out.root, open_dir(t, *spec.root, "root", "root"));
    plan.root_fd = out.root.get();
  }
  if (spec.wd && spec.wd_in_ns) return invalid("--wd and --wdns are mutually exclusive");
  if (spec.wd) {
    NSCTL_ASSIGN_OR_RETURN(out.wd, open_dir(t, *spec.wd, "cwd", "wd"));
    plan.wd_fd = out.wd.get();
  }
  if (spec.wd_in_ns) plan.wd_in_ns = *spec.wd_in_ns;

  // What the command inherits: environment and LSM label.
  std::vector<std::string> env = spec.env;
  if (spec.target_env) {
    if (!t) return invalid("--env requires --target");
    NSCTL_ASSIGN_OR_RETURN(std::string text, read_target_file(*t, "environ"));
    env = parse_cmdline(text);
    // Loader variables of a less privileged process must not reach a command that runs with
    // the caller's privilege (as the kernel's AT_SECURE makes the loader ignore them for a
    // setuid program). --follow runs it with the target's own privilege: they stay.
    if (!spec.follow)
      std::erase_if(env, [](const std::string& e) { return is_loader_variable(e); });
  }
  if ((spec.follow || spec.follow_lsm_label) && t) {
    std::string label = lsm_label(*t);
    if (spec.follow_lsm_label && label.empty())
      return invalid("the target has no SELinux context to follow");
    if (!label.empty()) plan.exec_label = "exec " + label;
  }
  if (t) NSCTL_TRY(check_alive(*t));

  if (spec.join_cgroup || spec.follow) {
    if (!t) return invalid("--join-cgroup requires --target");
    NSCTL_ASSIGN_OR_RETURN(plan.cgroup_procs, cgroup_procs_of(*t));
  }

  // Credentials, read through the target's /proc directory opened earlier.
  if (spec.follow)
    NSCTL_TRY(plan_follow(*t, joins_user, joins_target_user, plan));
  else
    NSCTL_TRY(plan_ids(spec, t, joins_user, plan));
  if (t) NSCTL_TRY(check_alive(*t));  // everything read was the target's

  // The program: the command, else $SHELL of its environment, else /bin/sh — looked up in the
  // target's filesystem at exec, never through its passwd database (getpwuid would load the
  // target's NSS modules into this privileged process).
  if (!spec.command.empty()) {
    out.program.emplace(spec.command, env);
  } else {
    std::string shell = "/bin/sh";
    for (const auto& e : env)
      if (e.starts_with("SHELL=")) {
        if (e.size() > 6) shell = e.substr(6);
        break;
      }
    out.program.emplace(std::vector<std::string>{shell}, env);
    if (shell != "/bin/sh") out.fallback.emplace(std::vector<std::string>{"/bin/sh"}, env);
  }
  plan.program = &*out.program;
  plan.fallback = out.fallback ? &*out.fallback : nullptr;
  return {};
}

}  // namespace

Result<EnteredProcess> spawn_in(const EnterSpec& spec) {
  Prepared prep;
  NSCTL_TRY(prepare(spec, true, prep));
  const EnterPlan& plan = prep.plan;
  NSCTL_ASSIGN_OR_RETURN(ChildReport report, ChildReport::create());
  UniqueFd first_fd;
  pid_t first = clone_with_pidfd(0, first_fd);
  if (first == 0) detail::enter_child_main(plan, report);
  if (first < 0) return errno_error("clone");

  // Every record until EOF: the command's pid when there is a fork in between, a failure of
  // either process. EOF comes once the command has exec'd and the intermediate has exited.
  pid_t command = plan.fork_after_join ? 0 : first;
  std::optional<ChildFailure> failure;
  for (;;) {
    auto record = report.next();
    if (!record) {
      failure = ChildFailure{detail::kEnExec, EIO};
      break;
    }
    if (!*record) break;
    if ((*record)->stage == detail::kEnChildPid)
      command = static_cast<pid_t>((*record)->err);
    else
      failure = **record;
  }
  EnteredProcess entered;
  if (plan.fork_after_join) {
    reap(first_fd.get(), false);  // the intermediate exits right after the fork
    if (command > 0) {
      // Our child (CLONE_PARENT) and not yet waited for: its pid cannot have been reused.
      entered.pidfd.reset(sys::pidfd_open(command, 0));
      if (!entered.pidfd) {
        int err = errno;
        ::kill(command, SIGKILL);
        ::waitpid(command, nullptr, 0);
        return fail(err, "pidfd_open");
      }
    }
  } else {
    entered.pidfd = std::move(first_fd);
  }
  entered.pid = command;
  if (failure || command <= 0) {
    if (entered.pidfd) reap(entered.pidfd.get());
    if (!failure) return fail(ECHILD, "the process that enters ended before starting the command");
    return std::unexpected(detail::enter_error(*failure, plan));
  }
  return entered;
}

Result<void> exec_in(const EnterSpec& spec) {
  Prepared prep;
  NSCTL_TRY(prepare(spec, false, prep));
  ChildFailure f{};
  if (!detail::enter_steps(prep.plan, nullptr, &f))
    return std::unexpected(detail::enter_error(f, prep.plan));
  int err = detail::enter_exec(prep.plan);
  return std::unexpected(detail::enter_error({detail::kEnExec, err}, prep.plan));
}

Result<ExitStatus> wait_for(const EnteredProcess& process, std::span<const int> forward) {
  NSCTL_ASSIGN_OR_RETURN(SignalMaskGuard mask, SignalMaskGuard::block(forward));
  return supervise(process.pidfd.get(), forward);
}

namespace detail {

Error enter_error(const ChildFailure& f, const EnterPlan& p) {
  std::string what;
  if (is_credential_stage(f.stage)) {
    what = credential_step(f, p.creds);
  } else if (f.stage >= kEnRlimit) {
    std::size_t i = static_cast<std::size_t>(f.stage - kEnRlimit);
    what = fmt::format("setrlimit {}", i < p.rlimits.size() ? p.rlimits[i].first : -1);
  } else if (f.stage >= kEnSetns) {
    auto type = static_cast<NsType>(f.stage - kEnSetns);
    what = fmt::format("setns {}", f.stage - kEnSetns < 8 ? name(type) : "?");
  } else if (f.stage >= kEnCgroup) {
    std::size_t i = static_cast<std::size_t>(f.stage - kEnCgroup);
    std::string procs = i < p.cgroup_procs.size() ? p.cgroup_procs[i] : "?";
    what = fmt::format("join cgroup {}", procs.substr(0, procs.rfind('/')));
  } else {
    switch (f.stage) {
      case kEnGroupsBeforeJoin:
        what = "setgroups";
        break;
      case kEnSetnsTarget:
        what = fmt::format("setns pid {}", p.target_pid);
        break;
      case kEnFork:
        what = "fork into the pid namespace";
        break;
      case kEnRoot:
        what = "cannot change root directory";
        break;
      case kEnWd:
        what = "cannot change directory";
        break;
      case kEnWdNs:
        what = fmt::format("cannot change directory to {}", p.wd_in_ns);
        break;
      case kEnSeccomp:
        what = "load the target's seccomp filter";
        break;
      case kEnLabel:
        what = fmt::format("cannot apply the target's security label '{}'", p.exec_label.substr(5));
        break;
      case kEnCloseFds:
        what = "close inherited file descriptors";
        break;
      case kEnExec: {
        Error e = Error::from_errno(
            f.err, fmt::format("failed to execute {}",
                               text::printable(p.program ? p.program->file() : "?")));
        return e.as_exec_failure();
      }
      default:
        what = fmt::format("enter stage {}", f.stage);
        break;
    }
  }
  return Error::from_errno(f.err, what);
}

}  // namespace detail

}  // namespace nsctl
