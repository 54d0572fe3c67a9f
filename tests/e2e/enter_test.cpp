// nsctl enter end to end: the test creates the targets (probes in new namespaces, processes in
// cgroups shaped like an engine's), runs the binary, and compares what the entered command sees
// with the kernel's view of the target read directly by the test, and with util-linux nsenter
// where it can do the same thing.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/cgroup.hpp"
#include "support/command.hpp"
#include "support/marker.hpp"
#include "support/probe.hpp"

namespace nsctl {
namespace {

using test::Marker;

using test::run_command;
using namespace std::chrono_literals;

const char* const kUtilLinuxNsenter = "/usr/bin/nsenter";

// The nsenter link the build puts next to the binary.
std::string nsenter_link() {
  return (std::filesystem::path(NSCTL_BINARY).parent_path() / "nsenter").string();
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string read_link(const std::string& path) {
  char buf[4096];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n < 0 ? std::string() : std::string(buf, static_cast<std::size_t>(n));
}

std::string proc(pid_t pid, const std::string& rest) {
  return "/proc/" + std::to_string(pid) + "/" + rest;
}

// "net:[4026532...]" for /proc/PID/ns/<type>.
std::string ns_link(pid_t pid, const std::string& type) {
  return read_link(proc(pid, "ns/" + type));
}

// Polls `ok` every 10 ms for up to `limit`.
template <typename F>
bool eventually(F ok, std::chrono::milliseconds limit = 5000ms) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!ok()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// Whether /proc/PID/exe becomes `exe` (the process went through its exec) within 5 s.
bool wait_for_exe(pid_t pid, const std::string& exe) {
  return eventually([&] { return read_link(proc(pid, "exe")) == exe; });
}

// Whether `pid` comes to sit in nanosleep within 5 s: a sleep(1) that is past its start-up, when
// the dynamic loader and setlocale still open files for a moment.
bool wait_for_sleep(pid_t pid) {
  return eventually([&] {
    std::istringstream in(read_text(proc(pid, "syscall")));
    long nr = -1;
    return in >> nr && (nr == SYS_clock_nanosleep || nr == SYS_nanosleep);
  });
}

// The first child of `pid` (from /proc/PID/task/PID/children), waited for up to 5 s; 0 if none.
// The child of `pid` that is no longer nsctl itself: the command, once exec'd (nsctl may have
// another child for a moment, the process that joins the namespaces and starts the command).
pid_t wait_for_child(pid_t pid) {
  pid_t child = 0;
  const std::string nsctl = std::filesystem::canonical(NSCTL_BINARY).string();
  eventually([&] {
    std::istringstream in(read_text(proc(pid, "task/" + std::to_string(pid) + "/children")));
    for (pid_t c = 0; in >> c;) {
      std::error_code ec;
      auto exe = std::filesystem::read_symlink(proc(c, "exe"), ec);
      if (!ec && exe.string() != nsctl) {
        child = c;
        return true;
      }
    }
    return false;
  });
  return child;
}

// The fd numbers open in `pid`.
std::set<int> open_fds(pid_t pid) {
  std::set<int> fds;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(proc(pid, "fd"), ec))
    fds.insert(std::stoi(e.path().filename().string()));
  return fds;
}

// "Name" -> "value" for the lines of a /proc/PID/status text.
std::map<std::string, std::string> status_fields(const std::string& text) {
  std::map<std::string, std::string> fields;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    // Trimmed: the kernel ends "Groups:" with a space.
    auto value = line.find_first_not_of(" \t", colon + 1);
    auto end = line.find_last_not_of(" \t");
    fields[line.substr(0, colon)] =
        value == std::string::npos ? "" : line.substr(value, end + 1 - value);
  }
  return fields;
}

// A pid no process can have: pids stay below pid_max, which is at most PID_MAX_LIMIT (4194304
// on 64-bit). (A reaped child's pid could be reused at once by a busy machine.)
pid_t never_a_pid() { return 4 * 1024 * 1024; }

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::string describe(const test::CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + ", signal " + std::to_string(r.signal) +
         "\nstdout: " + r.out + "\nstderr: " + r.err;
}

// A program the test starts itself (fork + exec) when it must know its pid while it runs:
// stdin is /dev/null, stdout and stderr go to a pipe the test reads. Killed (by its pid, which
// cannot be reused while it is our unreaped child) and reaped when it goes out of scope.
class Spawned {
 public:
  Spawned(const Spawned&) = delete;
  Spawned& operator=(const Spawned&) = delete;
  // With `extra_fd7`, the program also inherits /dev/null as fd 7 without close-on-exec.
  Spawned(const std::vector<std::string>& argv, bool extra_fd7 = false) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
      // Async-signal-safe calls only from here to exec.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(out[1], 1) < 0 || ::dup2(out[1], 2) < 0)
        ::_exit(120);
      if (extra_fd7) {
        int fd = ::open("/dev/null", O_RDONLY);  // inheritable on purpose
        if (fd < 0 || (fd != 7 && (::dup2(fd, 7) < 0 || ::close(fd) < 0))) ::_exit(121);
      }
      ::execv(args[0], args.data());
      ::_exit(122);
    }
    ::close(out[1]);
    if (pid < 0) {
      ::close(out[0]);
      return;
    }
    pid_ = pid;
    out_ = out[0];
  }
  ~Spawned() {
    if (out_ >= 0) ::close(out_);
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }
  explicit operator bool() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  const std::string& output() const { return output_; }

  // Reads the output until it contains `text`; false after `limit` or at EOF.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds limit = 10000ms) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (output_.find(text) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !read_some(static_cast<int>(left.count()))) return false;
    }
    return true;
  }

  // Waits up to `limit` for the program to end: its exit code (or -1) and signal (or 0).
  bool wait(int& code, int& signal, std::chrono::milliseconds limit = 10000ms) {
    auto end = std::chrono::steady_clock::now() + limit;
    int status = 0;
    for (;;) {
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) break;
      if (r < 0 && errno != EINTR) return false;
      if (std::chrono::steady_clock::now() > end) return false;
      read_some(10);
    }
    while (read_some(100)) {
    }
    pid_ = -1;
    code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return true;
  }

 private:
  // Appends what the pipe has within `timeout_ms`; false at EOF, on error or on timeout.
  bool read_some(int timeout_ms) {
    if (out_ < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
      return false;
    }
    pollfd p{out_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char buf[4096];
    ssize_t n = ::read(out_, buf, sizeof buf);
    if (n <= 0) {
      ::close(out_);
      out_ = -1;
      return false;
    }
    output_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  std::string output_;
};

class EnterE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    NSCTL_REQUIRE_ROOT();
    hierarchy_ = test::v1_hierarchy("pids");
    if (hierarchy_.empty()) hierarchy_ = test::v2_hierarchy();
    top_ =
        hierarchy_ + "/nsctl-enter-e2e-" + std::to_string(::getpid()) + "-" + test::random_hex(6);
  }

  bool have_cgroups() const {
    return !hierarchy_.empty() && ::access(hierarchy_.c_str(), W_OK) == 0;
  }

  // Creates <top>/<components...> (those not made yet) and returns its path ("" on failure,
  // with a test failure).
  std::string make_cgroup(const std::vector<std::string>& components) {
    std::string path = top_;
    for (std::size_t i = 0;; ++i) {
      if (!made_.contains(path)) {
        if (std::string err = dirs_.make(path); !err.empty()) {
          ADD_FAILURE() << err;
          return "";
        }
        made_.insert(path);
      }
      if (i == components.size()) return path;
      path += "/" + components[i];
    }
  }

  // A probe in new namespaces `flags`, moved into <top>/<components...>.
  test::Probe place(const std::vector<std::string>& components, int flags) {
    std::string path = make_cgroup(components);
    std::string error;
    test::Probe probe = test::spawn_probe(flags, {}, &error);
    EXPECT_TRUE(probe) << error;
    if (probe && !path.empty()) {
      std::string err = test::move_to(path, probe.pid());
      EXPECT_TRUE(err.empty()) << err;
    }
    return probe;
  }

  std::string hierarchy_, top_;
  std::set<std::string> made_;
  test::CgroupDirs dirs_;  // declared before the probes of each test: removed after they die
};

