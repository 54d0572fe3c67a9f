// /proc/PID/cmdline and /proc/PID/environ: NUL-separated text a process writes itself (it may
// rewrite its argument area, drop the final NUL, or put newlines anywhere).
#include <string>

#include "fuzz_check.hpp"
#include "proc/proc.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_view(data, size);

  auto args = nsctl::parse_cmdline(text);
  std::size_t total = 0;
  for (const auto& a : args) {
    FUZZ_CHECK(a.find('\0') == std::string::npos);
    total += a.size();
  }
  // Splitting only removes separators: the arguments plus one NUL between each pair, plus an
  // optional final NUL, make up the input exactly.
  if (!args.empty()) {
    std::string rebuilt;
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (i) rebuilt.push_back('\0');
      rebuilt += args[i];
    }
    FUZZ_CHECK(rebuilt == text || rebuilt + '\0' == text);
  } else {
    FUZZ_CHECK(text.empty() || text == std::string_view("\0", 1));
  }
  (void)total;

  std::string joined = nsctl::join_cmdline(text);
  FUZZ_CHECK(joined.size() <= text.size());
  FUZZ_CHECK(joined.find('\0') == std::string::npos);

  // environ: the first line of the input (up to '\n') is the variable name to look for in the rest.
  std::size_t nl = text.find('\n');
  if (nl != std::string_view::npos) {
    std::string_view name = text.substr(0, nl), env = text.substr(nl + 1);
    if (auto v = nsctl::environ_value(env, name)) {
      // The value is a view into the block, right after "name=".
      FUZZ_CHECK(v->data() >= env.data() && v->data() + v->size() <= env.data() + env.size());
      FUZZ_CHECK(v->find('\0') == std::string_view::npos);
      std::size_t off = static_cast<std::size_t>(v->data() - env.data());
      FUZZ_CHECK(off >= name.size() + 1);
      FUZZ_CHECK(env.substr(off - name.size() - 1, name.size() + 1) == std::string(name) + "=");
    }
  }
  return 0;
}
