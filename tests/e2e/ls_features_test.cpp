// What `nsctl ls` does beyond lsns, checked on the live system against the kernel's own view
// (the inodes of /proc/PID/ns/*, SIOCGSKNS, stat of nsfs bind mounts). Each test runs as PID 1
// of a fresh pid namespace with its own /proc, where the only processes are the ones the test
// starts, so the expected answer is exactly knowable.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/nsfs.h>
#include <linux/sockios.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
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
using test::visit_new_netns;

using ull = unsigned long long;

constexpr const char* kTypes[] = {"mnt", "cgroup", "uts", "ipc", "user", "pid", "net", "time"};

test::CommandResult nsctl_ls(std::vector<std::string> args) {
  args.insert(args.begin(), {NSCTL_BINARY, "ls"});
  return run_command(args);
}

// Every row of a listing, tree or not, in document order.
void flatten_into(const json& rows, std::vector<json>& out) {
  if (!rows.is_array()) return;
  for (const auto& row : rows) {
    json copy = row;
    copy.erase("children");
    out.push_back(copy);
    if (row.contains("children")) flatten_into(row["children"], out);
  }
}

// Parses `text` as an `nsctl ls -J` document; false if it is not one.
bool parse_rows(const std::string& text, std::vector<json>& rows) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("namespaces") ||
      !doc["namespaces"].is_array())
    return false;
  rows.clear();
  flatten_into(doc["namespaces"], rows);
  return true;
}

std::uint64_t ns_of(const json& row) {
  return row.contains("ns") && row["ns"].is_number_unsigned() ? row["ns"].get<std::uint64_t>() : 0;
}
std::string str_of(const json& row, const char* key) {
  return row.contains(key) && row[key].is_string() ? row[key].get<std::string>() : "<not a string>";
}
const json* find_row(const std::vector<json>& rows, std::uint64_t ino) {
  for (const auto& r : rows)
    if (ns_of(r) == ino) return &r;
  return nullptr;
}

// The kernel's view: (type, inode) of every namespace some visible process is in.
std::set<std::pair<std::string, std::uint64_t>> namespaces_with_processes() {
  std::set<std::pair<std::string, std::uint64_t>> out;
  DIR* proc = ::opendir("/proc");
  if (!proc) return out;
  while (dirent* e = ::readdir(proc)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    std::string base = std::string("/proc/") + e->d_name;
    // Threads too: a thread may sit in namespaces of its own.
    DIR* tasks = ::opendir((base + "/task").c_str());
    if (!tasks) continue;
    while (dirent* t = ::readdir(tasks)) {
      if (t->d_name[0] < '1' || t->d_name[0] > '9') continue;
      for (const char* type : kTypes)
        if (ino_t ino = ns_inode(base + "/task/" + t->d_name + "/ns/" + type))
          out.emplace(type, ino);
    }
    ::closedir(tasks);
  }
  ::closedir(proc);
  return out;
}

// A named network namespace from `ip netns add`, deleted on scope exit.
class NamedNetns {
 public:
  explicit NamedNetns(std::string name) : name_(std::move(name)) {
    auto r = run_command({"ip", "netns", "add", name_});
    added_ = r.exit_code == 0;
    error_ = r.err;
  }
  ~NamedNetns() {
    if (added_) (void)run_command({"ip", "netns", "del", name_});
  }
  NamedNetns(const NamedNetns&) = delete;
  NamedNetns& operator=(const NamedNetns&) = delete;

  bool ok() const { return added_; }
  const std::string& error() const { return error_; }
  const std::string& name() const { return name_; }
  std::string path() const { return "/run/netns/" + name_; }

 private:
  std::string name_;
  bool added_ = false;
  std::string error_;
};

// A name no other test run uses at the same time: the runner's pid (taken in the test body,
// before entering the new pid namespace where every test is PID 1).
std::string unique_netns_name(const char* tag) {
  return "nsctl-e2e-" + std::to_string(::getpid()) + "-" + tag;
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

TEST(LsFeatures, PersistentListsANamedNetnsAndNothingWithProcesses) {
  NSCTL_REQUIRE_ROOT();
  std::string name = unique_netns_name("persistent");
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([&] {
    NamedNetns netns(name);
    if (!netns.ok()) {
      std::fprintf(stderr, "ip netns add failed: %s", netns.error().c_str());
      return test::ChildResult::kSkip;
    }
    ino_t held = ns_inode(netns.path());
    CHILD_CHECK(held != 0, "cannot stat %s", netns.path().c_str());
    // Some processes in new namespaces, which -P must leave out.
    Probe a = spawn_probe(CLONE_NEWNET | CLONE_NEWUTS);
    CHILD_CHECK(a, "could not start the probe");
    for (const std::vector<std::string>& opt :
         {std::vector<std::string>{"-P"}, std::vector<std::string>{"--persistent"}}) {
      std::vector<std::string> args = opt;
      args.insert(args.end(), {"-J", "-o", "NS,TYPE,NPROCS,NSFS,HOLDERS"});
      auto r = nsctl_ls(args);
      CHILD_CHECK(r.exit_code == 0, "nsctl ls %s failed (%d): %s", opt[0].c_str(), r.exit_code,
                  r.err.c_str());
      std::vector<json> rows;
      CHILD_CHECK(parse_rows(r.out, rows), "not a listing:\n%s", r.out.c_str());
      const json* row = find_row(rows, held);
      CHILD_CHECK(row, "%s: the netns of %s (%llu) is not listed:\n%s", opt[0].c_str(),
                  netns.path().c_str(), static_cast<ull>(held), r.out.c_str());
      CHILD_CHECK(str_of(*row, "type") == "net", "type %s", row->dump().c_str());
      CHILD_CHECK((*row)["nprocs"] == 0, "nprocs of the named netns: %s", row->dump().c_str());
      CHILD_CHECK(str_of(*row, "nsfs") == netns.path(), "nsfs is %s, expected %s",
                  (*row)["nsfs"].dump().c_str(), netns.path().c_str());
      CHILD_CHECK(str_of(*row, "holders") == "mount", "holders is %s, expected \"mount\"",
                  (*row)["holders"].dump().c_str());
      // Nothing that a process is in (the kernel's view, read after the run: nsctl's own
      // namespaces are this test's).
      auto busy = namespaces_with_processes();
      for (const auto& x : rows) {
        CHILD_CHECK(x["nprocs"] == 0, "%s lists a namespace with processes: %s", opt[0].c_str(),
                    x.dump().c_str());
        CHILD_CHECK(!busy.count({str_of(x, "type"), ns_of(x)}),
                    "%s lists %s, which a process is in", opt[0].c_str(), x.dump().c_str());
      }
      for (const char* type : {"net", "uts"})
        CHILD_CHECK(!find_row(rows, ns_inode(a.pid(), type)), "-P lists the probe's %s ns", type);
    }
    return 0;
  }));
}

