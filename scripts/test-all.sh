#!/usr/bin/env bash
# The whole test suite twice: the normal build, then the same under AddressSanitizer +
# UndefinedBehaviorSanitizer (the `asan` preset in CMakePresets.json: build dir build-asan/,
# sanitizer options in its test preset; the fuzz smoke run is left out there, since the fuzz
# targets are sanitized builds already). This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DNSCTL_WERROR=ON && cmake --build build && ctest --test-dir build --output-on-failure -j2
cmake --preset asan && cmake --build --preset asan && ctest --preset asan
