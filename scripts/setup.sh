#!/usr/bin/env bash
# Installs nsctl's build and test dependencies from Debian 12's archive (run as root).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libfmt-dev nlohmann-json3-dev libmnl-dev libseccomp-dev libgtest-dev libgmock-dev libbenchmark-dev
  util-linux iproute2 procps uidmap
  busybox-static  # the root filesystem of the `nsctl run` tests
  bubblewrap gnuplot-nox  # bench/: run compared with bwrap, the plot in BENCHMARKS.md
  clang libclang-rt-14-dev  # libFuzzer for tests/fuzz (clang 14 is Debian 12's default)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
