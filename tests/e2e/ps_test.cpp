// nsctl ps on the live system: which processes differ from the reference process in which
// namespaces, grouping, --ref, and hostile command lines. Each test runs as PID 1 of a fresh pid
// namespace with its own /proc, so the test itself is the default reference (PID 1) and the
// only other processes are the ones it starts; expected answers come from /proc/PID/ns/*.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/command.hpp"
#include "support/forked.hpp"
#include "support/probe.hpp"

namespace nsctl {
namespace {

using nlohmann::json;
using test::ns_inode;
using test::Probe;
using test::run_command;
using test::spawn_probe;

constexpr const char* kTypes[] = {"mnt", "cgroup", "uts", "ipc", "user", "pid", "net", "time"};

test::CommandResult nsctl_ps(std::vector<std::string> args) {
  args.insert(args.begin(), {NSCTL_BINARY, "ps"});
  return run_command(args);
}

// The array under `root` in an `nsctl ps -J` document, or a discarded value.
json parse_list(const std::string& text, const char* root) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains(root) || !doc[root].is_array())
    return json(json::value_t::discarded);
  return doc[root];
}

const json* find_pid(const json& processes, pid_t pid) {
  for (const auto& p : processes)
    if (p.contains("pid") && p["pid"] == pid) return &p;
  return nullptr;
}

// What nsctl ps must print as a process's namespaces: {type: inode} for each type in which it
// differs from `ref`, read from the kernel.
json expected_namespaces(pid_t pid, pid_t ref) {
  json out = json::object();
  for (const char* type : kTypes) {
    ino_t mine = ns_inode(pid, type), theirs = ns_inode(ref, type);
    if (mine && theirs && mine != theirs) out[type] = static_cast<std::uint64_t>(mine);
  }
  return out;
}

std::string dump(const json* j) { return j ? j->dump() : "<missing>"; }

// The children of a (single-threaded) process, from /proc/PID/task/PID/children.
std::vector<pid_t> children_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::vector<pid_t> out;
  for (pid_t c; in >> c;) out.push_back(c);
  return out;
}

// /proc/PID/cmdline with the NULs between arguments as spaces.
std::string command_line(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && s.back() == '\0') s.pop_back();
  std::replace(s.begin(), s.end(), '\0', ' ');
  return s;
}

// A pid that names no process: a child of ours, already reaped (pids are handed out in
// increasing order, and only this test forks in its pid namespace).
pid_t reaped_pid() {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  if (pid < 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return pid;
}

// A probe setup that forks a child which stays (in the probe's namespaces) until the probe
// dies.
int fork_a_sibling() {
  pid_t child = ::fork();
  if (child < 0) return 20;
  if (child == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    for (;;) ::pause();
  }
  return 0;
}

TEST(Ps, ListsExactlyTheProcessesThatDifferAndHow) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    Probe a = spawn_probe(CLONE_NEWNET | CLONE_NEWUTS);
    Probe b = spawn_probe(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET);
    Probe c = spawn_probe(0);
    CHILD_CHECK(a && b && c, "could not start the probes");
    CHILD_CHECK(::getpid() == 1, "not PID 1 of a new pid namespace");

    auto r = nsctl_ps({"-J"});
    CHILD_CHECK(r.exit_code == 0, "nsctl ps -J failed (%d): %s", r.exit_code, r.err.c_str());
    json procs = parse_list(r.out, "processes");
    CHILD_CHECK(!procs.is_discarded(), "not a process list:\n%s", r.out.c_str());
    CHILD_CHECK(procs.size() == 2, "%zu processes listed, expected the 2 probes:\n%s", procs.size(),
                r.out.c_str());

    const json* pa = find_pid(procs, a.pid());
    const json* pb = find_pid(procs, b.pid());
    json want_a = {{"net", ns_inode(a.pid(), "net")}, {"uts", ns_inode(a.pid(), "uts")}};
    json want_b = {{"mnt", ns_inode(b.pid(), "mnt")},
                   {"ipc", ns_inode(b.pid(), "ipc")},
                   {"net", ns_inode(b.pid(), "net")}};
    CHILD_CHECK(pa && (*pa)["namespaces"] == want_a, "probe a: %s, expected namespaces %s",
                dump(pa).c_str(), want_a.dump().c_str());
    CHILD_CHECK(pb && (*pb)["namespaces"] == want_b, "probe b: %s, expected namespaces %s",
                dump(pb).c_str(), want_b.dump().c_str());
    CHILD_CHECK(!find_pid(procs, c.pid()), "probe c (no new namespaces) is listed");
    CHILD_CHECK(!find_pid(procs, 1), "the reference (PID 1) is listed");
    for (const json* p : {pa, pb}) {
      CHILD_CHECK((*p)["ppid"] == 1, "ppid: %s", p->dump().c_str());
      CHILD_CHECK((*p)["user"] == "root", "user: %s", p->dump().c_str());
      CHILD_CHECK((*p)["container"].is_null(), "container: %s", p->dump().c_str());
      pid_t pid = (*p)["pid"].get<pid_t>();
      CHILD_CHECK((*p)["command"] == command_line(pid), "command: %s", p->dump().c_str());
    }

    // The table says the same.
    r = nsctl_ps({});
    CHILD_CHECK(r.exit_code == 0, "nsctl ps failed (%d): %s", r.exit_code, r.err.c_str());
    std::istringstream lines(r.out);
    std::string line;
    std::getline(lines, line);
    CHILD_CHECK(
        line.find("PID") != std::string::npos && line.find("NAMESPACES") != std::string::npos,
        "header: %s", line.c_str());
    std::map<pid_t, std::string> rows;
    while (std::getline(lines, line)) {
      std::istringstream fields(line);
      pid_t pid = 0;
      fields >> pid;
      rows[pid] = line;
    }
    CHILD_CHECK(rows.size() == 2 && rows.count(a.pid()) && rows.count(b.pid()), "table rows:\n%s",
                r.out.c_str());
    std::string a_text = "net:" + std::to_string(ns_inode(a.pid(), "net"));
    std::string a_uts = "uts:" + std::to_string(ns_inode(a.pid(), "uts"));
    CHILD_CHECK(rows[a.pid()].find(a_text) != std::string::npos &&
                    rows[a.pid()].find(a_uts) != std::string::npos,
                "row of a: %s", rows[a.pid()].c_str());
    return 0;
  }));
}

