// nsctl run end to end: each feature checked from inside the sandbox (the command prints what it
// sees; the test parses it) against a busybox root the test builds, and where the kernel keeps a
// view outside (cgroups, veth, processes) from the test's side too.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "nsctl/netconf.hpp"
#include "support/busybox_root.hpp"
#include "support/command.hpp"
#include "support/forked.hpp"
#include "support/probe.hpp"

extern char** environ;

namespace nsctl {
namespace {

using test::BusyboxRoot;
using test::CommandResult;
using test::printable;
using test::run_command;
using namespace std::chrono_literals;

// --- Helpers ---

std::vector<std::string> nsctl_run(const std::vector<std::string>& opts,
                                   const std::vector<std::string>& cmd) {
  std::vector<std::string> argv = {NSCTL_BINARY, "run"};
  argv.insert(argv.end(), opts.begin(), opts.end());
  argv.push_back("--");
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  return argv;
}

std::vector<std::string> sh(const std::string& script) { return {"sh", "-c", script}; }

std::string describe(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + ", signal " + std::to_string(r.signal) +
         "\nstdout:\n" + printable(r.out, 6000) + "\nstderr:\n" + printable(r.err, 3000);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\n");
  auto e = s.find_last_not_of(" \t\n");
  return b == std::string::npos ? "" : s.substr(b, e + 1 - b);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// "Max open files    64   128   files" -> "Max open files 64 128 files", per line.
std::string squeeze(const std::string& text) {
  std::string out;
  for (const auto& l : lines(text)) {
    std::istringstream words(l);
    std::string w, joined;
    while (words >> w) joined += (joined.empty() ? "" : " ") + w;
    out += joined + "\n";
  }
  return out;
}

// The output cut at header lines "== name ==": name -> what follows up to the next header.
std::map<std::string, std::string> sections(const std::string& out) {
  std::map<std::string, std::string> s;
  std::string current;
  for (const auto& l : lines(out)) {
    if (l.size() > 6 && l.rfind("== ", 0) == 0 && l.compare(l.size() - 3, 3, " ==") == 0) {
      current = l.substr(3, l.size() - 6);
      s[current];
      continue;
    }
    s[current] += l + "\n";
  }
  return s;
}

// "Name" -> "value" for the lines of a /proc/PID/status text.
std::map<std::string, std::string> status_fields(const std::string& text) {
  std::map<std::string, std::string> fields;
  for (const auto& l : lines(text)) {
    auto colon = l.find(':');
    if (colon != std::string::npos) fields[l.substr(0, colon)] = trim(l.substr(colon + 1));
  }
  return fields;
}

struct MountLine {
  std::string point, options, fstype, source, super;
};

// Mount point -> its topmost mount, from a /proc/PID/mountinfo text.
std::map<std::string, MountLine> parse_mountinfo(const std::string& text) {
  std::map<std::string, MountLine> mounts;
  for (const auto& l : lines(text)) {
    std::istringstream f(l);
    std::string id, parent, dev, root, w;
    MountLine m;
    if (!(f >> id >> parent >> dev >> root >> m.point >> m.options)) continue;
    while (f >> w && w != "-") {
    }
    f >> m.fstype >> m.source >> m.super;
    mounts[m.point] = m;
  }
  return mounts;
}

bool has_option(const std::string& list, const std::string& option) {
  std::istringstream in(list);
  for (std::string o; std::getline(in, o, ',');)
    if (o == option) return true;
  return false;
}

// A program the test starts itself when it must know its pid or talk to it while it runs:
// stdin is /dev/null, stdout and stderr go to pipes. `env` entries replace the caller's
// variables of the same name. Killed (by its pid, which cannot be reused while it is our
// unreaped child) and reaped when it goes out of scope.
class Started {
 public:
  Started(const std::vector<std::string>& argv, const std::vector<std::string>& env = {}) {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    if (::pipe2(err, O_CLOEXEC) != 0) {
      ::close(out[0]);
      ::close(out[1]);
      return;
    }
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
      std::string entry(*e);
      std::string name = entry.substr(0, entry.find('='));
      bool replaced = false;
      for (const auto& x : env) replaced = replaced || x.rfind(name + "=", 0) == 0;
      if (!replaced) env_strings.push_back(entry);
    }
    env_strings.insert(env_strings.end(), env.begin(), env.end());
    std::vector<char*> args, envp;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
      int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(out[1], 1) < 0 || ::dup2(err[1], 2) < 0)
        ::_exit(120);
      ::execve(args[0], args.data(), envp.data());
      ::_exit(121);
    }
    ::close(out[1]);
    ::close(err[1]);
    if (pid < 0) {
      ::close(out[0]);
      ::close(err[0]);
      return;
    }
    pid_ = pid;
    out_ = out[0];
    err_ = err[0];
  }
  Started(const Started&) = delete;
  Started& operator=(const Started&) = delete;
  ~Started() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      reap(true);
    }
    for (int fd : {out_, err_})
      if (fd >= 0) ::close(fd);
  }
  explicit operator bool() const { return pid_ > 0 || result_.exit_code >= 0 || result_.signal; }
  pid_t pid() const { return pid_; }

  // The next line of stdout (without '\n'); nullopt at EOF or after `limit`.
  std::optional<std::string> line(std::chrono::milliseconds limit = 10000ms) {
    auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
      auto nl = result_.out.find('\n', consumed_);
      if (nl != std::string::npos) {
        std::string l = result_.out.substr(consumed_, nl - consumed_);
        consumed_ = nl + 1;
        return l;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (out_ < 0 || left.count() <= 0) return std::nullopt;
      read_some(static_cast<int>(left.count()));
    }
  }

  // Waits up to `limit` for the program to end (then kills it) and returns everything it
  // printed, with how it ended.
  CommandResult wait(std::chrono::milliseconds limit = 60000ms) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (out_ >= 0 || err_ >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        result_.err += "\n[test: killed after the time limit]";
        ::kill(pid_, SIGKILL);
        break;
      }
      read_some(static_cast<int>(left.count()));
    }
    if (pid_ > 0) reap(false);
    return result_;
  }

 private:
  void read_some(int timeout_ms) {
    pollfd p[2] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}};
    if (::poll(p, 2, timeout_ms) <= 0) return;
    int* fds[2] = {&out_, &err_};
    std::string* sinks[2] = {&result_.out, &result_.err};
    for (int i = 0; i < 2; ++i) {
      if (*fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      ssize_t n = ::read(*fds[i], buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(*fds[i]);
        *fds[i] = -1;
      }
    }
  }
  void reap(bool quiet) {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    if (quiet) return;
    if (WIFEXITED(status)) result_.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result_.signal = WTERMSIG(status);
  }

  pid_t pid_ = -1;
  int out_ = -1, err_ = -1;
  std::size_t consumed_ = 0;
  CommandResult result_;
};

