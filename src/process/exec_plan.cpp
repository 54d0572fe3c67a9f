#include "process/exec_plan.hpp"

#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace nsctl {

Program::Program(std::vector<std::string> args, std::vector<std::string> env, std::string file,
                 const char* default_path)
    : args_(std::move(args)), env_(std::move(env)), file_(std::move(file)), path_(default_path) {
  if (file_.empty() && !args_.empty()) file_ = args_.front();
  for (const auto& e : env_)
    if (std::string_view(e).starts_with("PATH=")) path_ = e.substr(5);
  for (auto& a : args_) argv_.push_back(a.data());
  argv_.push_back(nullptr);
  for (auto& e : env_) envp_.push_back(e.data());
  envp_.push_back(nullptr);
}

int exec_program(const Program& p) noexcept {
  const char* file = p.file().c_str();
  if (std::strchr(file, '/')) {
    ::execve(file, p.argv(), p.envp());
    return errno;
  }
  char buf[PATH_MAX];
  std::size_t flen = std::strlen(file);
  int result = ENOENT;
  const char* dir = p.path();
  for (;;) {
    const char* end = std::strchr(dir, ':');
    std::size_t dlen = end ? static_cast<std::size_t>(end - dir) : std::strlen(dir);
    if (dlen + flen + 2 <= sizeof buf) {
      std::size_t at = 0;
      if (dlen == 0) {
        buf[at++] = '.';
      } else {
        std::memcpy(buf, dir, dlen);
        at = dlen;
      }
      buf[at++] = '/';
      std::memcpy(buf + at, file, flen + 1);
      ::execve(buf, p.argv(), p.envp());
      if (errno == EACCES)
        result = EACCES;
      else if (errno != ENOENT && errno != ENOTDIR && errno != ESTALE && errno != ENODEV &&
               errno != ETIMEDOUT)
        return errno;
    }
    if (!end) break;
    dir = end + 1;
  }
  return result;
}

}  // namespace nsctl
