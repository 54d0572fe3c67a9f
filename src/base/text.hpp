// Small text helpers every domain shares: decimal numbers, ASCII case folding, splitting.
// Locale-free: a user's locale must never change how nsctl reads /proc or its options.
#pragma once

#include <charconv>
#include <concepts>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nsctl {

// The whole of `text` as a number of type T in base `base` (std::from_chars: no sign for
// unsigned types, no spaces, no prefix); nullopt for anything else, overflow included.
template <std::integral T>
std::optional<T> parse_number(std::string_view text, int base = 10) {
  T value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value, base);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// A decimal pid or number: the whole string must be the number.
inline std::optional<long long> parse_decimal(std::string_view text) {
  return parse_number<long long>(text);
}

inline char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
std::string ascii_lower(std::string_view text);
// Equal ignoring ASCII case ("cap_net_raw" == "CAP_NET_RAW"); other bytes compare exactly.
bool iequals(std::string_view a, std::string_view b);

// The pieces of `text` between `sep`s ("a,,b" -> "a", "", "b"; "" -> none).
std::vector<std::string_view> split(std::string_view text, char sep);

}  // namespace nsctl