// The children of `pid` (its main thread's), from /proc/PID/task/PID/children.
std::vector<pid_t> children_of(pid_t pid) {
  std::istringstream in(
      read_text("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children"));
  std::vector<pid_t> out;
  for (pid_t c; in >> c;) out.push_back(c);
  return out;
}

// The first child of `pid`, waited for up to 5 s; 0 if none comes.
pid_t wait_for_child(pid_t pid) {
  for (int i = 0; i < 500; ++i) {
    auto c = children_of(pid);
    if (!c.empty()) return c.front();
    std::this_thread::sleep_for(10ms);
  }
  return 0;
}

// A scratch directory on a tmpfs of its own, in a private mount namespace: for a forked child.
// The tmpfs goes with the child's mount namespace; the directory is removed here.
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
  // Returns 0, 77 (no mount namespace) or 1.
  int make() {
    if (::unshare(CLONE_NEWNS) != 0) return 77;
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return 1;
    char tmpl[] = "/tmp/nsctl-run-scratch-XXXXXX";
    if (!::mkdtemp(tmpl)) return 1;
    dir = tmpl;
    if (::mount("tmpfs", tmpl, "tmpfs", 0, "mode=755") != 0) return 1;
    return 0;
  }
};

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out.flush());
}

// Every test gets a busybox root of its own.
class Run : public ::testing::Test {
 protected:
  void SetUp() override {
    NSCTL_REQUIRE_ROOT();
    if (!BusyboxRoot::available()) GTEST_SKIP() << "busybox-static is not installed";
    root_ = std::make_unique<BusyboxRoot>();
    ASSERT_TRUE(root_->ok()) << root_->error();
  }
  const std::string& root() const { return root_->path(); }
  // nsctl run --root <busybox root> opts -- cmd
  std::vector<std::string> in_root(std::vector<std::string> opts,
                                   const std::vector<std::string>& cmd) const {
    opts.insert(opts.begin(), {"--root", root()});
    return nsctl_run(opts, cmd);
  }
  CommandResult run_sh(const std::vector<std::string>& opts, const std::string& script) const {
    return run_command(in_root(opts, sh(script)));
  }

  std::unique_ptr<BusyboxRoot> root_;
};

// --- PID 1 and the process tree ---

TEST_F(Run, InitIsPid1AndTheCommandIsPid2) {
  auto r = run_sh({"--proc", "/proc"}, "cat /proc/1/comm; echo $$");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "nsctl-init\n2\n");
  // (Not the script's last command, which the shell would exec in its own place.)
  r = run_sh({"--proc", "/proc", "--as-pid-1"}, "echo $$; cat /proc/1/comm; true");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "1\nsh\n");
}

// The command's child double-forks: the grandchild (a sleep) is orphaned, reparented to PID 1
// (nsctl-init), and when it exits, init must reap it: no zombie is left in the sandbox.
TEST_F(Run, InitReapsOrphans) {
  auto r = run_sh({"--proc", "/proc", "--dev", "/dev"},
                  "o=$(sh -c 'sleep 0.5 >/dev/null 2>&1 & echo $!')\n"
                  "read -r pid comm state ppid rest < /proc/$o/stat\n"
                  "echo \"$o $state $ppid\"\n"
                  // A zombie keeps its /proc entry: this waits for the reaping, up to 5 s.
                  "i=0; while [ -e /proc/$o ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done\n"
                  "echo '== after =='\n"
                  "cat /proc/[0-9]*/stat; true\n");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto s = sections(r.out);
  std::istringstream first(s[""]);
  std::string orphan, state, ppid;
  first >> orphan >> state >> ppid;
  ASSERT_FALSE(orphan.empty()) << describe(r);
  EXPECT_EQ(ppid, "1") << "the orphan was not reparented to init: " << describe(r);
  int processes = 0;
  for (const auto& l : lines(s["after"])) {
    auto paren = l.rfind(')');
    ASSERT_NE(paren, std::string::npos) << l;
    std::string pid = l.substr(0, l.find(' '));
    char st = paren + 2 < l.size() ? l[paren + 2] : '?';
    EXPECT_NE(st, 'Z') << "zombie in the sandbox: " << l;
    EXPECT_NE(pid, orphan) << "the orphan is still there: " << l;
    ++processes;
  }
  // (The glob is expanded before cat starts.)
  EXPECT_EQ(processes, 2) << "expected init and sh: " << s["after"];
}

// --- Filesystem ---

TEST_F(Run, RootIsTheBusyboxRootAndTheHostIsHidden) {
  auto r = run_sh({"--proc", "/proc"},
                  "cat /etc/nsctl-test-root\n"
                  "for p in /work /usr/bin/env /usr /home /lib /var; do\n"
                  "  if [ -e $p ]; then echo \"visible $p\"; fi\n"
                  "done\n"
                  "echo '== mountinfo =='\n"
                  "cat /proc/self/mountinfo\n");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto s = sections(r.out);
  EXPECT_EQ(s[""], root_->marker_text()) << "not the test's root, or a host path is visible";
  // pivot_root with the old root detached: the root and /proc, nothing of the host's.
  std::set<std::string> points;
  for (const auto& [point, m] : parse_mountinfo(s["mountinfo"])) points.insert(point);
  EXPECT_EQ(points, (std::set<std::string>{"/", "/proc"})) << s["mountinfo"];
}

