// Probes: processes a test starts in new namespaces, held by a pidfd and killed (through that
// pidfd, never by name) when the Probe goes out of scope.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "nsctl/base/fd.hpp"

namespace nsctl::test {

class Probe {
 public:
  Probe() = default;
  Probe(Probe&&) noexcept = default;
  Probe& operator=(Probe&&) noexcept;
  ~Probe();

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }
  explicit operator bool() const { return pid_ > 0; }
  // "/proc/<pid>/ns/<type>"
  std::string ns_path(const char* type) const;
  // That file opened O_RDONLY | O_CLOEXEC (invalid on failure).
  UniqueFd open_ns(const char* type) const;
  // Kills the probe (SIGKILL through the pidfd) and reaps it.
  void kill();

 private:
  friend Probe spawn_exec_probe(int, const std::function<int()>&, const std::vector<std::string>&,
                                std::string*);
  pid_t pid_ = -1;
  UniqueFd pidfd_;
};

// Starts a child with clone(2) in new namespaces given by CLONE_NEW* `flags` (0: none). The
// child runs `setup` (which returns 0 on success), reports readiness, and then sleeps until
// killed. If setup fails, the child exits with its code and an invalid Probe is returned,
// with the reason in *error. A child with a new user namespace maps root to the caller's
// uid/gid before setup runs.
Probe spawn_probe(int flags, const std::function<int()>& setup = {}, std::string* error = nullptr);

// As spawn_probe, but after setup and the readiness report the child execs `argv` (a path and
// its arguments, e.g. {"/bin/sleep", "infinity"}), so its credentials are those of a process
// that went through execve, as a container's processes did.
Probe spawn_exec_probe(int flags, const std::function<int()>& setup,
                       const std::vector<std::string>& argv, std::string* error = nullptr);

// In a probe's setup: moves the calling process into a new network namespace and back,
// keeping the new one alive only through what `keep` does while inside it (opens an fd,
// creates a socket, bind-mounts its nsfs file). Returns 0, or 10-12 for the failing step.
int visit_new_netns(const std::function<int()>& keep);

// The inode of /proc/<pid>/ns/<type> (0 if unreadable).
ino_t ns_inode(pid_t pid, const char* type);
ino_t ns_inode(const std::string& path);

// Whether the test runs as real root (tests labelled `root` skip otherwise).
bool is_root();

}  // namespace nsctl::test

#define NSCTL_REQUIRE_ROOT() \
  if (!::nsctl::test::is_root()) GTEST_SKIP() << "needs root (run the suite as root)"
