#include "unshare/unshare.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <grp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <span>

#include "nsctl/ns/ns_id.hpp"
#include "process/launch.hpp"
#include "process/supervise.hpp"
#include "sys/syscalls.hpp"
#include "unshare/unshare_plan.hpp"

namespace nsctl {

namespace {

using detail::child_error;
using detail::ChildPlan;
using detail::make_child_plan;
using detail::make_outside_plan;
using detail::make_program;
using detail::MapSpec;
using detail::outside_error;
using detail::OutsidePlan;
using detail::plan_binds;
using detail::plan_ranges;

// Persistence files created here (create_persist_files), removed again on failure.
class CreatedFiles {
 public:
  Result<void> create(const UnshareSpec& spec) {
    if (!spec.create_persist_files) return {};
    for (const auto& target : spec.persist) {
      if (target.empty()) continue;
      int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
      if (fd < 0 && errno == EEXIST) continue;
      if (fd < 0) return errno_error(fmt::format("cannot create {}", target));
      ::close(fd);
      paths_.push_back(target);
    }
    return {};
  }
  void remove() {
    for (const auto& p : paths_) ::unlink(p.c_str());
    paths_.clear();
  }
  void keep() { paths_.clear(); }

 private:
  std::vector<std::string> paths_;
};

// The fast start when the child needs nothing from outside: clone(CLONE_VM | CLONE_VFORK) on a
// stack of its own, as posix_spawn does. No copy of this process's memory is made, and this
// thread sleeps until the child has exec'd (or failed), so the plan it reads stays valid.
// Returns the pid, or -1 with errno (EINVAL: a kernel that refuses a flag combination; the
// caller then takes the clone3 path).
struct VforkArg {
  const ChildPlan* plan;
  ChildReport* report;
};

int vfork_child(void* p) {
  auto* arg = static_cast<VforkArg*>(p);
  detail::child_main(*arg->plan, *arg->report);
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif

pid_t start_vfork_child(int ns_flags, const ChildPlan& plan, ChildReport& report, UniqueFd& pidfd) {
  constexpr std::size_t kStackSize = 256 * 1024;  // child_exec keeps a PATH_MAX buffer on it
  // Not value-initialised: zeroing 256 KiB would fault in 64 pages the child never touches.
  auto stack = std::make_unique_for_overwrite<std::byte[]>(kStackSize);
  VforkArg arg{&plan, &report};
  int fd = -1;
  // The stack grows down on every architecture glibc's clone() serves here.
  pid_t pid = ::clone(vfork_child, stack.get() + kStackSize,
                      ns_flags | CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &arg, &fd);
  if (pid > 0) pidfd.reset(fd);
  return pid;
}

std::span<const int> forwarded(const UnshareSpec& spec) {
  static constexpr int kSigs[] = {SIGTERM, SIGINT};
  return spec.forward_signals ? std::span<const int>(kSigs) : std::span<const int>();
}

Result<UniqueFd> parent_pidfd(const UnshareSpec& spec) {
  if (!spec.kill_child_signal) return UniqueFd();
  UniqueFd fd(sys::pidfd_open(::getpid(), 0));
  if (!fd) return errno_error("pidfd_open failed");
  return fd;
}

// Sends one command to the helper and reads its answer.
Result<void> helper_call(int cmd_fd, int reply_fd, char cmd, const OutsidePlan& plan) {
  if (::write(cmd_fd, &cmd, 1) != 1) return errno_error("helper");
  ChildFailure f{};
  ssize_t n;
  do n = ::read(reply_fd, &f, sizeof f);
  while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof f)) return fail(EIO, "helper");
  if (f.stage != 0) return std::unexpected(outside_error(f, plan));
  return {};
}

struct Helper {
  pid_t pid = -1;
  UniqueFd cmd, reply;
  // Closing the command pipe ends the helper; then reap it.
  void finish() {
    cmd.reset();
    if (pid > 0)
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    pid = -1;
  }
  ~Helper() { finish(); }
};

Result<void> write_timens_offset(clockid_t clock, std::int64_t seconds) {
  std::string text = fmt::format("{} {} 0", static_cast<int>(clock), seconds);
  UniqueFd fd(::open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC));
  if (!fd) return errno_error("failed to open /proc/self/timens_offsets");
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    return errno_error("failed to write to /proc/self/timens_offsets");
  return {};
}

