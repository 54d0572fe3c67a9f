// Privilege (issue 7): run as nobody (setpriv), each command either works, through a user
// namespace where it needs one, or fails with a message that names what was refused and why.
// The targets are processes the test starts itself: a root-owned probe, and a user namespace
// that nobody creates and owns.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/command.hpp"
#include "support/marker.hpp"
#include "support/probe.hpp"

namespace nsctl {
namespace {

using test::Marker;

namespace fs = std::filesystem;
using test::CommandResult;
using test::run_command;
using namespace std::chrono_literals;

const std::vector<std::string> kNobody = {"setpriv", "--reuid=65534", "--regid=65534",
                                          "--clear-groups"};

// Runs `args` as nobody, under `timeout 20`.
CommandResult as_nobody(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"timeout", "20"};
  argv.insert(argv.end(), kNobody.begin(), kNobody.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

std::string describe(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + ", signal " + std::to_string(r.signal) +
         "\nstdout: " + r.out.substr(0, 2000) + "\nstderr: " + r.err.substr(0, 2000);
}

std::string link_path(const char* name) {
  return (fs::path(NSCTL_BINARY).parent_path() / name).string();
}

std::string read_link(const std::string& path) {
  char buf[4096];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n < 0 ? std::string() : std::string(buf, static_cast<std::size_t>(n));
}

// Skips when nobody cannot execute the binary (a build directory under a private home).
#define NSCTL_REQUIRE_NOBODY_CAN_RUN_NSCTL()                                                    \
  do {                                                                                          \
    NSCTL_REQUIRE_ROOT();                                                                       \
    auto probe_run = as_nobody({NSCTL_BINARY, "--version"});                                    \
    if (probe_run.exit_code != 0) GTEST_SKIP() << "nobody cannot run nsctl: " << probe_run.err; \
  } while (0)

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A process the test starts as nobody: `util-linux unshare -r sleep`, which unshares in place
// and execs, so the sleep has the pid we forked and sits in a user namespace nobody owns.
// Killed by that pid (our unreaped child, so never reused) and reaped on destruction.
class NobodysUserns {
 public:
  NobodysUserns() {
    std::vector<std::string> argv = with(kNobody, {"unshare", "-r", "-n", "sleep", "1000"});
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      int null_fd = ::open("/dev/null", O_RDWR);
      if (null_fd >= 0) {
        ::dup2(null_fd, 0);
        ::dup2(null_fd, 1);
      }
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    pid_ = pid;
  }
  NobodysUserns(const NobodysUserns&) = delete;
  NobodysUserns& operator=(const NobodysUserns&) = delete;
  ~NobodysUserns() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  pid_t pid() const { return pid_; }
  // Whether the process became sleep, in a user namespace other than ours, within 10 s.
  bool ready() const {
    const std::string proc = "/proc/" + std::to_string(pid_);
    for (auto end = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < end;
         std::this_thread::sleep_for(10ms)) {
      std::string exe = read_link(proc + "/exe");
      if ((exe == "/usr/bin/sleep" || exe == "/bin/sleep") &&
          read_link(proc + "/ns/user") != read_link("/proc/self/ns/user"))
        return true;
    }
    return false;
  }

 private:
  pid_t pid_ = -1;
};

TEST(Unprivileged, LsListsItsOwnNamespacesAndSaysWhatItCouldNotRead) {
  NSCTL_REQUIRE_NOBODY_CAN_RUN_NSCTL();
  for (const auto& prog : {std::vector<std::string>{NSCTL_BINARY, "ls"},
                           std::vector<std::string>{link_path("lsns")}}) {
    auto r = as_nobody(with(prog, {"-n", "-r", "-o", "NS,TYPE"}));
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    // setpriv changes no namespace: nobody's are the test's own.
    for (const char* type : {"mnt", "net", "uts", "ipc", "user", "pid", "cgroup", "time"}) {
      ino_t ino = test::ns_inode(::getpid(), type);
      if (!ino) continue;
      EXPECT_NE(r.out.find(std::to_string(ino) + " " + type + "\n"), std::string::npos)
          << prog[0] << ": " << type << " " << ino << " not listed:\n"
          << r.out.substr(0, 2000);
    }
    // The test runner itself (root) is one of the processes nobody cannot read.
    EXPECT_NE(r.err.find("could not be read (permission denied)"), std::string::npos)
        << describe(r);
  }
  auto j = as_nobody({NSCTL_BINARY, "ls", "-J"});
  ASSERT_EQ(j.exit_code, 0) << describe(j);
  EXPECT_FALSE(nlohmann::json::parse(j.out, nullptr, false).is_discarded());
}

TEST(Unprivileged, PsWorksAndSaysWhatItCouldNotRead) {
  NSCTL_REQUIRE_NOBODY_CAN_RUN_NSCTL();
  auto r = as_nobody({NSCTL_BINARY, "ps", "-J"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_FALSE(nlohmann::json::parse(r.out, nullptr, false).is_discarded()) << r.out;
  EXPECT_NE(r.err.find("could not be read (permission denied)"), std::string::npos) << describe(r);
}

TEST(Unprivileged, UnshareWorksThroughAUserNamespaceAndOtherwiseSaysWhy) {
  NSCTL_REQUIRE_NOBODY_CAN_RUN_NSCTL();
  for (const auto& prog : {std::vector<std::string>{NSCTL_BINARY, "unshare"},
                           std::vector<std::string>{link_path("unshare")}}) {
    auto r = as_nobody(with(prog, {"-r", "-n", "-u", "id", "-u"}));
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, "0\n") << describe(r);
  }
  Marker marker(/*world_writable=*/true);
  for (const auto& prog : {std::vector<std::string>{NSCTL_BINARY, "unshare"},
                           std::vector<std::string>{link_path("unshare")}}) {
    auto r = as_nobody(with(with(prog, {"-n"}), marker.command()));
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("unshare failed: Operation not permitted"), std::string::npos)
        << describe(r);
    EXPECT_TRUE(r.out.empty()) << describe(r);
    EXPECT_FALSE(marker.exists()) << "the command ran: " << describe(r);
  }
  // The real unshare fails the same way.
  auto u = as_nobody(with({"unshare", "-n"}, marker.command()));
  EXPECT_EQ(u.exit_code, 1) << describe(u);
  EXPECT_FALSE(marker.exists());
}

TEST(Unprivileged, EnterJoinsAUserNamespaceNobodyOwns) {
  NSCTL_REQUIRE_NOBODY_CAN_RUN_NSCTL();
  NobodysUserns target;
  ASSERT_GT(target.pid(), 0);
  ASSERT_TRUE(target.ready()) << "nobody's unshare -r sleep did not start";
  const std::string pid = std::to_string(target.pid());
  const std::string want_net = read_link("/proc/" + pid + "/ns/net");
  for (const auto& prog : {std::vector<std::string>{NSCTL_BINARY, "enter"},
                           std::vector<std::string>{link_path("nsenter")}}) {
    auto r = as_nobody(
        with(prog, {"-t", pid, "-U", "-n", "/bin/sh", "-c", "id -u; readlink /proc/self/ns/net"}));
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, "0\n" + want_net + "\n") << describe(r);
  }
  // util-linux nsenter agrees, except that 2.38 (Debian 12) fails on the setgroups that
  // `unshare -r` denied (newer versions, and nsctl, ignore that failure).
  auto u = as_nobody({"nsenter", "-t", pid, "-U", "-n", "id", "-u"});
  if (u.err.find("setgroups failed: Operation not permitted") == std::string::npos) {
    EXPECT_EQ(u.exit_code, 0) << describe(u);
    EXPECT_EQ(u.out, "0\n");
  }
}

TEST(Unprivileged, EnterIntoRootsProcessNamesTheNamespaceAndTheReason) {
  NSCTL_REQUIRE_NOBODY_CAN_RUN_NSCTL();
  std::string error;
  test::Probe probe = test::spawn_probe(CLONE_NEWNET | CLONE_NEWUTS, {}, &error);
  ASSERT_TRUE(probe) << error;
  const std::string pid = std::to_string(probe.pid());
  Marker marker(/*world_writable=*/true);
  struct Case {
    std::vector<std::string> args;
    std::string type;
  };
  for (const Case& c :
       {Case{{"-n"}, "net"}, Case{{"-u"}, "uts"}, Case{{"-U"}, "user"}, Case{{"-a"}, ""}}) {
    for (const auto& prog : {std::vector<std::string>{NSCTL_BINARY, "enter"},
                             std::vector<std::string>{link_path("nsenter")}}) {
      auto r = as_nobody(with(with(with(prog, {"-t", pid}), c.args), marker.command()));
      EXPECT_EQ(r.exit_code, 1) << describe(r);
      EXPECT_TRUE(r.out.empty()) << describe(r);
      EXPECT_NE(r.err.find("pid " + pid), std::string::npos) << describe(r);
      if (!c.type.empty()) {
        EXPECT_NE(r.err.find("ns/" + c.type), std::string::npos) << describe(r);
      }
      EXPECT_TRUE(r.err.find("Permission denied") != std::string::npos ||
                  r.err.find("Operation not permitted") != std::string::npos)
          << describe(r);
      EXPECT_FALSE(marker.exists()) << "the command ran: " << describe(r);
    }
  }
}

}  // namespace
}  // namespace nsctl