const char* const kAllTypes[] = {"mnt", "net", "time", "cgroup", "pid", "user", "uts", "ipc"};

// The target is in 8 new namespaces, time included: the probe (pid 1 of its new pid namespace)
// unshares a time namespace, which only its children enter, and forks G. The entered shell
// must see exactly G's 8 links.
TEST_F(EnterE2e, AllJoinsEveryNamespaceOfATargetInEightNewOnesIncludingUser) {
  if (::access("/proc/self/ns/time", F_OK) != 0) GTEST_SKIP() << "no time namespaces";
  std::string error;
  test::Probe probe = test::spawn_probe(
      CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP |
          CLONE_NEWUSER,
      [] {
        if (::unshare(CLONE_NEWTIME) != 0) return 80;
        pid_t g = ::fork();
        if (g < 0) return 81;
        if (g == 0)
          for (;;) ::pause();  // killed with the pid namespace when the probe dies
        return 0;
      },
      &error);
  ASSERT_TRUE(probe) << error;
  pid_t g = wait_for_child(probe.pid());
  ASSERT_GT(g, 0) << "the probe's child did not appear";

  std::string expected;
  for (const char* type : kAllTypes) {
    std::string theirs = ns_link(g, type);
    ASSERT_FALSE(theirs.empty()) << type;
    EXPECT_NE(theirs, ns_link(::getpid(), type)) << "G is not in a new " << type << " namespace";
    expected += theirs + "\n";
  }
  const std::string script =
      "for t in mnt net time cgroup pid user uts ipc; do readlink /proc/self/ns/$t; done";

  auto r =
      run_command({NSCTL_BINARY, "enter", "-t", std::to_string(g), "-a", "/bin/sh", "-c", script});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, expected);

  // util-linux nsenter on the same target, for comparison.
  if (::access(kUtilLinuxNsenter, X_OK) == 0) {
    auto theirs =
        run_command({kUtilLinuxNsenter, "-t", std::to_string(g), "-a", "/bin/sh", "-c", script});
    EXPECT_EQ(theirs.exit_code, 0) << describe(theirs);
    if (theirs.exit_code == 0) {
      EXPECT_EQ(theirs.out, r.out);
    }
  }
}