// The 64-bit id of the mount namespace behind `path` (6.8+), or 0.
std::uint64_t mount_ns_id(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return 0;
  auto id = mntns_id(fd.get());
  return id ? *id : 0;
}

// The kernel refuses to bind-mount a mount namespace's file in a namespace whose id is not
// lower (its guard against loops: an older namespace cannot hold a newer one that might hold
// it). On 6.18 the ids come from per-CPU batches, so a new namespace made on another CPU than
// its creator's can get a lower id: util-linux then fails with EINVAL (~20% of runs on a
// 2-CPU machine). We make the namespace again on each allowed CPU in turn until its id is
// higher, then restore the affinity.
bool mount_ns_id_below(std::uint64_t outside, const std::string& inside_path) {
  std::uint64_t inside = mount_ns_id(inside_path);
  return outside && inside && inside <= outside;
}

// Calls make(): while bad() says so, pins this thread to the next allowed CPU and calls it
// again. Restores the affinity of this thread (and of `*pid` when the callee sets it).
template <typename Make, typename Bad>
Result<void> make_on_cpus(Make make, Bad bad, pid_t* pid) {
  NSCTL_TRY(make());
  if (!bad()) return {};
  cpu_set_t old;
  if (::sched_getaffinity(0, sizeof old, &old) != 0) return {};
  Result<void> r;
  for (int cpu = 0; cpu < CPU_SETSIZE && bad(); ++cpu) {
    if (!CPU_ISSET(cpu, &old)) continue;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (::sched_setaffinity(0, sizeof one, &one) != 0) continue;
    r = make();
    if (!r) break;
  }
  ::sched_setaffinity(0, sizeof old, &old);
  if (pid && *pid > 0) ::sched_setaffinity(*pid, sizeof old, &old);
  return r;
}

