// /proc/PID/cgroup and container attribution: cgroup paths are chosen by whoever may create
// cgroups (a delegated user, a container engine inside a container), so every recogniser must
// take any bytes, and what it shows (Container::display, unescaped unit names) must be safe
// for a terminal.
#include <string>

#include "fuzz_check.hpp"
#include "nsctl/inspect/attribution.hpp"
#include "proc/proc.hpp"

namespace {

void check_container(const nsctl::Container& c) {
  // Documented: "Always printable ASCII".
  FUZZ_CHECK(fuzz::printable_ascii(c.display()));
  // A container always matches its own non-empty id and name.
  if (!c.id.empty()) FUZZ_CHECK(nsctl::container_matches(c, c.id));
  if (!c.name.empty()) FUZZ_CHECK(nsctl::container_matches(c, c.name));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_view(data, size);

  auto lines = nsctl::parse_cgroup(text);
  for (const auto& l : lines) {
    FUZZ_CHECK(l.path.size() + l.controllers.size() <= text.size());
    if (auto c = nsctl::container_from_cgroup_path(l.path)) check_container(*c);
  }
  if (auto c = nsctl::container_from_cgroup(text)) check_container(*c);
  (void)nsctl::cgroup_says_nothing(text);

  // The whole input as one path, and as a unit name.
  if (auto c = nsctl::container_from_cgroup_path(text)) check_container(*c);
  std::string unit = nsctl::unescape_unit_name(text);
  FUZZ_CHECK(fuzz::printable_ascii(unit));  // documented: always printable ASCII
  (void)nsctl::engine_from_container_env(text);

  // A query against a fixed container: never crashes, whatever the query.
  nsctl::Container fixed{.engine = "docker",
                         .id = std::string(64, 'a'),
                         .name = "web",
                         .pod = {},
                         .monitor = false,
                         .owner_uid = std::nullopt};
  if (nsctl::container_matches(fixed, text)) FUZZ_CHECK(!text.empty());
  return 0;
}