// Every mount option, seen in the sandbox's mountinfo and by using the mounts. The bind sources
// and the overlay's directories are on a tmpfs of a private mount namespace of the test's (a
// forked child), and the read-only bind's source has a tmpfs submount: --ro-bind must make the
// whole tree read-only.
TEST_F(Run, MountOptionsTakeEffect) {
  // The character devices --dev binds from the host, as "major:minor" in hex (stat's %t:%T).
  std::map<std::string, std::string> devices;
  for (const char* d : {"null", "zero", "full", "random", "urandom", "tty"}) {
    struct stat st {};
    ASSERT_EQ(::stat((std::string("/dev/") + d).c_str(), &st), 0) << d;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%x:%x", major(st.st_rdev), minor(st.st_rdev));
    devices[d] = buf;
  }
  NSCTL_EXPECT_CHILD_OK([&] {
    Scratch scratch;
    if (int rc = scratch.make()) return rc;
    const std::string& s = scratch.dir;
    for (const char* d : {"/ro", "/ro/sub", "/rw", "/lower", "/upper", "/work"})
      CHILD_CHECK(::mkdir((s + d).c_str(), 0755) == 0, "mkdir %s", d);
    CHILD_CHECK(::mount("tmpfs", (s + "/ro/sub").c_str(), "tmpfs", 0, nullptr) == 0, "submount");
    CHILD_CHECK(write_file(s + "/ro/sub/file", "sub\n") && write_file(s + "/lower/low", "low\n"));
    auto r = run_command(in_root(
        {"--proc",     "/proc",     "--dev",   "/dev",    "--ro-bind", s + "/ro",   "/mnt/ro",
         "--bind",     s + "/rw",   "/mnt/rw", "--tmpfs", "/mnt/tmp",  "--overlay", s + "/lower",
         s + "/upper", s + "/work", "/mnt/ov", "--tmpfs", "/new/dir",  "--chdir",   "/mnt/rw"},
        sh("pwd\n"
           "echo '== use =='\n"
           "cat /mnt/ro/sub/file /mnt/ov/low\n"
           "echo through-overlay > /mnt/ov/written && echo ov-written\n"
           "echo rw > written && echo rw-written\n"
           "touch /mnt/ro/x 2>&1; touch /mnt/ro/sub/x 2>&1\n"
           "echo x > /dev/null && echo null-ok\n"
           "head -c 3 /dev/zero | od -An -tx1\n"
           "echo '== dev =='\n"
           "ls -A /dev\n"
           "echo '== devices =='\n"
           "for d in null zero full random urandom tty; do stat -c \"$d %F %t:%T\" /dev/$d; done\n"
           "echo '== links =='\n"
           "for l in ptmx fd stdin stdout stderr core; do echo \"$l $(readlink /dev/$l)\"; done\n"
           "echo '== mountinfo =='\n"
           "cat /proc/self/mountinfo\n")));
    CHILD_CHECK(r.exit_code == 0, "%s", describe(r).c_str());
    auto sec = sections(r.out);
    std::string all = describe(r);
    CHILD_CHECK(sec[""] == "/mnt/rw\n", "--chdir: %s", all.c_str());
    std::string use = sec["use"];
    CHILD_CHECK(use.find("sub\nlow\nov-written\nrw-written\n") == 0, "%s", all.c_str());
    CHILD_CHECK(use.find("touch: /mnt/ro/x: Read-only file system") != std::string::npos &&
                    use.find("touch: /mnt/ro/sub/x: Read-only file system") != std::string::npos,
                "--ro-bind is not read-only in its whole tree:\n%s", all.c_str());
    CHILD_CHECK(use.find("null-ok\n 00 00 00\n") != std::string::npos, "%s", all.c_str());
    // The overlay wrote to its upper directory, not the lower one.
    CHILD_CHECK(read_text(s + "/upper/written") == "through-overlay\n", "upper: %s", all.c_str());
    CHILD_CHECK(::access((s + "/lower/written").c_str(), F_OK) != 0, "written to lowerdir");
    CHILD_CHECK(read_text(s + "/rw/written") == "rw\n", "--bind is not the source: %s",
                all.c_str());
    // The missing mount point was created inside the root.
    struct stat st {};
    CHILD_CHECK(::stat(root_->host_path("/new/dir").c_str(), &st) == 0 && S_ISDIR(st.st_mode),
                "--tmpfs /new/dir did not create its mount point in the root");

    std::set<std::string> dev;
    for (const auto& l : lines(sec["dev"])) dev.insert(l);
    const std::set<std::string> want_dev = {"null",  "zero",   "full",   "random", "urandom",
                                            "tty",   "pts",    "ptmx",   "shm",    "fd",
                                            "stdin", "stdout", "stderr", "core"};
    CHILD_CHECK(dev == want_dev, "/dev holds:\n%s", sec["dev"].c_str());
    for (const auto& [name, rdev] : devices) {
      std::string want = name + " character special file " + rdev + "\n";
      CHILD_CHECK(sec["devices"].find(want) != std::string::npos, "/dev/%s: want %s in\n%s",
                  name.c_str(), rdev.c_str(), sec["devices"].c_str());
    }
    CHILD_CHECK(sec["links"] ==
                    "ptmx pts/ptmx\nfd /proc/self/fd\nstdin /proc/self/fd/0\n"
                    "stdout /proc/self/fd/1\nstderr /proc/self/fd/2\ncore /proc/kcore\n",
                "/dev links:\n%s", sec["links"].c_str());

    auto m = parse_mountinfo(sec["mountinfo"]);
    std::string mi = sec["mountinfo"];
    auto mounted = [&](const std::string& p) { return m.count(p) != 0; };
    for (const char* p : {"/", "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/null", "/mnt/ro",
                          "/mnt/ro/sub", "/mnt/rw", "/mnt/tmp", "/mnt/ov", "/new/dir"})
      CHILD_CHECK(mounted(p), "no mount on %s:\n%s", p, mi.c_str());
    CHILD_CHECK(has_option(m["/"].options, "rw"), "/ is not rw without --ro");
    CHILD_CHECK(
        has_option(m["/mnt/ro"].options, "ro") && has_option(m["/mnt/ro/sub"].options, "ro"),
        "--ro-bind:\n%s", mi.c_str());
    CHILD_CHECK(m["/mnt/ro/sub"].fstype == "tmpfs", "the submount is missing:\n%s", mi.c_str());
    CHILD_CHECK(has_option(m["/mnt/rw"].options, "rw"), "--bind is not rw:\n%s", mi.c_str());
    CHILD_CHECK(m["/mnt/tmp"].fstype == "tmpfs" && has_option(m["/mnt/tmp"].options, "nosuid") &&
                    has_option(m["/mnt/tmp"].options, "nodev"),
                "--tmpfs:\n%s", mi.c_str());
    CHILD_CHECK(m["/proc"].fstype == "proc", "--proc:\n%s", mi.c_str());
    CHILD_CHECK(m["/dev"].fstype == "tmpfs" && m["/dev/pts"].fstype == "devpts" &&
                    m["/dev/shm"].fstype == "tmpfs",
                "--dev:\n%s", mi.c_str());
    const MountLine& ov = m["/mnt/ov"];
    CHILD_CHECK(ov.fstype == "overlay" && has_option(ov.super, "lowerdir=" + s + "/lower") &&
                    has_option(ov.super, "upperdir=" + s + "/upper") &&
                    has_option(ov.super, "workdir=" + s + "/work"),
                "--overlay:\n%s", mi.c_str());
    return 0;
  });
}

TEST_F(Run, ReadOnlyRootKeepsItsTmpfsWritable) {
  auto r = run_sh({"--ro", "--tmpfs", "/tmp", "--proc", "/proc"},
                  "touch /x 2>&1; touch /tmp/x && echo tmp-ok\n"
                  "echo '== mountinfo =='\n"
                  "cat /proc/self/mountinfo\n");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto s = sections(r.out);
  EXPECT_EQ(s[""], "touch: /x: Read-only file system\ntmp-ok\n");
  auto m = parse_mountinfo(s["mountinfo"]);
  EXPECT_TRUE(has_option(m["/"].options, "ro")) << s["mountinfo"];
  EXPECT_TRUE(has_option(m["/tmp"].options, "rw")) << s["mountinfo"];
  EXPECT_NE(::access(root_->host_path("/x").c_str(), F_OK), 0);
}

