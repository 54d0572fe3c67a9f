// User namespace id maps: parsing the map options of unshare (--map-users, --map-groups,
// /etc/subuid, /proc/PID/uid_map), validating them, and the text the kernel takes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nsctl/base/error.hpp"

namespace nsctl {

// One line of a uid_map/gid_map: `count` ids from `outer` (in the parent namespace) appear as
// the ids from `inner` in the new namespace.
struct IdRange {
  std::uint32_t inner = 0;
  std::uint32_t outer = 0;
  std::uint32_t count = 0;
  bool operator==(const IdRange&) const = default;
};
using IdMap = std::vector<IdRange>;

// The most lines a map may have (kernel 4.15+; 5 before).
inline constexpr std::size_t kMaxIdMapLines = 340;

// A decimal id 0..4294967294 (4294967295 is the kernel's "no id"). nullopt for anything else:
// empty, signs, spaces, trailing bytes, overflow.
std::optional<std::uint32_t> parse_id(std::string_view text);

// "inner:outer:count" (util-linux 2.39+) or the deprecated "outer,inner,count". Errors (EINVAL):
// "invalid mapping '<text>'" for anything else, a zero count, or a range that runs past
// 4294967295 on either side.
Result<IdRange> parse_id_range(std::string_view text);

// The first range of /etc/subuid or /etc/subgid (`file_text`) whose owner field is `user` or
// the decimal `uid`. `identity` maps it onto itself (--map-users=subids), otherwise onto 0..
// (auto). Errors (EINVAL): "no line matching user \"<user>\" in <file_name>"; a malformed
// matching line: "failed to parse subid map".
Result<IdRange> subid_range(std::string_view file_text, std::string_view file_name,
                            std::string_view user, uid_t uid, bool identity);

// Every subordinate range of `user`/`uid` in the file (outer ids; inner is unused).
std::vector<IdRange> subid_ranges(std::string_view file_text, std::string_view user, uid_t uid);

// The lines of a kernel uid_map/gid_map text ("inner outer count", outer in the reader's
// view); lines that do not parse are skipped.
IdMap parse_kernel_map(std::string_view kernel_map_text);

// The id inside the namespace of a map for `outer` (an id in the reader's view); nullopt when
// unmapped (the kernel shows it as the overflow id, 65534).
std::optional<std::uint32_t> map_to_inner(const IdMap& map, std::uint32_t outer);

// --map-users=all: every id of the caller's own map (the text of /proc/self/uid_map) mapped onto
// itself. Lines that do not parse are skipped.
IdMap passthrough_map(std::string_view kernel_map_text);

// Adds the single mapping outer -> inner (--map-user with --map-users) in front of `map`,
// removing `inner` and `outer` from the ranges that hold them: the ids after the hole shift down
// by one, so a range that held either loses its topmost id (as util-linux does).
IdMap with_single_id(const IdMap& map, std::uint32_t outer, std::uint32_t inner);

// Checks what the kernel would reject, with a message that says why (EINVAL): an empty map,
// more than kMaxIdMapLines lines, a zero count, a range past 4294967295, ranges that overlap
// on the inner or on the outer side.
Result<void> validate_id_map(const IdMap& map);

// Checks that each outer range of `map` lies inside the union of `allowed` (outer, count) or is
// the caller's own id `own` alone (what newuidmap/newgidmap will accept). Errors (EPERM):
// "mapping <inner>:<outer>:<count> exceeds the subordinate ids of <what>".
Result<void> check_subordinate(const IdMap& map, std::span<const IdRange> allowed,
                               std::uint32_t own, std::string_view what);

// The text to write to /proc/PID/uid_map: "inner outer count\n" per range.
std::string id_map_text(const IdMap& map);

}  // namespace nsctl