TEST(LsFeatures, FilterSelectsExactlyTheMatchingRows) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    Probe a = spawn_probe(CLONE_NEWNET | CLONE_NEWUTS);
    Probe b = spawn_probe(CLONE_NEWNET | CLONE_NEWIPC);
    // A netns without processes (held by an fd): NPROCS 0, which the filter must drop.
    Probe c = spawn_probe(0, [] {
      return visit_new_netns(
          [] { return ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC) >= 0 ? 0 : 1; });
    });
    CHILD_CHECK(a && b && c, "could not start the probes");

    auto r = nsctl_ls({"-J", "-Q", "TYPE == \"net\" && NPROCS > 0"});
    CHILD_CHECK(r.exit_code == 0, "nsctl ls -Q failed (%d): %s", r.exit_code, r.err.c_str());
    std::vector<json> rows;
    CHILD_CHECK(parse_rows(r.out, rows), "not a listing:\n%s", r.out.c_str());
    std::set<std::uint64_t> got;
    for (const auto& row : rows) {
      CHILD_CHECK(str_of(row, "type") == "net", "a row that is not net: %s", row.dump().c_str());
      CHILD_CHECK(row["nprocs"].is_number() && row["nprocs"].get<int>() > 0,
                  "a row with nprocs 0: %s", row.dump().c_str());
      got.insert(ns_of(row));
    }
    std::set<std::uint64_t> want;
    for (const auto& [type, ino] : namespaces_with_processes())
      if (type == "net") want.insert(ino);
    CHILD_CHECK(want.size() == 3, "expected 3 busy netns in the kernel's view, found %zu",
                want.size());
    CHILD_CHECK(got == want, "the net namespaces with processes are not the ones listed:\n%s",
                r.out.c_str());

    r = nsctl_ls({"-J", "-l", "-Q", "TYPE =~ \"^(uts|ipc)$\""});
    CHILD_CHECK(r.exit_code == 0, "nsctl ls -Q =~ failed (%d): %s", r.exit_code, r.err.c_str());
    CHILD_CHECK(parse_rows(r.out, rows), "not a listing:\n%s", r.out.c_str());
    std::set<std::pair<std::string, std::uint64_t>> listed;
    for (const auto& row : rows) {
      std::string type = str_of(row, "type");
      CHILD_CHECK(type == "uts" || type == "ipc", "=~ kept a %s row", type.c_str());
      listed.emplace(type, ns_of(row));
    }
    int uts_ipc = 0;
    for (const auto& key : namespaces_with_processes()) {
      if (key.first != "uts" && key.first != "ipc") continue;
      ++uts_ipc;
      CHILD_CHECK(listed.count(key), "=~ dropped %s %llu", key.first.c_str(),
                  static_cast<ull>(key.second));
    }
    CHILD_CHECK(uts_ipc == 4, "expected 2 uts + 2 ipc namespaces, kernel shows %d", uts_ipc);
    return 0;
  }));
}

TEST(LsFeatures, BadFilterExitsOneAndSaysWhatAndWhere) {
  struct Case {
    const char* expr;
    const char* problem;
    const char* position;
  };
  const Case cases[] = {
      {"NPROCS >", "expected a value after '>'", "position 9"},
      {"(TYPE == \"net\"", "missing ')'", "position 1"},
      {"FOO == 1", "unknown column 'FOO'", "position 1"},
  };
  for (const auto& c : cases) {
    auto r = nsctl_ls({"-J", "-Q", c.expr});
    EXPECT_EQ(r.exit_code, 1) << c.expr;
    EXPECT_TRUE(r.out.empty()) << c.expr << ": printed\n" << r.out;
    EXPECT_NE(r.err.find("nsctl: ls: "), std::string::npos) << c.expr << ": " << r.err;
    EXPECT_NE(r.err.find(c.problem), std::string::npos) << c.expr << ": " << r.err;
    EXPECT_NE(r.err.find(c.position), std::string::npos) << c.expr << ": " << r.err;
  }
}

