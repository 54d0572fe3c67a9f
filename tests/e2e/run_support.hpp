// Shared by the nsctl run end-to-end tests (run_test.cpp, run_fs_test.cpp): helpers that
// start nsctl and read what the sandbox printed, and the Run fixture with its busybox root.
#pragma once

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

#include "net/rtnl.hpp"
#include "support/busybox_root.hpp"
#include "support/command.hpp"
#include "support/forked.hpp"
#include "support/probe.hpp"

extern char** environ;

namespace nsctl::run_e2e {

using test::BusyboxRoot;
using test::CommandResult;
using test::printable;
using test::run_command;
using namespace std::chrono_literals;

inline std::vector<std::string> nsctl_run(const std::vector<std::string>& opts,
                                          const std::vector<std::string>& cmd) {
  std::vector<std::string> argv = {NSCTL_BINARY, "run"};
  argv.insert(argv.end(), opts.begin(), opts.end());
  argv.push_back("--");
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  return argv;
}

inline std::vector<std::string> sh(const std::string& script) { return {"sh", "-c", script}; }

inline std::string describe(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + ", signal " + std::to_string(r.signal) +
         "\nstdout:\n" + printable(r.out, 6000) + "\nstderr:\n" + printable(r.err, 3000);
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\n");
  auto e = s.find_last_not_of(" \t\n");
  return b == std::string::npos ? "" : s.substr(b, e + 1 - b);
}

inline std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// "Max open files    64   128   files" -> "Max open files 64 128 files", per line.
inline std::string squeeze(const std::string& text) {
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
inline std::map<std::string, std::string> sections(const std::string& out) {
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
inline std::map<std::string, std::string> status_fields(const std::string& text) {
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
inline std::map<std::string, MountLine> parse_mountinfo(const std::string& text) {
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

inline bool has_option(const std::string& list, const std::string& option) {
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
inline std::vector<pid_t> children_of(pid_t pid) {
  std::istringstream in(
      read_text("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children"));
  std::vector<pid_t> out;
  for (pid_t c; in >> c;) out.push_back(c);
  return out;
}

// The first child of `pid`, waited for up to 5 s; 0 if none comes.
inline pid_t wait_for_child(pid_t pid) {
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

inline bool write_file(const std::string& path, const std::string& text) {
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

}  // namespace nsctl::run_e2e
