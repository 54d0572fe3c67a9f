// What a child reports over a close-on-exec pipe when it fails between fork and exec: the
// stage it reached (the caller's own numbering) and errno. EOF without a report means exec
// succeeded. The child side uses only write(2) and _exit(2).
#pragma once

#include <cstdint>
#include <optional>

#include "nsctl/base/error.hpp"
#include "nsctl/base/fd.hpp"

namespace nsctl {

struct ChildFailure {
  std::int32_t stage = 0;
  std::int32_t err = 0;
};

// Fills *f with {stage, err} and returns false: the child steps' way to fail. Async-signal-safe.
inline bool fail_with(ChildFailure* f, std::int32_t stage, int err) noexcept {
  f->stage = stage;
  f->err = err;
  return false;
}

class ChildReport {
 public:
  // pipe2(O_CLOEXEC). Errors: EMFILE and the like.
  static Result<ChildReport> create();

  // In the child: report the failure and _exit(exit_code). Async-signal-safe.
  [[noreturn]] void fail(std::int32_t stage, std::int32_t err, int exit_code) noexcept;
  // In the child: a record that is no failure (e.g. the pid of a process it started), read by
  // next() like one. Records are written whole (8 bytes, below PIPE_BUF): several processes
  // holding the write end never interleave theirs. Async-signal-safe.
  void send(std::int32_t stage, std::int32_t value) noexcept;

  // In the parent, after fork: close the write end and wait for exec or a report.
  // nullopt: the child exec'd. Errors: read failures.
  Result<std::optional<ChildFailure>> wait_for_exec() { return next(); }
  // The next record; nullopt at EOF, once every process that held the write end has exec'd or
  // exited. The first call closes this process's write end.
  Result<std::optional<ChildFailure>> next();

  int write_fd() const { return write_.get(); }

 private:
  UniqueFd read_, write_;
};

}  // namespace nsctl