TEST(LsFeatures, TaskListsExactlyTheEightNamespacesOfThatProcess) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    Probe a = spawn_probe(CLONE_NEWNET | CLONE_NEWUTS);
    Probe other = spawn_probe(CLONE_NEWIPC | CLONE_NEWNET);
    CHILD_CHECK(a && other, "could not start the probes");
    for (const char* opt : {"-p", "--task"}) {
      auto r = nsctl_ls({opt, std::to_string(a.pid()), "-J"});
      CHILD_CHECK(r.exit_code == 0, "nsctl ls %s failed (%d): %s", opt, r.exit_code, r.err.c_str());
      std::vector<json> rows;
      CHILD_CHECK(parse_rows(r.out, rows), "not a listing:\n%s", r.out.c_str());
      CHILD_CHECK(rows.size() == 8, "%s: %zu rows, expected 8:\n%s", opt, rows.size(),
                  r.out.c_str());
      std::map<std::string, std::uint64_t> got;
      for (const auto& row : rows) got[str_of(row, "type")] = ns_of(row);
      for (const char* type : kTypes)
        CHILD_CHECK(got[type] == ns_inode(a.pid(), type), "%s: %s is %llu, the kernel says %llu",
                    opt, type, static_cast<ull>(got[type]),
                    static_cast<ull>(ns_inode(a.pid(), type)));
    }
    return 0;
  }));
}

TEST(LsFeatures, TaskOfAMissingProcessFails) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    long pid_max = 0;
    std::ifstream("/proc/sys/kernel/pid_max") >> pid_max;
    CHILD_CHECK(pid_max > 0, "cannot read pid_max");
    pid_t gone = reaped_pid();
    CHILD_CHECK(gone > 0, "fork failed");
    for (long pid : {static_cast<long>(gone), pid_max + 1}) {
      auto r = nsctl_ls({"-p", std::to_string(pid)});
      CHILD_CHECK(r.exit_code == 1, "-p %ld: exit %d", pid, r.exit_code);
      std::string want = "pid " + std::to_string(pid) + ": no such process";
      CHILD_CHECK(r.err.find(want) != std::string::npos, "-p %ld: stderr is %s", pid,
                  r.err.c_str());
      CHILD_CHECK(r.out.empty(), "-p %ld printed %s", pid, r.out.c_str());
    }
    return 0;
  }));
}

TEST(LsFeatures, InvalidTaskArgumentFails) {
  for (const char* arg : {"0", "-5", "abc"}) {
    auto r = nsctl_ls({"-p", arg});
    EXPECT_EQ(r.exit_code, 1) << arg;
    EXPECT_NE(r.err.find("invalid PID argument"), std::string::npos) << arg << ": " << r.err;
    EXPECT_NE(r.err.find(std::string("'") + arg + "'"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << arg;
  }
}

TEST(LsFeatures, NamespaceArgumentShowsExactlyThatNamespace) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    Probe a = spawn_probe(CLONE_NEWNET | CLONE_NEWUTS);
    CHILD_CHECK(a, "could not start the probe");
    ino_t net = ns_inode(a.pid(), "net");
    auto r = nsctl_ls({"-J", "-o", "NS,TYPE,NPROCS,PID", std::to_string(net)});
    CHILD_CHECK(r.exit_code == 0, "nsctl ls %llu failed (%d): %s", static_cast<ull>(net),
                r.exit_code, r.err.c_str());
    std::vector<json> rows;
    CHILD_CHECK(parse_rows(r.out, rows), "not a listing:\n%s", r.out.c_str());
    CHILD_CHECK(rows.size() == 1, "%zu rows:\n%s", rows.size(), r.out.c_str());
    CHILD_CHECK(ns_of(rows[0]) == net, "wrong namespace: %s", rows[0].dump().c_str());
    CHILD_CHECK(str_of(rows[0], "type") == "net", "wrong type: %s", rows[0].dump().c_str());
    CHILD_CHECK(rows[0]["nprocs"] == 1 && rows[0]["pid"] == a.pid(), "not the probe's: %s",
                rows[0].dump().c_str());

    // An inode that is no namespace here (the ones nsfs hands out are near 2^32).
    r = nsctl_ls({"1234"});
    CHILD_CHECK(r.exit_code == 1, "unknown inode: exit %d", r.exit_code);
    CHILD_CHECK(r.err.find("not found namespace: 1234") != std::string::npos, "stderr: %s",
                r.err.c_str());
    CHILD_CHECK(r.out.empty(), "unknown inode printed %s", r.out.c_str());
    return 0;
  }));
}

