// nsctl run --config: sandbox_from_json over any text (the OCI-shaped document, with hostile
// nesting, numbers, strings and types), then the round trip that --print-config promises:
// every accepted document, written back with sandbox_to_json, reads back to the same spec over
// any base. validate_sandbox runs on what was accepted, for its own crashes.
#include <string>

#include "fuzz_check.hpp"
#include "sandbox/sandbox.hpp"
#include "sandbox/sandbox_config.hpp"

namespace {

const nsctl::SandboxSpec& base(std::size_t i) {
  static const nsctl::SandboxSpec kBases[] = {nsctl::default_sandbox(1000, "xterm"),
                                              nsctl::default_sandbox(0, nullptr),
                                              nsctl::SandboxSpec{}};
  return kBases[i % 3];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = fuzz::as_view(data, size);
  auto spec = nsctl::sandbox_from_json(in, base(size));
  if (!spec) {
    // Printed to the terminal: user text in it must arrive escaped.
    FUZZ_CHECK(!spec.error().message().empty());
    FUZZ_CHECK(fuzz::printable_ascii(spec.error().message()));
    return 0;
  }
  std::string text = nsctl::sandbox_to_json(*spec);
  FUZZ_CHECK(fuzz::valid_utf8(text));
  for (std::size_t i = 0; i < 3; ++i) {
    auto back = nsctl::sandbox_from_json(text, base(i));
    if (!back) std::fprintf(stderr, "%s\n%s\n", back.error().message().c_str(), text.c_str());
    FUZZ_CHECK(back);
    FUZZ_CHECK(*back == *spec);
  }
  (void)nsctl::validate_sandbox(*spec);
  return 0;
}