TEST(Ps, GroupFoldsProcessesThatShareTheirNamespaces) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    Probe a = spawn_probe(CLONE_NEWNET | CLONE_NEWUTS);
    Probe d = spawn_probe(CLONE_NEWUTS | CLONE_NEWIPC, fork_a_sibling);
    Probe c = spawn_probe(0);
    CHILD_CHECK(a && d && c, "could not start the probes");
    std::vector<pid_t> kids = children_of(d.pid());
    CHILD_CHECK(kids.size() == 1, "probe d has %zu children", kids.size());
    pid_t sibling = kids[0];
    CHILD_CHECK(ns_inode(sibling, "uts") == ns_inode(d.pid(), "uts") &&
                    ns_inode(sibling, "ipc") == ns_inode(d.pid(), "ipc"),
                "the sibling is not in d's namespaces");

    for (const char* opt : {"--group", "-g"}) {
      auto r = nsctl_ps({opt, "-J"});
      CHILD_CHECK(r.exit_code == 0, "nsctl ps %s failed (%d): %s", opt, r.exit_code, r.err.c_str());
      json groups = parse_list(r.out, "groups");
      CHILD_CHECK(!groups.is_discarded(), "not a group list:\n%s", r.out.c_str());
      CHILD_CHECK(groups.size() == 2, "%s: %zu groups, expected 2:\n%s", opt, groups.size(),
                  r.out.c_str());
      json want_d = expected_namespaces(d.pid(), 1);
      json want_a = expected_namespaces(a.pid(), 1);
      CHILD_CHECK(want_d.size() == 2 && want_a.size() == 2, "kernel view unexpected");
      const json* gd = nullptr;
      const json* ga = nullptr;
      for (const auto& g : groups) {
        if (g["namespaces"] == want_d) gd = &g;
        if (g["namespaces"] == want_a) ga = &g;
      }
      CHILD_CHECK(gd, "no group for %s:\n%s", want_d.dump().c_str(), r.out.c_str());
      CHILD_CHECK(ga, "no group for %s:\n%s", want_a.dump().c_str(), r.out.c_str());
      json pids_d = json::array({d.pid(), sibling});
      CHILD_CHECK((*gd)["nprocs"] == 2 && (*gd)["pids"] == pids_d,
                  "group of d and its child: %s, expected pids %s", gd->dump().c_str(),
                  pids_d.dump().c_str());
      CHILD_CHECK((*gd)["command"] == command_line(d.pid()), "group command: %s",
                  gd->dump().c_str());
      CHILD_CHECK((*ga)["nprocs"] == 1 && (*ga)["pids"] == json::array({a.pid()}), "group of a: %s",
                  ga->dump().c_str());
    }
    return 0;
  }));
}

