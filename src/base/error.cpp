#include "nsctl/base/error.hpp"

#include <cstring>
#include <string>

namespace nsctl {

Error Error::from_errno(int err, std::string_view what) {
  std::string message(what);
  if (!message.empty()) message += ": ";
  message += std::strerror(err);
  return Error(err, std::move(message));
}

Error& Error::with_context(std::string_view context) {
  if (!context.empty()) message_ = std::string(context) + ": " + message_;
  return *this;
}

}  // namespace nsctl