TEST(LsFeatures, RepeatedTypeSelectsOnlyThoseTypes) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    Probe a = spawn_probe(CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC);
    CHILD_CHECK(a, "could not start the probe");
    auto r = nsctl_ls({"-J", "-t", "net", "-t", "uts", "-o", "NS,TYPE"});
    CHILD_CHECK(r.exit_code == 0, "failed (%d): %s", r.exit_code, r.err.c_str());
    std::vector<json> rows;
    CHILD_CHECK(parse_rows(r.out, rows), "not a listing:\n%s", r.out.c_str());
    std::set<std::pair<std::string, std::uint64_t>> listed;
    for (const auto& row : rows) {
      std::string type = str_of(row, "type");
      CHILD_CHECK(type == "net" || type == "uts", "-t net -t uts listed a %s row", type.c_str());
      listed.emplace(type, ns_of(row));
    }
    for (const auto& key : namespaces_with_processes())
      if (key.first == "net" || key.first == "uts")
        CHILD_CHECK(listed.count(key), "missing %s %llu", key.first.c_str(),
                    static_cast<ull>(key.second));
    CHILD_CHECK(listed.count({"net", ns_inode(a.pid(), "net")}) &&
                    listed.count({"uts", ns_inode(a.pid(), "uts")}),
                "the probe's namespaces are missing");

    r = nsctl_ls({"-t", "net", "-t", "nope"});
    CHILD_CHECK(r.exit_code == 1, "unknown type: exit %d", r.exit_code);
    CHILD_CHECK(r.err.find("unknown namespace type: nope") != std::string::npos, "stderr: %s",
                r.err.c_str());
    CHILD_CHECK(r.out.empty(), "unknown type printed %s", r.out.c_str());
    return 0;
  }));
}

TEST(LsFeatures, OutputAllHasNsctlColumnsAndUnknownColumnFails) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    auto r = nsctl_ls({"--output-all", "-J"});
    CHILD_CHECK(r.exit_code == 0, "failed (%d): %s", r.exit_code, r.err.c_str());
    std::vector<json> rows;
    CHILD_CHECK(parse_rows(r.out, rows), "not a listing:\n%s", r.out.c_str());
    CHILD_CHECK(rows.size() >= 8, "%zu rows", rows.size());
    const char* keys[] = {"ns",   "type",    "path", "nprocs", "pid", "ppid",      "command", "uid",
                          "user", "netnsid", "nsfs", "pns",    "ons", "container", "holders"};
    for (const auto& row : rows)
      for (const char* key : keys)
        CHILD_CHECK(row.contains(key), "no %s in %s", key, row.dump().c_str());
    // The table has them too.
    r = nsctl_ls({"--output-all"});
    CHILD_CHECK(r.exit_code == 0, "table failed (%d): %s", r.exit_code, r.err.c_str());
    std::string head = r.out.substr(0, r.out.find('\n'));
    CHILD_CHECK(
        head.find("CONTAINER") != std::string::npos && head.find("HOLDERS") != std::string::npos,
        "header: %s", head.c_str());

    r = nsctl_ls({"-o", "NS,BOGUS"});
    CHILD_CHECK(r.exit_code == 1, "unknown column: exit %d", r.exit_code);
    CHILD_CHECK(r.err.find("unknown column: BOGUS") != std::string::npos, "stderr: %s",
                r.err.c_str());
    CHILD_CHECK(r.out.empty(), "printed %s", r.out.c_str());
    return 0;
  }));
}

// The fd through which `probe` holds a network namespace it is not in, as /proc/PID/fd/N.
std::string held_netns_fd(const Probe& probe, ino_t& held) {
  std::string dir = "/proc/" + std::to_string(probe.pid()) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return "";
  std::string found;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string path = dir + "/" + e->d_name;
    char link[64] = {};
    if (::readlink(path.c_str(), link, sizeof link - 1) <= 0) continue;
    if (std::string(link).rfind("net:[", 0) != 0) continue;
    ino_t ino = ns_inode(path);
    if (ino && ino != ns_inode(probe.pid(), "net")) {
      held = ino;
      found = path;
    }
  }
  ::closedir(d);
  return found;
}

TEST(LsFeatures, HoldersShowsAnFdHeldNetnsWithItsPath) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    std::string error;
    Probe probe = spawn_probe(
        0,
        [] {
          return visit_new_netns(
              [] { return ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC) >= 0 ? 0 : 1; });
        },
        &error);
    CHILD_CHECK(probe, "probe: %s", error.c_str());
    ino_t held = 0;
    std::string fd_path = held_netns_fd(probe, held);
    CHILD_CHECK(!fd_path.empty(), "the probe holds no netns fd");
    auto r = nsctl_ls({"-J", "-o", "NS,TYPE,NPROCS,PATH,HOLDERS"});
    CHILD_CHECK(r.exit_code == 0, "failed (%d): %s", r.exit_code, r.err.c_str());
    std::vector<json> rows;
    CHILD_CHECK(parse_rows(r.out, rows), "not a listing:\n%s", r.out.c_str());
    const json* row = find_row(rows, held);
    CHILD_CHECK(row, "the fd-held netns %llu is not listed:\n%s", static_cast<ull>(held),
                r.out.c_str());
    CHILD_CHECK(str_of(*row, "type") == "net", "%s", row->dump().c_str());
    CHILD_CHECK((*row)["nprocs"] == 0, "nprocs: %s", row->dump().c_str());
    CHILD_CHECK(str_of(*row, "holders") == "fd", "holders: %s", row->dump().c_str());
    CHILD_CHECK(str_of(*row, "path") == fd_path, "path: %s, expected %s", row->dump().c_str(),
                fd_path.c_str());
    // The probe's own netns (that the probe is in) says so.
    const json* own = find_row(rows, ns_inode(probe.pid(), "net"));
    CHILD_CHECK(own && str_of(*own, "holders").find("process") != std::string::npos,
                "the test's netns: %s", own ? own->dump().c_str() : "missing");
    return 0;
  }));
}

