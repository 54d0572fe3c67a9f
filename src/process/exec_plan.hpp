// A program that a child executes: every string and pointer prepared by the parent, so that
// the child's exec (and its PATH search) makes no allocation.
#pragma once

#include <string>
#include <vector>

namespace nsctl {

// glibc's search path when PATH is unset.
inline constexpr const char* kLibcDefaultPath = "/bin:/usr/bin";

class Program {
 public:
  // `file`: what to execute (a path, or a name searched in PATH); empty: args[0]. The search
  // path is PATH of `env`, else `default_path`.
  Program(std::vector<std::string> args, std::vector<std::string> env, std::string file = {},
          const char* default_path = kLibcDefaultPath);
  // argv/envp point into the strings: moving keeps them valid (the vectors' buffers move),
  // copying would not.
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;
  Program(Program&&) noexcept = default;
  Program& operator=(Program&&) noexcept = default;

  const std::string& file() const { return file_; }
  const std::vector<std::string>& args() const { return args_; }
  const std::vector<std::string>& env() const { return env_; }
  char* const* argv() const { return argv_.data(); }
  char* const* envp() const { return envp_.data(); }
  const char* path() const { return path_.c_str(); }

 private:
  std::vector<std::string> args_, env_;
  std::string file_, path_;
  std::vector<char*> argv_, envp_;
};

// execve(2) of program.file(), searching program.path() as execvp does (EACCES from any
// directory wins over ENOENT); returns the errno. Async-signal-safe: a PATH_MAX buffer on the
// stack, no allocation.
int exec_program(const Program& program) noexcept;

}  // namespace nsctl
