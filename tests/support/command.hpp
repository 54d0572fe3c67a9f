// Runs a program (no shell) and captures what it prints.
#pragma once

#include <string>
#include <vector>

namespace nsctl::test {

struct CommandResult {
  int exit_code = -1;  // -1 if it died by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

// Runs argv[0] (searched in PATH) with the arguments; stdin is /dev/null. `env` entries
// ("NAME=value") are added to the environment.
CommandResult run_command(const std::vector<std::string>& argv,
                          const std::vector<std::string>& env = {});

// `s` (its first `max` bytes) with every byte but '\n' and printable ASCII written as \xNN: for
// test failure messages that quote a command's output.
std::string printable(const std::string& s, std::size_t max = std::string::npos);

// What `sh -c command` prints on stdout (popen): for a forked child that wants one line of
// `ip` output. Empty when the shell cannot be started.
std::string shell_output(const std::string& command);

}  // namespace nsctl::test
