// The bad-input matrix of issue 7: every command (ls, ps, enter, unshare) under bad PIDs, type
// names, columns, id maps, files and conflicting options. Each row runs the binary under
// `timeout 20` in a forked child that is a child subreaper in a private mount namespace, and
// checks: the exit code (nsctl's 1 or 2, util-linux's under the compat link names, and the real
// util-linux tool's where it has the option and also rejects the input), no signal, no hang,
// stdout empty, stderr naming the bad value and the reason (escaped: no raw ESC), and for enter
// and unshare that the command never ran and nothing was left: no new mount, no file in the
// scratch directory, no process.
//
// Combinations that do not apply, and why:
//   ls      bad map syntax: ls takes no id maps. missing / non-nsfs file: ls takes no file
//           argument; its <namespace> is an inode number, so a path is rejected as "invalid
//           namespace argument". kernel thread: kthreadd has the initial namespaces and lsns
//           lists them, so `-p 2` is valid input (checked to succeed below, not in the matrix).
//   ps      unknown type / column: ps has no -t or -o (rows check the usage error instead).
//           bad map syntax, files: ps takes none. kernel thread: `--ref 2` compares with the
//           initial namespaces, a valid reference (checked to succeed below).
//   enter   unknown column: enter prints no table. unknown type: types are chosen by option,
//           so the bad type is an nsfs file of another type. bad map syntax: enter takes no
//           maps; its id values (-S/-G) stand in.
//   unshare PID inputs: unshare takes no PID; the numeric classes (huge, negative,
//           non-numeric) apply to -S, and PID 0 / kernel thread have no analogue (uid 0 is
//           valid). unknown column: no table. regular file where an nsfs file is expected: a
//           persistence target may be a regular file (it is bind-mounted over), so only the
//           directory is bad.
//
// Where util-linux 2.38 (Debian 12) accepts input that nsctl's compat names reject, following
// util-linux 2.42, the row does not compare: lsns -p 0 / -p -5 and --list --tree (2.38 does not
// check), nsenter -t 2 (2.38 joins kthreadd's namespaces), unshare -S huge/negative (2.38 wraps).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
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

namespace fs = std::filesystem;
using test::CommandResult;
using test::printable;
using test::run_command;

// How a row runs the binary.
enum class Tool {
  nsctl,  // nsctl <command> ...
  link,   // the lsns / nsenter / unshare link next to the binary
};

struct Row {
  const char* what;               // the input class, for messages
  Tool tool;                      //
  std::vector<std::string> args;  // $GONE, $SELF, $DIR are substituted
  int code;                       // the expected exit code
  std::vector<std::string> err;   // substrings stderr must hold (substituted as args)
  bool compare = false;           // also run the real util-linux tool: same exit code
  bool bare = false;              // no marker command after the arguments (an option's value
                                  // is missing: the command's words would fill it)
};

// A pid no process can have (above PID_MAX_LIMIT on 64-bit).
const std::string kGone = std::to_string(4 * 1024 * 1024);

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool pid2_is_kthreadd() { return read_text("/proc/2/comm") == "kthreadd\n"; }

std::string link_path(const char* name) {
  return (fs::path(NSCTL_BINARY).parent_path() / name).string();
}

// Mount points (field 5) of /proc/self/mountinfo.
std::multiset<std::string> mount_points() {
  std::multiset<std::string> out;
  std::istringstream in(read_text("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, devno, root, point;
    if (f >> id >> parent >> devno >> root >> point) out.insert(point);
  }
  return out;
}

// Everything under `dir`, recursively.
std::set<std::string> tree_of(const std::string& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec))
    out.insert(it->path().string());
  return out;
}

std::vector<pid_t> my_children() {
  std::istringstream in(read_text("/proc/self/task/" + std::to_string(::getpid()) + "/children"));
  std::vector<pid_t> out;
  for (pid_t p; in >> p;) out.push_back(p);
  return out;
}

