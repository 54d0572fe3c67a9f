// nsctl run failing at each stage of its setup leaves nothing behind: no process (the test is a
// child subreaper, so anything nsctl leaves would become its child), no cgroup directory
// (nsctl-run-<nsctl's pid> anywhere under /sys/fs/cgroup), no mount in the caller's mount
// namespace, no link in the caller's network namespace (a namespace of the test's own), and no
// mount point created inside the root.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "net/rtnl.hpp"
#include "support/busybox_root.hpp"
#include "support/command.hpp"
#include "support/forked.hpp"
#include "support/marker.hpp"
#include "support/probe.hpp"

namespace nsctl {
namespace {

using test::BusyboxRoot;
using test::CommandResult;
using test::printable;
using namespace std::chrono_literals;

std::vector<std::string> nsctl_run(const std::vector<std::string>& opts,
                                   const std::vector<std::string>& cmd) {
  std::vector<std::string> argv = {NSCTL_BINARY, "run"};
  argv.insert(argv.end(), opts.begin(), opts.end());
  if (!cmd.empty()) argv.push_back("--");
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  return argv;
}

std::string describe(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + ", signal " + std::to_string(r.signal) +
         "\nstdout:\n" + printable(r.out, 3000) + "\nstderr:\n" + printable(r.err, 3000);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// Runs argv (stdin /dev/null, output captured) and waits for it. `before_exec` runs in the
// parent between fork and exec, with the pid the program will have: the child waits for it.
struct Ran {
  CommandResult result;
  pid_t pid = -1;
};
Ran run_nsctl(const std::vector<std::string>& argv,
              const std::function<void(pid_t)>& before_exec = {}) {
  Ran ran;
  int out[2], err[2], go[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 || ::pipe2(go, O_CLOEXEC) != 0) {
    ran.result.err = "pipe2 failed";
    return ran;
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(go[1]);
    char byte;
    if (::read(go[0], &byte, 1) != 1) ::_exit(120);
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(out[1], 1) < 0 || ::dup2(err[1], 2) < 0)
      ::_exit(121);
    ::execvp(args[0], args.data());
    ::_exit(122);
  }
  for (int fd : {out[1], err[1], go[0]}) ::close(fd);
  if (pid < 0) {
    for (int fd : {out[0], err[0], go[1]}) ::close(fd);
    ran.result.err = "fork failed";
    return ran;
  }
  ran.pid = pid;
  if (before_exec) before_exec(pid);
  char byte = 1;
  (void)!::write(go[1], &byte, 1);
  ::close(go[1]);
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&ran.result.out, &ran.result.err};
  auto end = std::chrono::steady_clock::now() + 30s;
  for (int open_count = 2; open_count > 0;) {
    if (std::chrono::steady_clock::now() > end) {
      ::kill(pid, SIGKILL);  // our own child, not reaped yet
      ran.result.err += "\n[test: killed after 30 s]";
      break;
    }
    if (::poll(fds, 2, 100) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) ran.result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) ran.result.signal = WTERMSIG(status);
  return ran;
}

// Directories named nsctl-run-* under /sys/fs/cgroup (every hierarchy, 8 levels deep).
void find_cgroups(const std::string& dir, int depth, std::set<std::string>& out) {
  if (depth > 8) return;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
    std::string path = dir + "/" + e->d_name;
    if (std::strncmp(e->d_name, "nsctl-run-", 10) == 0) out.insert(path);
    find_cgroups(path, depth + 1, out);
  }
  ::closedir(d);
}

// What nsctl run could leave behind, seen from the test's child.
struct Snapshot {
  std::set<std::string> mounts;  // lines of /proc/self/mountinfo
  std::set<std::string> cgroups;
  std::set<std::string> links;  // in the current network namespace
};

Snapshot snapshot() {
  Snapshot s;
  std::istringstream in(read_text("/proc/self/mountinfo"));
  for (std::string l; std::getline(in, l);) s.mounts.insert(l);
  find_cgroups("/sys/fs/cgroup", 0, s.cgroups);
  if (struct if_nameindex* names = ::if_nameindex()) {
    for (struct if_nameindex* n = names; n->if_index != 0; ++n) s.links.insert(n->if_name);
    ::if_freenameindex(names);
  }
  return s;
}