TEST(Ps, RefInvertsTheView) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    Probe a = spawn_probe(CLONE_NEWNET | CLONE_NEWUTS);
    Probe c = spawn_probe(0);
    CHILD_CHECK(a && c, "could not start the probes");
    auto r = nsctl_ps({"--ref", std::to_string(a.pid()), "-J"});
    CHILD_CHECK(r.exit_code == 0, "nsctl ps --ref failed (%d): %s", r.exit_code, r.err.c_str());
    json procs = parse_list(r.out, "processes");
    CHILD_CHECK(!procs.is_discarded(), "not a process list:\n%s", r.out.c_str());
    json want = {{"net", ns_inode(1, "net")}, {"uts", ns_inode(1, "uts")}};
    const json* self = find_pid(procs, 1);
    CHILD_CHECK(self && (*self)["namespaces"] == want,
                "PID 1 (the test): %s, expected namespaces %s", dump(self).c_str(),
                want.dump().c_str());
    const json* pc = find_pid(procs, c.pid());
    CHILD_CHECK(pc && (*pc)["namespaces"] == want, "probe c: %s, expected namespaces %s",
                dump(pc).c_str(), want.dump().c_str());
    CHILD_CHECK(!find_pid(procs, a.pid()), "the reference itself is listed:\n%s", r.out.c_str());
    // Everything listed differs from a exactly as the kernel says (nsctl itself is listed too,
    // but has exited by now: it is checked like the others only if still there).
    for (const auto& p : procs) {
      pid_t pid = p["pid"].get<pid_t>();
      if (!ns_inode(pid, "net")) continue;
      CHILD_CHECK(p["namespaces"] == expected_namespaces(pid, a.pid()), "%s, kernel says %s",
                  p.dump().c_str(), expected_namespaces(pid, a.pid()).dump().c_str());
    }
    return 0;
  }));
}

TEST(Ps, RefOfAMissingProcessFails) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    pid_t gone = reaped_pid();
    CHILD_CHECK(gone > 0, "fork failed");
    for (const char* format : {"-J", "-r"}) {
      auto r = nsctl_ps({"--ref", std::to_string(gone), format});
      CHILD_CHECK(r.exit_code == 1, "--ref %d: exit %d", gone, r.exit_code);
      std::string want = "nsctl: ps: pid " + std::to_string(gone) + ": no such process";
      CHILD_CHECK(r.err.find(want) != std::string::npos, "--ref %d: stderr is %s", gone,
                  r.err.c_str());
      CHILD_CHECK(r.out.empty(), "--ref %d printed %s", gone, r.out.c_str());
    }
    for (const char* bad : {"0", "-3", "x1"}) {
      auto r = nsctl_ps({"--ref", bad});
      CHILD_CHECK(r.exit_code == 1, "--ref %s: exit %d", bad, r.exit_code);
      CHILD_CHECK(r.err.find("invalid PID argument") != std::string::npos, "--ref %s: %s", bad,
                  r.err.c_str());
    }
    return 0;
  }));
}

constexpr char kHostileComm[] = "a\x1b[31m)b";
constexpr char kHostileArg0[] = "evil\x1b[31m\nname) 0 0";

// A probe setup: names itself kHostileComm, then forks a child that execs sleep with a hostile
// argv[0]; returns once the exec has happened (the CLOEXEC pipe closes).
int hostile_setup() {
  if (::prctl(PR_SET_NAME, kHostileComm) != 0) return 30;
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return 31;
  pid_t child = ::fork();
  if (child < 0) return 32;
  if (child == 0) {
    ::close(pipefd[0]);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    char arg0[sizeof kHostileArg0];
    std::copy(std::begin(kHostileArg0), std::end(kHostileArg0), arg0);
    char arg1[] = "1000";
    char* argv[] = {arg0, arg1, nullptr};
    ::execv("/bin/sleep", argv);
    int err = errno;
    (void)::write(pipefd[1], &err, sizeof err);
    ::_exit(127);
  }
  ::close(pipefd[1]);
  int err = 0;
  ssize_t n;
  while ((n = ::read(pipefd[0], &err, sizeof err)) < 0 && errno == EINTR) {
  }
  ::close(pipefd[0]);
  return n == 0 ? 0 : 33;
}

