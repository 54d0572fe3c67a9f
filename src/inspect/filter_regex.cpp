#include "inspect/filter_regex.hpp"

#include <algorithm>
#include <vector>

namespace nsctl {

std::size_t regex_cost(std::string_view re) {
  constexpr std::size_t kCap = 1000000000;
  auto mul = [&](std::size_t a, std::size_t b) { return a != 0 && b > kCap / a ? kCap : a * b; };
  auto add = [&](std::size_t a, std::size_t b) { return std::min(kCap, a + b); };
  struct Frame {
    std::size_t total = 0;  // cost of what the group holds so far
    std::size_t last = 0;   // cost of its last item, which a repeat copies
  };
  std::vector<Frame> stack(1);
  // Stacked repeat operators ("a*+", "a++", "a{2}{3}") are undefined in POSIX and are where
  // glibc's closure computation explodes beyond what the copy count predicts: refused outright.
  bool after_repeat = false;
  auto item = [&](std::size_t cost) {
    stack.back().total = add(stack.back().total, cost);
    stack.back().last = cost;
  };
  auto repeat = [&](std::size_t times) {  // the last item appears `times` times in all
    Frame& f = stack.back();
    f.total = add(f.total, mul(f.last, times > 0 ? times - 1 : 0));
    f.last = mul(f.last, std::max<std::size_t>(times, 1));
  };
  for (std::size_t i = 0; i < re.size(); ++i) {
    char c = re[i];
    const bool is_repeat = c == '*' || c == '+' || c == '?' || c == '{';
    if (is_repeat && after_repeat) return kCap;
    after_repeat = is_repeat;
    if (c == '\\') {
      ++i;
      item(1);
    } else if (c == '[') {
      std::size_t j = i + 1;
      if (j < re.size() && re[j] == '^') ++j;
      if (j < re.size() && re[j] == ']') ++j;  // a leading ']' is literal
      while (j < re.size() && re[j] != ']') ++j;
      i = j;
      item(1);
    } else if (c == '(') {
      stack.emplace_back();
    } else if (c == ')' && stack.size() > 1) {
      std::size_t group = std::max<std::size_t>(stack.back().total, 1);
      stack.pop_back();
      item(group);
    } else if (c == '|') {
      stack.back().last = 0;
    } else if (c == '+') {
      repeat(2);
    } else if (c == '{') {
      std::size_t j = i + 1, most = 0, value = 0;
      for (; j < re.size() && re[j] != '}'; ++j) {
        if (re[j] >= '0' && re[j] <= '9') {
          value = std::min<std::size_t>(value * 10 + static_cast<std::size_t>(re[j] - '0'), kCap);
          most = std::max(most, value);
        } else {
          value = 0;
        }
      }
      i = j;
      repeat(std::max<std::size_t>(most, 1));
    } else if (c != '*' && c != '?') {
      item(1);
    }
  }
  std::size_t total = 0;
  for (const Frame& f : stack) total = add(total, f.total);
  return total;
}

std::string Regex::compile(const std::string& pattern) {
  if (regex_cost(pattern) > kMaxRegexCost) return "too complex";
  const int rc = regcomp(&re_, pattern.c_str(), REG_EXTENDED | REG_NOSUB);
  if (rc == 0) {
    compiled_ = true;
    return {};
  }
  char buf[256];
  regerror(rc, &re_, buf, sizeof buf);
  // regcomp frees its partial state on failure; nothing to regfree.
  return buf[0] != '\0' ? std::string(buf) : std::string("error ") + std::to_string(rc);
}

}  // namespace nsctl