// The clone3 path: the parent stays where it is; the child is born in the new namespaces.
// nullopt: clone3 is missing, take the unshare(2) path.
Result<std::optional<ExitStatus>> run_clone(const UnshareSpec& spec, const MapSpec& maps,
                                            bool* exec_failed) {
  Program prog = make_program(spec);
  CreatedFiles files;
  NSCTL_TRY(files.create(spec));
  auto ok_or_remove = [&](auto r) {
    if (!r) files.remove();
    return r;
  };
  NSCTL_ASSIGN_OR_RETURN(SignalMaskGuard mask,
                         ok_or_remove(SignalMaskGuard::block(std::array{SIGINT, SIGTERM})));
  NSCTL_ASSIGN_OR_RETURN(UniqueFd parent_fd, ok_or_remove(parent_pidfd(spec)));
  NSCTL_ASSIGN_OR_RETURN(ChildReport report, ok_or_remove(ChildReport::create()));
  int go[2];
  if (::pipe2(go, O_CLOEXEC) != 0) {
    files.remove();
    return errno_error("pipe2");
  }
  UniqueFd go_read(go[0]), go_write(go[1]);

  ChildPlan plan = make_child_plan(spec, prog);
  // The child waits for the go only when there is something to do for it from outside first
  // (maps, setgroups, binds); otherwise it goes straight on, which saves a round trip.
  bool sync = spec.map_user || spec.map_group || !maps.uid_ranges.empty() ||
              !maps.gid_ranges.empty() || spec.setgroups != Setgroups::unchanged;
  for (const auto& target : spec.persist) sync = sync || !target.empty();
  plan.go_fd = sync ? go_read.get() : -1;
  plan.go_write_fd = go_write.get();
  plan.old_mask = &mask.old_mask();
  plan.parent_pidfd = parent_fd.get();
  if (!spec.types.contains(NsType::pid) && spec.kill_child_signal) plan.parent_pid = ::getpid();

  UniqueFd pidfd;
  pid_t pid = -1;
  bool keep_mnt = !spec.persist[index(NsType::mnt)].empty();
  std::uint64_t own_mnt = keep_mnt ? mount_ns_id("/proc/self/ns/mnt") : 0;
  bool no_clone3 = false;
  auto make = [&]() -> Result<void> {
    if (pid > 0) reap(pidfd.get(), true);  // the last try, still waiting for the go
    // A CLONE_VM child does not enter a new time namespace (the vDSO's clock pages belong to
    // the shared memory), so a time namespace takes the clone3 path.
    // Under AddressSanitizer the vfork-style child would run instrumented code on a borrowed
    // stack that ASan cannot track (google/sanitizers#189): take the clone3 path instead.
    if (!sync && !spec.types.contains(NsType::time) && !kAddressSanitizer) {
      pid = start_vfork_child(spec.types.clone_flags(), plan, report, pidfd);
      if (pid > 0) return {};
    }
    pid = clone_with_pidfd(static_cast<std::uint64_t>(spec.types.clone_flags()), pidfd);
    if (pid == 0) detail::child_main(plan, report);
    if (pid < 0) {
      no_clone3 = errno == ENOSYS;
      return errno_error("unshare failed");
    }
    return {};
  };
  auto bad = [&] {
    return keep_mnt && mount_ns_id_below(own_mnt, fmt::format("/proc/{}/ns/mnt", pid));
  };
  if (auto made = make_on_cpus(make, bad, &pid); !made) {
    files.remove();
    if (no_clone3) return std::nullopt;
    return std::unexpected(made.error());
  }
  go_read.reset();

  OutsidePlan outside = make_outside_plan(spec, maps, pid, false);
  plan_binds(outside, spec, pid, false);
  ChildFailure f{};
  bool bound = false;
  auto undo = [&](Error e) -> Result<std::optional<ExitStatus>> {
    reap(pidfd.get(), true);
    if (bound) detail::outside_unbind(outside);
    files.remove();
    return std::unexpected(std::move(e));
  };
  if (!write_id_maps(outside.maps, &f)) return undo(outside_error(f, outside));
  if (!detail::outside_binds(outside, &f)) return undo(outside_error(f, outside));
  bound = true;
  char byte = 1;
  if (sync && ::write(go_write.get(), &byte, 1) != 1) return undo(Error::from_errno(errno, "sync"));
  go_write.reset();
  auto exec = report.wait_for_exec();
  if (!exec) return undo(exec.error());
  if (*exec) {
    if ((*exec)->stage == detail::kStageExec && exec_failed) *exec_failed = true;
    return undo(child_error(**exec, spec, prog));
  }
  files.keep();
  parent_fd.reset();
  NSCTL_ASSIGN_OR_RETURN(ExitStatus st, supervise(pidfd.get(), forwarded(spec)));
  // SIGINT/SIGTERM stay blocked, as in unshare: unblocking now would deliver a held-back one
  // and end this process before it can end the way the child did.
  mask.release();
  return st;
}

