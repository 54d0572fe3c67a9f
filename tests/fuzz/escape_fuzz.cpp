// The output escapes every cell goes through (cli/output/escape.hpp). Cells hold what other
// users' processes chose: names, arguments, mount points.
//
// Invariants: safe_encode leaves no control byte and no invalid UTF-8, and its width is what
// display_width says; truncation stays within the width and is a prefix; raw_encode yields
// printable ASCII without blanks and decodes back to the input; json_quote is always one valid
// JSON string (checked with nlohmann::json) holding the input itself when it is valid UTF-8.
#include <nlohmann/json.hpp>
#include <string>

#include "base/escape.hpp"
#include "fuzz_check.hpp"

namespace d = nsctl::text;

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Undoes raw_encode: "\xNN" is byte NN, everything else is itself.
std::string raw_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\') {
      FUZZ_CHECK(i + 3 < s.size());
      FUZZ_CHECK(s[i + 1] == 'x' && hex(s[i + 2]) >= 0 && hex(s[i + 3]) >= 0);
      out.push_back(static_cast<char>(hex(s[i + 2]) * 16 + hex(s[i + 3])));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_view(data, size);

  // decode_utf8 agrees with an independent validator, sequence by sequence.
  bool all_valid = true;
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    std::size_t n = d::decode_utf8(text, i, cp);
    FUZZ_CHECK(n <= 4 && i + n <= text.size());
    if (n == 0) {
      all_valid = false;
      ++i;
      continue;
    }
    FUZZ_CHECK(fuzz::valid_utf8(text.substr(i, n)));
    FUZZ_CHECK(cp <= 0x10ffff);
    int w = d::char_width(cp);
    FUZZ_CHECK(w >= -1 && w <= 2);
    i += n;
  }
  FUZZ_CHECK(all_valid == fuzz::valid_utf8(text));

  d::Safe safe = d::safe_encode(text);
  FUZZ_CHECK(fuzz::no_controls(safe.text));
  FUZZ_CHECK(fuzz::valid_utf8(safe.text));
  FUZZ_CHECK(d::display_width(safe.text) == safe.width);
  FUZZ_CHECK(safe.width <= safe.text.size());
  for (std::size_t w :
       {std::size_t{0}, std::size_t{1}, std::size_t{3}, safe.width / 2, safe.width}) {
    d::Safe cut = d::truncate_to_width(safe.text, w);
    FUZZ_CHECK(cut.width <= w);
    FUZZ_CHECK(safe.text.starts_with(cut.text));
    FUZZ_CHECK(d::display_width(cut.text) == cut.width);
    FUZZ_CHECK(fuzz::valid_utf8(cut.text));
  }

  std::string raw = d::raw_encode(text);
  for (char c : raw) FUZZ_CHECK(c > 0x20 && c < 0x7f);
  FUZZ_CHECK(raw_decode(raw) == text);

  std::string quoted;
  d::json_quote(quoted, text);
  nlohmann::json j = nlohmann::json::parse(quoted, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(!j.is_discarded());
  FUZZ_CHECK(j.is_string());
  if (all_valid) FUZZ_CHECK(j.get<std::string>() == text);
  return 0;
}
