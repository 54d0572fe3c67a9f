#!/usr/bin/env bash
# The whole test suite twice: the normal build (exactly the README's test command), then the
# same under AddressSanitizer + UndefinedBehaviorSanitizer (the `asan` preset in
# CMakePresets.json, build dir build-asan/, sanitizer options in its test preset).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DNSCTL_WERROR=ON && cmake --build build && ctest --test-dir build --output-on-failure -j2
cmake --preset asan && cmake --build --preset asan && ctest --preset asan
