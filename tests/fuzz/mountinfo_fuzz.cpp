// /proc/PID/mountinfo: mount points may contain any byte but NUL (the kernel escapes space,
// tab, newline and backslash as \NNN), and the line count is the user's to choose.
#include <string>

#include "fuzz_check.hpp"
#include "inspect/nsfs_mounts.hpp"
#include "proc/proc.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_view(data, size);

  // Decoding \NNN never makes a field longer.
  std::string un = nsctl::unescape_mount_field(text);
  FUZZ_CHECK(un.size() <= text.size());
  if (text.find('\\') == std::string_view::npos) FUZZ_CHECK(un == text);

  if (auto mounts = nsctl::parse_mountinfo(text)) {
    for (const auto& m : *mounts) {
      FUZZ_CHECK(m.root.size() <= text.size());
      FUZZ_CHECK(m.mount_point.size() <= text.size());
      FUZZ_CHECK(m.fs_type.size() + m.source.size() + m.super_options.size() <= text.size());
    }
  } else {
    FUZZ_CHECK(!mounts.error().message().empty());
  }

  for (const auto& e : nsctl::nsfs_mounts_from_mountinfo(text)) {
    FUZZ_CHECK(e.mount_point.size() <= text.size());
    FUZZ_CHECK(!nsctl::name(e.type).empty());
  }
  return 0;
}
