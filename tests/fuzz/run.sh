#!/usr/bin/env bash
# Builds nsctl's libFuzzer targets with clang++ and runs each one over its seed corpus.
#
#   tests/fuzz/run.sh [--build-dir DIR] [--seconds N] [TARGET...]
#
# Defaults: build in build-fuzz/ at the top of the source tree, 4 s per target (about 60 s
# for all of them: CTest's fuzz_smoke runs it so), every target. Inputs the fuzzer finds go
# into DIR/corpus/TARGET (the seeds in tests/data/fuzz/NAME for TARGET NAME_fuzz are read, never written);
# a crash is saved as DIR/artifacts/TARGET-crash-<sha1> and makes the script exit 1.
# Extra libFuzzer flags: NSCTL_FUZZ_FLAGS="-jobs=8 -workers=8".
# Compiler: $NSCTL_FUZZ_CXX, else the first clang++ (clang++, clang++-20 ... clang++-14) that
# links -fsanitize=fuzzer. Exit 77 when there is none (CTest reports the test as skipped).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
seeds=$root/tests/data/fuzz
build=$root/build-fuzz
seconds=${NSCTL_FUZZ_SECONDS:-4}
long_run=${NSCTL_FUZZ_SECONDS:+1}
# The short (CTest) run is a fixed sequence of inputs; a long run (--seconds) is unbounded.
targets=()
while (($#)); do
  case $1 in
    --build-dir) build=$2; shift 2 ;;
    --seconds) seconds=$2; long_run=1; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done

# A clang++ whose libFuzzer runtime is installed (clang-NN plus libclang-rt-NN-dev).
probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
printf '#include <cstdint>\n#include <cstddef>\nextern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n' \
  >"$probe_dir/probe.cpp"
cxx=""
candidates=(${NSCTL_FUZZ_CXX:-} clang++ clang++-20 clang++-19 clang++-18 clang++-17 clang++-16 clang++-15 clang++-14)
for c in "${candidates[@]}"; do
  command -v "$c" >/dev/null 2>&1 || continue
  if "$c" -fsanitize=fuzzer,address,undefined "$probe_dir/probe.cpp" -o "$probe_dir/probe" >/dev/null 2>&1; then
    cxx=$(command -v "$c")
    break
  fi
done
if [[ -z $cxx ]]; then
  echo "run.sh: SKIP: no clang++ with libFuzzer (install clang and libclang-rt-14-dev: scripts/setup.sh)"
  exit 77
fi

generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S "$here" -B "$build" "${generator[@]}" -DCMAKE_CXX_COMPILER="$cxx" >"$probe_dir/configure.log" 2>&1 ||
    { cat "$probe_dir/configure.log"; echo "run.sh: configuring the fuzz build failed" >&2; exit 1; }
fi
echo "run.sh: building the fuzz targets with $cxx in $build"
cmake --build "$build" -j"$(nproc)" >"$probe_dir/build.log" 2>&1 ||
  { tail -n 60 "$probe_dir/build.log"; echo "run.sh: building the fuzz targets failed" >&2; exit 1; }

if ((${#targets[@]} == 0)); then mapfile -t targets < <(grep -v '^$' "$build/targets.txt"); fi

failed=()
start=$SECONDS
for t in "${targets[@]}"; do
  [[ -x $build/$t ]] || { echo "run.sh: no such target: $t" >&2; exit 2; }
  mkdir -p "$build/corpus/$t" "$build/artifacts" "$build/logs"
  corpora=("$build/corpus/$t")
  [[ -d $seeds/${t%_fuzz} ]] && corpora+=("$seeds/${t%_fuzz}")
  log=$build/logs/$t.log
  # -error_exitcode: libFuzzer's default (77) would read as "skipped" to CTest.
  # -seed and -runs make the CTest run one fixed sequence of inputs (the time only caps it, and
  # a capped run is a prefix of that sequence): a green suite stays green on a loaded machine,
  # and what a longer run (--seconds, NSCTL_FUZZ_FLAGS) finds is fixed and kept as a seed.
  # shellcheck disable=SC2086
  if "$build/$t" -seed="${NSCTL_FUZZ_SEED:-1}" -runs="${NSCTL_FUZZ_RUNS:-$([[ -n $long_run ]] && echo -1 || echo 20000)}" \
      -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len=8192 \
      -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
      -artifact_prefix="$build/artifacts/$t-" ${NSCTL_FUZZ_FLAGS:-} "${corpora[@]}" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    echo "run.sh: $t: ok (${runs:-?} runs in ${seconds}s)"
  else
    echo "run.sh: $t: FAILED; the end of $log:"
    tail -n 40 "$log"
    failed+=("$t")
  fi
done
echo "run.sh: fuzzed ${#targets[@]} targets in $((SECONDS - start)) s"
if ((${#failed[@]})); then
  echo "run.sh: failed: ${failed[*]}; reproducers in $build/artifacts/ (run: $build/TARGET FILE)" >&2
  exit 1
fi
