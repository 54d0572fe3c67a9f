// Running a command and standing in for it: the child's failure report before exec, the
// parent's wait through a pidfd with signal forwarding, and ending the way the child ended.
// Shared by `enter` (which forks to enter a pid namespace) and `unshare` (-f).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>

#include "nsctl/error.hpp"
#include "nsctl/fd.hpp"

namespace nsctl {

// How a process ended.
struct ExitStatus {
  int code = 0;    // the exit code when signal == 0
  int signal = 0;  // the signal that killed it, or 0
  // The shell's convention: the code, or 128 + the signal.
  int shell_code() const { return signal ? 128 + signal : code; }
};

// The signals a supervisor passes on to its child by default, as nsenter and
// unshare --forward-signals do: SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH.
std::span<const int> forwarded_signals();

// Blocks `signals` (and SIGCHLD) in the calling thread and returns the previous mask. Call it
// before forking, so that a signal sent between the fork and supervise() is queued, not lost;
// the child restores the old mask before exec. Errors: those of sigprocmask (none in practice).
Result<sigset_t> block_signals(std::span<const int> signals);

// Restores a mask returned by block_signals(). Async-signal-safe (for the child).
void restore_signals(const sigset_t& old) noexcept;

// Waits for the child behind `pidfd` (kernel 5.3+), forwarding every signal in `signals` that
// a process sends to this one (kill, sigqueue) to the child (pidfd_send_signal, 5.1+); signals
// from the kernel (the terminal's) are not passed on, since they reached the child's process
// group — which is this process's — already. When the child stops, this
// process stops too, and the child is continued when this process is. Requires the signals to
// be blocked (block_signals). Errors: signalfd/poll/waitid failures, naming the call.
Result<ExitStatus> supervise(int pidfd, std::span<const int> signals);

// Ends this process as the child ended: exit(code), or the same signal with its default
// action (core dumps off, so nsctl does not dump a core for the child's crash).
[[noreturn]] void exit_like(const ExitStatus& status);

// What a child reports over a close-on-exec pipe when it fails between fork and exec: the
// stage it reached (the caller's own numbering) and errno. EOF without a report means exec
// succeeded. The child side uses only write(2) and _exit(2).
struct ChildFailure {
  std::int32_t stage = 0;
  std::int32_t err = 0;
};

class ChildReport {
 public:
  // pipe2(O_CLOEXEC). Errors: EMFILE and the like.
  static Result<ChildReport> create();

  // In the child: report the failure and _exit(exit_code). Async-signal-safe.
  [[noreturn]] void fail(std::int32_t stage, std::int32_t err, int exit_code) noexcept;

  // In the parent, after fork: close the write end and wait for exec or a report.
  // nullopt: the child exec'd. Errors: read failures.
  Result<std::optional<ChildFailure>> wait_for_exec();

  int write_fd() const { return write_.get(); }

 private:
  UniqueFd read_, write_;
};

// A child nsctl started and holds by its pidfd.
struct Child {
  pid_t pid = 0;
  UniqueFd pidfd;
};

// Starts argv[0] (PATH search) with environment `envp` and signal mask `child_mask`, as
// posix_spawnp does (no copy of the caller's memory), and holds the child by a pidfd opened
// before it can be reaped. Returns once the exec happened; if it failed, the error carries the
// exec's errno: "exec foo: No such file or directory".
Result<Child> spawn_command(char* const argv[], char* const envp[], const sigset_t& child_mask);

}  // namespace nsctl