// Without --root the mounts go over the caller's own directories, in the sandbox's mount
// namespace only.
TEST_F(Run, WithoutRootMountsCoverTheCallersTreeInsideOnly) {
  NSCTL_EXPECT_CHILD_OK([] {
    Scratch scratch;
    if (int rc = scratch.make()) return rc;
    std::string target = scratch.dir + "/target";
    CHILD_CHECK(::mkdir(target.c_str(), 0755) == 0 && write_file(target + "/host-file", "x"));
    std::string before = read_text("/proc/self/mountinfo");
    auto r = run_command(
        nsctl_run({"--tmpfs", target},
                  {"/bin/sh", "-c",
                   "ls -A " + target + "; echo '== mountinfo =='; cat /proc/self/mountinfo"}));
    CHILD_CHECK(r.exit_code == 0, "%s", describe(r).c_str());
    auto s = sections(r.out);
    CHILD_CHECK(s[""].empty(), "the tmpfs does not cover the directory: %s", s[""].c_str());
    auto m = parse_mountinfo(s["mountinfo"]);
    CHILD_CHECK(m.count(target) && m[target].fstype == "tmpfs", "%s", s["mountinfo"].c_str());
    CHILD_CHECK(read_text("/proc/self/mountinfo") == before, "the caller's mounts changed");
    CHILD_CHECK(::access((target + "/host-file").c_str(), F_OK) == 0, "the host file is gone");
    return 0;
  });
}

// --- Namespaces ---

const char* const kNsEntries[] = {"mnt", "net", "ipc", "uts", "pid", "user", "cgroup", "time"};

std::string readlink_script() {
  std::string script = "for n in";
  for (const char* e : kNsEntries) script += std::string(" ") + e;
  return script + "; do readlink /proc/self/ns/$n; done";
}

std::set<std::string> changed_namespaces(const std::string& out) {
  std::set<std::string> changed;
  auto l = lines(out);
  for (std::size_t i = 0; i < std::size(kNsEntries); ++i) {
    std::string mine = test::ns_inode(::getpid(), kNsEntries[i]) == 0
                           ? ""
                           : std::to_string(test::ns_inode(::getpid(), kNsEntries[i]));
    if (i >= l.size() || l[i].find("[" + mine + "]") == std::string::npos)
      changed.insert(kNsEntries[i]);
  }
  return changed;
}

TEST_F(Run, EveryNamespaceIsNewUnlessShared) {
  const std::set<std::string> all(std::begin(kNsEntries), std::end(kNsEntries));
  auto minus = [&](std::set<std::string> s, std::initializer_list<const char*> gone) {
    for (const char* g : gone) s.erase(g);
    return s;
  };
  struct Case {
    std::vector<std::string> opts;
    std::set<std::string> changed;
  };
  const Case cases[] = {
      {{}, minus(all, {"user"})},  // real root gets no user namespace by default
      {{"--userns"}, all},
      {{"--share=net,ipc"}, minus(all, {"user", "net", "ipc"})},
      {{"--share-uts", "--share-cgroup", "--share-time"},
       minus(all, {"user", "uts", "cgroup", "time"})},
      {{"--share-pid"}, minus(all, {"user", "pid"})},
  };
  for (const auto& c : cases) {
    auto opts = c.opts;
    opts.insert(opts.end(), {"--proc", "/proc"});
    auto r = run_sh(opts, readlink_script());
    ASSERT_EQ(r.exit_code, 0) << ::testing::PrintToString(c.opts) << describe(r);
    EXPECT_EQ(changed_namespaces(r.out), c.changed) << ::testing::PrintToString(c.opts) << "\n"
                                                    << r.out;
  }
  // A shared mount namespace: no root, no mounts; the host's /proc shows the command.
  auto r = run_command(nsctl_run({"--share-mnt"}, {"/bin/sh", "-c", readlink_script()}));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(changed_namespaces(r.out), minus(all, {"user", "mnt"})) << r.out;
}

// --- Network ---

TEST_F(Run, NewNetworkNamespaceHasOnlyLoopbackUp) {
  auto r = run_sh({}, "ip -o link; echo '== addr =='; ip -o -4 addr");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto s = sections(r.out);
  auto links = lines(s[""]);
  ASSERT_EQ(links.size(), 1u) << s[""];
  EXPECT_EQ(links[0].rfind("1: lo: <LOOPBACK,UP,LOWER_UP>", 0), 0u) << links[0];
  EXPECT_NE(s["addr"].find("inet 127.0.0.1/8"), std::string::npos) << s["addr"];
}

// "10.77.0.2" -> host-order integer (0 on failure).
std::uint32_t ipv4(const std::string& text) {
  in_addr a{};
  return ::inet_pton(AF_INET, text.c_str(), &a) == 1 ? ntohl(a.s_addr) : 0;
}

