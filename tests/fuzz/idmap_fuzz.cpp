// User namespace id maps: --map-users/--map-groups values ("inner:outer:count" or the old
// "outer,inner,count"), /etc/subuid and /etc/subgid, and /proc/PID/uid_map (--map-users=all).
//
// Input: the first byte picks what the rest is; the rest is split into lines.
#include <string>

#include "fuzz_check.hpp"
#include "privilege/idmap.hpp"

namespace {

constexpr std::uint64_t kIdEnd = 4294967296ull;  // one past the largest id

void check_range(const nsctl::IdRange& r) {
  FUZZ_CHECK(r.count > 0);
  FUZZ_CHECK(std::uint64_t{r.inner} + r.count <= kIdEnd);
  FUZZ_CHECK(std::uint64_t{r.outer} + r.count <= kIdEnd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::uint8_t mode = data[0];
  std::string_view text = fuzz::as_view(data + 1, size - 1);

  if (auto id = nsctl::parse_id(text)) {
    FUZZ_CHECK(*id != 4294967295u);
    FUZZ_CHECK(nsctl::parse_id(std::to_string(*id)) == id);
  }

  // Every line as a --map-users value; the valid ones make a map.
  nsctl::IdMap map;
  for (std::string_view line : fuzz::split(text, '\n', 400)) {
    auto r = nsctl::parse_id_range(line);
    if (r) {
      check_range(*r);
      // The canonical form parses back to the same range.
      auto again = nsctl::parse_id_range(std::to_string(r->inner) + ":" + std::to_string(r->outer) +
                                         ":" + std::to_string(r->count));
      FUZZ_CHECK(again && *again == *r);
      map.push_back(*r);
    } else {
      FUZZ_CHECK(!r.error().message().empty());
    }
  }
  if (nsctl::validate_id_map(map)) {
    FUZZ_CHECK(!map.empty() && map.size() <= nsctl::kMaxIdMapLines);
    std::string kernel = nsctl::id_map_text(map);
    // The kernel's format of our own map reads back as the same outer ranges.
    nsctl::IdMap back = nsctl::passthrough_map(kernel);
    FUZZ_CHECK(back.size() == map.size());
    for (std::size_t i = 0; i < map.size(); ++i) FUZZ_CHECK(back[i].count == map[i].count);
    std::uint32_t outer = static_cast<std::uint32_t>(mode) * 1000u, inner = mode;
    nsctl::IdMap single = nsctl::with_single_id(map, outer, inner);
    FUZZ_CHECK(!single.empty() && single.front().inner == inner && single.front().outer == outer &&
               single.front().count == 1);
    for (const auto& r : single) FUZZ_CHECK(std::uint64_t{r.inner} + r.count <= kIdEnd);
    (void)nsctl::check_subordinate(map, map, outer, "fuzz");
  }

  // The text as /proc/self/uid_map and as /etc/subuid.
  for (const auto& r : nsctl::passthrough_map(text)) {
    FUZZ_CHECK(r.inner == r.outer);
    FUZZ_CHECK(std::uint64_t{r.outer} + r.count <= kIdEnd);
  }
  bool identity = mode & 1;
  if (auto r = nsctl::subid_range(text, "/etc/subuid", "fuzz", 1000, identity)) {
    check_range(*r);
    if (identity) FUZZ_CHECK(r->inner == r->outer);
  }
  auto ranges = nsctl::subid_ranges(text, "fuzz", 1000);
  FUZZ_CHECK(ranges.size() <= text.size());
  (void)nsctl::check_subordinate(map, ranges, 1000, "fuzz");
  return 0;
}
