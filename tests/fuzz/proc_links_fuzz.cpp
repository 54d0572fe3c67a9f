// Link targets and numbers read from /proc: "net:[4026531840]" (ns/* and fd/* links),
// "socket:[12345]", decimal pids and fds, namespace type names.
#include <string>

#include "fuzz_check.hpp"
#include "nsctl/ns/ns_type.hpp"
#include "proc/proc.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_view(data, size);
  if (auto link = nsctl::parse_ns_link(text)) {
    // The type named before ":[" is one of the 8, and the result names it again.
    std::string_view type_name = text.substr(0, text.find(":["));
    FUZZ_CHECK(nsctl::ns_type_from_name(type_name) == link->type);
    FUZZ_CHECK(text.back() == ']');
  }
  if (auto ino = nsctl::parse_socket_link(text)) FUZZ_CHECK(text.starts_with("socket:["));
  if (auto n = nsctl::parse_decimal(text)) {
    // The whole input is the number: printing it back gives the input, up to a '+' sign or
    // leading zeros that from_chars accepts.
    FUZZ_CHECK(!text.empty());
    std::string back = std::to_string(*n);
    FUZZ_CHECK(back.size() <= text.size());
  }
  if (auto t = nsctl::ns_type_from_name(text)) FUZZ_CHECK(nsctl::name(*t) == text);
  return 0;
}