// The unshare(2) path, as util-linux: this process moves into the new namespaces (the pid and
// time ones for its children) and then execs, or forks the command.
Result<ExitStatus> run_self(const UnshareSpec& spec, const MapSpec& maps, bool* exec_failed) {
  Program prog = make_program(spec);
  CreatedFiles files;
  NSCTL_TRY(files.create(spec));
  pid_t self = ::getpid();
  // The helper acts on /proc/<self>: the maps that need privilege outside (ranges), and binds.
  bool ranges = !maps.uid_ranges.empty() || !maps.gid_ranges.empty();
  OutsidePlan outside = make_outside_plan(spec, maps, self, true);
  plan_binds(outside, spec, self, true);
  // Single maps of our own ids we write ourselves after unshare(2), through /proc/self (as
  // the namespace's owner we may); ranges are the helper's.
  OutsidePlan inside = make_outside_plan(spec, maps, self, false);
  if (!maps.uid_ranges.empty()) inside.maps.uid = {};
  if (!maps.gid_ranges.empty()) {
    inside.maps.gid = {};
    inside.maps.setgroups_before = nullptr;  // the helper's, before it writes the gid map
  }
  Helper helper;
  auto cleanup = [&](Error e) -> Result<ExitStatus> {
    if (helper.pid > 0) {
      (void)helper_call(helper.cmd.get(), helper.reply.get(), 'U', outside);
      helper.finish();
    }
    files.remove();
    return std::unexpected(std::move(e));
  };
  if (ranges || !outside.binds.empty()) {
    int cmd[2], reply[2];
    if (::pipe2(cmd, O_CLOEXEC) != 0) return cleanup(Error::from_errno(errno, "pipe2"));
    helper.cmd.reset(cmd[1]);
    UniqueFd cmd_read(cmd[0]);
    if (::pipe2(reply, O_CLOEXEC) != 0) return cleanup(Error::from_errno(errno, "pipe2"));
    helper.reply.reset(reply[0]);
    UniqueFd reply_write(reply[1]);
    helper.pid = ::fork();
    if (helper.pid < 0) return cleanup(Error::from_errno(errno, "fork failed"));
    if (helper.pid == 0) {
      ::close(cmd[1]);
      ::close(reply[0]);
      detail::helper_main(outside, cmd_read.get(), reply_write.get());
    }
  }
  if (spec.owner) {
    if (::setgroups(0, nullptr) != 0) return cleanup(Error::from_errno(errno, "setgroups failed"));
    if (::setgid(spec.owner->second) != 0)
      return cleanup(Error::from_errno(errno, "setgid() failed"));
    if (::setuid(spec.owner->first) != 0)
      return cleanup(Error::from_errno(errno, "setuid() failed"));
  }
  bool keep_mnt = !spec.persist[index(NsType::mnt)].empty();
  std::uint64_t own_mnt = keep_mnt ? mount_ns_id("/proc/self/ns/mnt") : 0;
  if (::unshare(spec.types.clone_flags()) != 0)
    return cleanup(Error::from_errno(errno, "unshare failed"));
  // See mount_ns_id_below(): replace a new mount namespace whose id the kernel would refuse.
  auto again = []() -> Result<void> {
    if (::unshare(CLONE_NEWNS) != 0) return errno_error("unshare failed");
    return {};
  };
  auto bad = [&] { return keep_mnt && mount_ns_id_below(own_mnt, "/proc/self/ns/mnt"); };
  if (bad()) {
    if (auto r = make_on_cpus(again, bad, nullptr); !r) return cleanup(r.error());
  }
  if (ranges) {
    auto r = helper_call(helper.cmd.get(), helper.reply.get(), 'M', outside);
    if (!r) return cleanup(r.error());
  }
  inside.maps.uid.path = "/proc/self/uid_map";
  inside.maps.gid.path = "/proc/self/gid_map";
  inside.maps.setgroups_path = "/proc/self/setgroups";
  ChildFailure f{};
  if (!write_id_maps(inside.maps, &f)) return cleanup(outside_error(f, inside));
  if (spec.boottime) {
    auto r = write_timens_offset(CLOCK_BOOTTIME, *spec.boottime);
    if (!r) return cleanup(r.error());
  }
  if (spec.monotonic) {
    auto r = write_timens_offset(CLOCK_MONOTONIC, *spec.monotonic);
    if (!r) return cleanup(r.error());
  }
  ChildPlan plan = make_child_plan(spec, prog);

  if (!spec.fork) {
    if (!detail::child_setup(plan, &f)) return cleanup(child_error(f, spec, prog));
    if (helper.pid > 0) {
      auto r = helper_call(helper.cmd.get(), helper.reply.get(), 'B', outside);
      if (!r) return cleanup(r.error());
      helper.finish();  // reaped before exec: the command must not inherit a child
    }
    files.keep();
    int err = exec_program(prog);
    if (exec_failed) *exec_failed = true;
    return std::unexpected(child_error({detail::kStageExec, err}, spec, prog));
  }

  auto mask = SignalMaskGuard::block(std::array{SIGINT, SIGTERM});
  if (!mask) return cleanup(mask.error());
  auto pfd = parent_pidfd(spec);
  if (!pfd) return cleanup(pfd.error());
  auto report = ChildReport::create();
  if (!report) return cleanup(report.error());
  int go[2];
  if (::pipe2(go, O_CLOEXEC) != 0) return cleanup(Error::from_errno(errno, "pipe2"));
  UniqueFd go_read(go[0]), go_write(go[1]);
  bool sync = helper.pid > 0;  // the binds come first
  plan.go_fd = sync ? go_read.get() : -1;
  plan.go_write_fd = go_write.get();
  plan.old_mask = &mask->old_mask();
  plan.parent_pidfd = pfd->get();
  if (!spec.types.contains(NsType::pid) && spec.kill_child_signal) plan.parent_pid = self;
  UniqueFd pidfd;
  pid_t pid = clone_with_pidfd(0, pidfd);
  if (pid == 0) {
    if (helper.cmd) ::close(helper.cmd.get());
    detail::child_main(plan, *report);
  }
  if (pid < 0) return cleanup(Error::from_errno(errno, "fork failed"));
  go_read.reset();
  auto fail_child = [&](Error e) {
    reap(pidfd.get(), true);
    return cleanup(std::move(e));
  };
  // The binds now: pid_for_children has its init only once the child exists.
  if (helper.pid > 0) {
    auto r = helper_call(helper.cmd.get(), helper.reply.get(), 'B', outside);
    if (!r) return fail_child(r.error());
  }
  char byte = 1;
  if (sync && ::write(go_write.get(), &byte, 1) != 1)
    return fail_child(Error::from_errno(errno, "sync"));
  go_write.reset();
  auto exec = report->wait_for_exec();
  if (!exec) return fail_child(exec.error());
  if (*exec) {
    if ((*exec)->stage == detail::kStageExec && exec_failed) *exec_failed = true;
    return fail_child(child_error(**exec, spec, prog));
  }
  helper.finish();
  files.keep();
  pfd->reset();
  auto st = supervise(pidfd.get(), forwarded(spec));
  if (st) mask->release();  // as in run_clone: the held-back signals stay blocked
  return st;
}

}  // namespace

