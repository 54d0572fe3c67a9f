#include "privilege/idmap.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>

namespace nsctl {

namespace {

// The end of a range, exclusive; the kernel wants it to stay <= 4294967295 (it rejects a range
// whose end wraps, and 4294967295 itself is "no id").
constexpr std::uint64_t kIdLimit = 0xffffffffULL;

bool range_fits(std::uint32_t first, std::uint32_t count) {
  return count > 0 && std::uint64_t{first} + count <= kIdLimit;
}

// Splits `text` at `sep` into exactly three fields.
bool split3(std::string_view text, char sep, std::string_view out[3]) {
  for (int i = 0; i < 2; ++i) {
    std::size_t at = text.find(sep);
    if (at == std::string_view::npos) return false;
    out[i] = text.substr(0, at);
    text.remove_prefix(at + 1);
  }
  out[2] = text;
  return out[2].find(sep) == std::string_view::npos;
}

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

template <typename Fn>
void for_each_line(std::string_view text, Fn fn) {
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    fn(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

// A subuid line "owner:first:count" whose owner is `user` or `uid`; nullopt if another user's.
// *malformed is set for a matching line that does not parse.
std::optional<IdRange> subid_line(std::string_view line, std::string_view user, uid_t uid,
                                  bool* malformed) {
  std::string_view f[3];
  if (!split3(trim(line), ':', f)) return std::nullopt;
  auto owner_uid = parse_id(f[0]);
  if (f[0] != user && !(owner_uid && *owner_uid == uid)) return std::nullopt;
  auto first = parse_id(f[1]);
  auto count = parse_u64(f[2]);
  if (!first || !count || *count > kIdLimit ||
      !range_fits(*first, static_cast<std::uint32_t>(*count))) {
    *malformed = true;
    return std::nullopt;
  }
  return IdRange{0, *first, static_cast<std::uint32_t>(*count)};
}

}  // namespace

std::optional<std::uint32_t> parse_id(std::string_view text) {
  auto v = parse_u64(text);
  if (!v || *v >= kIdLimit) return std::nullopt;
  return static_cast<std::uint32_t>(*v);
}

Result<IdRange> parse_id_range(std::string_view text) {
  std::string_view f[3];
  IdRange r;
  std::optional<std::uint32_t> a, b;
  std::optional<std::uint64_t> c;
  if (split3(text, ':', f)) {
    a = parse_id(f[0]);  // inner
    b = parse_id(f[1]);  // outer
    c = parse_u64(f[2]);
  } else if (split3(text, ',', f)) {
    b = parse_id(f[0]);  // outer (the deprecated order)
    a = parse_id(f[1]);  // inner
    c = parse_u64(f[2]);
  }
  if (a && b && c && *c <= kIdLimit) {
    r = {*a, *b, static_cast<std::uint32_t>(*c)};
    if (range_fits(r.inner, r.count) && range_fits(r.outer, r.count)) return r;
  }
  return invalid(fmt::format("invalid mapping '{}'", text));
}

Result<IdRange> subid_range(std::string_view file_text, std::string_view file_name,
                            std::string_view user, uid_t uid, bool identity) {
  std::optional<IdRange> found;
  bool malformed = false;
  for_each_line(file_text, [&](std::string_view line) {
    if (found || malformed) return;
    found = subid_line(line, user, uid, &malformed);
  });
  if (malformed) return invalid(fmt::format("failed to parse subid map in {}", file_name));
  if (!found) return invalid(fmt::format("no line matching user \"{}\" in {}", user, file_name));
  found->inner = identity ? found->outer : 0;
  return *found;
}

std::vector<IdRange> subid_ranges(std::string_view file_text, std::string_view user, uid_t uid) {
  std::vector<IdRange> out;
  for_each_line(file_text, [&](std::string_view line) {
    bool malformed = false;
    if (auto r = subid_line(line, user, uid, &malformed)) out.push_back(*r);
  });
  return out;
}

IdMap parse_kernel_map(std::string_view kernel_map_text) {
  IdMap out;
  for_each_line(kernel_map_text, [&](std::string_view line) {
    // "%10u %10u %10u": inner (the namespace's id), outer (the reader's view), count.
    std::string_view f[3];
    int n = 0;
    line = trim(line);
    while (!line.empty() && n < 3) {
      std::size_t sp = line.find_first_of(" \t");
      f[n++] = line.substr(0, sp);
      line = sp == std::string_view::npos ? std::string_view{} : trim(line.substr(sp));
    }
    if (n != 3 || !line.empty()) return;
    auto inner = parse_id(f[0]);
    auto outer = parse_id(f[1]);
    auto count = parse_u64(f[2]);
    if (!inner || !outer || !count || *count > kIdLimit) return;
    auto c = static_cast<std::uint32_t>(*count);
    if (!range_fits(*inner, c)) c = static_cast<std::uint32_t>(kIdLimit - *inner);
    if (!range_fits(*outer, c)) c = static_cast<std::uint32_t>(kIdLimit - *outer);
    if (c) out.push_back({*inner, *outer, c});
  });
  return out;
}

IdMap passthrough_map(std::string_view kernel_map_text) {
  IdMap out = parse_kernel_map(kernel_map_text);
  for (IdRange& r : out) r.outer = r.inner;
  return out;
}

std::optional<std::uint32_t> map_to_inner(const IdMap& map, std::uint32_t outer) {
  for (const IdRange& r : map)
    if (outer >= r.outer && outer - r.outer < r.count) return r.inner + (outer - r.outer);
  return std::nullopt;
}

IdMap with_single_id(const IdMap& map, std::uint32_t outer, std::uint32_t inner) {
  IdMap out{{inner, outer, 1}};
  for (const IdRange& r : map) {
    bool in_inner = inner >= r.inner && std::uint64_t{inner} < std::uint64_t{r.inner} + r.count;
    bool in_outer = outer >= r.outer && std::uint64_t{outer} < std::uint64_t{r.outer} + r.count;
    if (!in_inner && !in_outer) {
      out.push_back(r);
      continue;
    }
    // One id fewer; past the hole on each side the ids shift up by one.
    std::uint32_t n = r.count - 1;
    std::uint32_t hole_in = in_inner ? inner - r.inner : n;
    std::uint32_t hole_out = in_outer ? outer - r.outer : n;
    std::uint32_t cuts[4] = {0, std::min(hole_in, hole_out), std::max(hole_in, hole_out), n};
    for (int i = 0; i < 3; ++i) {
      std::uint32_t a = cuts[i], b = cuts[i + 1];
      if (a >= b) continue;
      out.push_back(
          {r.inner + a + (a >= hole_in ? 1u : 0u), r.outer + a + (a >= hole_out ? 1u : 0u), b - a});
    }
  }
  return out;
}

Result<void> validate_id_map(const IdMap& map) {
  if (map.empty()) return invalid("empty id map");
  if (map.size() > kMaxIdMapLines)
    return invalid(fmt::format("id map has {} ranges, the kernel takes at most {}", map.size(),
                               kMaxIdMapLines));
  for (const IdRange& r : map)
    if (!range_fits(r.inner, r.count) || !range_fits(r.outer, r.count))
      return invalid(fmt::format("invalid mapping '{}:{}:{}'", r.inner, r.outer, r.count));
  auto check_side = [&](auto side, const char* what) -> Result<void> {
    std::vector<IdRange> sorted(map);
    std::sort(sorted.begin(), sorted.end(),
              [&](const IdRange& x, const IdRange& y) { return side(x) < side(y); });
    for (std::size_t i = 1; i < sorted.size(); ++i) {
      const IdRange& p = sorted[i - 1];
      if (std::uint64_t{side(p)} + p.count > side(sorted[i]))
        return invalid(fmt::format("mappings '{}:{}:{}' and '{}:{}:{}' overlap on the {} side",
                                   p.inner, p.outer, p.count, sorted[i].inner, sorted[i].outer,
                                   sorted[i].count, what));
    }
    return {};
  };
  NSCTL_TRY(check_side([](const IdRange& r) { return r.inner; }, "inner"));
  NSCTL_TRY(check_side([](const IdRange& r) { return r.outer; }, "outer"));
  return {};
}

Result<void> check_subordinate(const IdMap& map, std::span<const IdRange> allowed,
                               std::uint32_t own, std::string_view what) {
  for (const IdRange& r : map) {
    if (r.count == 1 && r.outer == own) continue;
    bool inside = false;
    for (const IdRange& a : allowed)
      if (r.outer >= a.outer &&
          std::uint64_t{r.outer} + r.count <= std::uint64_t{a.outer} + a.count)
        inside = true;
    if (!inside)
      return std::unexpected(
          Error(EPERM, fmt::format("mapping '{}:{}:{}' exceeds the subordinate ids of {}", r.inner,
                                   r.outer, r.count, what)));
  }
  return {};
}

std::string id_map_text(const IdMap& map) {
  std::string out;
  for (const IdRange& r : map) out += fmt::format("{} {} {}\n", r.inner, r.outer, r.count);
  return out;
}

}  // namespace nsctl