// A netns bind-mounted in the probe's own mount namespace (which nsctl is not in): HOLDERS
// says mount, and NSFS reaches it through the probe's root.
TEST(LsFeatures, HoldersAndNsfsShowANetnsMountedInAnotherMountNamespace) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    std::string error;
    Probe probe = spawn_probe(
        CLONE_NEWNS,
        [] {
          if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return 40;
          if (::mount("nsctl-e2e", "/mnt", "tmpfs", 0, nullptr) != 0) return 41;
          int f = ::open("/mnt/held", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
          if (f < 0) return 42;
          ::close(f);
          return visit_new_netns(
              [] { return ::mount("/proc/self/ns/net", "/mnt/held", nullptr, MS_BIND, nullptr); });
        },
        &error);
    CHILD_CHECK(probe, "probe: %s", error.c_str());
    std::string inside = "/proc/" + std::to_string(probe.pid()) + "/root/mnt/held";
    ino_t held = ns_inode(inside);
    CHILD_CHECK(held, "cannot stat %s", inside.c_str());
    auto r = nsctl_ls({"-J", "-o", "NS,TYPE,NPROCS,NSFS,HOLDERS"});
    CHILD_CHECK(r.exit_code == 0, "failed (%d): %s", r.exit_code, r.err.c_str());
    std::vector<json> rows;
    CHILD_CHECK(parse_rows(r.out, rows), "not a listing:\n%s", r.out.c_str());
    const json* row = find_row(rows, held);
    CHILD_CHECK(row, "the mounted netns %llu is not listed:\n%s", static_cast<ull>(held),
                r.out.c_str());
    CHILD_CHECK((*row)["nprocs"] == 0, "nprocs: %s", row->dump().c_str());
    CHILD_CHECK(str_of(*row, "holders") == "mount", "holders: %s", row->dump().c_str());
    CHILD_CHECK(str_of(*row, "nsfs") == inside, "nsfs: %s, expected %s", row->dump().c_str(),
                inside.c_str());
    return 0;
  }));
}

TEST(LsFeatures, NoSocketsLeavesOutANetnsHeldOnlyByASocket) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    std::string error;
    Probe probe = spawn_probe(
        0,
        [] {
          return visit_new_netns(
              [] { return ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0) >= 0 ? 0 : 1; });
        },
        &error);
    CHILD_CHECK(probe, "probe: %s", error.c_str());
    // The socket's namespace, asked of the kernel: take the socket through the pidfd and ask
    // SIOCGSKNS.
    ino_t held = 0;
    std::string dir = "/proc/" + std::to_string(probe.pid()) + "/fd";
    DIR* d = ::opendir(dir.c_str());
    CHILD_CHECK(d, "cannot open %s", dir.c_str());
    while (dirent* e = ::readdir(d)) {
      char link[64] = {};
      if (::readlink((dir + "/" + e->d_name).c_str(), link, sizeof link - 1) <= 0) continue;
      if (std::string(link).rfind("socket:[", 0) != 0) continue;
      int sock =
          static_cast<int>(::syscall(SYS_pidfd_getfd, probe.pidfd(), std::stoi(e->d_name), 0));
      if (sock < 0) continue;
      int netns = ::ioctl(sock, SIOCGSKNS);
      struct stat st {};
      if (netns >= 0 && ::fstat(netns, &st) == 0) held = st.st_ino;
      if (netns >= 0) ::close(netns);
      ::close(sock);
    }
    ::closedir(d);
    CHILD_CHECK(held, "the probe has no socket");
    CHILD_CHECK(held != ns_inode(probe.pid(), "net"), "the socket is in the probe's own netns");

    auto r = nsctl_ls({"-J", "-t", "net", "-o", "NS,TYPE,NPROCS,PATH,HOLDERS"});
    CHILD_CHECK(r.exit_code == 0, "failed (%d): %s", r.exit_code, r.err.c_str());
    std::vector<json> rows;
    CHILD_CHECK(parse_rows(r.out, rows), "not a listing:\n%s", r.out.c_str());
    const json* row = find_row(rows, held);
    CHILD_CHECK(row, "the socket-held netns %llu is not listed:\n%s", static_cast<ull>(held),
                r.out.c_str());
    CHILD_CHECK(str_of(*row, "holders") == "socket", "holders: %s", row->dump().c_str());
    CHILD_CHECK((*row)["nprocs"] == 0, "nprocs: %s", row->dump().c_str());

    r = nsctl_ls({"-J", "-t", "net", "--no-sockets", "-o", "NS,TYPE,NPROCS,PATH,HOLDERS"});
    CHILD_CHECK(r.exit_code == 0, "--no-sockets failed (%d): %s", r.exit_code, r.err.c_str());
    CHILD_CHECK(parse_rows(r.out, rows), "not a listing:\n%s", r.out.c_str());
    CHILD_CHECK(!find_row(rows, held), "--no-sockets still lists the socket-held netns:\n%s",
                r.out.c_str());
    CHILD_CHECK(find_row(rows, ns_inode(probe.pid(), "net")), "--no-sockets lost our netns");
    return 0;
  }));
}

// The node with inode `ino` in a tree, or null.
const json* find_node(const json& rows, std::uint64_t ino) {
  if (!rows.is_array()) return nullptr;
  for (const auto& row : rows) {
    if (ns_of(row) == ino) return &row;
    if (row.contains("children"))
      if (const json* n = find_node(row["children"], ino)) return n;
  }
  return nullptr;
}