// nsctl run --veth from inside a network namespace the test created: the test listens there (on
// every address of that namespace: the host end's address only exists once nsctl made it), the
// sandbox connects to the host end's address with busybox nc, and the bytes arrive from the
// sandbox end's address. The pair goes when the sandbox does.
TEST_F(Run, VethCarriesTcpBetweenTheSandboxAndTheHostEnd) {
  NSCTL_EXPECT_CHILD_OK([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      std::perror("unshare(CLONE_NEWNET)");
      return 77;
    }
    auto rt = Rtnl::open();
    CHILD_CHECK(rt.has_value(), "rtnetlink");
    auto lo = rt->link_index("lo");
    CHILD_CHECK(lo.has_value() && rt->set_link_up(*lo).has_value(), "lo up");
    int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    socklen_t len = sizeof addr;
    CHILD_CHECK(listener >= 0 &&
                    ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                    ::listen(listener, 4) == 0 &&
                    ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0,
                "listen: %s", std::strerror(errno));
    std::string port = std::to_string(ntohs(addr.sin_port));
    Started nsctl(in_root({"--veth=10.77.0.0/30"},
                          sh("ip -o -4 addr show eth0; echo '== route =='; ip route;"
                             "echo '== nc =='; echo nsctl-veth-payload | nc 10.77.0.1 " +
                             port + "; echo \"nc $?\"")));
    CHILD_CHECK(nsctl, "fork");
    pollfd p{listener, POLLIN, 0};
    CHILD_CHECK(::poll(&p, 1, 10000) == 1, "no connection within 10 s: %s",
                describe(nsctl.wait(5000ms)).c_str());
    sockaddr_in peer{}, local{};
    socklen_t peer_len = sizeof peer, local_len = sizeof local;
    int conn = ::accept4(listener, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_CLOEXEC);
    CHILD_CHECK(conn >= 0, "accept: %s", std::strerror(errno));
    ::getsockname(conn, reinterpret_cast<sockaddr*>(&local), &local_len);
    CHILD_CHECK(ntohl(peer.sin_addr.s_addr) == ipv4("10.77.0.2") &&
                    ntohl(local.sin_addr.s_addr) == ipv4("10.77.0.1"),
                "the connection did not come over the veth");
    // The host end, seen from the test's namespace while the sandbox runs.
    std::string host_end = "nsctl" + std::to_string(nsctl.pid());
    auto host = run_command({"ip", "-o", "-4", "addr", "show", "dev", host_end});
    CHILD_CHECK(host.out.find("inet 10.77.0.1/30") != std::string::npos, "host end %s: %s %s",
                host_end.c_str(), host.out.c_str(), host.err.c_str());
    std::string got;
    char buf[256];
    for (ssize_t n; got.find('\n') == std::string::npos;) {
      pollfd c{conn, POLLIN, 0};
      if (::poll(&c, 1, 10000) != 1 || (n = ::read(conn, buf, sizeof buf)) <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    ::close(conn);
    ::close(listener);
    auto r = nsctl.wait();
    CHILD_CHECK(got == "nsctl-veth-payload\n", "received '%s'", printable(got).c_str());
    CHILD_CHECK(r.exit_code == 0, "%s", describe(r).c_str());
    auto s = sections(r.out);
    CHILD_CHECK(s[""].find("eth0    inet 10.77.0.2/30") != std::string::npos, "%s",
                describe(r).c_str());
    CHILD_CHECK(s["route"].find("default via 10.77.0.1 dev eth0") != std::string::npos, "%s",
                describe(r).c_str());
    CHILD_CHECK(s["nc"] == "nc 0\n", "%s", describe(r).c_str());
    // The sandbox's network namespace is torn down asynchronously, and its veth with it.
    bool gone = false;
    for (int i = 0; i < 500 && !gone; ++i) {
      gone = ::if_nametoindex(host_end.c_str()) == 0;
      if (!gone) std::this_thread::sleep_for(10ms);
    }
    CHILD_CHECK(gone, "%s outlived the sandbox", host_end.c_str());

    // Without a network: a /30 of 10.200.0.0/16, the host end first, the sandbox second.
    r = run_command(in_root({"--veth"}, sh("ip -o -4 addr show eth0; ip route")));
    CHILD_CHECK(r.exit_code == 0, "%s", describe(r).c_str());
    std::istringstream in(r.out);
    std::string w, cidr, gateway;
    while (in >> w && w != "inet") {
    }
    in >> cidr;
    while (in >> w && w != "via") {
    }
    in >> gateway;
    std::uint32_t mine = ipv4(cidr.substr(0, cidr.find('/'))), gw = ipv4(gateway);
    CHILD_CHECK(cidr.size() > 3 && cidr.substr(cidr.size() - 3) == "/30" &&
                    (gw & 0xffff0000u) == ipv4("10.200.0.0") && gw % 4 == 1 && mine == gw + 1,
                "default --veth: %s", r.out.c_str());
    return 0;
  });
}

// --- Identity ---

TEST_F(Run, HostnameAndDomainname) {
  char host_before[256] = {};
  ::gethostname(host_before, sizeof host_before - 1);
  auto r = run_sh({"--hostname", "sbx-host", "--domainname", "sbx-domain", "--proc", "/proc"},
                  "hostname; cat /proc/sys/kernel/domainname");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "sbx-host\nsbx-domain\n");
  char host_after[256] = {};
  ::gethostname(host_after, sizeof host_after - 1);
  EXPECT_STREQ(host_before, host_after);
}

TEST_F(Run, UidGidAndGroupsAsRoot) {
  auto r = run_sh({"--uid", "1000", "--gid", "1001", "--groups", "10,20", "--proc", "/proc"},
                  "id -u; id -g; grep -E '^(Uid|Gid|Groups):' /proc/self/status");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(squeeze(r.out),
            "1000\n1001\nUid: 1000 1000 1000 1000\nGid: 1001 1001 1001 1001\nGroups: 10 20\n");
}

// --- Privileges ---

const char* const kCapsScript =
    "grep -E '^(Cap|NoNewPrivs|Seccomp)' /proc/self/status\n"
    "echo '== chown =='\n"
    "touch /tmp/f; chown 1 /tmp/f 2>&1; echo \"chown $?\"\n";

TEST_F(Run, DefaultDropsEveryCapabilityAndSetsNoNewPrivsAndSeccomp) {
  auto r = run_sh({"--proc", "/proc", "--tmpfs", "/tmp"}, kCapsScript);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto s = sections(r.out);
  auto f = status_fields(s[""]);
  for (const char* cap : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
    EXPECT_EQ(f[cap], "0000000000000000") << cap;
  EXPECT_EQ(f["NoNewPrivs"], "1");
  EXPECT_EQ(f["Seccomp"], "2");
  EXPECT_NE(s["chown"].find("Operation not permitted\nchown 1\n"), std::string::npos) << s["chown"];
}

TEST_F(Run, CapAddKeepsExactlyThoseCapabilities) {
  // CAP_CHOWN is bit 0, CAP_NET_RAW bit 13.
  const std::string kept = "0000000000002001";
  for (const char* uid : {"0", "1000"}) {
    auto r =
        run_sh({"--cap-add", "CHOWN,NET_RAW", "--uid", uid, "--proc", "/proc", "--tmpfs", "/tmp"},
               kCapsScript);
    ASSERT_EQ(r.exit_code, 0) << uid << ": " << describe(r);
    auto s = sections(r.out);
    auto f = status_fields(s[""]);
    for (const char* cap : {"CapPrm", "CapEff", "CapBnd"}) EXPECT_EQ(f[cap], kept) << uid << cap;
    // A non-root command keeps them across exec through the ambient set (for root, see
    // AmbientSetOnlyForANonRootUid).
    if (uid != std::string("0")) {
      EXPECT_EQ(f["CapAmb"], kept);
    }
    EXPECT_EQ(f["NoNewPrivs"], "1") << uid;
    EXPECT_EQ(s["chown"], "chown 0\n") << uid;
  }
}

// The ambient set is documented (sandbox.hpp, SandboxProcess::capabilities) and written by
// --print-config as holding the kept capabilities only for a non-root uid: for uid 0 the
// sandbox must show what the document says.
TEST_F(Run, AmbientSetOnlyForANonRootUid) {
  auto config = run_command(in_root({"--cap-add", "NET_RAW", "--print-config"}, {"true"}));
  ASSERT_EQ(config.exit_code, 0) << describe(config);
  auto j = nlohmann::json::parse(config.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << config.out;
  EXPECT_EQ(j["process"]["capabilities"]["ambient"], nlohmann::json::array());
  auto r = run_sh({"--cap-add", "NET_RAW", "--proc", "/proc"}, "grep CapAmb /proc/self/status");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "CapAmb:\t0000000000000000\n")
      << "uid 0 got ambient capabilities that its --print-config document does not list";
}

// The default filter denies unshare with EPERM. Creating a user namespace needs no capability,
// so with --no-seccomp (and nothing else changed) the same command succeeds: the difference
// is the filter's alone.
TEST_F(Run, DefaultSeccompDeniesWithEpermAndNoSeccompLiftsIt) {
  const std::string script =
      "grep '^Seccomp:' /proc/self/status; unshare -U true 2>&1; echo \"unshare $?\"";
  auto r = run_sh({"--proc", "/proc"}, script);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(squeeze(r.out),
            "Seccomp: 2\nunshare: unshare(0x10000000): Operation not permitted\nunshare 1\n");
  r = run_sh({"--proc", "/proc", "--no-seccomp"}, script);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(squeeze(r.out), "Seccomp: 0\nunshare 0\n");
}

TEST_F(Run, SeccompProfileFileReplacesTheDefault) {
  std::string profile = root_->path() + ".seccomp.json";
  ASSERT_TRUE(write_file(profile,
                         R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
                              {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                               "errnoRet": 13}]})"));
  auto r = run_sh({"--seccomp", profile, "--tmpfs", "/tmp"},
                  "mkdir /tmp/d 2>&1; echo \"mkdir $?\"; unshare -U true; echo \"unshare $?\"");
  ::unlink(profile.c_str());
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out,
            "mkdir: can't create directory '/tmp/d': Permission denied\nmkdir 1\nunshare 0\n");
}

