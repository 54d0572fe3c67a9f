#include "base/text.hpp"

namespace nsctl {

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    std::size_t i = text.find(sep);
    out.push_back(text.substr(0, i));
    if (i == std::string_view::npos) break;
    text.remove_prefix(i + 1);
  }
  return out;
}

}  // namespace nsctl