TEST(Ps, HostileCommandIsEscapedInTablesAndExactInJson) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    std::string error;
    Probe h = spawn_probe(CLONE_NEWUTS, hostile_setup, &error);
    CHILD_CHECK(h, "probe: %s", error.c_str());
    std::vector<pid_t> kids = children_of(h.pid());
    CHILD_CHECK(kids.size() == 1, "the probe has %zu children", kids.size());
    pid_t sleeper = kids[0];
    const std::string want_command = std::string(kHostileArg0) + " 1000";
    CHILD_CHECK(command_line(sleeper) == want_command, "sleep's command line is not the one set");

    // JSON: exact text, and the comm with ')' does not shift the fields of /proc/PID/stat.
    auto r = nsctl_ps({"-J"});
    CHILD_CHECK(r.exit_code == 0, "nsctl ps -J failed (%d): %s", r.exit_code, r.err.c_str());
    json procs = parse_list(r.out, "processes");
    CHILD_CHECK(!procs.is_discarded(), "not a process list:\n%s", r.out.c_str());
    CHILD_CHECK(procs.size() == 2, "%zu processes listed:\n%s", procs.size(), r.out.c_str());
    json want_ns = {{"uts", ns_inode(h.pid(), "uts")}};
    const json* ps = find_pid(procs, sleeper);
    CHILD_CHECK(ps, "sleep %d is not listed:\n%s", sleeper, r.out.c_str());
    CHILD_CHECK((*ps)["command"] == want_command, "command of sleep: %s",
                (*ps)["command"].dump().c_str());
    CHILD_CHECK((*ps)["ppid"] == h.pid() && (*ps)["namespaces"] == want_ns, "sleep: %s",
                ps->dump().c_str());
    const json* ph = find_pid(procs, h.pid());
    CHILD_CHECK(ph, "the probe named %s is not listed:\n%s", "a\\x1b[31m)b", r.out.c_str());
    CHILD_CHECK((*ph)["ppid"] == 1 && (*ph)["namespaces"] == want_ns && (*ph)["user"] == "root" &&
                    (*ph)["command"] == command_line(h.pid()),
                "the probe named %s: %s", "a\\x1b[31m)b", ph->dump().c_str());

    r = nsctl_ps({"--group", "-J"});
    CHILD_CHECK(r.exit_code == 0, "nsctl ps --group -J failed (%d): %s", r.exit_code,
                r.err.c_str());
    json groups = parse_list(r.out, "groups");
    CHILD_CHECK(!groups.is_discarded() && groups.size() == 1, "groups:\n%s", r.out.c_str());
    CHILD_CHECK(groups[0]["nprocs"] == 2 && groups[0]["pids"] == json::array({h.pid(), sleeper}),
                "group: %s", groups[0].dump().c_str());

    // Tables: no raw ESC, no line break inside a cell; the bytes show as \xNN.
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{}, std::vector<std::string>{"-u"},
          std::vector<std::string>{"-r"}, std::vector<std::string>{"-n"},
          std::vector<std::string>{"--group"}, std::vector<std::string>{"--group", "-r"}}) {
      std::string what = "nsctl ps";
      for (const auto& a : args) what += " " + a;
      r = nsctl_ps(args);
      CHILD_CHECK(r.exit_code == 0, "%s failed (%d): %s", what.c_str(), r.exit_code, r.err.c_str());
      CHILD_CHECK(r.out.find('\x1b') == std::string::npos, "%s prints a raw ESC:\n%s", what.c_str(),
                  r.out.c_str());
      std::size_t lines = static_cast<std::size_t>(std::count(r.out.begin(), r.out.end(), '\n'));
      bool grouped = args.size() >= 1 && args[0] == "--group";
      bool heading = !(args.size() == 1 && args[0] == "-n");
      std::size_t want_lines = (grouped ? 1 : 2) + (heading ? 1 : 0);
      CHILD_CHECK(lines == want_lines, "%s: %zu lines, expected %zu:\n%s", what.c_str(), lines,
                  want_lines, r.out.c_str());
      if (!grouped)
        CHILD_CHECK(r.out.find("evil\\x1b[31m\\x0aname)") != std::string::npos,
                    "%s: the command is not shown escaped:\n%s", what.c_str(), r.out.c_str());
    }
    return 0;
  }));
}

}  // namespace
}  // namespace nsctl