// --follow: the entered command is one of the target's processes, credentials, capabilities,
// no_new_privs and cgroups included; without it, it runs as full root (the difference the
// README explains).
TEST_F(EnterE2e, FollowTakesTheTargetsCredentialsCapabilitiesNoNewPrivsAndCgroup) {
  if (!have_cgroups()) GTEST_SKIP() << "no writable cgroup hierarchy";
  std::string cgroup = make_cgroup({"follow"});
  ASSERT_FALSE(cgroup.empty());
  std::string error;
  test::Probe target = test::spawn_exec_probe(
      0,
      [] {
        const gid_t groups[] = {4242, 4343};
        if (::setgroups(2, groups) != 0) return 80;
        // Every capability but three; EINVAL past the kernel's last one.
        for (int cap = 0; cap < 64; ++cap) {
          if (cap == CAP_NET_BIND_SERVICE || cap == CAP_CHOWN || cap == CAP_KILL) continue;
          if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return 81;
        }
        if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return 82;
        if (::setresgid(1234, 1234, 1234) != 0) return 83;
        if (::setresuid(1234, 1234, 1234) != 0) return 84;
        __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
        __user_cap_data_struct data[2] = {};
        const __u32 bit = 1u << CAP_NET_BIND_SERVICE;
        data[0].inheritable = data[0].permitted = data[0].effective = bit;
        if (::syscall(SYS_capset, &header, data) != 0) return 85;
        if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0) != 0)
          return 86;
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 87;
        return 0;
      },
      {"/bin/sleep", "infinity"}, &error);
  ASSERT_TRUE(target) << error;
  ASSERT_TRUE(wait_for_exe(target.pid(), "/usr/bin/sleep")) << "the target never exec'd sleep";
  std::string err = test::move_to(cgroup, target.pid());
  ASSERT_TRUE(err.empty()) << err;

  auto theirs = status_fields(read_text(proc(target.pid(), "status")));
  // The target is what its setup made it (else the comparison below proves nothing).
  ASSERT_EQ(theirs["Uid"], "1234\t1234\t1234\t1234");
  ASSERT_EQ(theirs["Groups"], "4242 4343");
  ASSERT_EQ(theirs["CapAmb"], "0000000000000400");
  ASSERT_EQ(theirs["NoNewPrivs"], "1");
  std::string their_cgroups = read_text(proc(target.pid(), "cgroup"));
  ASSERT_NE(their_cgroups.find(cgroup.substr(hierarchy_.size())), std::string::npos)
      << their_cgroups;

  const std::string pid = std::to_string(target.pid());
  auto r =
      run_command({NSCTL_BINARY, "enter", "--follow", "-t", pid, "/bin/cat", "/proc/self/status"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto ours = status_fields(r.out);
  for (const char* field :
       {"Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs"})
    EXPECT_EQ(ours[field], theirs[field]) << field;

  r = run_command({NSCTL_BINARY, "enter", "--follow", "-t", pid, "/bin/cat", "/proc/self/cgroup"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, their_cgroups);

  // Without --follow: host root with the caller's capabilities, not the target's.
  r = run_command({NSCTL_BINARY, "enter", "-t", pid, "-a", "/bin/cat", "/proc/self/status"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto plain = status_fields(r.out);
  auto mine = status_fields(read_text("/proc/self/status"));
  EXPECT_EQ(plain["Uid"], "0\t0\t0\t0");
  EXPECT_EQ(plain["CapEff"], mine["CapEff"]);
  EXPECT_NE(plain["CapEff"], theirs["CapEff"]);
}

// Exit codes and death by signal, forking (pid namespace) and not (-n only: nsctl execs),
// the same as util-linux nsenter's.
TEST_F(EnterE2e, ExitCodeAndDeathBySignalPropagateAsNsentersDo) {
  std::string error;
  test::Probe target = test::spawn_probe(CLONE_NEWPID | CLONE_NEWNET, {}, &error);
  ASSERT_TRUE(target) << error;
  const std::string pid = std::to_string(target.pid());
  const bool have_nsenter = ::access(kUtilLinuxNsenter, X_OK) == 0;

  auto r = run_command({NSCTL_BINARY, "enter", "-t", pid, "-p", "sh", "-c", "exit 7"});
  EXPECT_EQ(r.exit_code, 7) << describe(r);
  EXPECT_EQ(r.signal, 0);
  if (have_nsenter) {
    auto theirs = run_command({kUtilLinuxNsenter, "-t", pid, "-p", "sh", "-c", "exit 7"});
    EXPECT_EQ(r.exit_code, theirs.exit_code) << describe(theirs);
    EXPECT_EQ(r.signal, theirs.signal);
  }

  r = run_command({NSCTL_BINARY, "enter", "-t", pid, "-p", "sh", "-c", "kill -TERM $$"});
  EXPECT_EQ(r.exit_code, -1) << describe(r);
  EXPECT_EQ(r.signal, SIGTERM) << describe(r);
  if (have_nsenter) {
    auto theirs = run_command({kUtilLinuxNsenter, "-t", pid, "-p", "sh", "-c", "kill -TERM $$"});
    EXPECT_EQ(r.exit_code, theirs.exit_code) << describe(theirs);
    EXPECT_EQ(r.signal, theirs.signal) << describe(theirs);
  }

  r = run_command({NSCTL_BINARY, "enter", "-t", pid, "-n", "sh", "-c", "exit 7"});
  EXPECT_EQ(r.exit_code, 7) << describe(r);
  EXPECT_EQ(r.signal, 0);
}

// A SIGTERM sent to nsctl, which forked to enter the pid namespace, reaches the command: its
// trap decides the exit code, which nsctl passes on.
TEST_F(EnterE2e, ForwardedSigtermReachesTheCommand) {
  std::string error;
  test::Probe target = test::spawn_probe(CLONE_NEWPID, {}, &error);
  ASSERT_TRUE(target) << error;
  Spawned nsctl({NSCTL_BINARY, "enter", "-t", std::to_string(target.pid()), "-p", "/bin/sh", "-c",
                 "trap 'exit 42' TERM; echo ready; while :; do sleep 0.1; done"});
  ASSERT_TRUE(nsctl);
  ASSERT_TRUE(nsctl.wait_for_output("ready\n")) << nsctl.output();
  ASSERT_EQ(::kill(nsctl.pid(), SIGTERM), 0);
  int code = -1, signal = 0;
  ASSERT_TRUE(nsctl.wait(code, signal)) << "nsctl did not end after SIGTERM";
  EXPECT_EQ(code, 42) << "signal " << signal << "; output: " << nsctl.output();
  EXPECT_EQ(signal, 0);
}

// The entered command holds fds 0, 1, 2 and nothing else, though nsctl inherited fd 7: when
// nsctl execs it (-n) and when it forks first (-p).
TEST_F(EnterE2e, CommandHoldsOnlyFdsZeroOneTwo) {
  std::string error;
  test::Probe target = test::spawn_probe(CLONE_NEWPID | CLONE_NEWNET, {}, &error);
  ASSERT_TRUE(target) << error;
  const std::string pid = std::to_string(target.pid());
  const std::set<int> standard = {0, 1, 2};
  {
    Spawned nsctl({NSCTL_BINARY, "enter", "-t", pid, "-n", "/bin/sleep", "5"}, true);
    ASSERT_TRUE(nsctl);
    ASSERT_TRUE(wait_for_exe(nsctl.pid(), "/usr/bin/sleep")) << nsctl.output();
    ASSERT_TRUE(wait_for_sleep(nsctl.pid())) << nsctl.output();
    EXPECT_EQ(open_fds(nsctl.pid()), standard);
  }
  {
    Spawned nsctl({NSCTL_BINARY, "enter", "-t", pid, "-p", "/bin/sleep", "5"}, true);
    ASSERT_TRUE(nsctl);
    pid_t command = wait_for_child(nsctl.pid());
    ASSERT_GT(command, 0) << nsctl.output();
    ASSERT_TRUE(wait_for_exe(command, "/usr/bin/sleep")) << nsctl.output();
    ASSERT_TRUE(wait_for_sleep(command)) << nsctl.output();
    // nsctl, waiting for the command, closed the /dev/null it inherited as fd 7: nothing of
    // its caller is reachable through /proc/<nsctl>/fd (the security review's item 10). Its
    // own fds (the command's pidfd, a signalfd) may have taken the number since.
    for (int fd : open_fds(nsctl.pid()))
      if (fd > 2) {
        std::error_code ec;
        EXPECT_NE(std::filesystem::read_symlink(proc(nsctl.pid(), "fd/" + std::to_string(fd)), ec),
                  "/dev/null")
            << "fd " << fd;
      }
    EXPECT_EQ(open_fds(command), standard);
    ASSERT_EQ(::kill(nsctl.pid(), SIGTERM), 0);  // forwarded: sleep ends, nsctl with it
    int code = -1, signal = 0;
    ASSERT_TRUE(nsctl.wait(code, signal));
    EXPECT_EQ(signal, SIGTERM) << "exit " << code << "; output: " << nsctl.output();
  }
}

// --for-children enters the pid namespace the target's children will have (nsenter cannot).
// The kernel opens pid_for_children only once that namespace has its init (pidns_for_children_get
// returns nothing while child_reaper is unset), so the target unshares and forks that init, C,
// which is pid 1 there: the entered command is the namespace's second process, pid 2.
TEST_F(EnterE2e, ForChildrenEntersTheTargetsPidForChildren) {
  std::string error;
  test::Probe target = test::spawn_probe(
      0,
      [] {
        if (::unshare(CLONE_NEWPID) != 0) return 80;
        pid_t init = ::fork();
        if (init < 0) return 81;
        if (init == 0) {
          ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with the probe
          for (;;) ::pause();
        }
        return 0;
      },
      &error);
  ASSERT_TRUE(target) << error;
  std::string for_children = read_link(proc(target.pid(), "ns/pid_for_children"));
  ASSERT_FALSE(for_children.empty());
  ASSERT_NE(for_children, ns_link(target.pid(), "pid"));

  auto r = run_command({NSCTL_BINARY, "enter", "-t", std::to_string(target.pid()), "-p",
                        "--for-children", "/bin/sh", "-c", "echo $$; readlink /proc/self/ns/pid"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "2\n" + for_children + "\n");
}

// A target that unshared a pid namespace and has no child in it yet: there is nothing the
// kernel lets anyone join (pid_for_children cannot be opened, ENOENT). That is an error naming
// pid_for_children, not "the kernel lacks this type", and with -a the pid namespace must not be
// silently skipped, leaving the command in the caller's pid namespace.
TEST_F(EnterE2e, ForChildrenOfAnEmptyPidNamespaceIsRefused) {
  Marker marker;
  ASSERT_TRUE(marker.ok());
  std::string error;
  test::Probe target = test::spawn_probe(
      0, [] { return ::unshare(CLONE_NEWPID) == 0 ? 0 : 80; }, &error);
  ASSERT_TRUE(target) << error;
  ASSERT_EQ(::access(proc(target.pid(), "ns/pid_for_children").c_str(), F_OK), -1);
  const std::string pid = std::to_string(target.pid());
  for (const char* option : {"-p", "-a"}) {
    SCOPED_TRACE(option);
    marker.reset();
    auto r = run_command(
        concat({NSCTL_BINARY, "enter", "-t", pid, option, "--for-children"}, marker.command()));
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("pid_for_children"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("kernel lacks"), std::string::npos) << r.err;
    EXPECT_FALSE(marker.exists()) << "the command ran";
  }
}

// Runs `args` + the marker command; expects `code`, every one of `words` in stderr, and the
// command not to have run.
void expect_refused(const Marker& marker, const std::vector<std::string>& args, int code,
                    const std::vector<std::string>& words) {
  marker.reset();
  auto r = run_command(concat(args, marker.command()));
  EXPECT_EQ(r.exit_code, code) << describe(r);
  for (const auto& w : words)
    EXPECT_NE(r.err.find(w), std::string::npos) << "no '" << w << "' in " << r.err;
  EXPECT_FALSE(marker.exists()) << "the command ran";
}

TEST_F(EnterE2e, BadTargetsFailBeforeTheCommandRuns) {
  Marker marker;
  ASSERT_TRUE(marker.ok());
  {
    SCOPED_TRACE("a pid that does not exist");
    pid_t gone = never_a_pid();
    expect_refused(marker, {NSCTL_BINARY, "enter", "-t", std::to_string(gone), "-n"}, 1,
                   {"pid " + std::to_string(gone), "no such process"});
  }
  {
    SCOPED_TRACE("a kernel thread");
    if (read_text("/proc/2/comm") == "kthreadd\n") {
      expect_refused(marker, {NSCTL_BINARY, "enter", "-t", "2", "-n"}, 1,
                     {"pid 2", "kernel thread"});
    } else {
      ADD_FAILURE() << "pid 2 is not kthreadd here (a pid namespace?)";
    }
  }
  {
    SCOPED_TRACE("a file that is not a namespace");
    expect_refused(marker, {NSCTL_BINARY, "enter", "--net=/etc/passwd"}, 1,
                   {"/etc/passwd", "not a namespace file"});
  }
  {
    SCOPED_TRACE("a namespace of the wrong type");
    expect_refused(marker, {NSCTL_BINARY, "enter", "--net=/proc/self/ns/uts"}, 1,
                   {"/proc/self/ns/uts", "a uts namespace, not net"});
  }
}

// PID:inode (nsenter 2.42): the inode of the target's pidfd must match.
TEST_F(EnterE2e, PidInodeFormChecksThePidfdInode) {
  Marker marker;
  ASSERT_TRUE(marker.ok());
  std::string error;
  test::Probe target = test::spawn_probe(CLONE_NEWNET, {}, &error);
  ASSERT_TRUE(target) << error;
  struct stat st {};
  ASSERT_EQ(::fstat(target.pidfd(), &st), 0);
  const std::string pid = std::to_string(target.pid());
  {
    SCOPED_TRACE("a wrong inode");
    expect_refused(marker,
                   {NSCTL_BINARY, "enter", "-t", pid + ":" + std::to_string(st.st_ino + 1), "-n"},
                   1, {"pid " + pid, "does not match"});
  }
  auto r =
      run_command(concat({NSCTL_BINARY, "enter", "-t", pid + ":" + std::to_string(st.st_ino), "-n"},
                         {"/bin/sh", "-c", "readlink /proc/self/ns/net"}));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, ns_link(target.pid(), "net") + "\n");
}

TEST_F(EnterE2e, UnknownOrAmbiguousContainersFailListingTheMatches) {
  if (!have_cgroups()) GTEST_SKIP() << "no writable cgroup hierarchy";
  Marker marker;
  ASSERT_TRUE(marker.ok());
  {
    SCOPED_TRACE("no such container");
    std::string name = "nsctl-no-such-" + test::random_hex(12);
    expect_refused(marker, {NSCTL_BINARY, "enter", name}, 1, {name, "no container matches"});
  }
  const std::string prefix = test::random_hex(10);
  const std::string a = prefix + test::random_hex(54), b = prefix + test::random_hex(54);
  test::Probe pa = place({"docker", a}, CLONE_NEWNET | CLONE_NEWUTS);
  test::Probe pb = place({"docker", b}, CLONE_NEWNET | CLONE_NEWUTS);
  ASSERT_TRUE(pa && pb);
  {
    SCOPED_TRACE("an ambiguous prefix");
    expect_refused(marker, {NSCTL_BINARY, "enter", prefix}, 1,
                   {prefix, "2 containers", a.substr(0, 12), b.substr(0, 12)});
  }
}

TEST_F(EnterE2e, UnknownOptionIsAUsageError) {
  Marker marker;
  ASSERT_TRUE(marker.ok());
  std::string error;
  test::Probe target = test::spawn_probe(CLONE_NEWNET, {}, &error);
  ASSERT_TRUE(target) << error;
  const std::string pid = std::to_string(target.pid());
  {
    SCOPED_TRACE("as nsctl");
    expect_refused(marker, {NSCTL_BINARY, "enter", "--bogus", "-t", pid, "-n"}, 2, {"--bogus"});
  }
  {
    SCOPED_TRACE("as the nsenter link");
    expect_refused(marker, {nsenter_link(), "--bogus", "-t", pid, "-n"}, 1,
                   {"nsenter: ", "--bogus"});
  }
  if (::access(kUtilLinuxNsenter, X_OK) == 0) {
    SCOPED_TRACE("util-linux nsenter");
    expect_refused(marker, {kUtilLinuxNsenter, "--bogus", "-t", pid, "-n"}, 1, {"--bogus"});
  }
}

// A container name with no namespace option enters all of the container's namespaces.
TEST_F(EnterE2e, ContainerNameEntersItsNamespaces) {
  if (!have_cgroups()) GTEST_SKIP() << "no writable cgroup hierarchy";
  const std::string id = test::random_hex(64);
  test::Probe web = place({"docker", id}, CLONE_NEWNET | CLONE_NEWUTS);
  ASSERT_TRUE(web);
  auto r = run_command({NSCTL_BINARY, "enter", id.substr(0, 8), "/bin/sh", "-c",
                        "readlink /proc/self/ns/net /proc/self/ns/uts"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, ns_link(web.pid(), "net") + "\n" + ns_link(web.pid(), "uts") + "\n");
  EXPECT_NE(ns_link(web.pid(), "net"), ns_link(::getpid(), "net"));
}

// Invoked through the `nsenter` link, nsctl is nsenter: the same options, "nsenter: " errors.
TEST_F(EnterE2e, NsenterLinkBehavesAsNsenter) {
  std::string error;
  test::Probe target = test::spawn_probe(CLONE_NEWNET, {}, &error);
  ASSERT_TRUE(target) << error;
  auto r = run_command(
      {nsenter_link(), "-t", std::to_string(target.pid()), "-n", "readlink", "/proc/self/ns/net"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, ns_link(target.pid(), "net") + "\n");

  pid_t gone = never_a_pid();
  r = run_command({nsenter_link(), "-t", std::to_string(gone), "-n", "true"});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(r.err.starts_with("nsenter: ")) << r.err;
}

}  // namespace
}  // namespace nsctl
