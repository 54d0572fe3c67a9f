// Text from processes and users, made safe for where it goes: UTF-8 decoding, display width,
// the escapes libsmartcols applies in each output format, and the one escape for error
// messages. Every escaper in nsctl is here; each writes a byte as \xNN with append_hex().
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace nsctl::text {

// Decodes the UTF-8 sequence starting at s[i] (which must be < s.size()). Returns its length
// (1-4) and sets cp, or returns 0 when the bytes there are not valid UTF-8: a stray
// continuation byte, a truncated sequence, an overlong form, a surrogate or a value past
// U+10FFFF (the sequences glibc's UTF-8 mbrtowc rejects).
std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t& cp);

// The number of terminal cells a printable code point takes (0, 1 or 2) as glibc's wcwidth
// says in the C.UTF-8 locale, whatever the process locale is; -1 for a character that is not
// printable (controls, C1 controls, unassigned code points, line/paragraph separators).
int char_width(char32_t cp);

// Text made safe for a terminal, and its width in cells.
struct Safe {
  std::string text;
  std::size_t width = 0;
};

// As libsmartcols' mbs_safe_encode (table format): control bytes (< 0x20, DEL), each byte of
// invalid UTF-8 and each byte of a non-printable character become \xNN; a backslash followed
// by 'x' becomes \x5c so that escapes stay unambiguous. Everything else passes through.
Safe safe_encode(std::string_view s);

// True when safe_encode(s) is `s` itself, one cell per byte: printable ASCII without "\x".
bool is_plain_ascii(std::string_view s);

// The display width of text that safe_encode produced.
std::size_t display_width(std::string_view safe);

// Cuts text that safe_encode produced to at most `width` cells, at a character boundary (a
// wide character that would straddle the limit is dropped, as libsmartcols' mbs_truncate does).
Safe truncate_to_width(std::string_view safe, std::size_t width);

// As libsmartcols' raw format (fputs_nonblank): every byte except printable ASCII other than
// space and backslash becomes \xNN, so a cell never contains a blank or a line break.
std::string raw_encode(std::string_view s);

// Appends s to out as a JSON string literal (with the quotes): '"', '\\' and controls escaped
// as libsmartcols does (\b \t \n \f \r, else \u00xx), valid UTF-8 unchanged, and each byte of
// invalid UTF-8 as the text \xNN (written "\\xNN"), so the result is always valid JSON.
void json_quote(std::string& out, std::string_view s);

// Appends "\xNN" (lower-case hex) for byte `b`.
void append_hex(std::string& out, unsigned char b);

// User or process text as it goes into an error message: every byte that is not printable
// ASCII (controls, DEL, anything from 0x80 on, so also valid UTF-8) as \xNN, so that a message
// can never move a terminal's cursor or carry invalid UTF-8; cut after `max_bytes` with "...".
std::string printable(std::string_view text, std::size_t max_bytes = std::string_view::npos);

}  // namespace nsctl::text