// Everything the nsctl run with pid `nsctl` left since `before`, described; "" when nothing
// is. Only what is certainly its own counts, since other tests may run at the same time: new
// cgroups named nsctl-run-<its pid>, new mounts that concern one of `paths` (the test's own
// directories). Leftover processes (our children now) are killed and reaped.
std::string leftovers(const Snapshot& before, pid_t nsctl, const std::vector<std::string>& paths) {
  std::string left;
  // Processes: nsctl is reaped; anything else that is or was in our subtree is now our child.
  siginfo_t si{};
  if (::waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0) {
    std::string children = read_text("/proc/self/task/" + std::to_string(::getpid()) + "/children");
    left += "processes left (our children now: '" + children +
            "', an exited one: " + std::to_string(si.si_pid) + ")\n";
    std::istringstream in(children);
    for (pid_t c; in >> c;) ::kill(c, SIGKILL);  // our own descendants, by pid
    for (auto end = std::chrono::steady_clock::now() + 5s;
         std::chrono::steady_clock::now() < end;) {
      siginfo_t x{};
      if (::waitid(P_ALL, 0, &x, WEXITED | WNOHANG) != 0) break;
      if (x.si_pid == 0) std::this_thread::sleep_for(10ms);
    }
  }
  Snapshot after = snapshot();
  for (const auto& m : after.mounts) {
    if (before.mounts.count(m)) continue;
    for (const auto& p : paths)
      if (!p.empty() && m.find(p) != std::string::npos) {
        left += "mount left: " + m + "\n";
        break;
      }
  }
  for (const auto& c : after.cgroups)
    if (!before.cgroups.count(c) && c.ends_with("/nsctl-run-" + std::to_string(nsctl)))
      left += "cgroup left: " + c + "\n";
  for (const auto& l : after.links)
    if (!before.links.count(l)) left += "link left: " + l + "\n";
  return left;
}

// In the forked child: a subreaper, in a network namespace of its own with lo up.
int enter_test_namespaces() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) return 1;
  if (::unshare(CLONE_NEWNET) != 0) {
    std::perror("unshare(CLONE_NEWNET)");
    return 77;
  }
  auto rt = Rtnl::open();
  if (!rt) return 1;
  auto lo = rt->link_index("lo");
  return lo && rt->set_link_up(*lo) ? 0 : 1;
}

class RunCleanup : public ::testing::Test {
 protected:
  void SetUp() override {
    NSCTL_REQUIRE_ROOT();
    if (!BusyboxRoot::available()) GTEST_SKIP() << "busybox-static is not installed";
    root_ = std::make_unique<BusyboxRoot>();
    ASSERT_TRUE(root_->ok()) << root_->error();
  }
  const std::string& root() const { return root_->path(); }

  // One failing run, checked in a forked child: the exit code, the message on stderr (a
  // substring; "" for any), nothing left, and no mount point made under <root>/mnt.
  void expect_clean_failure(const std::vector<std::string>& argv, std::set<int> codes,
                            const std::string& message,
                            const std::function<void(pid_t)>& before_exec = {},
                            const std::vector<std::string>& expected_links = {}) {
    NSCTL_EXPECT_CHILD_OK([&] {
      if (int rc = enter_test_namespaces()) return rc;
      Snapshot before = snapshot();
      Ran ran = run_nsctl(argv, before_exec);
      for (const auto& l : expected_links) before.links.insert(l);
      std::string what = ::testing::PrintToString(argv) + "\n" + describe(ran.result);
      CHILD_CHECK(codes.count(ran.result.exit_code), "unexpected exit: %s", what.c_str());
      CHILD_CHECK(ran.result.err.find(message) != std::string::npos, "want '%s' in: %s",
                  message.c_str(), what.c_str());
      CHILD_CHECK(ran.result.out.empty(), "the command ran: %s", what.c_str());
      std::string left = leftovers(before, ran.pid, {root()});
      CHILD_CHECK(left.empty(), "%s\nafter: %s", left.c_str(), what.c_str());
      CHILD_CHECK(!exists(root_->host_path("/mnt")), "a mount point was created in the root");
      return 0;
    });
  }

  std::unique_ptr<BusyboxRoot> root_;
};

