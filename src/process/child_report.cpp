#include "process/child_report.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace nsctl {

Result<ChildReport> ChildReport::create() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return errno_error("pipe2");
  ChildReport r;
  r.read_.reset(fds[0]);
  r.write_.reset(fds[1]);
  return r;
}

void ChildReport::fail(std::int32_t stage, std::int32_t err, int exit_code) noexcept {
  ChildFailure f{stage, err};
  ssize_t n = ::write(write_.get(), &f, sizeof f);
  (void)n;
  ::_exit(exit_code);
}

void ChildReport::send(std::int32_t stage, std::int32_t value) noexcept {
  ChildFailure f{stage, value};
  ssize_t n = ::write(write_.get(), &f, sizeof f);
  (void)n;
}

Result<std::optional<ChildFailure>> ChildReport::next() {
  write_.reset();
  ChildFailure f{};
  for (;;) {
    ssize_t n = ::read(read_.get(), &f, sizeof f);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read child report");
    if (n == 0) return std::nullopt;  // exec closed the pipe
    if (n != static_cast<ssize_t>(sizeof f)) return nsctl::fail(EIO, "short child report");
    return f;
  }
}

}  // namespace nsctl
