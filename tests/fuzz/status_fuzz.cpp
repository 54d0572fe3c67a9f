// /proc/PID/status: Uid, Gid, Groups, Cap* and NoNewPrivs lines (what `enter --follow` takes
// on). The process's name is on the first line and may hold anything but NUL and newline
// (the kernel escapes "\n" there), so a hostile name must not be taken for another line.
#include "fuzz_check.hpp"
#include "privilege/credentials.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_view(data, size);
  auto c = nsctl::parse_status_credentials(text);
  if (c) {
    FUZZ_CHECK(c->groups.size() <= text.size());
  } else {
    FUZZ_CHECK(!c.error().message().empty());
  }
  return 0;
}
