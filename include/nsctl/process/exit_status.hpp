// How a process that nsctl started ended.
#pragma once

namespace nsctl {

struct ExitStatus {
  int code = 0;    // the exit code when signal == 0
  int signal = 0;  // the signal that killed it, or 0
  // The shell's convention: the code, or 128 + the signal.
  int shell_code() const { return signal ? 128 + signal : code; }
};

}  // namespace nsctl
