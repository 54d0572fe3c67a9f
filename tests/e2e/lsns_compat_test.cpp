// nsctl ls against util-linux lsns on the same live system. Each comparison runs as PID 1 of a
// fresh pid namespace with its own /proc, where the only processes are the ones the test
// starts, so nothing else on the machine can change the answer between the two runs.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
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

using nlohmann::json;
using test::run_command;

// lsns 2.38 cannot see namespaces held only by bind mounts; this private mount namespace
// inherited the host's (e.g. /run/netns/*). Detach those copies so both tools see the same.
int detach_nsfs_mounts() {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  std::vector<std::string> points;
  while (std::getline(mountinfo, line)) {
    if (line.find(" - nsfs ") == std::string::npos) continue;
    std::istringstream fields(line);
    std::string skip, point;
    fields >> skip >> skip >> skip >> skip >> point;
    points.push_back(point);  // (test mounts have no escaped characters)
  }
  for (const auto& p : points)
    if (::umount2(p.c_str(), MNT_DETACH) != 0) return 1;
  return 0;
}

// Probes in several new namespaces, plus plain children so some namespaces have NPROCS > 1.
std::vector<test::Probe> start_population() {
  std::vector<test::Probe> probes;
  probes.push_back(test::spawn_probe(CLONE_NEWNET | CLONE_NEWUTS));
  probes.push_back(test::spawn_probe(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC));
  probes.push_back(test::spawn_probe(CLONE_NEWCGROUP | CLONE_NEWNET));
  probes.push_back(test::spawn_probe(0));
  probes.push_back(test::spawn_probe(0));
  return probes;
}

bool all_started(const std::vector<test::Probe>& probes) {
  for (const auto& p : probes)
    if (!p) return false;
  return true;
}

TEST(LsnsCompat, JsonListAgreesOnEveryNamespaceLsnsReports) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    CHILD_CHECK(detach_nsfs_mounts() == 0, "cannot detach nsfs mounts");
    auto probes = start_population();
    CHILD_CHECK(all_started(probes), "could not start the probes");
    auto theirs = run_command({"lsns", "-J", "-l"});
    auto ours = run_command({NSCTL_BINARY, "ls", "-J", "-l"});
    CHILD_CHECK(theirs.exit_code == 0, "lsns failed: %s", theirs.err.c_str());
    CHILD_CHECK(ours.exit_code == 0, "nsctl ls failed: %s", ours.err.c_str());
    json a = json::parse(theirs.out), b = json::parse(ours.out);
    std::map<std::pair<std::uint64_t, std::string>, json> mine;
    for (const auto& ns : b["namespaces"])
      mine[{ns["ns"].get<std::uint64_t>(), ns["type"].get<std::string>()}] = ns;
    CHILD_CHECK(a["namespaces"].size() >= 8, "lsns listed only %zu namespaces",
                a["namespaces"].size());
    for (const auto& ns : a["namespaces"]) {
      auto key = std::make_pair(ns["ns"].get<std::uint64_t>(), ns["type"].get<std::string>());
      auto it = mine.find(key);
      CHILD_CHECK(it != mine.end(), "nsctl misses %s %llu", key.second.c_str(),
                  static_cast<unsigned long long>(key.first));
      for (const char* field : {"nprocs", "pid", "user", "command"})
        CHILD_CHECK(ns[field] == it->second[field], "%s %llu: %s is %s in lsns, %s in nsctl",
                    key.second.c_str(), static_cast<unsigned long long>(key.first), field,
                    ns[field].dump().c_str(), it->second[field].dump().c_str());
    }
    return 0;
  }));
}

// Byte-for-byte: the same text for the same options. pid and user namespaces are left out:
// nsctl also lists the ancestors (here the host's pid namespace) that lsns does not see.
TEST(LsnsCompat, SameOutputForTheSameOptions) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    CHILD_CHECK(detach_nsfs_mounts() == 0, "cannot detach nsfs mounts");
    auto probes = start_population();
    CHILD_CHECK(all_started(probes), "could not start the probes");
    const std::vector<std::string> types = {"-t", "net",    "-t", "uts", "-t", "ipc",
                                            "-t", "cgroup", "-t", "mnt", "-t", "time"};
    const std::vector<std::vector<std::string>> cases = {
        {},
        {"-l"},
        {"-n"},
        {"-r"},
        {"-J"},
        {"-u"},
        {"-o", "NS,TYPE,PATH,NPROCS,PID,PPID,COMMAND,UID,USER"},
        {"-o", "+PATH,PPID"},
        {"-J", "-o", "NS,TYPE,NPROCS,PID,PPID,UID,USER,PATH,ONS,PNS"},
        {"-r", "-n", "-o", "NS,TYPE,NPROCS"},
        {"-t", "net", "-W"},
        {"-t", "net"},
        {"-Tprocess", "-r"},
        {"-p", "2"},
        {"-o", "NS,TYPE,NPROCS,COMMAND", "-u"},
    };
    for (const auto& extra : cases) {
      std::vector<std::string> lsns = {"lsns"};
      std::vector<std::string> nsctl = {NSCTL_BINARY, "ls"};
      bool own_types = !extra.empty() && extra.front() == "-t";
      for (const auto& a : own_types ? std::vector<std::string>{} : types) {
        lsns.push_back(a);
        nsctl.push_back(a);
      }
      for (const auto& a : extra) {
        lsns.push_back(a);
        nsctl.push_back(a);
      }
      auto theirs = run_command(lsns);
      auto ours = run_command(nsctl);
      std::string args;
      for (const auto& a : extra) args += " " + a;
      CHILD_CHECK(theirs.exit_code == ours.exit_code, "exit codes differ for%s", args.c_str());
      CHILD_CHECK(theirs.out == ours.out, "output differs for%s:\n--- lsns\n%s--- nsctl ls\n%s",
                  args.c_str(), theirs.out.c_str(), ours.out.c_str());
    }
    return 0;
  }));
}