// Runs one row in a forked child: a child subreaper (an orphan of the command becomes ours) in
// a private mount namespace (a mount the command leaves shows in our mountinfo and nowhere
// else), with a scratch directory holding a regular file `reg` and a directory `d`.
int run_row(const char* command, const char* link_name, const char* util_linux, const Row& row) {
  CHILD_CHECK(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  CHILD_CHECK(::unshare(CLONE_NEWNS) == 0);
  CHILD_CHECK(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0);
  char tmpl[] = "/tmp/nsctl-bad-input-XXXXXX";
  CHILD_CHECK(::mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{dir};
  CHILD_CHECK(std::ofstream(dir + "/reg") << "not a namespace\n");
  CHILD_CHECK(::mkdir((dir + "/d").c_str(), 0755) == 0);
  const std::string marker = dir + "/ran";
  auto subst = [&](std::string v) {
    for (auto [key, value] : {std::pair<std::string, std::string>{"$GONE", kGone},
                              {"$SELF", std::to_string(::getpid())},
                              {"$DIR", dir}})
      for (std::size_t at; (at = v.find(key)) != std::string::npos;)
        v.replace(at, key.size(), value);
    return v;
  };
  const bool runs_command = std::string(command) == "enter" || std::string(command) == "unshare";

  std::vector<std::string> args;
  for (const auto& a : row.args) args.push_back(subst(a));
  if (runs_command && !row.bare) args.insert(args.end(), {"/bin/sh", "-c", "touch " + marker});
  std::vector<std::string> argv = {"timeout", "20"};
  std::string prefix;
  if (row.tool == Tool::nsctl) {
    argv.insert(argv.end(), {NSCTL_BINARY, command});
    prefix = std::string("nsctl: ") + command + ": ";
  } else {
    argv.push_back(link_path(link_name));
    prefix = std::string(link_name) + ": ";
  }
  argv.insert(argv.end(), args.begin(), args.end());
  std::string label = std::string(row.tool == Tool::nsctl ? "nsctl " : "") +
                      (row.tool == Tool::nsctl ? command : link_name);
  for (const auto& a : args) label += " " + a;
  label = printable(label) + " [" + row.what + "]";

  const auto mounts_before = mount_points();
  const auto files_before = tree_of(dir);
  CommandResult r = run_command(argv);
  CHILD_CHECK(r.exit_code != 124, "%s: hung (killed by timeout after 20 s)", label.c_str());
  CHILD_CHECK(r.signal == 0 && r.exit_code < 128, "%s: crashed: exit %d, signal %d; stderr %s",
              label.c_str(), r.exit_code, r.signal, printable(r.err).c_str());
  CHILD_CHECK(r.exit_code == row.code, "%s: exit %d, expected %d; stderr %s", label.c_str(),
              r.exit_code, row.code, printable(r.err).c_str());
  CHILD_CHECK(r.out.empty(), "%s: printed on stdout: %s", label.c_str(),
              printable(r.out.substr(0, 300)).c_str());
  for (const auto& want : row.err) {
    std::string w = subst(want);
    CHILD_CHECK(r.err.find(w) != std::string::npos, "%s: stderr lacks '%s': %s", label.c_str(),
                printable(w).c_str(), printable(r.err).c_str());
  }
  if (!row.err.empty())
    CHILD_CHECK(r.err.find(prefix) != std::string::npos, "%s: stderr lacks the prefix '%s': %s",
                label.c_str(), prefix.c_str(), printable(r.err).c_str());
  // Messages echo the input escaped: no control byte but the line ends reaches the terminal.
  CHILD_CHECK(std::none_of(r.err.begin(), r.err.end(),
                           [](char c) { return (c >= 0 && c < 0x20 && c != '\n') || c == 0x7f; }),
              "%s: a raw control byte on stderr: %s", label.c_str(), printable(r.err).c_str());
  if (runs_command) {
    CHILD_CHECK(::access(marker.c_str(), F_OK) != 0, "%s: the command ran", label.c_str());
    CHILD_CHECK(mount_points() == mounts_before, "%s: the mount table changed", label.c_str());
    CHILD_CHECK(tree_of(dir) == files_before, "%s: files were left in %s", label.c_str(),
                dir.c_str());
    auto kids = my_children();
    // Leftovers are descendants of ours (we are their subreaper): kill and reap them.
    for (pid_t kid : kids) {
      ::kill(kid, SIGKILL);
      ::waitpid(kid, nullptr, 0);
    }
    CHILD_CHECK(kids.empty(), "%s: %zu processes left (pid %d)", label.c_str(), kids.size(),
                kids.empty() ? 0 : kids[0]);
  }

  // The real util-linux tool on the same input: the link must exit as it does.
  if (row.compare && ::access(util_linux, X_OK) == 0) {
    std::vector<std::string> theirs = {"timeout", "20", util_linux};
    theirs.insert(theirs.end(), args.begin(), args.end());
    CommandResult u = run_command(theirs);
    CHILD_CHECK(u.exit_code == r.exit_code, "%s: exit %d, but util-linux %s exits %d: %s",
                label.c_str(), r.exit_code, util_linux, u.exit_code, printable(u.err).c_str());
    ::unlink(marker.c_str());
  }
  return 0;
}

// ls and ps rows run in a new pid namespace with its own /proc (`new_proc`): their scans
// then read a handful of processes, not the whole machine. enter and unshare rows see the
// machine's /proc, for the kernel thread.
void run_matrix(const char* command, const char* link_name, const char* util_linux,
                const std::vector<Row>& rows, bool new_proc) {
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    auto fn = [&] { return run_row(command, link_name, util_linux, row); };
    auto child = new_proc ? test::run_in_new_proc(fn) : test::run_in_child(fn);
    EXPECT_EQ(child.exit_code, 0) << "signal " << child.signal << "\n" << child.stderr_text;
  }
}

TEST(BadInput, Ls) {
  NSCTL_REQUIRE_ROOT();
  const Tool N = Tool::nsctl, L = Tool::link;
  std::vector<Row> rows = {
      {"nonexistent PID", N, {"-p", "$GONE"}, 1, {"pid $GONE: no such process"}},
      // lsns prints nothing for a pid it cannot find, and exits 0.
      {"nonexistent PID", L, {"-p", "$GONE"}, 0, {}, true},
      {"PID 0", N, {"-p", "0"}, 1, {"invalid PID argument: '0'"}},
      {"PID 0", L, {"-p", "0"}, 1, {"invalid PID argument: '0'"}},
      {"negative PID", N, {"-p", "-5"}, 1, {"invalid PID argument: '-5'"}},
      {"negative PID", L, {"-p", "-5"}, 1, {"invalid PID argument: '-5'"}},
      {"huge PID", N, {"-p", "99999999999"}, 1, {"invalid PID argument: '99999999999'"}},
      {"huge PID", L, {"-p", "99999999999"}, 1, {"invalid PID argument: '99999999999'"}, true},
      {"non-numeric PID", N, {"--task=abc"}, 1, {"invalid PID argument: 'abc'"}},
      {"non-numeric PID", L, {"-p", "abc"}, 1, {"invalid PID argument: 'abc'"}, true},
      {"empty PID", N, {"-p", ""}, 1, {"invalid PID argument: ''"}},
      {"unknown type", N, {"-t", "bogus"}, 1, {"unknown namespace type: bogus"}},
      {"unknown type", L, {"-t", "bogus"}, 1, {"unknown namespace type: bogus"}, true},
      {"unknown type with ESC", N, {"-t", "x\x1b[2J"}, 1, {"unknown namespace type: x\\x1b[2J"}},
      {"unknown column", N, {"-o", "NS,BOGUS"}, 1, {"unknown column: BOGUS"}},
      {"unknown column", L, {"-o", "NS,BOGUS"}, 1, {"unknown column: BOGUS"}, true},
      {"unknown column after +",
       N,
       {"-o", "+TYPE,\x1b]0;pwned\x07"},
       1,
       {"unknown column: \\x1b]0;pwned\\x07"}},
      {"empty column", N, {"-o", "NS,,TYPE"}, 1, {"unknown column: "}},
      {"unknown column in filter", N, {"-Q", "BOGUS == 1"}, 1, {"filter", "BOGUS"}},
      {"unknown tree", N, {"--tree=bogus"}, 1, {"unknown tree type: bogus"}},
      {"namespace not found", N, {"999"}, 1, {"not found namespace: 999"}},
      {"namespace not found", L, {"999"}, 1, {"not found namespace: 999"}, true},
      {"path for namespace", N, {"/etc/passwd"}, 1, {"invalid namespace argument: '/etc/passwd'"}},
      {"path for namespace", L, {"$DIR/d"}, 1, {"invalid namespace argument: '$DIR/d'"}, true},
      {"list and tree", N, {"--list", "--tree"}, 2, {"--list and --tree are mutually exclusive"}},
      {"list and tree", L, {"--list", "--tree"}, 1, {"--list and --tree are mutually exclusive"}},
      {"task and namespace", N, {"-p", "1", "4026531836"}, 2, {"--task", "<namespace>"}},
      {"task and namespace", L, {"-p", "1", "4026531836"}, 1, {"--task", "<namespace>"}, true},
      {"missing column list", N, {"--output"}, 2, {"'--output' requires an argument"}},
      {"missing column list", L, {"--output"}, 1, {"'--output' requires an argument"}, true},
      {"argument to a flag",
       N,
       {"--no-sockets=x"},
       2,
       {"'--no-sockets' doesn't allow an argument"}},
      {"argument to a flag", L, {"--json=x"}, 1, {"'--json' doesn't allow an argument"}, true},
      {"missing container", N, {"--container"}, 2, {"'--container' requires an argument"}},
      {"two namespaces", N, {"4026531836", "4026531837"}, 2, {"unexpected argument '4026531837'"}},
      {"unknown option", N, {"--bogus"}, 2, {"unrecognized option '--bogus'"}},
      {"unknown option", L, {"--bogus"}, 1, {"unrecognized option '--bogus'"}, true},
  };
  run_matrix("ls", "lsns", "/usr/bin/lsns", rows, true);
}

TEST(BadInput, Ps) {
  NSCTL_REQUIRE_ROOT();
  const Tool N = Tool::nsctl;
  std::vector<Row> rows = {
      {"nonexistent PID", N, {"--ref", "$GONE"}, 1, {"pid $GONE: no such process"}},
      {"PID 0", N, {"--ref", "0"}, 1, {"invalid PID argument: '0'"}},
      {"negative PID", N, {"--ref=-5"}, 1, {"invalid PID argument: '-5'"}},
      {"huge PID", N, {"--ref", "99999999999"}, 1, {"invalid PID argument: '99999999999'"}},
      {"non-numeric PID", N, {"--ref", "1x"}, 1, {"invalid PID argument: '1x'"}},
      {"PID with ESC", N, {"--ref", "\x1b[2J"}, 1, {"invalid PID argument: '\\x1b[2J'"}},
      {"missing PID", N, {"--ref"}, 2, {"'--ref' requires an argument"}},
      {"type option", N, {"-t", "net"}, 2, {"invalid option -- 't'"}},
      {"column option", N, {"-o", "PID"}, 2, {"invalid option -- 'o'"}},
      {"extra argument", N, {"-J", "extra"}, 2, {"unexpected argument 'extra'"}},
  };
  run_matrix("ps", "", "", rows, true);
}

TEST(BadInput, Enter) {
  NSCTL_REQUIRE_ROOT();
  const Tool N = Tool::nsctl, L = Tool::link;
  std::vector<Row> rows = {
      {"nonexistent PID", N, {"-t", "$GONE", "-n"}, 1, {"pid $GONE: no such process"}},
      {"nonexistent PID", L, {"-t", "$GONE", "-n"}, 1, {"pid $GONE: no such process"}, true},
      {"PID 0", N, {"-t", "0", "-n"}, 1, {"invalid PID argument: '0'"}},
      {"PID 0", L, {"-t", "0", "-a"}, 1, {"invalid PID argument: '0'"}, true},
      {"negative PID", N, {"--target=-5", "-n"}, 1, {"invalid PID argument: '-5'"}},
      {"negative PID", L, {"-t", "-5", "-n"}, 1, {"invalid PID argument: '-5'"}, true},
      {"huge PID", N, {"-t", "99999999999", "-n"}, 1, {"invalid PID argument: '99999999999'"}},
      {"huge PID",
       L,
       {"-t", "99999999999", "-m"},
       1,
       {"invalid PID argument: '99999999999'"},
       true},
      {"non-numeric PID", N, {"-t", "abc", "-a"}, 1, {"invalid PID argument: 'abc'"}},
      {"non-numeric PID", L, {"-t", "abc", "-n"}, 1, {"invalid PID argument: 'abc'"}, true},
      {"bad pidfd inode", N, {"-t", "$SELF:x", "-n"}, 1, {"invalid inode in '$SELF:x'"}},
      {"unknown type: nsfs file of another",
       L,
       {"--net=/proc/self/ns/uts"},
       1,
       {"/proc/self/ns/uts", "a uts namespace, not net"},
       true},
      {"unknown type: option", N, {"-t", "$SELF", "--netns"}, 2, {"--netns"}},
      {"bad uid", N, {"-t", "$SELF", "-n", "-S", "abc"}, 1, {"invalid UID argument: 'abc'"}},
      {"bad uid", L, {"-t", "$SELF", "-n", "-S", "abc"}, 1, {"invalid UID argument: 'abc'"}, true},
      {"huge uid",
       N,
       {"-t", "$SELF", "-n", "-S", "99999999999"},
       1,
       {"invalid UID argument: '99999999999'"}},
      {"negative gid",
       L,
       {"-t", "$SELF", "-n", "-G", "-1"},
       1,
       {"invalid GID argument: '-1'"},
       true},
      {"missing file", N, {"--net=$DIR/none"}, 1, {"$DIR/none: No such file or directory"}},
      {"missing file", L, {"--mount=$DIR/none"}, 1, {"$DIR/none: No such file or directory"}, true},
      {"regular file", N, {"--uts=$DIR/reg"}, 1, {"$DIR/reg: not a namespace file"}},
      {"regular file", L, {"--net=$DIR/reg"}, 1, {"$DIR/reg: not a namespace file"}, true},
      {"directory", N, {"--net=$DIR/d"}, 1, {"$DIR/d: not a namespace file"}},
      {"directory", L, {"--ipc=$DIR/d"}, 1, {"$DIR/d: not a namespace file"}, true},
      {"wd and wdns",
       N,
       {"-t", "$SELF", "-n", "--wd=/", "--wdns=/"},
       2,
       {"--wd and --wdns are mutually exclusive"}},
      {"wd and wdns",
       L,
       {"-t", "$SELF", "-n", "--wd=/", "--wdns=/"},
       1,
       {"--wd and --wdns are mutually exclusive"},
       true},
      {"net-socket without target", N, {"-N", "0"}, 1, {"--net-socket requires --target"}},
      {"bad net-socket", N, {"-t", "$SELF", "-N", "x"}, 1, {"invalid socket fd: 'x'"}},
      {"all without target", L, {"-a"}, 1, {"no target PID specified for --all"}, true},
      {"follow without target", N, {"--follow"}, 1, {"--follow needs a target"}},
      {"unknown option",
       L,
       {"-t", "$SELF", "--bogus", "-n"},
       1,
       {"unrecognized option '--bogus'"},
       true},
  };
  if (pid2_is_kthreadd()) {
    rows.push_back({"kernel thread", N, {"-t", "2", "-n"}, 1, {"pid 2", "kernel thread"}});
    rows.push_back({"kernel thread", L, {"-t", "2", "-a"}, 1, {"pid 2", "kernel thread"}});
  }
  run_matrix("enter", "nsenter", "/usr/bin/nsenter", rows, false);
}

TEST(BadInput, Unshare) {
  NSCTL_REQUIRE_ROOT();
  const Tool N = Tool::nsctl, L = Tool::link;
  std::vector<Row> rows = {
      {"huge uid", N, {"-S", "99999999999"}, 1, {"failed to parse uid: '99999999999'"}},
      {"negative uid", L, {"-S", "-5"}, 1, {"failed to parse uid: '-5'"}},
      {"non-numeric gid", N, {"-G", "abc"}, 1, {"failed to parse gid: 'abc'"}},
      {"non-numeric uid", L, {"-S", "abc"}, 1, {"failed to parse uid: 'abc'"}, true},
      {"unknown user", N, {"--map-user=nosuchuser-nsctl"}, 1, {"'nosuchuser-nsctl'"}},
      {"unknown user", L, {"--map-user=nosuchuser-nsctl"}, 1, {"'nosuchuser-nsctl'"}, true},
      {"unknown propagation",
       N,
       {"--propagation=x\x1b[2J"},
       1,
       {"unsupported propagation mode: x\\x1b[2J"}},
      {"unknown setgroups", L, {"--setgroups", "maybe"}, 1, {"'maybe'"}, true},
      {"unknown signal", N, {"--kill-child=SIGBOGUS"}, 1, {"unknown signal: SIGBOGUS"}},
      {"map: not numbers", N, {"--map-users=a:b:c"}, 1, {"invalid mapping 'a:b:c'"}},
      {"map: not numbers", L, {"--map-users=a:b:c"}, 1, {"'a:b:c'"}, true},
      {"map: zero count", N, {"--map-users=0:0:0"}, 1, {"'0:0:0'"}},
      {"map: zero count", L, {"--map-groups=0:0:0"}, 1, {"'0:0:0'"}, true},
      {"map: huge id", N, {"--map-users=0:99999999999:1"}, 1, {"'0:99999999999:1'"}},
      {"map: huge id", L, {"--map-users=0:99999999999:1"}, 1, {"'0:99999999999:1'"}, true},
      {"map: four fields", N, {"--map-groups=1:2:3:4"}, 1, {"'1:2:3:4'"}},
      {"map: negative", L, {"--map-groups=-1:0:1"}, 1, {"'-1:0:1'"}, true},
      {"map: missing", N, {"--map-users"}, 2, {"'--map-users' requires an argument"}, false, true},
      {"map: missing", L, {"--map-groups"}, 1, {"'--map-groups' requires an argument"}, true, true},
      {"map: two fields", N, {"-f", "--map-users=1:2"}, 1, {"'1:2'"}},
      {"bad time offset", N, {"-T", "--monotonic=abc"}, 1, {"monotonic offset: 'abc'"}},
      {"missing directory of a persistence file",
       N,
       {"--net=$DIR/none/x"},
       1,
       {"$DIR/none/x", "No such file or directory"}},
      {"missing directory of a persistence file",
       L,
       {"--net=$DIR/none/x"},
       1,
       {"$DIR/none/x", "No such file or directory"},
       true},
      {"missing wd", N, {"-w", "$DIR/none"}, 1, {"$DIR/none", "No such file or directory"}},
      {"missing root", L, {"-R", "$DIR/none"}, 1, {"$DIR/none"}, true},
      {"directory as persistence file", N, {"--net=$DIR/d"}, 1, {"$DIR/d failed: Not a directory"}},
      {"directory as persistence file",
       L,
       {"-f", "--uts=$DIR/d"},
       1,
       {"$DIR/d failed: Not a directory"},
       true},
      {"map-root and setgroups allow",
       N,
       {"-r", "--setgroups=allow"},
       1,
       {"--setgroups=allow and --map-group are mutually exclusive"}},
      {"map-root and setgroups allow",
       L,
       {"-r", "--setgroups=allow"},
       1,
       {"--setgroups=allow and --map-group are mutually exclusive"},
       true},
      {"unknown option", N, {"--bogus"}, 2, {"unrecognized option '--bogus'"}},
      {"unknown option", L, {"--bogus"}, 1, {"unrecognized option '--bogus'"}, true},
  };
  run_matrix("unshare", "unshare", "/usr/bin/unshare", rows, false);
}

// Kernel threads are not bad input where they are only read: kthreadd (pid 2) holds the
// initial namespaces, which ls -p lists as lsns does and ps --ref compares with.
TEST(BadInput, KernelThreadIsAValidTaskAndReference) {
  NSCTL_REQUIRE_ROOT();
  if (!pid2_is_kthreadd()) GTEST_SKIP() << "pid 2 is not kthreadd here (a pid namespace?)";
  // Its namespaces, as the kernel shows them (lsns itself is O(P^2): too slow to compare
  // with on a busy machine).
  auto ours =
      run_command({"timeout", "20", NSCTL_BINARY, "ls", "-p", "2", "-n", "-r", "-o", "NS,TYPE"});
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  std::multiset<std::string> want, got;
  for (const char* type : {"mnt", "net", "uts", "ipc", "user", "pid", "cgroup", "time"})
    if (ino_t ino = test::ns_inode(2, type)) want.insert(std::to_string(ino) + " " + type);
  std::istringstream in(ours.out);
  for (std::string l; std::getline(in, l);) got.insert(l);
  EXPECT_FALSE(want.empty());
  EXPECT_EQ(got, want) << ours.out;

  auto ps = run_command({"timeout", "20", NSCTL_BINARY, "ps", "--ref", "2", "-J"});
  ASSERT_EQ(ps.exit_code, 0) << ps.err;
  auto doc = nlohmann::json::parse(ps.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << ps.out.substr(0, 300);
  EXPECT_TRUE(doc.contains("processes") && doc["processes"].is_array());
}

}  // namespace
}  // namespace nsctl