TEST(LsFeatures, OwnerTreeHangsTheNetnsUnderItsUserNamespace) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    std::string error;
    Probe probe = spawn_probe(CLONE_NEWUSER | CLONE_NEWNET, {}, &error);
    CHILD_CHECK(probe, "probe: %s", error.c_str());
    ino_t user = ns_inode(probe.pid(), "user");
    ino_t net = ns_inode(probe.pid(), "net");
    ino_t init_user = ns_inode("/proc/self/ns/user");
    CHILD_CHECK(user && net && user != init_user, "probe namespaces unreadable");

    // -T takes its argument attached (as lsns: "-T owner" reads "owner" as a namespace).
    for (const char* tree : {"-Towner", "--tree=owner"}) {
      auto r = nsctl_ls({tree, "-J", "-o", "NS,TYPE,ONS"});
      CHILD_CHECK(r.exit_code == 0, "%s failed (%d): %s", tree, r.exit_code, r.err.c_str());
      json doc = json::parse(r.out, nullptr, false);
      CHILD_CHECK(!doc.is_discarded() && doc.contains("namespaces"), "not JSON:\n%s",
                  r.out.c_str());
      const json* user_node = find_node(doc["namespaces"], user);
      CHILD_CHECK(user_node, "the probe's user ns %llu is not in the tree:\n%s",
                  static_cast<ull>(user), r.out.c_str());
      CHILD_CHECK(str_of(*user_node, "type") == "user", "%s", user_node->dump().c_str());
      CHILD_CHECK((*user_node)["ons"] == init_user, "ONS of the probe's user ns: %s",
                  (*user_node)["ons"].dump().c_str());
      bool found = false;
      if (user_node->contains("children"))
        for (const auto& child : (*user_node)["children"])
          if (ns_of(child) == net) {
            found = true;
            CHILD_CHECK(str_of(child, "type") == "net", "%s", child.dump().c_str());
            CHILD_CHECK(child["ons"] == user, "ONS of the net ns is %s, expected %llu",
                        child["ons"].dump().c_str(), static_cast<ull>(user));
          }
      CHILD_CHECK(found, "the net ns %llu is not a child of its user ns:\n%s",
                  static_cast<ull>(net), r.out.c_str());
      // The probe's user ns hangs under the initial one (ours).
      const json* init_node = find_node(doc["namespaces"], init_user);
      CHILD_CHECK(
          init_node && init_node->contains("children") && find_node((*init_node)["children"], user),
          "the probe's user ns is not under the initial user ns");
    }
    return 0;
  }));
}

TEST(LsFeatures, NetnsidMatchesIpNetnsSetAndLsns) {
  NSCTL_REQUIRE_ROOT();
  std::string name = unique_netns_name("netnsid");
  const int first_id = 1000 + static_cast<int>(::getpid() % 20000);
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([&] {
    NamedNetns netns(name);
    if (!netns.ok()) {
      std::fprintf(stderr, "ip netns add failed: %s", netns.error().c_str());
      return test::ChildResult::kSkip;
    }
    // An id nobody else took in our netns (other runs may have set some).
    int id = 0;
    for (int candidate = first_id, tries = 0; tries < 20; ++candidate, ++tries) {
      if (run_command({"ip", "netns", "set", name, std::to_string(candidate)}).exit_code == 0) {
        id = candidate;
        break;
      }
    }
    CHILD_CHECK(id, "ip netns set failed for 20 ids");
    // lsns 2.38 sees a netns only through a process: put a probe in it.
    std::string path = netns.path();
    std::string error;
    Probe probe = spawn_probe(
        0,
        [&] {
          int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
          if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) return 30;
          ::close(fd);
          return 0;
        },
        &error);
    CHILD_CHECK(probe, "probe: %s", error.c_str());
    ino_t ino = ns_inode(path);
    CHILD_CHECK(ino && ino == ns_inode(probe.pid(), "net"), "the probe is not in %s", path.c_str());

    auto ours = nsctl_ls({"-J", "-t", "net", "-o", "NS,NETNSID"});
    CHILD_CHECK(ours.exit_code == 0, "nsctl failed (%d): %s", ours.exit_code, ours.err.c_str());
    std::vector<json> mine, theirs;
    CHILD_CHECK(parse_rows(ours.out, mine), "not a listing:\n%s", ours.out.c_str());
    const json* row = find_row(mine, ino);
    CHILD_CHECK(row, "the named netns is not listed:\n%s", ours.out.c_str());
    CHILD_CHECK((*row)["netnsid"] == std::to_string(id), "netnsid is %s, expected \"%d\"",
                (*row)["netnsid"].dump().c_str(), id);
    const json* self = find_row(mine, ns_inode("/proc/self/ns/net"));
    CHILD_CHECK(self && (*self)["netnsid"] == "unassigned", "our own netns: %s",
                self ? self->dump().c_str() : "missing");

    auto lsns = run_command({"lsns", "-J", "-t", "net", "-o", "NS,NETNSID"});
    CHILD_CHECK(lsns.exit_code == 0, "lsns failed: %s", lsns.err.c_str());
    CHILD_CHECK(parse_rows(lsns.out, theirs), "lsns printed no listing:\n%s", lsns.out.c_str());
    CHILD_CHECK(find_row(theirs, ino), "lsns does not list the named netns:\n%s", lsns.out.c_str());
    for (const auto& t : theirs) {
      const json* m = find_row(mine, ns_of(t));
      CHILD_CHECK(m, "nsctl misses %s", t.dump().c_str());
      CHILD_CHECK(*m == t, "lsns says %s, nsctl says %s", t.dump().c_str(), m->dump().c_str());
    }
    return 0;
  }));
}