// Without a usable command line nothing starts: the marker command (which would run over the
// caller's own tree, no --root) never runs. First, that it does run when the options are good.
TEST_F(RunCleanup, BadArgumentsStartNothing) {
  test::Marker marker;
  ASSERT_TRUE(marker.ok());
  auto ok = run_nsctl(nsctl_run({}, marker.command())).result;
  ASSERT_EQ(ok.exit_code, 0) << describe(ok);
  ASSERT_TRUE(marker.exists()) << "the marker command does not work";
  marker.reset();
  struct Case {
    std::vector<std::string> opts;
    int code;
    std::string message;
  };
  const Case cases[] = {
      {{"--no-such-option"}, 2, "nsctl: run: "},
      {{"--memory", "lots"}, 125, "--memory: invalid size 'lots'"},
      {{"--pids", "0"}, 125, "--pids: "},
      {{"--veth=10.1.2.3/30"}, 125, "is not a network address"},
      {{"--rlimit", "NOFILE=10:5"}, 125, "--rlimit: "},
      {{"--share", "nosuchns"}, 125, "--share: unknown namespace"},
      {{"--seccomp", "/nonexistent-nsctl-profile"}, 125, "--seccomp: "},
      {{"--config", "/nonexistent-nsctl-config"}, 125, "--config: "},
      {{"--config", "/etc"}, 125, "--config: "},  // a directory where a file belongs
      {{"--map-users", "0:x:1"}, 125, "--map-users: "},
      {{"--uid", "-1"}, 125, "--uid: "},
      {{"--uid", "99999999999999999999"}, 125, "--uid: "},
      {{"--uid", "root"}, 125, "--uid: "},
      {{"--hostname", "h", "--share-uts"}, 125, "needs a new uts namespace"},
      {{"--time-offset", "boottime=5", "--share-time"}, 125, "needs a new time namespace"},
  };
  for (const auto& c : cases)
    expect_clean_failure(nsctl_run(c.opts, marker.command()), {c.code}, c.message);
  // A missing argument at the end (in the middle, the next word is taken, as bubblewrap does).
  expect_clean_failure({NSCTL_BINARY, "run", "--bind", "/tmp"}, {2}, "requires 2 arguments");
  expect_clean_failure(nsctl_run({"--root", root()}, {}), {125}, "nsctl: run: no command");
  EXPECT_FALSE(marker.exists()) << "a refused command line ran the command";
}

TEST_F(RunCleanup, MissingRoot) {
  expect_clean_failure(nsctl_run({"--root", "/nonexistent-nsctl-root"}, {"true"}), {125},
                       "nsctl: run: root /nonexistent-nsctl-root: No such file or directory");
}

TEST_F(RunCleanup, MissingBindSourceCreatesNoMountPoint) {
  expect_clean_failure(
      nsctl_run({"--root", root(), "--pids", "20", "--bind", "/nonexistent-nsctl-src", "/mnt/x/y"},
                {"true"}),
      {125},
      "nsctl: run: bind /nonexistent-nsctl-src on " + root() +
          "/mnt/x/y: No such file or directory");
}