// --- Limits ---

TEST_F(Run, RlimitsAreSet) {
  auto r = run_sh({"--rlimit", "NOFILE=64:128", "--rlimit", "CORE=0", "--proc", "/proc"},
                  "grep -E '^Max (open files|core file size)' /proc/self/limits");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(squeeze(r.out), "Max core file size 0 0 bytes\nMax open files 64 128 files\n");
}

// The cgroup is nsctl-run-<nsctl's pid> under the caller's cgroup in each hierarchy, holds the
// limits, is the root of the sandbox's cgroup namespace, and is gone when nsctl is.
TEST_F(Run, LimitsLiveInACgroupOfTheirOwn) {
  std::string sync = root_->path() + ".sync";
  ASSERT_EQ(::mkdir(sync.c_str(), 0755), 0);
  Started nsctl(in_root({"--memory", "64m", "--pids", "20", "--cpus", "0.5", "--bind", sync,
                         "/mnt/sync", "--proc", "/proc"},
                        sh("grep -E ':(memory|pids|cpu):' /proc/self/cgroup | cut -d: -f2- | sort\n"
                           "echo ready\n"
                           "i=0; while [ ! -e /mnt/sync/go ] && [ $i -lt 400 ]; do\n"
                           "  sleep 0.05; i=$((i+1)); done\n")));
  ASSERT_TRUE(nsctl);
  std::string inside;
  for (auto l = nsctl.line(); l && *l != "ready"; l = nsctl.line()) inside += *l + "\n";
  pid_t init = wait_for_child(nsctl.pid());
  std::map<std::string, std::string> mine, theirs;
  for (const auto& l : lines(read_text("/proc/self/cgroup"))) {
    auto a = l.find(':'), b = l.find(':', a + 1);
    mine[l.substr(a + 1, b - a - 1)] = l.substr(b + 1);
  }
  for (const auto& l : lines(read_text("/proc/" + std::to_string(init) + "/cgroup"))) {
    auto a = l.find(':'), b = l.find(':', a + 1);
    theirs[l.substr(a + 1, b - a - 1)] = l.substr(b + 1);
  }
  std::string name = "nsctl-run-" + std::to_string(nsctl.pid());
  std::vector<std::string> dirs;
  for (const char* h : {"memory", "pids", "cpu"}) {
    std::string parent = mine[h] == "/" ? "" : mine[h];
    EXPECT_EQ(theirs[h], parent + "/" + name) << h;
    dirs.push_back(std::string("/sys/fs/cgroup/") + h + parent + "/" + name);
  }
  auto value = [](const std::string& path) { return trim(read_text(path)); };
  EXPECT_EQ(value(dirs[0] + "/memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(value(dirs[1] + "/pids.max"), "20");
  EXPECT_EQ(std::atoll(value(dirs[2] + "/cpu.cfs_quota_us").c_str()) * 2,
            std::atoll(value(dirs[2] + "/cpu.cfs_period_us").c_str()));
  // Inside, the cgroup namespace is rooted there.
  EXPECT_EQ(inside, "cpu:/\nmemory:/\npids:/\n");
  ASSERT_TRUE(write_file(sync + "/go", ""));
  auto r = nsctl.wait();
  ::unlink((sync + "/go").c_str());
  ::rmdir(sync.c_str());
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  for (const auto& d : dirs) EXPECT_NE(::access(d.c_str(), F_OK), 0) << d << " is left";
}

TEST_F(Run, ForkBombStopsAtThePidsLimit) {
  // (--dev: the shell gives background jobs /dev/null as stdin.)
  auto r = run_sh({"--pids", "20", "--dev", "/dev"},
                  "i=0; while [ $i -lt 200 ]; do sleep 30 & i=$((i+1)); echo \"started $i\";"
                  " done; echo not-stopped");
  EXPECT_NE(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.err.find("can't fork: Resource temporarily unavailable"), std::string::npos)
      << describe(r);
  auto l = lines(r.out);
  ASSERT_FALSE(l.empty()) << describe(r);
  // init and sh are 2 of the 20.
  EXPECT_LE(std::atoi(l.back().substr(8).c_str()), 18) << l.back();
  EXPECT_EQ(r.out.find("not-stopped"), std::string::npos);
}

TEST_F(Run, MemoryHogIsKilledAtTheMemoryLimit) {
  auto r = run_sh({"--memory", "64m", "--dev", "/dev"},
                  "head -c 300000000 /dev/zero | tail -n 1; echo \"status $?\"");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "status 137\n") << describe(r);
}

// --- Signals and exit status ---

TEST_F(Run, ForwardedSignalsReachTheCommand) {
  const std::pair<const char*, int> kSignals[] = {{"INT", SIGINT},   {"TERM", SIGTERM},
                                                  {"HUP", SIGHUP},   {"QUIT", SIGQUIT},
                                                  {"USR1", SIGUSR1}, {"USR2", SIGUSR2}};
  for (const auto& [name, sig] : kSignals) {
    // (--dev: without /dev/null for its stdin the background sleep fails, and `wait` returns.)
    Started nsctl(
        in_root({"--dev", "/dev"}, sh(std::string("trap 'echo got-") + name + "; exit 40' " + name +
                                      "; echo ready; sleep 30 & wait")));
    ASSERT_TRUE(nsctl);
    auto ready = nsctl.line();
    ASSERT_EQ(ready, std::optional<std::string>("ready")) << name << describe(nsctl.wait());
    ASSERT_EQ(::kill(nsctl.pid(), sig), 0);
    auto r = nsctl.wait(10000ms);
    EXPECT_EQ(r.exit_code, 40) << name << ": " << describe(r);
    EXPECT_EQ(r.out, std::string("ready\ngot-") + name + "\n") << name;
  }
}

// SIGKILL to nsctl: the command dies too. The test holds pidfds of the sandbox's init and of the
// command (found through /proc/PID/task/PID/children) and, as a child subreaper, reaps the
// init that nsctl's death hands to it.
TEST_F(Run, SigkillToNsctlKillsTheSandbox) {
  NSCTL_EXPECT_CHILD_OK([&] {
    CHILD_CHECK(::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0, "subreaper");
    int init_fd = -1, cmd_fd = -1;
    {
      Started nsctl(in_root({}, sh("echo ready; exec sleep 100")));
      CHILD_CHECK(nsctl && nsctl.line() == std::optional<std::string>("ready"), "did not start");
      pid_t init = wait_for_child(nsctl.pid());
      CHILD_CHECK(init > 0, "no init");
      pid_t cmd = wait_for_child(init);
      CHILD_CHECK(cmd > 0, "no command");
      init_fd = static_cast<int>(::syscall(SYS_pidfd_open, init, 0));
      cmd_fd = static_cast<int>(::syscall(SYS_pidfd_open, cmd, 0));
      CHILD_CHECK(init_fd >= 0 && cmd_fd >= 0, "pidfd_open: %s", std::strerror(errno));
      CHILD_CHECK(::kill(nsctl.pid(), SIGKILL) == 0, "kill nsctl");
      auto r = nsctl.wait();
      CHILD_CHECK(r.signal == SIGKILL, "%s", describe(r).c_str());
    }
    pollfd p[2] = {{init_fd, POLLIN, 0}, {cmd_fd, POLLIN, 0}};
    auto end = std::chrono::steady_clock::now() + 5s;
    while ((!(p[0].revents & POLLIN) || !(p[1].revents & POLLIN)) &&
           std::chrono::steady_clock::now() < end) {
      for (auto& x : p) x.revents = 0;
      ::poll(p, 2, 100);
    }
    bool init_gone = p[0].revents & POLLIN, cmd_gone = p[1].revents & POLLIN;
    if (!cmd_gone) ::syscall(SYS_pidfd_send_signal, cmd_fd, SIGKILL, nullptr, 0);
    if (!init_gone) ::syscall(SYS_pidfd_send_signal, init_fd, SIGKILL, nullptr, 0);
    // Reap what came to us (the orphaned init), until nothing is left.
    for (auto limit = std::chrono::steady_clock::now() + 5s;;) {
      siginfo_t si{};
      if (::waitid(P_ALL, 0, &si, WEXITED | WNOHANG) != 0) break;  // ECHILD: all reaped
      if (si.si_pid == 0) {
        CHILD_CHECK(std::chrono::steady_clock::now() < limit, "a child of ours does not end");
        std::this_thread::sleep_for(10ms);
      }
    }
    ::close(init_fd);
    ::close(cmd_fd);
    CHILD_CHECK(cmd_gone, "the command outlived nsctl by 5 s");
    CHILD_CHECK(init_gone, "the sandbox's init outlived nsctl by 5 s");
    return 0;
  });
}

TEST_F(Run, ExitStatusIsTheCommands) {
  auto r = run_sh({}, "exit 7");
  EXPECT_EQ(r.exit_code, 7) << describe(r);
  r = run_sh({}, "kill -9 $$");
  EXPECT_EQ(r.exit_code, 137) << describe(r);
  r = run_sh({}, "kill -TERM $$");
  EXPECT_EQ(r.exit_code, 143) << describe(r);
  // As PID 1 the shell is immune to signals it has no handler for, from inside.
  r = run_sh({"--as-pid-1"}, "kill -9 $$; echo survived");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "survived\n");
}