// nsctl says on stderr how many processes it could not read; lsns drops them silently. (Here
// PID 1 of the machine may be unreadable even for root.)
std::string without_unreadable_note(const std::string& err) {
  std::string out;
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);)
    if (line.find("could not be read") == std::string::npos) out += line + "\n";
  return out;
}

// The (child, parent) edges of a tree printed with -J.
void collect_edges(const json& rows, std::uint64_t parent,
                   std::set<std::pair<std::uint64_t, std::uint64_t>>& edges) {
  for (const auto& row : rows) {
    std::uint64_t ns = row["ns"].get<std::uint64_t>();
    if (parent) edges.emplace(ns, parent);
    if (row.contains("children")) collect_edges(row["children"], ns, edges);
  }
}

// Trees by owner and by parent: every edge lsns draws, nsctl draws too (nsctl may add rows:
// ancestors lsns does not see).
TEST(LsnsCompat, TreesHaveTheEdgesLsnsDraws) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    CHILD_CHECK(detach_nsfs_mounts() == 0, "cannot detach nsfs mounts");
    auto probes = start_population();
    CHILD_CHECK(all_started(probes), "could not start the probes");
    for (const char* tree : {"--tree=owner", "--tree=parent"}) {
      auto theirs = run_command({"lsns", "-J", tree});
      auto ours = run_command({NSCTL_BINARY, "ls", "-J", tree});
      CHILD_CHECK(theirs.exit_code == 0 && ours.exit_code == 0, "%s failed", tree);
      std::set<std::pair<std::uint64_t, std::uint64_t>> a, b;
      collect_edges(json::parse(theirs.out)["namespaces"], 0, a);
      collect_edges(json::parse(ours.out)["namespaces"], 0, b);
      CHILD_CHECK(!a.empty(), "lsns %s drew no edge", tree);
      for (const auto& e : a)
        CHILD_CHECK(b.count(e), "%s: nsctl lacks the edge %llu -> %llu", tree,
                    static_cast<unsigned long long>(e.first),
                    static_cast<unsigned long long>(e.second));
    }
    return 0;
  }));
}

// Invoked through a link named lsns, the binary is lsns: same messages, same exit codes.
TEST(LsnsCompat, LinkNamedLsnsBehavesAsLsns) {
  std::string link =
      std::string(NSCTL_BINARY).substr(0, std::string(NSCTL_BINARY).rfind('/')) + "/lsns";
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string err;
  };
  const std::vector<Case> cases = {
      {{"-t", "foo"}, 1, "lsns: unknown namespace type: foo\n"},
      {{"-o", "FOO"}, 1, "lsns: unknown column: FOO\n"},
      {{"-p", "abc"}, 1, "lsns: invalid PID argument: 'abc'\n"},
      {{"abc"}, 1, "lsns: invalid namespace argument: 'abc'\n"},
      {{"1234"}, 1, "lsns: not found namespace: 1234\n"},
      {{"--bogus"},
       1,
       "lsns: unrecognized option '--bogus'\nTry 'lsns --help' for more information.\n"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> ours = {link}, theirs = {"lsns"};
    ours.insert(ours.end(), c.args.begin(), c.args.end());
    theirs.insert(theirs.end(), c.args.begin(), c.args.end());
    auto r = run_command(ours);
    EXPECT_EQ(r.exit_code, c.code) << c.args[0];
    EXPECT_EQ(without_unreadable_note(r.err), c.err) << c.args[0];
    auto u = run_command(theirs);
    EXPECT_EQ(u.exit_code, r.exit_code) << "util-linux lsns disagrees for " << c.args[0];
  }
  // As nsctl ls, usage errors exit 2 and messages carry the command.
  auto r = run_command({NSCTL_BINARY, "ls", "--bogus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(
      r.err,
      "nsctl: ls: unrecognized option '--bogus'\nTry 'nsctl ls --help' for more information.\n");
  r = run_command({NSCTL_BINARY, "ls", "-t", "foo"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(without_unreadable_note(r.err), "nsctl: ls: unknown namespace type: foo\n");
}

}  // namespace
}  // namespace nsctl
