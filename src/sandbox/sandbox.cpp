// `nsctl run`, the parent's side: the cgroup, one clone3 into the new namespaces, what must be
// done from outside while the child waits (id maps, the move into the cgroup, the veth), the
// go, and then standing in for the sandbox until its init exits. Every failure undoes
// everything: the child is killed and reaped, the veth deleted, the cgroup removed.
#include "sandbox/sandbox.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/rtnl.hpp"
#include "process/supervise.hpp"
#include "sandbox/sandbox_plan.hpp"
#include "sys/syscalls.hpp"

namespace nsctl {

namespace {

using detail::SandboxPlan;

// The namespaces the clone makes. Cgroup and time are made by the child itself: the cgroup
// namespace after the child is in its cgroup (its root is the cgroup it is made in), the time
// namespace so that its offsets can be written before anyone is in it.
constexpr int kCloneMade =
    CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC;

Result<void> write_proc_file(pid_t pid, const char* name, const std::string& text) {
  std::string path = fmt::format("/proc/{}/{}", pid, name);
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return errno_error(fmt::format("open {}", path));
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    return errno_error(fmt::format("write {} to {}", text.substr(0, text.find('\n')), path));
  return {};
}

// The caller's euid/egid become the sandbox's uid/gid, unless the spec has maps (as root).
Result<void> write_id_maps(const SandboxSpec& spec, pid_t pid) {
  const SandboxLinux& l = spec.linux_;
  std::string uid_map = l.uid_mappings.empty()
                            ? fmt::format("{} {} 1\n", spec.process.uid, ::geteuid())
                            : id_map_text(l.uid_mappings);
  std::string gid_map = l.gid_mappings.empty()
                            ? fmt::format("{} {} 1\n", spec.process.gid, ::getegid())
                            : id_map_text(l.gid_mappings);
  NSCTL_TRY(write_proc_file(pid, "uid_map", uid_map));
  // Without privilege a gid map can only be written once setgroups is denied.
  if (l.gid_mappings.empty()) NSCTL_TRY(write_proc_file(pid, "setgroups", "deny"));
  return write_proc_file(pid, "gid_map", gid_map);
}

in_addr ipv4(std::uint32_t host_order) { return in_addr{htonl(host_order)}; }

// The host end of a veth, deleted on failure (the sandbox's end goes with its namespace).
struct VethGuard {
  std::string name;
  ~VethGuard() {
    if (name.empty()) return;
    if (auto rt = Rtnl::open()) (void)rt->delete_link(name);
  }
};

Result<void> setup_veth(const SandboxVeth& v, pid_t pid, VethGuard& guard) {
  std::string ns_path = fmt::format("/proc/{}/ns/net", pid);
  UniqueFd netns(::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!netns) return errno_error(fmt::format("open {}", ns_path));
  NSCTL_ASSIGN_OR_RETURN(Rtnl rt, Rtnl::open());
  NSCTL_TRY(rt.add_veth(v.host_name, v.sandbox_name, netns.get()));
  guard.name = v.host_name;
  NSCTL_ASSIGN_OR_RETURN(int host_index, rt.link_index(v.host_name));
  NSCTL_TRY(rt.add_address(host_index, ipv4(v.host_address), v.prefix_len));
  NSCTL_TRY(rt.set_link_up(host_index));
  return in_netns(netns.get(), [&]() -> Result<void> {
    NSCTL_ASSIGN_OR_RETURN(Rtnl inside, Rtnl::open());
    NSCTL_ASSIGN_OR_RETURN(int index, inside.link_index(v.sandbox_name));
    NSCTL_TRY(inside.add_address(index, ipv4(v.sandbox_address), v.prefix_len));
    NSCTL_TRY(inside.set_link_up(index));
    return inside.add_default_route(ipv4(v.host_address));
  });
}

}  // namespace

Result<ExitStatus> run_sandbox(const SandboxSpec& spec, bool* exec_failed) {
  NSCTL_TRY(validate_sandbox(spec));
  Program prog = detail::make_sandbox_program(spec);
  NSCTL_ASSIGN_OR_RETURN(SandboxPlan plan, detail::make_sandbox_plan(spec, prog));
  const SandboxLinux& l = spec.linux_;

  SandboxCgroup cgroup;
  if (!l.resources.empty()) {
    std::string name = fmt::format("nsctl-run-{}", ::getpid());
    NSCTL_ASSIGN_OR_RETURN(cgroup, SandboxCgroup::create(l.resources, name));
  }

  // Blocked before the clone, so that a signal sent meanwhile waits for supervise().
  std::size_t nsig = 0;
  while (nsig < std::size(plan.forwarded) && plan.forwarded[nsig]) ++nsig;
  std::span<const int> forwarded(plan.forwarded, nsig);
  // On failure the caller gets its signal mask back; on success the signals stay blocked.
  NSCTL_ASSIGN_OR_RETURN(SignalMaskGuard mask, SignalMaskGuard::block(forwarded));
  plan.old_mask = &mask.old_mask();
  UniqueFd parent_fd;
  if (spec.nsctl.die_with_parent) {
    parent_fd.reset(sys::pidfd_open(::getpid(), 0));
    if (!parent_fd) return errno_error("pidfd_open");
  }
  NSCTL_ASSIGN_OR_RETURN(ChildReport report, ChildReport::create());
  int go[2];
  if (::pipe2(go, O_CLOEXEC) != 0) return errno_error("pipe2");
  UniqueFd go_read(go[0]), go_write(go[1]);
  plan.go_fd = go_read.get();
  plan.go_write_fd = go_write.get();
  plan.parent_pidfd = parent_fd.get();

  int fd = -1;
  sys::CloneArgs args{};
  args.flags = static_cast<std::uint64_t>(l.namespaces.clone_flags() & kCloneMade) | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<std::uintptr_t>(&fd);
  args.exit_signal = SIGCHLD;
  long pid = sys::clone3(&args);
  if (pid == 0) detail::sandbox_child_main(plan, report);
  if (pid < 0) {
    if (errno == ENOSYS) return fail(ENOSYS, "clone3 (nsctl run needs Linux 5.3 or later)");
    return errno_error("clone3 into new namespaces");
  }
  UniqueFd pidfd(fd);
  go_read.reset();

  VethGuard veth;
  auto undo = [&](Error e) -> Result<ExitStatus> {
    reap(pidfd.get());
    return std::unexpected(std::move(e));
  };
  auto child_pid = static_cast<pid_t>(pid);
  if (l.namespaces.contains(NsType::user))
    if (auto r = write_id_maps(spec, child_pid); !r) return undo(r.error());
  if (auto r = cgroup.add(child_pid); !r) return undo(r.error());
  if (spec.nsctl.veth)
    if (auto r = setup_veth(*spec.nsctl.veth, child_pid, veth); !r) return undo(r.error());
  char byte = 1;
  if (::write(go_write.get(), &byte, 1) != 1) return undo(Error::from_errno(errno, "sync"));
  go_write.reset();

  auto exec = report.wait_for_exec();
  if (!exec) return undo(exec.error());
  if (*exec) {
    if ((*exec)->stage == detail::kSbExec && exec_failed) *exec_failed = true;
    return undo(detail::sandbox_child_error(**exec, plan));
  }
  parent_fd.reset();
  veth.name.clear();  // from now on the veth lives and dies with the sandbox's namespace
  NSCTL_ASSIGN_OR_RETURN(ExitStatus status, supervise(pidfd.get(), forwarded));
  mask.release();
  // The signals stay blocked (as unshare does): one that arrives now must not end nsctl
  // before it ends the way the sandbox did. Init has exited, and with it, its pid namespace.
  (void)cgroup.remove();
  return status;
}

}  // namespace nsctl
