// Standing in for a child: blocking the signals to pass on before it starts, waiting for it
// through its pidfd while passing them on, ending the way it ended, and killing and reaping
// it when a start fails. Shared by enter, unshare and the sandbox.
#pragma once

#include <signal.h>

#include <span>

#include "nsctl/base/error.hpp"
#include "nsctl/process/exit_status.hpp"

namespace nsctl {

// The signals a supervisor passes on to its child by default, as nsenter and
// unshare --forward-signals do: SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH.
std::span<const int> forwarded_signals();

// Blocks `signals` (and SIGCHLD) in the calling thread and returns the previous mask. Call it
// before forking, so that a signal sent between the fork and supervise() is queued, not lost;
// the child restores the old mask before exec. Errors: those of sigprocmask (none in practice).
Result<sigset_t> block_signals(std::span<const int> signals);

// Restores a mask returned by block_signals(). Async-signal-safe (for the child).
void restore_signals(const sigset_t& old) noexcept;

// Blocks signals for a scope: the old mask comes back on every way out unless release()d
// (a supervisor keeps them blocked after its child ended, so that a late signal cannot end it
// before it ends the way the child did).
class SignalMaskGuard {
 public:
  static Result<SignalMaskGuard> block(std::span<const int> signals);
  SignalMaskGuard(SignalMaskGuard&& o) noexcept : old_(o.old_), active_(o.active_) {
    o.active_ = false;
  }
  SignalMaskGuard& operator=(SignalMaskGuard&&) = delete;
  ~SignalMaskGuard() {
    if (active_) restore_signals(old_);
  }
  // The mask before block(): what a child restores before exec.
  const sigset_t& old_mask() const { return old_; }
  void release() { active_ = false; }

 private:
  explicit SignalMaskGuard(const sigset_t& old) : old_(old), active_(true) {}
  sigset_t old_;
  bool active_;
};

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

// SIGKILL through the pidfd (when `kill_first`), then waits for the child to be reaped.
void reap(int pidfd, bool kill_first = true) noexcept;

}  // namespace nsctl
