// Shared by the *_args_fuzz targets, which fuzz a command's whole option parsing (getopt_long
// and every option-value parser: columns, types, tree kinds, PIDs, ids, maps, signals, time
// offsets, propagation, setgroups, ...).
//
// The command's parsers live in an anonymous namespace of cli/cmd_<name>.cpp, so each target
// #includes that file (and the fuzz build leaves cli/cmd_*.cpp out of its CLI library). Only
// parsing runs: nothing is scanned, joined or started.
//
// Input: the argument words separated by NUL bytes (at most 24); argv[0] is the command name.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "fuzz_check.hpp"

namespace fuzz {

struct Argv {
  std::vector<std::string> words;
  std::vector<char*> ptrs;
  Argv(const char* prog, std::string_view input) {
    words.emplace_back(prog);
    if (!input.empty())
      for (std::string_view w : split(input, '\0', 24)) words.emplace_back(w);
    for (auto& w : words) ptrs.push_back(w.data());
    ptrs.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(words.size()); }
  char** argv() { return ptrs.data(); }
};

// A failure's message is printed to the terminal: user input in it must be escaped.
inline void check_outcome(const nsctl::cli::Outcome& r) {
  if (!r) {
    const std::string& m = r.error().message;
    if (!no_controls(m)) {
      std::fprintf(stderr, "message with a raw control byte:");
      for (unsigned char c : m) std::fprintf(stderr, c < 0x20 || c >= 0x7f ? " %02x" : " '%c'", c);
      std::fprintf(stderr, "\n");
    }
    FUZZ_CHECK(!m.empty());
    FUZZ_CHECK(no_controls(m));
  }
}

}  // namespace fuzz
