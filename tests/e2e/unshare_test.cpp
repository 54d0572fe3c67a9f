// nsctl unshare end to end: the namespaces, maps, mounts and signals the kernel shows the
// command, checked against the test's own view, and util-linux unshare on the same input.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/command.hpp"
#include "support/forked.hpp"
#include "support/probe.hpp"

namespace nsctl {
namespace {

using test::CommandResult;
using test::run_command;

const std::vector<std::string> kEntries = {
    "mnt",  "net", "time", "time_for_children", "cgroup", "pid", "pid_for_children",
    "user", "uts", "ipc"};

// "net:[4026531840]" per entry, as readlink prints them for /proc/self/ns/<entry>.
std::map<std::string, std::string> parse_links(const std::string& out) {
  std::map<std::string, std::string> links;
  std::istringstream in(out);
  std::string line;
  std::size_t i = 0;
  while (std::getline(in, line) && i < kEntries.size()) links[kEntries[i++]] = line;
  return links;
}

std::vector<std::string> readlink_argv() {
  std::vector<std::string> argv = {"readlink"};
  for (const auto& e : kEntries) argv.push_back("/proc/self/ns/" + e);
  return argv;
}

std::map<std::string, std::string> own_links() {
  std::map<std::string, std::string> links;
  char buf[256];
  for (const auto& e : kEntries) {
    ssize_t n = ::readlink(("/proc/self/ns/" + e).c_str(), buf, sizeof buf);
    links[e] = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
  }
  return links;
}

std::vector<std::string> nsctl_unshare(std::vector<std::string> opts,
                                       const std::vector<std::string>& cmd) {
  std::vector<std::string> argv = {NSCTL_BINARY, "unshare"};
  argv.insert(argv.end(), opts.begin(), opts.end());
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  return argv;
}

std::string squeeze(const std::string& text) {  // "   0   1000   1\n" -> "0 1000 1\n"
  std::string out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string w, joined;
    while (words >> w) joined += (joined.empty() ? "" : " ") + w;
    out += joined + "\n";
  }
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Each option creates exactly its namespace: the entries that differ from the test's own.
// Without --fork the command itself stays in the old pid namespace; its children do not.
TEST(Unshare, EachNamespaceOptionCreatesOnlyThatType) {
  NSCTL_REQUIRE_ROOT();
  struct Case {
    const char* opt;
    std::set<std::string> fork_changes, nofork_changes;
  };
  const Case cases[] = {
      {"-m", {"mnt"}, {"mnt"}},
      {"-u", {"uts"}, {"uts"}},
      {"-i", {"ipc"}, {"ipc"}},
      {"-n", {"net"}, {"net"}},
      {"-p", {"pid", "pid_for_children"}, {}},
      {"-U", {"user"}, {"user"}},
      {"-C", {"cgroup"}, {"cgroup"}},
      {"-T", {"time", "time_for_children"}, {"time", "time_for_children"}},
  };
  auto mine = own_links();
  for (const auto& c : cases) {
    for (bool fork : {true, false}) {
      // Without --fork, pid_for_children cannot be read before the namespace has its init.
      if (!fork && c.opt == std::string("-p")) continue;
      std::vector<std::string> opts = {c.opt};
      if (fork) opts.push_back("-f");
      auto r = run_command(nsctl_unshare(opts, readlink_argv()));
      ASSERT_EQ(r.exit_code, 0) << c.opt << " fork=" << fork << ": " << r.err;
      auto theirs = parse_links(r.out);
      std::set<std::string> changed;
      for (const auto& e : kEntries) {
        ASSERT_FALSE(theirs[e].empty()) << c.opt << ": no " << e << " in " << r.out;
        if (theirs[e] != mine[e]) changed.insert(e);
      }
      EXPECT_EQ(changed, fork ? c.fork_changes : c.nofork_changes)
          << c.opt << " fork=" << fork << "\n"
          << r.out;
    }
  }
}

// Without --fork, -p leaves the command in its pid namespace and puts its children in the new
// one (as unshare(2) does). Its first child is the new init: one fork only, since the namespace
// dies with it.
TEST(Unshare, PidWithoutForkAppliesToTheCommandsChildren) {
  NSCTL_REQUIRE_ROOT();
  auto mine = own_links();
  auto r = run_command(
      nsctl_unshare({"-p"}, {"sh", "-c", "readlink /proc/$$/ns/pid /proc/self/ns/pid; true"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  std::string self, child;
  std::getline(in, self);
  std::getline(in, child);
  EXPECT_EQ(self, mine["pid"]);
  EXPECT_NE(child, mine["pid"]);
  EXPECT_EQ(child.rfind("pid:[", 0), 0u) << r.out;
}

TEST(Unshare, AllTypesInOneCloneAndTheLinkBehavesAsUnshare) {
  NSCTL_REQUIRE_ROOT();
  auto mine = own_links();
  std::string link = std::string(NSCTL_BINARY).substr(0, std::string(NSCTL_BINARY).rfind('/'));
  std::vector<std::string> argv = {link + "/unshare", "-fmuinpUCT"};
  for (const auto& a : readlink_argv()) argv.push_back(a);
  auto r = run_command(argv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto theirs = parse_links(r.out);
  for (const auto& e : kEntries) EXPECT_NE(theirs[e], mine[e]) << e;
}

TEST(Unshare, MapOptionsWriteTheExpectedMaps) {
  NSCTL_REQUIRE_ROOT();
  std::string own_uid_map = squeeze(read_file("/proc/self/uid_map"));
  struct Case {
    std::vector<std::string> opts;
    std::string uid_map, gid_map, setgroups;
  };
  const Case cases[] = {
      {{"-r"}, "0 0 1\n", "0 0 1\n", "deny\n"},
      {{"-c"}, "0 0 1\n", "0 0 1\n", "deny\n"},
      {{"--map-user=1000", "--map-group=2000"}, "1000 0 1\n", "2000 0 1\n", "deny\n"},
      {{"--map-user=1000"}, "1000 0 1\n", "", "allow\n"},
      {{"--map-users=0:100000:65536", "--map-groups=0:200000:1000"},
       "0 100000 65536\n",
       "0 200000 1000\n",
       "allow\n"},
      {{"--map-users=100000,0,65536"}, "0 100000 65536\n", "", "allow\n"},
      {{"--map-users=0:100000:10", "--map-users=10:300000:5"},
       "0 100000 10\n10 300000 5\n",
       "",
       "allow\n"},
      // The single mapping is punched out of the range (the man page's --map-auto -r example).
      {{"--map-users=0:100000:65536", "-r"}, "0 0 1\n1 100000 65535\n", "0 0 1\n", "deny\n"},
      {{"--map-users=all"}, own_uid_map, "", "allow\n"},
      {{"-r", "--setgroups=deny"}, "0 0 1\n", "0 0 1\n", "deny\n"},
      {{"-U", "--setgroups=deny"}, "", "", "deny\n"},
  };
  for (const auto& c : cases) {
    for (bool fork : {true, false}) {
      auto opts = c.opts;
      if (fork) opts.push_back("-f");
      auto r = run_command(
          nsctl_unshare(opts, {"sh", "-c",
                               "cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; echo --; "
                               "cat /proc/self/setgroups"}));
      std::string label = ::testing::PrintToString(opts);
      ASSERT_EQ(r.exit_code, 0) << label << ": " << r.err;
      std::string out = squeeze(r.out);
      EXPECT_EQ(out, c.uid_map + "--\n" + c.gid_map + "--\n" + c.setgroups) << label;
    }
  }
}

TEST(Unshare, UnprivilegedMapRootUserIsRootInside) {
  NSCTL_REQUIRE_ROOT();
  for (const char* fork : {"-r", "-rf"}) {
    auto r = run_command({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                          NSCTL_BINARY, "unshare", fork, "id", "-u"});
    if (r.exit_code != 0 && r.err.find("Permission denied") != std::string::npos &&
        r.err.find("nsctl") == std::string::npos)
      GTEST_SKIP() << "nobody cannot run the test binary: " << r.err;
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "0\n") << fork;
  }
  // And the map it got is nobody's id, with setgroups denied as the kernel requires.
  auto r = run_command({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", NSCTL_BINARY,
                        "unshare", "-r", "cat", "/proc/self/uid_map", "/proc/self/gid_map"});
  EXPECT_EQ(squeeze(r.out), "0 65534 1\n0 65534 1\n") << r.err;
}

TEST(Unshare, UnprivilegedRangeOutsideSubordinateIdsFailsCleanly) {
  NSCTL_REQUIRE_ROOT();
  auto r = run_command({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", NSCTL_BINARY,
                        "unshare", "--map-users=0:100000:10", "true"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("exceeds the subordinate ids of nobody in /etc/subuid"), std::string::npos)
      << r.err;
}

// Unprivileged range maps through newuidmap/newgidmap, with /etc/subuid and /etc/subgid
// replaced by bind mounts in a private mount namespace (the system's files are not touched).
TEST(Unshare, UnprivilegedSubordinateMapsThroughNewuidmap) {
  NSCTL_REQUIRE_ROOT();
  if (::access("/usr/bin/newuidmap", X_OK) != 0 || ::access("/usr/bin/newgidmap", X_OK) != 0)
    GTEST_SKIP() << "newuidmap/newgidmap missing (Debian package uidmap, scripts/setup.sh)";
  NSCTL_EXPECT_CHILD_OK([] {
    if (::unshare(CLONE_NEWNS) != 0) return 77;
    CHILD_CHECK(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0, "private");
    char uids[] = "/tmp/nsctl-subuid-XXXXXX", gids[] = "/tmp/nsctl-subgid-XXXXXX";
    int u = ::mkstemp(uids), g = ::mkstemp(gids);
    CHILD_CHECK(u >= 0 && g >= 0, "mkstemp");
    const char utext[] = "nobody:200000:65536\n", gtext[] = "65534:300000:65536\n";
    CHILD_CHECK(::write(u, utext, sizeof utext - 1) > 0 && ::write(g, gtext, sizeof gtext - 1) > 0,
                "write");
    ::close(u);
    ::close(g);
    ::chmod(uids, 0644);
    ::chmod(gids, 0644);
    bool bound = ::mount(uids, "/etc/subuid", nullptr, MS_BIND, nullptr) == 0 &&
                 ::mount(gids, "/etc/subgid", nullptr, MS_BIND, nullptr) == 0;
    ::unlink(uids);
    ::unlink(gids);
    CHILD_CHECK(bound, "bind /etc/subuid");
    const std::vector<std::string> nobody = {"setpriv", "--reuid=65534", "--regid=65534",
                                             "--clear-groups"};
    auto as_nobody = [&](std::vector<std::string> argv) {
      argv.insert(argv.begin(), nobody.begin(), nobody.end());
      return run_command(argv);
    };
    const std::vector<std::string> show = {"cat", "/proc/self/uid_map", "/proc/self/gid_map"};
    for (const char* fork : {"-U", "-f"}) {
      auto r = as_nobody(nsctl_unshare({fork, "--map-auto", "-r"}, show));
      CHILD_CHECK(r.exit_code == 0, "--map-auto -r: %s", r.err.c_str());
      CHILD_CHECK(squeeze(r.out) == "0 65534 1\n1 200000 65535\n0 65534 1\n1 300000 65535\n",
                  "--map-auto -r %s:\n%s", fork, r.out.c_str());
      auto theirs = as_nobody(
          {"unshare", "--map-auto", "-r", "cat", "/proc/self/uid_map", "/proc/self/gid_map"});
      CHILD_CHECK(theirs.out == r.out, "util-linux maps differently:\n%s", theirs.out.c_str());
      r = as_nobody(nsctl_unshare({fork, "--map-subids"}, show));
      CHILD_CHECK(squeeze(r.out) == "200000 200000 65536\n300000 300000 65536\n",
                  "--map-subids %s: %s %s", fork, r.out.c_str(), r.err.c_str());
      r = as_nobody(nsctl_unshare({fork, "--map-users=0:200000:65537"}, {"true"}));
      CHILD_CHECK(r.exit_code == 1 && r.err.find("exceeds the subordinate ids of nobody in "
                                                 "/etc/subuid") != std::string::npos,
                  "exceeding map: exit %d, %s", r.exit_code, r.err.c_str());
    }
    return 0;
  });
}

TEST(Unshare, MountProcMakesTheCommandPid1) {
  NSCTL_REQUIRE_ROOT();
  auto r = run_command(nsctl_unshare({"-fp", "--mount-proc"}, {"sh", "-c", "echo $$; ls /proc"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, "1");
  // The new /proc shows only the new pid namespace: sh (1) and ls (2).
  std::set<std::string> pids;
  for (std::string w; in >> w;)
    if (w.find_first_not_of("0123456789") == std::string::npos) pids.insert(w);
  EXPECT_EQ(pids, (std::set<std::string>{"1", "2"})) << r.out;
}

TEST(Unshare, ExitCodesAndDeathBySignalPropagate) {
  NSCTL_REQUIRE_ROOT();
  for (const char* fork : {"-f", "-fn"}) {
    auto r = run_command(nsctl_unshare({fork}, {"sh", "-c", "exit 7"}));
    EXPECT_EQ(r.exit_code, 7) << fork;
    r = run_command(nsctl_unshare({fork}, {"sh", "-c", "kill -9 $$"}));
    EXPECT_EQ(r.signal, SIGKILL) << fork << " exit " << r.exit_code;
    r = run_command(nsctl_unshare({fork}, {"sh", "-c", "kill -TERM $$"}));
    EXPECT_EQ(r.signal, SIGTERM) << fork << " exit " << r.exit_code;
  }
  auto r = run_command(nsctl_unshare({"-n"}, {"sh", "-c", "exit 7"}));
  EXPECT_EQ(r.exit_code, 7);
  // Exec failures: 127 for a missing program, 126 otherwise, as unshare.
  for (const char* fork : {"-f", "-n"}) {
    r = run_command(nsctl_unshare({fork}, {"/nonexistent/program"}));
    EXPECT_EQ(r.exit_code, 127) << r.err;
    EXPECT_NE(r.err.find("failed to execute /nonexistent/program: No such file or directory"),
              std::string::npos)
        << r.err;
    r = run_command(nsctl_unshare({fork}, {"/etc/passwd"}));
    EXPECT_EQ(r.exit_code, 126) << r.err;
  }
  auto theirs = run_command({"unshare", "-f", "/nonexistent/program"});
  EXPECT_EQ(theirs.exit_code, 127);
}

// Runs nsctl in the background with stdout on a pipe; returns its pid, and the first line.
pid_t start_background(const std::vector<std::string>& argv, std::string* first_line) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out[1]);
  char c;
  while (::read(out[0], &c, 1) == 1 && c != '\n') first_line->push_back(c);
  ::close(out[0]);
  return pid;
}

char proc_state(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  std::size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ? 0 : stat[paren + 2];
}

TEST(Unshare, KillChildKillsTheCommandWhenNsctlDies) {
  NSCTL_REQUIRE_ROOT();
  for (const char* extra : {"-n", "-p"}) {
    // PID 1 of a pid namespace of our own: the orphaned command is reparented to us, so we can
    // tell "killed" from "still running" by reaping it.
    NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([extra] {
      std::string line;
      pid_t nsctl =
          start_background(nsctl_unshare({"--kill-child", extra},
                                         {"sh", "-c", std::string("echo $PPID; exec sleep 100")}),
                           &line);
      CHILD_CHECK(nsctl > 0 && !line.empty(), "nsctl did not start the command");
      // With -p, $PPID is 0 inside; find the command as nsctl's child instead.
      pid_t cmd = 0;
      std::string children = read_file("/proc/" + std::to_string(nsctl) + "/task/" +
                                       std::to_string(nsctl) + "/children");
      cmd = static_cast<pid_t>(std::atoi(children.c_str()));
      CHILD_CHECK(cmd > 0, "no child of nsctl (children: '%s')", children.c_str());
      CHILD_CHECK(::kill(nsctl, SIGKILL) == 0, "kill nsctl");
      int st = 0;
      CHILD_CHECK(::waitpid(nsctl, &st, 0) == nsctl, "reap nsctl");
      // The command is now our child (we are PID 1): it must die of SIGKILL, soon.
      pid_t got = 0;
      for (int i = 0; i < 500 && got == 0; ++i) {
        got = ::waitpid(cmd, &st, WNOHANG);
        if (got == 0) ::usleep(10000);
      }
      if (got == 0) {
        ::kill(cmd, SIGKILL);  // the command we started, by its pid
        ::waitpid(cmd, &st, 0);
        CHILD_CHECK(false, "the command outlived nsctl by 5 s");
      }
      CHILD_CHECK(got == cmd, "the command %d is not reparented to us", cmd);
      CHILD_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the command ended with %d", st);
      return 0;
    }));
  }
}

TEST(Unshare, ForwardSignalsDeliversSigtermAndExits143) {
  NSCTL_REQUIRE_ROOT();
  std::string line;
  pid_t nsctl = start_background(
      nsctl_unshare({"--forward-signals", "-n"}, {"sh", "-c", "echo ready; exec sleep 100"}),
      &line);
  ASSERT_GT(nsctl, 0);
  ASSERT_EQ(line, "ready");
  ASSERT_EQ(::kill(nsctl, SIGTERM), 0);
  int st = 0;
  ASSERT_EQ(::waitpid(nsctl, &st, 0), nsctl);
  ASSERT_TRUE(WIFSIGNALED(st)) << st;
  EXPECT_EQ(WTERMSIG(st), SIGTERM);  // the shell's 143
}

TEST(Unshare, WithoutForwardSignalsSigtermIsHeldBack) {
  NSCTL_REQUIRE_ROOT();
  std::string line;
  pid_t nsctl =
      start_background(nsctl_unshare({"-f"}, {"sh", "-c", "echo $$; exec sleep 100"}), &line);
  ASSERT_GT(nsctl, 0);
  pid_t cmd = std::atoi(line.c_str());
  ASSERT_GT(cmd, 0);
  ASSERT_EQ(::kill(nsctl, SIGTERM), 0);
  ::usleep(100000);
  EXPECT_NE(proc_state(nsctl), 0) << "nsctl died of SIGTERM";
  EXPECT_EQ(proc_state(cmd), 'S');
  ::kill(cmd, SIGKILL);  // the command we started, by its pid
  int st = 0;
  ASSERT_EQ(::waitpid(nsctl, &st, 0), nsctl);
  EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) << st;
}

TEST(Unshare, TimeOffsetsAreInPlaceBeforeTheCommandStarts) {
  NSCTL_REQUIRE_ROOT();
  for (const char* fork : {"-T", "-fT"}) {
    auto r = run_command(nsctl_unshare({fork, "--monotonic", "1000", "--boottime", "-500"},
                                       {"cat", "/proc/self/timens_offsets"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(squeeze(r.out), "monotonic 1000 0\nboottime -500 0\n");
  }
  auto r = run_command(nsctl_unshare({"--monotonic", "5"}, {"true"}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("require unsharing of a time namespace"), std::string::npos) << r.err;
}

TEST(Unshare, CommandSeesOnlyStandardFds) {
  NSCTL_REQUIRE_ROOT();
  // What a command started by the test runner itself gets (0, 1, 2 and whatever the runner
  // inherited without close-on-exec): nsctl must add nothing.
  auto base = run_command({"sh", "-c", "ls /proc/$$/fd"});
  ASSERT_EQ(base.exit_code, 0);
  ASSERT_EQ(base.out.rfind("0\n1\n", 0), 0u) << base.out;
  const std::vector<std::vector<std::string>> cases = {
      {"-f", "--kill-child", "-n", "-r"}, {"-fp", "--mount-proc", "-u"},
      {"--forward-signals", "-i"},        {"-n"},
      {"-T", "--monotonic", "5"},
  };
  for (const auto& opts : cases) {
    auto r = run_command(nsctl_unshare(opts, {"sh", "-c", "ls /proc/$$/fd"}));
    EXPECT_EQ(r.out, base.out) << ::testing::PrintToString(opts) << r.err;
  }
}

TEST(Unshare, EnvironmentRootDirectoryCapabilitiesAndBinfmt) {
  NSCTL_REQUIRE_ROOT();
  auto r = run_command(nsctl_unshare({"--whitelist-env", "NSCTL_A,PATH"}, {"env"}),
                       {"NSCTL_A=1", "NSCTL_B=2"});
  EXPECT_NE(r.out.find("NSCTL_A=1\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("NSCTL_B"), std::string::npos) << r.out;
  r = run_command(nsctl_unshare({"-f", "--clear-env"}, {"/usr/bin/env"}), {"NSCTL_A=1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  r = run_command(nsctl_unshare({"-R", "/", "-w", "/etc"}, {"pwd"}));
  EXPECT_EQ(r.out, "/etc\n") << r.err;
  // --keep-caps: the capabilities of the new user namespace become ambient, so they survive
  // exec; without it the ambient set is empty.
  for (const char* fork : {"-r", "-rf"}) {
    r = run_command(nsctl_unshare({fork, "--keep-caps"}, {"grep", "CapAmb", "/proc/self/status"}));
    EXPECT_EQ(r.out.find("CapAmb:\t0000000000000000"), std::string::npos) << r.out << r.err;
    r = run_command(nsctl_unshare({fork}, {"grep", "CapAmb", "/proc/self/status"}));
    EXPECT_EQ(r.out, "CapAmb:\t0000000000000000\n") << r.err;
  }
  // -l: a binfmt_misc of the user namespace's own (kernel 6.7+), not the host's.
  r = run_command(nsctl_unshare({"-fp", "-r", "-l", ":nsctltest:E::nsctltest::/bin/true:"},
                                {"cat", "/proc/sys/fs/binfmt_misc/nsctltest"}));
  if (r.exit_code == 1 && r.err.find("binfmt_misc") != std::string::npos)
    GTEST_SKIP() << "no binfmt_misc in user namespaces (kernel < 6.7): " << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("interpreter /bin/true"), std::string::npos) << r.out;
  EXPECT_NE(::access("/proc/sys/fs/binfmt_misc/nsctltest", F_OK), 0);
}

// --- Persistence and failures, in a private mount namespace with a tmpfs of the test's own ---

// Removed again however the child's function returns (the tmpfs would vanish with the child's
// mount namespace anyway; the directory would not).
struct Scratch {
  std::string dir;
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() {
    if (dir.empty()) return;
    ::umount2(dir.c_str(), MNT_DETACH);
    ::rmdir(dir.c_str());
  }
};

// In the forked child: a private mount namespace and a fresh tmpfs (private, so the nsfs bind
// mounts may go there).
int make_scratch(Scratch& s, bool shared = false) {
  if (::unshare(CLONE_NEWNS) != 0) return 77;
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return 1;
  char tmpl[] = "/tmp/nsctl-unshare-XXXXXX";
  if (!::mkdtemp(tmpl)) return 1;
  s.dir = tmpl;
  if (::mount("tmpfs", tmpl, "tmpfs", 0, nullptr) != 0) return 1;
  if (::mount(nullptr, tmpl, nullptr, shared ? MS_SHARED : MS_PRIVATE, nullptr) != 0) return 1;
  return 0;
}

bool mounted_at(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string w, point;
    f >> w >> w >> w >> w >> point;
    if (point == path) return true;
  }
  return false;
}

// Only PID 1 (the test) is left in the test's pid namespace.
std::vector<int> other_processes() {
  std::vector<int> pids;
  DIR* d = ::opendir("/proc");
  if (!d) return pids;
  while (dirent* e = ::readdir(d)) {
    int pid = std::atoi(e->d_name);
    if (pid > 1) pids.push_back(pid);
  }
  ::closedir(d);
  return pids;
}

TEST(Unshare, NetPersistenceEndToEnd) {
  NSCTL_REQUIRE_ROOT();
  for (bool fork : {true, false}) {
    NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([fork] {
      Scratch s;
      int rc = make_scratch(s);
      if (rc) return rc;
      std::string file = s.dir + "/net";
      std::vector<std::string> opts = {"--net=" + file};
      if (fork) opts.push_back("-f");
      auto r = run_command(nsctl_unshare(opts, {"readlink", "/proc/self/ns/net"}));
      CHILD_CHECK(r.exit_code == 0, "nsctl unshare failed: %s", r.err.c_str());
      CHILD_CHECK(mounted_at(file), "no bind mount on %s", file.c_str());
      struct stat st {};
      CHILD_CHECK(::stat(file.c_str(), &st) == 0, "stat %s", file.c_str());
      std::string link = "net:[" + std::to_string(st.st_ino) + "]\n";
      CHILD_CHECK(r.out == link, "the command saw %s, the file holds %s", r.out.c_str(),
                  link.c_str());
      // Listed as persistent, with its path.
      auto ls = run_command({NSCTL_BINARY, "ls", "-P", "-J", "-o", "NS,TYPE,PATH"});
      CHILD_CHECK(ls.exit_code == 0, "nsctl ls: %s", ls.err.c_str());
      auto j = nlohmann::json::parse(ls.out);
      bool listed = false;
      for (const auto& ns : j["namespaces"])
        if (ns["ns"].get<std::uint64_t>() == st.st_ino && ns["type"] == "net") listed = true;
      CHILD_CHECK(listed, "nsctl ls -P does not list %llu:\n%s",
                  static_cast<unsigned long long>(st.st_ino), ls.out.c_str());
      // Entered by util-linux.
      auto in = run_command({"nsenter", "--net=" + file, "readlink", "/proc/self/ns/net"});
      CHILD_CHECK(in.out == link, "nsenter --net=file: %s %s", in.out.c_str(), in.err.c_str());
      CHILD_CHECK(::umount2(file.c_str(), 0) == 0, "umount %s", file.c_str());
      CHILD_CHECK(!mounted_at(file), "still mounted");
      CHILD_CHECK(other_processes().empty(), "a process was left behind");
      return 0;
    }));
  }
}

TEST(Unshare, EveryTypePersistsWithFork) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    Scratch s;
    int rc = make_scratch(s);
    if (rc) return rc;
    std::vector<std::string> opts = {"-f"};
    const char* types[] = {"mount", "uts", "ipc", "net", "pid", "user", "cgroup", "time"};
    for (const char* t : types) opts.push_back(std::string("--") + t + "=" + s.dir + "/" + t);
    auto r = run_command(nsctl_unshare(opts, {"true"}));
    CHILD_CHECK(r.exit_code == 0, "nsctl unshare failed: %s", r.err.c_str());
    for (const char* t : types) {
      std::string file = s.dir + "/" + t;
      CHILD_CHECK(mounted_at(file), "no bind mount on %s", file.c_str());
      CHILD_CHECK(::umount2(file.c_str(), 0) == 0, "umount %s", file.c_str());
    }
    return 0;
  }));
}

// Each failing setup: exit 1, a message naming the cause, and no mount, no file we created, no
// process left.
TEST(Unshare, FailedSetupLeavesNothingBehind) {
  NSCTL_REQUIRE_ROOT();
  struct Case {
    std::vector<std::string> opts;  // "@" stands for the scratch directory
    std::string message;
    bool shared = false;
  };
  const Case cases[] = {
      {{"--net=/proc/nonexistent/x"}, "/proc/nonexistent/x: No such file or directory"},
      {{"-f", "--net=/proc/nonexistent/x"}, "/proc/nonexistent/x: No such file or directory"},
      {{"-f", "--net=@/net", "--uts=@/uts", "--mount-proc=/nonexistent"},
       "mount /nonexistent failed: No such file or directory"},
      {{"--net=@/net", "--mount-proc=/nonexistent"},
       "mount /nonexistent failed: No such file or directory"},
      {{"-f", "--net=@/net", "-R", "/nonexistent"},
       "cannot change root directory to '/nonexistent'"},
      {{"-f", "--net=@/net", "/nonexistent/program"}, "failed to execute /nonexistent/program"},
      {{"--net=@/net", "--map-users=1:2"}, "invalid mapping '1:2'"},
      {{"-f", "--net=@/net", "--map-users=0:100:10", "--map-users=5:1000:10"}, "overlap"},
      // A mount namespace cannot be kept on a shared mount (it would propagate into itself).
      {{"-f", "--net=@/net", "--mount=@/mnt"}, "on @/mnt failed: Invalid argument", true},
      {{"--propagation=bogus"}, "unsupported propagation mode: bogus"},
      {{"--setgroups=maybe"}, "unsupported --setgroups argument 'maybe'"},
      {{"-r", "--setgroups=allow"}, "--setgroups=allow and --map-group are mutually exclusive"},
      {{"--kill-child=NOSUCH"}, "unknown signal: NOSUCH"},
      {{"--owner=1"}, "failed to parse owner"},
      {{"-S", "x"}, "failed to parse uid: 'x'"},
  };
  for (const auto& c : cases) {
    NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([&c] {
      Scratch s;
      int rc = make_scratch(s, c.shared);
      if (rc) return rc;
      auto subst = [&](std::string v) {
        for (std::size_t at; (at = v.find('@')) != std::string::npos;) v.replace(at, 1, s.dir);
        return v;
      };
      std::vector<std::string> opts;
      for (const auto& o : c.opts) opts.push_back(subst(o));
      auto r = run_command(nsctl_unshare(opts, {"true"}));
      std::string label = ::testing::PrintToString(opts);
      CHILD_CHECK(
          r.exit_code == 1 || (r.exit_code == 127 && label.find("program") != std::string::npos),
          "%s: exit %d, stderr %s", label.c_str(), r.exit_code, r.err.c_str());
      CHILD_CHECK(r.err.find(subst(c.message)) != std::string::npos, "%s: message %s",
                  label.c_str(), r.err.c_str());
      CHILD_CHECK(r.err.rfind("nsctl: unshare: ", 0) == 0, "%s: prefix %s", label.c_str(),
                  r.err.c_str());
      for (const char* f : {"/net", "/uts", "/mnt"}) {
        CHILD_CHECK(!mounted_at(s.dir + f), "%s: %s left mounted", label.c_str(), f);
        CHILD_CHECK(::access((s.dir + f).c_str(), F_OK) != 0, "%s: %s left behind", label.c_str(),
                    f);
      }
      auto left = other_processes();
      CHILD_CHECK(left.empty(), "%s: %zu processes left (pid %d)", label.c_str(), left.size(),
                  left.empty() ? 0 : left[0]);
      return 0;
    }));
  }
}

// Under its util-linux name the binary keeps unshare's messages and exit codes.
TEST(Unshare, CompatNameMatchesUtilLinuxErrors) {
  std::string link =
      std::string(NSCTL_BINARY).substr(0, std::string(NSCTL_BINARY).rfind('/')) + "/unshare";
  const std::vector<std::vector<std::string>> cases = {
      {"--bogus"},
      {"--propagation", "foo", "true"},
      {"--setgroups", "x", "true"},
      {"--kill-child=FOO", "true"},
      {"-G", "abc", "true"},
      {"/nonexistent"},
      {"/etc/passwd"},
      {"--mount-proc=/nonexistent", "true"},
      {"-R", "/nonexistent", "true"},
      {"-r", "--setgroups", "allow", "true"},
  };
  for (const auto& args : cases) {
    std::vector<std::string> ours = {link}, theirs = {"unshare"};
    ours.insert(ours.end(), args.begin(), args.end());
    theirs.insert(theirs.end(), args.begin(), args.end());
    auto a = run_command(ours), b = run_command(theirs);
    std::string label = ::testing::PrintToString(args);
    EXPECT_EQ(a.exit_code, b.exit_code) << label << "\nours: " << a.err << "theirs: " << b.err;
    EXPECT_EQ(a.err, b.err) << label;
  }
}

}  // namespace
}  // namespace nsctl