Result<void> validate_unshare(const UnshareSpec& spec) {
  if ((spec.monotonic || spec.boottime) && !spec.types.contains(NsType::time))
    return invalid("options --monotonic and --boottime require unsharing of a time namespace (-T)");
  if (spec.setgroups == Setgroups::allow && spec.map_group && spec.group_map.empty())
    return invalid("options --setgroups=allow and --map-group are mutually exclusive");
  for (std::size_t i = 0; i < kNsTypeCount; ++i)
    if (!spec.persist[i].empty() && !spec.types.contains(static_cast<NsType>(i)))
      return invalid(fmt::format("cannot keep a {} namespace that is not created",
                                 name(static_cast<NsType>(i))));
  if (!spec.user_map.empty()) NSCTL_TRY(validate_id_map(spec.user_map));
  if (!spec.group_map.empty()) NSCTL_TRY(validate_id_map(spec.group_map));
  return {};
}

Result<ExitStatus> run_unshare(const UnshareSpec& spec, bool* exec_failed) {
  if (exec_failed) *exec_failed = false;
  NSCTL_TRY(validate_unshare(spec));
  // As unshare: an inherited SIGCHLD of SIG_IGN would have the kernel reap our children before
  // we can wait for them.
  ::signal(SIGCHLD, SIG_DFL);
  NSCTL_ASSIGN_OR_RETURN(MapSpec maps, plan_ranges(spec));
  // clone3 cannot write time offsets before the child is in the namespace, nor change owner.
  if (spec.fork && !spec.monotonic && !spec.boottime && !spec.owner) {
    NSCTL_ASSIGN_OR_RETURN(auto st, run_clone(spec, maps, exec_failed));
    if (st) return *st;
  }
  return run_self(spec, maps, exec_failed);
}

}  // namespace nsctl