// A user namespace with a process in it and a child user namespace is kept alive by both: its
// HOLDERS says "process,child" (as it says "process,fd" or "process,socket" when those hold it
// too). The kernel's view: NS_GET_PARENT of the child is this namespace.
TEST(LsFeatures, HoldersOfAUserNamespaceWithAChildSaysChild) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    std::string error;
    Probe probe = spawn_probe(
        CLONE_NEWUSER,
        [] {
          pid_t child = ::fork();
          if (child < 0) return 20;
          if (child == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::unshare(CLONE_NEWUSER) != 0) ::_exit(1);
            for (;;) ::pause();
          }
          // Ready once the child is in its own user namespace.
          std::string mine = "/proc/self/ns/user";
          std::string its = "/proc/" + std::to_string(child) + "/ns/user";
          for (int i = 0; i < 5000 && ns_inode(its) == ns_inode(mine); ++i) ::usleep(1000);
          return ns_inode(its) != ns_inode(mine) ? 0 : 21;
        },
        &error);
    CHILD_CHECK(probe, "probe: %s", error.c_str());
    ino_t parent = ns_inode(probe.pid(), "user");
    auto r = nsctl_ls({"-J", "-t", "user", "-o", "NS,TYPE,NPROCS,PNS,HOLDERS"});
    CHILD_CHECK(r.exit_code == 0, "failed (%d): %s", r.exit_code, r.err.c_str());
    std::vector<json> rows;
    CHILD_CHECK(parse_rows(r.out, rows), "not a listing:\n%s", r.out.c_str());
    const json* row = find_row(rows, parent);
    CHILD_CHECK(row, "the probe's user ns is not listed:\n%s", r.out.c_str());
    bool has_child = false;
    for (const auto& x : rows) has_child = has_child || x["pns"] == parent;
    CHILD_CHECK(has_child, "no listed user ns has the probe's as parent:\n%s", r.out.c_str());
    CHILD_CHECK(str_of(*row, "holders") == "process,child",
                "HOLDERS of a user ns with a process and a child user ns is %s, expected "
                "\"process,child\":\n%s",
                (*row)["holders"].dump().c_str(), r.out.c_str());
    return 0;
  }));
}

// Sends `fd` over the unix socket `sock`.
bool send_fd(int sock, int fd) {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  return ::sendmsg(sock, &msg, 0) == 1;
}

// Receives an fd sent with send_fd, or -1.
int receive_fd(int sock) {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  if (::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1) return -1;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

// A probe setup: a short-lived child makes a user namespace U and a network namespace N owned
// by U, and hands an fd of N to the probe. Then no process is in U or N; the probe's fd holds
// N, and N holds U.
int hold_netns_of_a_dead_user_namespace() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0) return 20;
  pid_t child = ::fork();
  if (child < 0) return 21;
  if (child == 0) {
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) ::_exit(1);
    int net = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    ::_exit(net >= 0 && send_fd(sv[1], net) ? 0 : 2);
  }
  int fd = receive_fd(sv[0]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  ::close(sv[0]);
  ::close(sv[1]);
  return fd >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 22;
}

// "Every namespace on the machine": the rows listed must not depend on the columns asked for.
// A user namespace that no process is in, kept alive only as the owner of a network namespace
// that an fd holds, is listed whatever the columns (as it is with ONS or -T owner, which make
// nsctl ask NS_GET_USERNS).
TEST(LsFeatures, UserNamespaceHeldOnlyAsAnOwnerIsListedWhateverTheColumns) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    std::string error;
    Probe probe = spawn_probe(0, hold_netns_of_a_dead_user_namespace, &error);
    CHILD_CHECK(probe, "probe: %s", error.c_str());
    ino_t net = 0;
    std::string fd_path = held_netns_fd(probe, net);
    CHILD_CHECK(!fd_path.empty(), "the probe holds no netns fd");
    // The kernel's view of N's owner.
    int fd = ::open(fd_path.c_str(), O_RDONLY | O_CLOEXEC);
    CHILD_CHECK(fd >= 0, "cannot open %s", fd_path.c_str());
    int owner_fd = ::ioctl(fd, NS_GET_USERNS);
    ::close(fd);
    CHILD_CHECK(owner_fd >= 0, "NS_GET_USERNS failed");
    struct stat st {};
    ::fstat(owner_fd, &st);
    ::close(owner_fd);
    const ino_t owner = st.st_ino;
    CHILD_CHECK(owner && owner != ns_inode("/proc/self/ns/user"), "N is not owned by a new userns");

    const std::vector<std::vector<std::string>> cases = {
        {"-J", "-o", "NS,TYPE,NPROCS,HOLDERS,ONS"},
        {"-J", "--tree=owner", "-o", "NS,TYPE,NPROCS,HOLDERS"},
        {"-J", "-o", "NS,TYPE,NPROCS,HOLDERS"},
        {"-J"},
        {"-J", "-t", "user"},
        {"-J", "-P"},
    };
    std::string missing;
    for (const auto& args : cases) {
      std::string what;
      for (const auto& a : args) what += " " + a;
      auto r = nsctl_ls(args);
      CHILD_CHECK(r.exit_code == 0, "nsctl ls%s failed (%d): %s", what.c_str(), r.exit_code,
                  r.err.c_str());
      std::vector<json> rows;
      CHILD_CHECK(parse_rows(r.out, rows), "not a listing:\n%s", r.out.c_str());
      const json* row = find_row(rows, owner);
      if (!row) {
        missing += "  nsctl ls" + what + "\n";
        continue;
      }
      CHILD_CHECK(str_of(*row, "type") == "user" && (*row)["nprocs"] == 0, "nsctl ls%s: %s",
                  what.c_str(), row->dump().c_str());
      if (row->contains("holders"))
        CHILD_CHECK(str_of(*row, "holders") == "child", "nsctl ls%s: holders %s", what.c_str(),
                    row->dump().c_str());
    }
    CHILD_CHECK(missing.empty(),
                "user ns %llu (no process; owner of the netns %llu that only an fd holds) is "
                "missing from:\n%s",
                static_cast<ull>(owner), static_cast<ull>(net), missing.c_str());
    return 0;
  }));
}

