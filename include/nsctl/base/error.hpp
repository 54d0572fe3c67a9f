// Errors: an errno plus a chain of context, carried in std::expected.
#pragma once

#include <cerrno>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace nsctl {

// An error as the library reports it: the errno that caused it (0 when the cause is not a
// syscall, e.g. a parse error) and a message built from the outermost context inwards,
// e.g. "enter pid 42: open ns/net: Permission denied".
class Error {
 public:
  Error() = default;
  Error(int err, std::string message) : errno_(err), message_(std::move(message)) {}

  // An error from a failed syscall: "<what>: <strerror(err)>".
  static Error from_errno(int err, std::string_view what);
  // An error with no errno (bad input, parse failures).
  static Error invalid(std::string message) { return Error(EINVAL, std::move(message)); }

  int code() const { return errno_; }
  const std::string& message() const { return message_; }

  // The command itself could not be executed (code() is the execve errno): callers exit 126
  // or 127 for it, as shells do, rather than their "setup failed" code.
  bool is_exec_failure() const { return exec_failure_; }
  Error& as_exec_failure() {
    exec_failure_ = true;
    return *this;
  }

  // Prepends "<context>: " to the message; returns *this for chaining.
  Error& with_context(std::string_view context);

 private:
  int errno_ = 0;
  std::string message_;
  bool exec_failure_ = false;
};

// A value or an Error. [[nodiscard]] (libstdc++ 12 does not mark std::expected): an error
// cannot be dropped by accident; `(void)` says it is dropped on purpose.
template <typename T>
class [[nodiscard]] Result : public std::expected<T, Error> {
 public:
  using std::expected<T, Error>::expected;
  Result(std::expected<T, Error>&& e) : std::expected<T, Error>(std::move(e)) {}
};

// The error of the last failed syscall, with context.
inline std::unexpected<Error> errno_error(std::string_view what) {
  return std::unexpected(Error::from_errno(errno, what));
}
inline std::unexpected<Error> fail(int err, std::string_view what) {
  return std::unexpected(Error::from_errno(err, what));
}
inline std::unexpected<Error> invalid(std::string message) {
  return std::unexpected(Error::invalid(std::move(message)));
}

}  // namespace nsctl

// Evaluates `expr` (a Result<T>); on error returns it from the enclosing function.
#define NSCTL_TRY(expr)                                             \
  do {                                                              \
    auto&& nsctl_try_result_ = (expr);                              \
    if (!nsctl_try_result_) {                                       \
      return std::unexpected(std::move(nsctl_try_result_).error()); \
    }                                                               \
  } while (0)

#define NSCTL_CONCAT_INNER_(a, b) a##b
#define NSCTL_CONCAT_(a, b) NSCTL_CONCAT_INNER_(a, b)

// `lhs = *expr` when `expr` (a Result<T>) holds a value; otherwise returns its error.
#define NSCTL_ASSIGN_OR_RETURN(lhs, expr) \
  NSCTL_ASSIGN_OR_RETURN_IMPL_(NSCTL_CONCAT_(nsctl_result_, __LINE__), lhs, expr)
#define NSCTL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)        \
  auto tmp = (expr);                                        \
  if (!tmp) return std::unexpected(std::move(tmp).error()); \
  lhs = std::move(*tmp)
