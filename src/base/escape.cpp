#include "base/escape.hpp"

#include <locale.h>
#include <wchar.h>
#include <wctype.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

namespace nsctl::text {
namespace {

constexpr std::string_view kHex = "0123456789abcdef";

bool is_continuation(unsigned char b) { return (b & 0xc0) == 0x80; }

// The C.UTF-8 locale, created once. glibc's wcwidth and iswprint read their tables from the
// thread's LC_CTYPE, which is "C" (ASCII only) unless the program called setlocale; using a
// private locale object keeps the widths right without touching the process locale.
locale_t utf8_locale() {
  static const locale_t loc = [] {
    locale_t l = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    if (l == static_cast<locale_t>(nullptr)) {
      l = newlocale(LC_CTYPE_MASK, "C.utf8", static_cast<locale_t>(nullptr));
    }
    return l;
  }();
  return loc;
}

// Used only where C.UTF-8 is missing (it ships with glibc >= 2.35 and Debian's libc-bin):
// the common wide and zero-width ranges, every other non-control character one cell.
int fallback_width(char32_t cp) {
  if (cp < 0xa0) return -1;  // C1 controls (ASCII is handled by the caller)
  if (cp == 0x2028 || cp == 0x2029 || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
  static constexpr std::array<std::pair<char32_t, char32_t>, 5> kZero = {
      {{0x0300, 0x036f}, {0x200b, 0x200f}, {0x20d0, 0x20ff}, {0xfe00, 0xfe0f}, {0xfe20, 0xfe2f}}};
  for (const auto& [lo, hi] : kZero) {
    if (cp >= lo && cp <= hi) return 0;
  }
  static constexpr std::array<std::pair<char32_t, char32_t>, 11> kWide = {{{0x1100, 0x115f},
                                                                           {0x2e80, 0x303e},
                                                                           {0x3041, 0x33ff},
                                                                           {0x3400, 0x4dbf},
                                                                           {0x4e00, 0x9fff},
                                                                           {0xa000, 0xa4cf},
                                                                           {0xac00, 0xd7a3},
                                                                           {0xf900, 0xfaff},
                                                                           {0xff00, 0xff60},
                                                                           {0x1f300, 0x1faff},
                                                                           {0x20000, 0x3fffd}}};
  for (const auto& [lo, hi] : kWide) {
    if (cp >= lo && cp <= hi) return 2;
  }
  return 1;
}

// An ASCII byte (s[i] < 0x80) that safe_encode writes as \xNN.
bool ascii_escaped(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  return b < 0x20 || b == 0x7f || (b == '\\' && i + 1 < s.size() && s[i + 1] == 'x');
}

}  // namespace

std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  std::size_t len = 0;
  char32_t min = 0;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2;
    cp = b0 & 0x1f;
    min = 0x80;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
    cp = b0 & 0x0f;
    min = 0x800;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
    cp = b0 & 0x07;
    min = 0x10000;
  } else {
    return 0;  // continuation byte, C0/C1 (overlong) or F5..FF lead byte
  }
  if (s.size() - i < len) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (!is_continuation(b)) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

int char_width(char32_t cp) {
  if (cp < 0x80) return (cp >= 0x20 && cp < 0x7f) ? 1 : -1;
  const locale_t loc = utf8_locale();
  if (loc == static_cast<locale_t>(nullptr)) return fallback_width(cp);
  const auto wc = static_cast<wchar_t>(cp);  // glibc's wchar_t holds UCS-4 code points
  if (!iswprint_l(static_cast<wint_t>(wc), loc)) return -1;
  // wcwidth has no _l variant: switch this thread's locale around the call.
  const locale_t old = uselocale(loc);
  const int w = wcwidth(wc);
  uselocale(old);
  return w < 0 ? 0 : w;
}

bool is_plain_ascii(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i)
    if (static_cast<unsigned char>(s[i]) >= 0x80 || ascii_escaped(s, i)) return false;
  return true;
}

Safe safe_encode(std::string_view s) {
  Safe r;
  r.text.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (ascii_escaped(s, i)) {
        append_hex(r.text, b);
        r.width += 4;
      } else {
        r.text += static_cast<char>(b);
        r.width += 1;
      }
      ++i;
      continue;
    }
    char32_t cp = 0;
    const std::size_t len = decode_utf8(s, i, cp);
    if (len == 0) {  // invalid: one byte at a time, as mbrtowc's EILSEQ
      append_hex(r.text, b);
      r.width += 4;
      ++i;
      continue;
    }
    const int w = char_width(cp);
    if (w < 0) {  // valid but not printable: the whole sequence in hex
      for (std::size_t k = 0; k < len; ++k)
        append_hex(r.text, static_cast<unsigned char>(s[i + k]));
      r.width += 4 * len;
    } else {
      r.text.append(s.substr(i, len));
      r.width += static_cast<std::size_t>(w);
    }
    i += len;
  }
  return r;
}

std::size_t display_width(std::string_view safe) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < safe.size();) {
    char32_t cp = 0;
    std::size_t len = decode_utf8(safe, i, cp);
    if (len == 0) len = 1;  // not produced by safe_encode; count it as one cell
    const int w = char_width(cp);
    width += w < 0 ? 1 : static_cast<std::size_t>(w);
    i += len;
  }
  return width;
}

Safe truncate_to_width(std::string_view safe, std::size_t width) {
  Safe r;
  std::size_t i = 0;
  while (i < safe.size()) {
    char32_t cp = 0;
    std::size_t len = decode_utf8(safe, i, cp);
    if (len == 0) len = 1;
    const int cw = char_width(cp);
    // wc_truncate: a non-printable character counts as one cell (it became U+FFFD there).
    const std::size_t w = cw < 0 ? 1 : static_cast<std::size_t>(cw);
    if (r.width + w > width) break;
    r.width += w;
    i += len;
  }
  r.text.assign(safe.substr(0, i));
  return r;
}

std::string raw_encode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    // isblank, '\\', !isprint, iscntrl: in a UTF-8 locale only ASCII bytes are printable.
    if (b > 0x20 && b < 0x7f && b != '\\') {
      out += c;
    } else {
      append_hex(out, b);
    }
  }
  return out;
}

void json_quote(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b >= 0x80) {
      char32_t cp = 0;
      const std::size_t len = decode_utf8(s, i, cp);
      if (len == 0) {
        // libsmartcols copies such bytes through, making the document invalid UTF-8; keep
        // the information as text instead.
        out += '\\';
        append_hex(out, b);
        ++i;
      } else {
        out.append(s.substr(i, len));
        i += len;
      }
      continue;
    }
    switch (b) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (b < 0x20) {
          out += "\\u00";
          out += kHex[b >> 4];
          out += kHex[b & 0xf];
        } else {
          out += static_cast<char>(b);
        }
    }
    ++i;
  }
  out += '"';
}

void append_hex(std::string& out, unsigned char b) {
  out += '\\';
  out += 'x';
  out += kHex[b >> 4];
  out += kHex[b & 0xf];
}

std::string printable(std::string_view s, std::size_t max_bytes) {
  std::string out;
  std::size_t n = std::min(s.size(), max_bytes);
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x20 || b >= 0x7f)
      append_hex(out, b);
    else
      out += s[i];
  }
  if (n < s.size()) out += "...";
  return out;
}

}  // namespace nsctl::text