// Invoked as lsns, NSFS is lsns's: the mount points in nsctl's own mount namespace, once. A
// process in another mount namespace that has a copy of the same bind mount (what `ip netns
// exec` does: a new mount namespace, then setns into the named netns) adds nothing.
TEST(LsFeatures, LsnsLinkShowsNsfsAsLsnsDoesWhenAnotherMountNamespaceHasTheMount) {
  NSCTL_REQUIRE_ROOT();
  std::string name = unique_netns_name("nsfs");
  std::string link =
      std::string(NSCTL_BINARY).substr(0, std::string(NSCTL_BINARY).rfind('/')) + "/lsns";
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([&] {
    NamedNetns netns(name);
    if (!netns.ok()) {
      std::fprintf(stderr, "ip netns add failed: %s", netns.error().c_str());
      return test::ChildResult::kSkip;
    }
    std::string path = netns.path();
    std::string error;
    Probe probe = spawn_probe(
        CLONE_NEWNS,
        [&] {
          int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
          if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) return 30;
          ::close(fd);
          return 0;
        },
        &error);
    CHILD_CHECK(probe, "probe: %s", error.c_str());
    ino_t ino = ns_inode(path);
    CHILD_CHECK(ino && ino == ns_inode(probe.pid(), "net"), "the probe is not in %s", path.c_str());
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"-J", "-t", "net", "-o", "NS,NPROCS,NSFS"},
          std::vector<std::string>{"-t", "net", "-o", "NS,NPROCS,NSFS"}}) {
      std::vector<std::string> theirs = {"lsns"}, ours = {link};
      theirs.insert(theirs.end(), args.begin(), args.end());
      ours.insert(ours.end(), args.begin(), args.end());
      auto a = run_command(theirs);
      auto b = run_command(ours);
      CHILD_CHECK(a.exit_code == 0 && b.exit_code == 0, "lsns %d, nsctl as lsns %d: %s",
                  a.exit_code, b.exit_code, b.err.c_str());
      CHILD_CHECK(a.out.find(path) != std::string::npos, "lsns does not show %s:\n%s", path.c_str(),
                  a.out.c_str());
      CHILD_CHECK(a.out == b.out, "%s: output differs:\n--- lsns\n%s--- nsctl as lsns\n%s",
                  args[0].c_str(), a.out.c_str(), b.out.c_str());
    }
    return 0;
  }));
}

// Invoked as lsns, the binary keeps lsns's meaning where nsctl ls chose another: a namespace
// argument lists that namespace's processes (columns PID PPID USER COMMAND), -p of a pid that
// does not exist prints nothing and succeeds, and "-T=owner" is "--tree=owner".
TEST(LsFeatures, LsnsLinkKeepsLsnsMeaningWhereNsctlLsDiffers) {
  NSCTL_REQUIRE_ROOT();
  std::string link =
      std::string(NSCTL_BINARY).substr(0, std::string(NSCTL_BINARY).rfind('/')) + "/lsns";
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([&] {
    Probe a = spawn_probe(CLONE_NEWNET | CLONE_NEWUTS);
    Probe b = spawn_probe(0);
    CHILD_CHECK(a && b, "could not start the probes");
    pid_t gone = reaped_pid();
    struct Case {
      std::vector<std::string> args;
      bool compare_output;
    };
    const std::vector<Case> cases = {
        {{std::to_string(ns_inode(a.pid(), "net"))}, true},
        {{"-p", std::to_string(gone)}, true},
        {{"-T=owner", "-t", "net", "-o", "NS,TYPE"}, false},
    };
    std::string differences;
    for (const auto& c : cases) {
      std::vector<std::string> theirs = {"lsns"}, ours = {link};
      theirs.insert(theirs.end(), c.args.begin(), c.args.end());
      ours.insert(ours.end(), c.args.begin(), c.args.end());
      auto u = run_command(theirs);
      auto n = run_command(ours);
      std::string what;
      for (const auto& x : c.args) what += " " + x;
      if (u.exit_code != n.exit_code || (c.compare_output && u.out != n.out))
        differences += "lsns" + what + ": util-linux exits " + std::to_string(u.exit_code) +
                       " with\n" + u.out + u.err + "  nsctl as lsns exits " +
                       std::to_string(n.exit_code) + " with\n" + n.out + n.err + "\n";
    }
    CHILD_CHECK(differences.empty(), "%s", differences.c_str());
    return 0;
  }));
}

}  // namespace
}  // namespace nsctl
