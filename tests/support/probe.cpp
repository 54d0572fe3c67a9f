#include "support/probe.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace nsctl::test {

Probe& Probe::operator=(Probe&& other) noexcept {
  if (this != &other) {
    kill();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::move(other.pidfd_);
  }
  return *this;
}

Probe::~Probe() { kill(); }

std::string Probe::ns_path(const char* type) const {
  return "/proc/" + std::to_string(pid_) + "/ns/" + type;
}

UniqueFd Probe::open_ns(const char* type) const {
  return UniqueFd(::open(ns_path(type).c_str(), O_RDONLY | O_CLOEXEC));
}

void Probe::kill() {
  if (pid_ <= 0) return;
  ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
  siginfo_t info{};
  while (::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  pidfd_.reset();
}

static bool write_file(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

Probe spawn_probe(int flags, const std::function<int()>& setup, std::string* error) {
  return spawn_exec_probe(flags, setup, {}, error);
}

Probe spawn_exec_probe(int flags, const std::function<int()>& setup,
                       const std::vector<std::string>& argv, std::string* error) {
  Probe probe;
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) {
    if (error) *error = std::string("pipe2: ") + std::strerror(errno);
    return probe;
  }
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  int pidfd = -1;
  std::fflush(nullptr);
  // Raw clone without a stack behaves like fork() but takes namespace flags and returns a
  // pidfd, so the probe is held from its first instant.
  long pid = ::syscall(SYS_clone, static_cast<unsigned long>(flags) | CLONE_PIDFD | SIGCHLD,
                       nullptr, &pidfd, nullptr, 0);
  if (pid < 0) {
    if (error) *error = std::string("clone: ") + std::strerror(errno);
    ::close(ready[0]);
    ::close(ready[1]);
    return probe;
  }
  if (pid == 0) {
    ::close(ready[0]);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
    if (flags & CLONE_NEWUSER) {
      write_file("/proc/self/setgroups", "deny");
      if (!write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") ||
          !write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1"))
        ::_exit(90);
    }
    int rc = setup ? setup() : 0;
    if (rc != 0) ::_exit(rc);
    char ok = 1;
    if (::write(ready[1], &ok, 1) != 1) ::_exit(91);
    if (!argv.empty()) {
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(92);
    }
    for (;;) ::pause();
  }
  ::close(ready[1]);
  probe.pid_ = static_cast<pid_t>(pid);
  probe.pidfd_.reset(pidfd);
  char byte = 0;
  ssize_t n;
  while ((n = ::read(ready[0], &byte, 1)) < 0 && errno == EINTR) {
  }
  ::close(ready[0]);
  if (n != 1) {
    siginfo_t info{};
    ::waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED);
    if (error) *error = "probe setup failed with exit status " + std::to_string(info.si_status);
    probe.pid_ = -1;
    probe.pidfd_.reset();
  }
  return probe;
}

int visit_new_netns(const std::function<int()>& keep) {
  int home = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0 || ::unshare(CLONE_NEWNET) != 0) return 10;
  if (keep() != 0) return 11;
  if (::setns(home, CLONE_NEWNET) != 0) return 12;
  ::close(home);
  return 0;
}

ino_t ns_inode(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

ino_t ns_inode(pid_t pid, const char* type) {
  return ns_inode("/proc/" + std::to_string(pid) + "/ns/" + type);
}

bool is_root() { return ::geteuid() == 0; }

}  // namespace nsctl::test
