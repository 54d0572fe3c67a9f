// /proc/PID/stat: a process names itself (comm, up to 15 bytes, any byte but NUL, including
// ')' and newlines), so the parser must never read out of bounds and must take the name up to
// the *last* ')'. ASan checks the bounds: the input buffer is exactly `size` bytes.
#include "fuzz_check.hpp"
#include "proc/proc.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_view(data, size);
  auto st = nsctl::parse_stat(text);
  if (st) {
    std::size_t open = text.find('('), close = text.rfind(')');
    FUZZ_CHECK(open != std::string_view::npos && close != std::string_view::npos && open < close);
    FUZZ_CHECK(st->comm == text.substr(open + 1, close - open - 1));
    // The kernel writes "<pid> (<comm>) ...": the pid is positive and all of the text before
    // the space in front of '('.
    FUZZ_CHECK(st->pid > 0 && st->ppid >= 0);
    FUZZ_CHECK(open >= 2 && text[open - 1] == ' ');
    FUZZ_CHECK(text.substr(0, open - 1).find_first_not_of("0123456789") == std::string_view::npos);
  } else {
    FUZZ_CHECK(!st.error().message().empty());
  }
  return 0;
}