TEST_F(RunCleanup, RefusedMounts) {
  std::string aux = root() + ".aux";
  ASSERT_EQ(::mkdir(aux.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((aux + "/upper").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((aux + "/work").c_str(), 0755), 0);
  // An overlay whose lowerdir is missing.
  expect_clean_failure(
      nsctl_run({"--root", root(), "--memory", "64m", "--overlay", "/nonexistent-nsctl-lower",
                 aux + "/upper", aux + "/work", "/mnt/ov"},
                {"true"}),
      {125}, "nsctl: run: mount overlay on " + root() + "/mnt/ov");
  // A tmpfs option the kernel refuses (only a config can pass options).
  nlohmann::json config = {{"process", {{"args", {"true"}}}},
                           {"root", {{"path", root()}}},
                           {"mounts",
                            {{{"destination", "/mnt/t"},
                              {"type", "tmpfs"},
                              {"source", "tmpfs"},
                              {"options", {"size=bogus"}}}}}};
  std::string file = aux + "/config.json";
  std::ofstream(file) << config.dump();
  expect_clean_failure(nsctl_run({"--config", file, "--pids", "20"}, {}), {125},
                       "nsctl: run: mount tmpfs on " + root() + "/mnt/t");
  // Without --root, a missing target is not created.
  std::string target = aux + "/missing";
  expect_clean_failure(nsctl_run({"--tmpfs", target}, {"true"}), {125},
                       "nsctl: run: mount tmpfs on " + target);
  EXPECT_FALSE(exists(target));
  test::remove_tree(aux);
}

// Limits that cannot be applied: a pids limit above the kernel's PID_MAX_LIMIT (the kernel
// refuses the write, after the memory cgroup was made), a CPU quota below the kernel's 1 ms
// minimum (nsctl refuses it first), and a pids limit that leaves init no room to fork the
// command (refused after the sandbox and its veth are up).
TEST_F(RunCleanup, RefusedCgroupLimits) {
  expect_clean_failure(
      nsctl_run({"--root", root(), "--memory", "64m", "--pids", "5000000"}, {"true"}), {125},
      "/pids.max: Invalid argument");
  expect_clean_failure(
      nsctl_run({"--root", root(), "--memory", "64m", "--pids", "20", "--cpus", "0.00001"},
                {"true"}),
      {125}, "below the kernel's minimum");
  expect_clean_failure(
      nsctl_run({"--root", root(), "--memory", "64m", "--pids", "1", "--veth=10.79.0.0/30"},
                {"true"}),
      {125}, "nsctl: run: fork the command: Resource temporarily unavailable");
}

// The host end's name ("nsctl<pid>") is taken: the test creates a veth pair of that name in its
// network namespace between nsctl's fork and exec. nsctl must fail and leave that pair alone.
TEST_F(RunCleanup, VethNameTaken) {
  std::vector<std::string> taken;
  auto take = [&](pid_t pid) {
    std::string name = "nsctl" + std::to_string(pid), peer = "nsctlp" + std::to_string(pid);
    taken = {name, peer};
    int self = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    auto rt = Rtnl::open();
    if (self < 0 || !rt || !rt->add_veth(name, peer, self))
      std::fprintf(stderr, "could not create %s\n", name.c_str());
    if (self >= 0) ::close(self);
  };
  NSCTL_EXPECT_CHILD_OK([&] {
    if (int rc = enter_test_namespaces()) return rc;
    Snapshot before = snapshot();
    Ran ran = run_nsctl(nsctl_run({"--root", root(), "--pids", "20", "--veth"}, {"true"}), take);
    std::string what = describe(ran.result);
    CHILD_CHECK(taken.size() == 2 && ::if_nametoindex(taken[0].c_str()) != 0,
                "the test's veth is gone (or was never made): %s", what.c_str());
    CHILD_CHECK(ran.result.exit_code == 125, "%s", what.c_str());
    CHILD_CHECK(
        ran.result.err.find("add veth " + taken[0] + "/eth0: File exists") != std::string::npos,
        "%s", what.c_str());
    for (const auto& l : taken) before.links.insert(l);
    std::string left = leftovers(before, ran.pid, {root()});
    auto rt = Rtnl::open();
    if (rt) (void)rt->delete_link(taken[0]);
    CHILD_CHECK(left.empty(), "%s\nafter: %s", left.c_str(), what.c_str());
    return 0;
  });
}

// Failures after everything is set up (veth, cgroups, mounts): a missing working directory, a
// command that cannot be found or executed.
TEST_F(RunCleanup, LateFailuresWithEverythingSetUp) {
  const std::vector<std::string> all = {"--root", root(),    "--veth=10.78.0.0/30",
                                        "--pids", "20",      "--memory",
                                        "64m",    "--cpus",  "1",
                                        "--proc", "/proc",   "--dev",
                                        "/dev",   "--tmpfs", "/tmp"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.begin(), all.begin(), all.end());
    return extra;
  };
  expect_clean_failure(nsctl_run(with({"--chdir", "/nonexistent"}), {"true"}), {125},
                       "nsctl: run: chdir /nonexistent: No such file or directory");
  expect_clean_failure(nsctl_run(with({}), {"/nonexistent-nsctl-cmd"}), {127},
                       "nsctl: run: exec /nonexistent-nsctl-cmd: No such file or directory");
  expect_clean_failure(nsctl_run(with({}), {"/etc/passwd"}), {126},
                       "nsctl: run: exec /etc/passwd: Permission denied");
  expect_clean_failure(nsctl_run(with({"--as-pid-1"}), {"/nonexistent-nsctl-cmd"}), {127},
                       "nsctl: run: exec /nonexistent-nsctl-cmd: No such file or directory");
}

// Without privilege, what needs it fails, cleanly.
TEST_F(RunCleanup, RootlessRefusals) {
  const std::vector<std::string> nobody = {"setpriv", "--reuid=65534", "--regid=65534",
                                           "--clear-groups"};
  auto as_nobody = [&](const std::vector<std::string>& opts) {
    auto argv = nsctl_run(opts, {"true"});
    argv.insert(argv.begin(), nobody.begin(), nobody.end());
    return argv;
  };
  auto probe = run_nsctl(as_nobody({"--root", root()})).result;
  if (probe.exit_code != 0 && probe.err.find("nsctl") == std::string::npos)
    GTEST_SKIP() << "nobody cannot run the test binary: " << probe.err;
  ASSERT_EQ(probe.exit_code, 0) << describe(probe);
  expect_clean_failure(as_nobody({"--root", root(), "--veth"}), {125},
                       "/eth0: Operation not permitted");
  expect_clean_failure(as_nobody({"--root", root(), "--memory", "64m"}), {125},
                       "Permission denied");
}

}  // namespace
}  // namespace nsctl