TEST_F(Run, CommandHoldsOnlyFdsZeroOneTwo) {
  // An fd nsctl inherits without close-on-exec (a careless caller's) must not reach the
  // sandbox, with nsctl's init in between or without it.
  int leaked = ::open("/dev/null", O_RDONLY);  // deliberately no O_CLOEXEC
  ASSERT_GE(leaked, 3);
  for (const std::vector<std::string>& opts : std::vector<std::vector<std::string>>{
           {"--proc", "/proc"}, {"--proc", "/proc", "--as-pid-1"}}) {
    // Not the last command, so that sh forks for ls and lists its own fds, not ls's.
    auto r = run_sh(opts, "ls /proc/$$/fd; true");
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, "0\n1\n2\n") << describe(r);
  }
  ::close(leaked);
}

TEST_F(Run, SetupAndExecFailuresExit125To127) {
  struct Case {
    std::vector<std::string> argv;
    int code;
    std::string message;
  };
  const Case cases[] = {
      {nsctl_run({"--root", "/nonexistent-nsctl-root"}, {"true"}), 125,
       "nsctl: run: root /nonexistent-nsctl-root: No such file or directory\n"},
      {in_root({"--bind", "/nonexistent-nsctl-src", "/mnt/x"}, {"true"}), 125,
       "nsctl: run: bind /nonexistent-nsctl-src on " + root() +
           "/mnt/x: No such file or directory\n"},
      {in_root({"--chdir", "/nonexistent"}, {"true"}), 125,
       "nsctl: run: chdir /nonexistent: No such file or directory\n"},
      {in_root({}, {"no-such-command"}), 127,
       "nsctl: run: exec no-such-command: No such file or directory\n"},
      {in_root({}, {"/etc/passwd"}), 126, "nsctl: run: exec /etc/passwd: Permission denied\n"},
  };
  for (const auto& c : cases) {
    auto r = run_command(c.argv);
    EXPECT_EQ(r.exit_code, c.code) << ::testing::PrintToString(c.argv) << describe(r);
    EXPECT_EQ(r.err, c.message) << ::testing::PrintToString(c.argv);
    EXPECT_EQ(r.out, "");
  }
}

// --- Rootless ---

TEST_F(Run, RootlessRunsThroughAUserNamespace) {
  const std::vector<std::string> nobody = {"setpriv", "--reuid=65534", "--regid=65534",
                                           "--clear-groups"};
  auto as_nobody = [&](const std::vector<std::string>& opts, const std::string& script) {
    auto argv = in_root(opts, sh(script));
    argv.insert(argv.begin(), nobody.begin(), nobody.end());
    return run_command(argv);
  };
  auto r = as_nobody({"--proc", "/proc"},
                     "id -u; id -g; cat /etc/nsctl-test-root; cat /proc/self/uid_map "
                     "/proc/self/gid_map");
  if (r.exit_code != 0 && r.err.find("Permission denied") != std::string::npos &&
      r.err.find("nsctl") == std::string::npos)
    GTEST_SKIP() << "nobody cannot run the test binary: " << r.err;
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(squeeze(r.out), "0\n0\n" + root_->marker_text() + "0 65534 1\n0 65534 1\n");
  r = as_nobody({"--uid", "1000", "--gid", "1000"}, "id -u; id -g");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "1000\n1000\n");
  // And the user namespace is a new one.
  r = as_nobody({"--proc", "/proc"}, readlink_script());
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(changed_namespaces(r.out).count("user"), 1u) << r.out;
}

