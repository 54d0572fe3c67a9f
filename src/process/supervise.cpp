#include "process/supervise.hpp"

#include <poll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdlib>

#include "nsctl/base/fd.hpp"
#include "sys/syscalls.hpp"

namespace nsctl {

namespace {

constexpr std::array<int, 7> kForwarded = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT,
                                           SIGUSR1, SIGUSR2, SIGWINCH};

ExitStatus status_of(const siginfo_t& info) {
  ExitStatus st;
  if (info.si_code == CLD_EXITED)
    st.code = info.si_status;
  else
    st.signal = info.si_status;  // CLD_KILLED, CLD_DUMPED
  return st;
}

}  // namespace

std::span<const int> forwarded_signals() { return kForwarded; }

Result<sigset_t> block_signals(std::span<const int> signals) {
  sigset_t set, old;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  sigaddset(&set, SIGCHLD);
  if (::sigprocmask(SIG_BLOCK, &set, &old) != 0) return errno_error("sigprocmask");
  return old;
}

void restore_signals(const sigset_t& old) noexcept { ::sigprocmask(SIG_SETMASK, &old, nullptr); }

Result<ExitStatus> supervise(int pidfd, std::span<const int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  sigaddset(&set, SIGCHLD);
  UniqueFd sfd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sfd) return errno_error("signalfd");
  for (;;) {
    // The pidfd turns readable when the child exits; SIGCHLD also tells of stops.
    siginfo_t info{};
    if (::waitid(P_PIDFD, static_cast<id_t>(pidfd), &info,
                 WEXITED | WSTOPPED | WCONTINUED | WNOHANG) != 0)
      return errno_error("waitid");
    if (info.si_pid != 0) {
      if (info.si_code == CLD_EXITED || info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED)
        return status_of(info);
      if (info.si_code == CLD_STOPPED) {
        // Stop with the child (a shell's ^Z reaches the child's process group, not us), and
        // continue it when we are continued.
        ::raise(SIGSTOP);
        sys::pidfd_send_signal(pidfd, SIGCONT);
      }
      continue;
    }
    pollfd fds[2] = {{pidfd, POLLIN, 0}, {sfd.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return errno_error("poll");
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo si{};
      while (::read(sfd.get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        int sig = static_cast<int>(si.ssi_signo);
        // A signal from the kernel (the terminal's ^C, ^\, SIGWINCH, a hangup) went to the
        // whole foreground process group, the child's too: passing it on would double it.
        if (sig == SIGCHLD || si.ssi_code == SI_KERNEL) continue;
        sys::pidfd_send_signal(pidfd, sig);  // ESRCH: it just exited; waitid says
      }
    }
  }
}

void exit_like(const ExitStatus& status) {
  if (!status.signal) std::exit(status.code);
  // No core for the child's crash; then die of the same signal with its default action.
  rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  ::signal(status.signal, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, status.signal);
  ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
  ::raise(status.signal);
  std::_Exit(128 + status.signal);  // a signal whose default action is to ignore it
}

Result<SignalMaskGuard> SignalMaskGuard::block(std::span<const int> signals) {
  NSCTL_ASSIGN_OR_RETURN(sigset_t old, block_signals(signals));
  return SignalMaskGuard(old);
}

void reap(int pidfd, bool kill_first) noexcept {
  if (kill_first) sys::pidfd_send_signal(pidfd, SIGKILL);
  siginfo_t info{};
  while (::waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED) != 0 && errno == EINTR) {
  }
}

}  // namespace nsctl