// --- Configuration ---

// A config file and the flags that mean the same: the same --print-config document, and the
// same sandbox as an inspection command sees it.
TEST_F(Run, ConfigFileAndEquivalentFlagsGiveTheSameSandbox) {
  const std::string inspect =
      "hostname; pwd; env | sort\n"
      "grep -E '^(Cap|NoNewPrivs|Seccomp|Uid|Gid|Groups)' /proc/self/status\n"
      "grep -E '^Max (open files|processes)' /proc/self/limits\n"
      "cut -d: -f2- /proc/self/cgroup | sort\n"
      "awk '{ for (i = 7; $i != \"-\"; i++); print $5, $6, $(i + 1) }' /proc/self/mountinfo\n";
  nlohmann::json config = {
      {"process",
       {{"args", {"sh", "-c", inspect}},
        {"env",
         {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
          "TERM=dumb", "GREETING=hello"}},
        {"cwd", "/tmp"},
        {"user", {{"uid", 0}, {"gid", 0}, {"additionalGids", {10}}}},
        {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"soft", 100}, {"hard", 200}}}},
        {"capabilities", {{"bounding", {"CAP_NET_RAW"}}}}}},
      {"root", {{"path", root()}, {"readonly", true}}},
      {"mounts",
       {{{"destination", "/tmp"},
         {"type", "tmpfs"},
         {"source", "tmpfs"},
         {"options", {"nosuid", "nodev"}}},
        {{"destination", "/proc"},
         {"type", "proc"},
         {"source", "proc"},
         {"options", {"nosuid", "nodev", "noexec"}}}}},
      {"hostname", "cfg-host"},
      {"linux",
       {{"namespaces",
         {{{"type", "pid"}},
          {{"type", "network"}},
          {{"type", "mount"}},
          {{"type", "ipc"}},
          {{"type", "uts"}},
          {{"type", "cgroup"}},
          {{"type", "time"}}}},
        {"resources", {{"pids", {{"limit", 30}}}}}}}};
  std::string file = root_->path() + ".config.json";
  ASSERT_TRUE(write_file(file, config.dump(2)));
  const std::vector<std::string> flags = {
      "--root",   root(),           "--ro",      "--tmpfs",  "/tmp",       "--proc",   "/proc",
      "--chdir",  "/tmp",           "--setenv",  "GREETING", "hello",      "--groups", "10",
      "--rlimit", "NOFILE=100:200", "--cap-add", "NET_RAW",  "--hostname", "cfg-host", "--pids",
      "30"};
  const std::vector<std::string> env = {"TERM=dumb"};
  auto with_flags = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {NSCTL_BINARY, "run"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.insert(argv.end(), {"--", "sh", "-c", inspect});
    Started s(argv, env);
    return s.wait();
  };
  auto with_config = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {NSCTL_BINARY, "run", "--config", file};
    argv.insert(argv.end(), extra.begin(), extra.end());
    Started s(argv, env);
    return s.wait();
  };
  auto a = with_flags({"--print-config"}), b = with_config({"--print-config"});
  ASSERT_EQ(a.exit_code, 0) << describe(a);
  ASSERT_EQ(b.exit_code, 0) << describe(b);
  auto ja = nlohmann::json::parse(a.out, nullptr, false);
  auto jb = nlohmann::json::parse(b.out, nullptr, false);
  EXPECT_FALSE(ja.is_discarded()) << a.out;
  EXPECT_EQ(ja, jb) << "flags:\n" << a.out << "\nconfig:\n" << b.out;
  a = with_flags({});
  b = with_config({});
  ::unlink(file.c_str());
  ASSERT_EQ(a.exit_code, 0) << describe(a);
  ASSERT_EQ(b.exit_code, 0) << describe(b);
  EXPECT_EQ(a.out, b.out);
  // And the inspection saw what was asked for.
  EXPECT_EQ(a.out.rfind("cfg-host\n/tmp\nGREETING=hello\nHOME=/root\n", 0), 0u) << a.out;
  EXPECT_NE(a.out.find("CapEff:\t0000000000002000\n"), std::string::npos) << a.out;
  EXPECT_NE(squeeze(a.out).find("Groups: 10\n"), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("\n/ ro,"), std::string::npos) << a.out;
  EXPECT_NE(squeeze(a.out).find("Max open files 100 200 files"), std::string::npos) << a.out;
}

// --- Environment and time ---

TEST_F(Run, EnvironmentHoldsOnlyPathHomeTermAndWhatIsSet) {
  const std::vector<std::string> env = {"TERM=xterm-nsctl", "NSCTL_LEAK=1"};
  auto sorted = [](const std::string& out) {
    std::set<std::string> s;
    for (const auto& l : lines(out)) s.insert(l);
    return s;
  };
  const std::string path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  Started plain(in_root({}, {"env"}), env);
  auto r = plain.wait();
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(sorted(r.out), (std::set<std::string>{path, "HOME=/root", "TERM=xterm-nsctl"}));
  Started set(in_root({"--setenv", "FOO", "a b", "--unsetenv", "TERM"}, {"env"}), env);
  r = set.wait();
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(sorted(r.out), (std::set<std::string>{path, "HOME=/root", "FOO=a b"}));
  Started keep(in_root({"--keep-env"}, {"env"}), env);
  r = keep.wait();
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(sorted(r.out).count("NSCTL_LEAK=1")) << r.out;
}

// The first field of /proc/uptime ("12845.54 ...") in hundredths of a second, exactly.
long long uptime_centis(const std::string& text) {
  std::size_t dot = text.find('.');
  if (dot == std::string::npos || dot + 3 > text.size()) return -1;
  return std::atoll(text.substr(0, dot).c_str()) * 100 +
         std::atoll(text.substr(dot + 1, 2).c_str());
}

TEST_F(Run, TimeOffsetMovesBoottimeAndMonotonic) {
  long long host_before = uptime_centis(read_text("/proc/uptime"));
  auto r = run_sh({"--proc", "/proc", "--time-offset", "monotonic=1000,boottime=86400"},
                  "cat /proc/uptime /proc/self/timens_offsets");
  long long host_after = uptime_centis(read_text("/proc/uptime"));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto l = lines(r.out);
  ASSERT_EQ(l.size(), 3u) << r.out;
  long long inside = uptime_centis(l[0]);
  EXPECT_GE(inside, host_before + 8640000) << r.out;
  EXPECT_LE(inside, host_after + 8640000) << r.out;
  EXPECT_EQ(squeeze(l[1] + "\n" + l[2]), "monotonic 1000 0\nboottime 86400 0\n");
}

}  // namespace
}  // namespace nsctl
