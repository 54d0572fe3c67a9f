#!/usr/bin/env bash
# Compares `nsctl ls` with util-linux `lsns` on the same machine in the same run, inside a
# workload of N processes (bench/workload.cpp) per size; and, once, `nsctl unshare` with
# `unshare` and `nsctl enter` with `nsenter` (plus /bin/true, the floor of any process start).
# Rewrites BENCHMARKS.md.
#
#   bench/compare.sh            sizes 100 1000 4000, 15 interleaved runs each; 200 of each start
#   bench/compare.sh --full     also 10000 (5 runs there: lsns is O(P^2))
#   bench/compare.sh --smoke    20 processes, 2 runs, 5 of each start, no BENCHMARKS.md; exit 1
#                               if a command fails or prints nothing (the BenchSmoke e2e test)
#
# Options: --sizes "A B ..."  --runs N  --start-runs N  --output FILE  --no-strace
# Binaries (environment): NSCTL (default: build/nsctl), NSCTL_WORKLOAD and NSCTL_BENCHRUN
# (default: next to $NSCTL), LSNS, UNSHARE, NSENTER (default: on the PATH). Needs root.
# See bench/README.md for what each number means.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")

# ---- Inside one workload: measure every comparison, write TSV files into $outdir ---------
# Usage: compare.sh --inside SIZE OUTDIR RUNS STRACE(0|1)
inside() {
  local size=$1 outdir=$2 runs=$3 use_strace=$4
  local procs tasks status=0
  # What the tools will see: every process of the workload's pid namespace.
  procs=$(find /proc -mindepth 1 -maxdepth 1 -name '[0-9]*' | wc -l)
  tasks=$(find /proc/[0-9]*/task -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
  printf 'size\t%s\nprocs\t%s\ntasks\t%s\n' "$size" "$procs" "$tasks" >"$outdir/population.tsv"

  local warmup=1
  ((runs <= 2)) && warmup=0
  local name args
  for cmp in "ls|" "json|-J" "net|-t net"; do
    name=${cmp%%|*}
    args=${cmp#*|}
    mkdir -p "$outdir/$name"
    if ! "$BENCHRUN" --runs "$runs" --warmup "$warmup" --require-output --save "$outdir/$name" \
      "nsctl=$NSCTL ls${args:+ $args}" "lsns=$LSNS${args:+ $args}" \
      >"$outdir/$name/times.tsv" 2>"$outdir/$name/errors.txt"; then
      echo "compare.sh: $size processes, '$name': a command failed:" >&2
      cat "$outdir/$name/errors.txt" >&2
      status=1
    fi
    if ((use_strace)); then
      local tool cmd
      for tool in nsctl lsns; do
        if [[ $tool == nsctl ]]; then cmd="$NSCTL ls${args:+ $args}"; else cmd="$LSNS${args:+ $args}"; fi
        # shellcheck disable=SC2086 # the command is split at spaces on purpose
        if ! strace -c -f -U name,calls,errors -S calls -o "$outdir/$name/$tool.strace" \
          $cmd >/dev/null 2>>"$outdir/$name/errors.txt"; then
          echo "compare.sh: $size processes, '$name': $tool failed under strace" >&2
          status=1
        fi
      done
    fi
  done
  return "$status"
}

if [[ ${1:-} == --inside ]]; then
  shift
  inside "$@"
  exit $?
fi

# ---- Outside: one workload per size, then the report -------------------------------------
sizes="100 1000 4000"
runs=""
start_runs=""
smoke=0
full=0
use_strace=1
output="$repo/BENCHMARKS.md"
cmdline="bench/compare.sh${*:+ $*}"
if [[ -n ${NSCTL:-} ]]; then cmdline="NSCTL=${NSCTL#"$repo/"} $cmdline"; fi
while (($#)); do
  case $1 in
  --smoke) smoke=1 ;;
  --full) full=1 ;;
  --sizes) sizes=$2; shift ;;
  --runs) runs=$2; shift ;;
  --start-runs) start_runs=$2; shift ;;
  --output) output=$2; shift ;;
  --no-strace) use_strace=0 ;;
  -h | --help)
    sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *) echo "compare.sh: unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
((full)) && sizes="$sizes 10000"
((smoke)) && sizes=20 && runs=${runs:-2} && start_runs=${start_runs:-5}
start_runs=${start_runs:-200}

NSCTL=${NSCTL:-$repo/build/nsctl}
bindir=$(dirname "$NSCTL")
NSCTL_WORKLOAD=${NSCTL_WORKLOAD:-$bindir/nsctl-workload}
BENCHRUN=${NSCTL_BENCHRUN:-$bindir/nsctl-benchrun}
LSNS=${LSNS:-lsns}
LSNS=$(command -v "$LSNS" || true)
UNSHARE=$(command -v "${UNSHARE:-unshare}" || true)
NSENTER=$(command -v "${NSENTER:-nsenter}" || true)
export NSCTL BENCHRUN LSNS

for bin in "$NSCTL" "$NSCTL_WORKLOAD" "$BENCHRUN" "$LSNS" "$UNSHARE" "$NSENTER" /bin/true; do
  if [[ -z $bin || ! -x $bin ]]; then
    echo "compare.sh: missing binary: '${bin:-lsns, unshare or nsenter}' (build with: cmake --build build)" >&2
    exit 2
  fi
done
if ((EUID != 0)); then
  echo "compare.sh: needs root (it creates namespaces and mounts)" >&2
  exit 2
fi
if ((use_strace)) && ! command -v strace >/dev/null; then
  echo "compare.sh: strace not installed (apt-get install strace): no syscall counts" >&2
  use_strace=0
fi

load_start=$(cut -d" " -f1-3 /proc/loadavg)
work=$(mktemp -d "${TMPDIR:-/tmp}/nsctl-bench.XXXXXX")
target_parent="" # the `unshare ... sleep` that `enter` targets, while it runs
# shellcheck disable=SC2317 # called through the trap
cleanup() {
  if [[ -n $target_parent ]]; then
    # unshare -f blocks SIGINT and SIGTERM while it waits; --kill-child takes the sleep with it.
    kill -KILL "$target_parent" 2>/dev/null || true
    wait "$target_parent" 2>/dev/null || true
    target_parent=""
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
status=0

# ---- Process start: once, on the machine itself (the process count does not matter) -------
# start_cmp NAME NSCTL_COMMAND UTIL_LINUX_COMMAND: the two and /bin/true, interleaved.
start_cmp() {
  local dir="$work/start/$1" warmup=1
  ((start_runs <= 2)) && warmup=0
  mkdir -p "$dir"
  if ! "$BENCHRUN" --runs "$start_runs" --warmup "$warmup" --save "$dir" \
    "nsctl=$2" "util-linux=$3" "true=/bin/true" >"$dir/times.tsv" 2>"$dir/errors.txt"; then
    echo "compare.sh: '$1': a command failed:" >&2
    cat "$dir/errors.txt" >&2
    status=1
  fi
}

# start_target: starts `unshare ... sleep 1000` in the background (its pid: $target_parent) and
# sets $target to the pid of the sleep, PID 1 of the new pid namespace.
start_target() {
  local i kids pid
  target=""
  "$UNSHARE" -fp --kill-child --mount-proc -n -u -i sleep 1000 </dev/null >/dev/null \
    2>"$work/start/target.txt" &
  target_parent=$!
  for ((i = 0; i < 1000; i++)); do
    kids=$(cat "/proc/$target_parent/task/$target_parent/children" 2>/dev/null || true)
    pid=${kids%% *}
    # comm is "sleep" once the child has exec'd: its namespaces and /proc are set up.
    if [[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == sleep ]]; then
      target=$pid
      return 0
    fi
    kill -0 "$target_parent" 2>/dev/null || break
    sleep 0.01
  done
  echo "compare.sh: the target for 'enter' did not start:" >&2
  cat "$work/start/target.txt" >&2
  return 1
}

load_start_cmp=$(cut -d" " -f1-3 /proc/loadavg)
mkdir -p "$work/start"
echo "compare.sh: unshare and enter, $start_runs runs per command..." >&2
start_cmp unshare "$NSCTL unshare -fp --mount-proc -n -u -i true" \
  "$UNSHARE -fp --mount-proc -n -u -i true"
if start_target; then
  start_cmp enter "$NSCTL enter -t $target -a true" "$NSENTER -t $target -a true"
else
  status=1
fi
if [[ -n $target_parent ]]; then
  kill -KILL "$target_parent" 2>/dev/null || true
  wait "$target_parent" 2>/dev/null || true
  target_parent=""
fi
for size in $sizes; do
  n=${runs:-15}
  [[ -z $runs && $size -ge 10000 ]] && n=5
  mkdir -p "$work/$size"
  echo "compare.sh: $size processes, $n runs per command..." >&2
  if ! "$NSCTL_WORKLOAD" --procs "$size" -- "$BASH" "${BASH_SOURCE[0]}" --inside "$size" \
    "$work/$size" "$n" "$use_strace" 2>"$work/$size/workload.txt"; then
    status=1
  fi
  # The workload's summary line; other stderr (failures) goes to ours.
  grep -v '^nsctl-workload: [0-9]* processes up' "$work/$size/workload.txt" >&2 || true
done

# ---- Report helpers --------------------------------------------------------------------
# field FILE LABEL COLUMN: a value from a benchrun TSV.
field() {
  awk -F'\t' -v l="$2" -v c="$3" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $1 == l { print $col[c] }' "$1"
}
# calls FILE: total syscalls in an `strace -c` summary.
calls() { awk '$1 == "total" { print $2 }' "$1" 2>/dev/null; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
per() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }'; }
ms() { awk -v v="$1" 'BEGIN { if (v >= 100) printf "%.0f", v; else if (v >= 10) printf "%.1f", v; else printf "%.2f", v }'; }
mib() { awk -v v="$1" 'BEGIN { printf "%.1f", v / 1024 }'; }
population() { awk -F'\t' -v k="$2" '$1 == k { print $2 }' "$1/population.tsv" 2>/dev/null; }

timing_table() { # $1 comparison name
  echo "| processes | lsns wall ms: median (min–max) | nsctl wall ms: median (min–max) | wall lsns / nsctl | lsns CPU ms | nsctl CPU ms | CPU lsns / nsctl | peak RSS MiB lsns / nsctl | output lines lsns / nsctl | runs |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  local size t
  for size in $sizes; do
    t="$work/$size/$1/times.tsv"
    [[ -s $t ]] || continue
    local -A v=()
    local tool col
    for tool in lsns nsctl; do
      for col in median_ms min_ms max_ms cpu_ms rss_max_kib out_lines runs; do
        v[$tool.$col]=$(field "$t" "$tool" "$col")
      done
    done
    echo "| $(population "$work/$size" procs)" \
      "| $(ms "${v[lsns.median_ms]}") ($(ms "${v[lsns.min_ms]}")–$(ms "${v[lsns.max_ms]}"))" \
      "| $(ms "${v[nsctl.median_ms]}") ($(ms "${v[nsctl.min_ms]}")–$(ms "${v[nsctl.max_ms]}"))" \
      "| **$(ratio "${v[lsns.median_ms]}" "${v[nsctl.median_ms]}")**" \
      "| $(ms "${v[lsns.cpu_ms]}") | $(ms "${v[nsctl.cpu_ms]}")" \
      "| **$(ratio "${v[lsns.cpu_ms]}" "${v[nsctl.cpu_ms]}")**" \
      "| $(mib "${v[lsns.rss_max_kib]}") / $(mib "${v[nsctl.rss_max_kib]}")" \
      "| ${v[lsns.out_lines]} / ${v[nsctl.out_lines]} | ${v[nsctl.runs]} |"
  done
}

# above A B FLOOR: ratio of A and B once the floor (a bare process start) is taken off both.
above() {
  awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { if (b - f > 0) printf "%.2f", (a - f) / (b - f); else print "-" }'
}
start_cmd() { # $1 start comparison, $2 nsctl or util-linux: the command, as the table shows it
  case $1.$2 in
  unshare.nsctl) echo "nsctl unshare -fp --mount-proc -n -u -i true" ;;
  unshare.util-linux) echo "unshare -fp --mount-proc -n -u -i true" ;;
  enter.nsctl) echo "nsctl enter -t PID -a true" ;;
  enter.util-linux) echo "nsenter -t PID -a true" ;;
  esac
}

start_table() { # $1 start comparison: unshare or enter
  local t="$work/start/$1/times.tsv"
  echo "| command | util-linux wall ms: median (min–max) | nsctl wall ms: median (min–max) | \`/bin/true\` wall ms: median (min–max) | wall util-linux / nsctl | above \`/bin/true\`: util-linux / nsctl | util-linux CPU ms | nsctl CPU ms | \`/bin/true\` CPU ms | CPU util-linux / nsctl | peak RSS MiB util-linux / nsctl / \`true\` | runs |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  [[ -s $t ]] || return 0
  local -A v=()
  local tool col
  for tool in util-linux nsctl true; do
    for col in median_ms min_ms max_ms cpu_ms rss_max_kib runs; do
      v[$tool.$col]=$(field "$t" "$tool" "$col")
    done
  done
  echo "| \`$(start_cmd "$1" util-linux)\`" \
    "| $(ms "${v[util-linux.median_ms]}") ($(ms "${v[util-linux.min_ms]}")–$(ms "${v[util-linux.max_ms]}"))" \
    "| $(ms "${v[nsctl.median_ms]}") ($(ms "${v[nsctl.min_ms]}")–$(ms "${v[nsctl.max_ms]}"))" \
    "| $(ms "${v[true.median_ms]}") ($(ms "${v[true.min_ms]}")–$(ms "${v[true.max_ms]}"))" \
    "| **$(ratio "${v[util-linux.median_ms]}" "${v[nsctl.median_ms]}")**" \
    "| **$(above "${v[util-linux.median_ms]}" "${v[nsctl.median_ms]}" "${v[true.median_ms]}")**" \
    "| $(ms "${v[util-linux.cpu_ms]}") | $(ms "${v[nsctl.cpu_ms]}") | $(ms "${v[true.cpu_ms]}")" \
    "| **$(ratio "${v[util-linux.cpu_ms]}" "${v[nsctl.cpu_ms]}")**" \
    "| $(mib "${v[util-linux.rss_max_kib]}") / $(mib "${v[nsctl.rss_max_kib]}") / $(mib "${v[true.rss_max_kib]}")" \
    "| ${v[nsctl.runs]} |"
}

syscall_table() {
  echo "| processes | comparison | lsns syscalls | nsctl syscalls | lsns per process | nsctl per process | lsns per added process | nsctl per added process |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|"
  local cmp size procs l n prev_procs prev_l prev_n ml mn
  for cmp in ls json net; do
    prev_procs="" prev_l="" prev_n=""
    for size in $sizes; do
      [[ -s $work/$size/$cmp/lsns.strace ]] || continue
      procs=$(population "$work/$size" procs)
      l=$(calls "$work/$size/$cmp/lsns.strace")
      n=$(calls "$work/$size/$cmp/nsctl.strace")
      ml="-" mn="-"
      if [[ -n $prev_procs ]]; then
        ml=$(per "$((l - prev_l))" "$((procs - prev_procs))")
        mn=$(per "$((n - prev_n))" "$((procs - prev_procs))")
      fi
      echo "| $procs | \`$(cmp_args "$cmp")\` | $l | $n | $(per "$l" "$procs") | $(per "$n" "$procs") | $ml | $mn |"
      prev_procs=$procs prev_l=$l prev_n=$n
    done
  done
}

cmp_args() {
  case $1 in
  ls) echo "ls" ;;
  json) echo "ls -J" ;;
  net) echo "ls -t net" ;;
  esac
}
lsns_args() { local a; a=$(cmp_args "$1"); echo "${a#ls}"; }

# breakdown SIZE CMP: syscalls by name, per listed process, for both tools.
breakdown() {
  local dir="$work/$1/$2" procs
  procs=$(population "$work/$1" procs)
  echo "| syscall | lsns per process | nsctl per process |"
  echo "|---|---:|---:|"
  awk -v p="$procs" '
    FNR == 1 { tool = (FILENAME ~ /lsns.strace$/) ? "lsns" : "nsctl" }
    /^-/ || $1 == "syscall" || $1 == "total" || NF < 2 { next }
    { n[tool, $1] = $2; names[$1] = 1; tot[$1] += $2 }
    END {
      for (s in names) if (tot[s] >= p / 10)
        printf "%s\t%.2f\t%.2f\n", s, n["lsns", s] / p, n["nsctl", s] / p
    }' "$dir/lsns.strace" "$dir/nsctl.strace" | sort -t$'\t' -k2,2gr -k3,3gr |
    awk -F'\t' '{ printf "| `%s` | %s | %s |\n", $1, $2, $3 }'
}

# ---- Smoke: say what happened, write nothing ---------------------------------------------
if ((smoke)); then
  for size in $sizes; do
    for cmp in ls json net; do
      t="$work/$size/$cmp/times.tsv"
      if [[ ! -s $t ]]; then
        echo "compare.sh: smoke: no timings for '$cmp'" >&2
        status=1
        continue
      fi
      printf 'smoke %-5s procs=%s lsns=%sms nsctl=%sms lines lsns/nsctl=%s/%s\n' "$cmp" \
        "$(population "$work/$size" procs)" "$(field "$t" lsns median_ms)" \
        "$(field "$t" nsctl median_ms)" "$(field "$t" lsns out_lines)" "$(field "$t" nsctl out_lines)"
      if ((use_strace)); then
        for tool in nsctl lsns; do
          if [[ -z $(calls "$work/$size/$cmp/$tool.strace") ]]; then
            echo "compare.sh: smoke: no strace summary for $tool '$cmp'" >&2
            status=1
          fi
        done
      fi
    done
  done
  for cmp in unshare enter; do
    t="$work/start/$cmp/times.tsv"
    if [[ ! -s $t ]]; then
      echo "compare.sh: smoke: no timings for '$cmp'" >&2
      status=1
      continue
    fi
    printf 'smoke %-7s util-linux=%sms nsctl=%sms true=%sms runs=%s\n' "$cmp" \
      "$(field "$t" util-linux median_ms)" "$(field "$t" nsctl median_ms)" \
      "$(field "$t" true median_ms)" "$(field "$t" nsctl runs)"
  done
  ((status == 0)) && echo "compare.sh: smoke OK" >&2
  exit "$status"
fi

# ---- BENCHMARKS.md ------------------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
# shellcheck disable=SC1091 # a system file
distro=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}")
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$repo" status --porcelain -- src include cli 2>/dev/null | head -1)
largest=${sizes##* }
# The cache holds an empty CMAKE_BUILD_TYPE when the project default (RelWithDebInfo) applies.
build_type=$(awk -F= '/^CMAKE_BUILD_TYPE:/ { print $2 }' "$(dirname "$NSCTL")/CMakeCache.txt" 2>/dev/null || true)
build_type=${build_type:-RelWithDebInfo, the default}

{
  echo "# Benchmarks"
  echo
  echo "Generated by \`$cmdline\` on $(date -u '+%Y-%m-%d %H:%M UTC'); do not edit by hand,"
  echo "rerun it (see [bench/README.md](bench/README.md) for what each number means)."
  echo
  echo "## Machine and tools"
  echo
  echo "- CPU: ${cpu:-unknown}, $(nproc) cores; memory $mem; kernel $(uname -r); $distro"
  echo "- nsctl: \`$("$NSCTL" --version 2>&1 | head -1)\`, commit $commit${dirty:+ (with uncommitted changes)}, $(basename "$(dirname "$NSCTL")")/ build ($build_type)"
  echo "- load average (1, 5, 15 min) before the first workload: $load_start. Other work on the machine
    stretches wall times (2 cores); CPU times are much less affected."
  echo "- lsns: \`$("$LSNS" --version 2>&1 | head -1)\` ($LSNS); unshare: \`$("$UNSHARE" --version 2>&1 | head -1)\`; nsenter: \`$("$NSENTER" --version 2>&1 | head -1)\`"
  ((use_strace)) && echo "- strace: \`$(strace -V | head -1)\`"
  echo
  echo "## Workload"
  echo
  echo "Each size runs inside its own \`nsctl-workload --procs N\`: a new pid namespace with its own"
  echo "/proc, so the tools see only the workload. Processes come in groups of 10 sharing new"
  echo "pid+mnt+net+uts+ipc namespaces (every third group also in a new user and cgroup namespace,"
  echo "every eighth group's members in a new time namespace), plus threads that unshare a uts or"
  echo "net namespace, processes holding namespace fds, and nsfs bind mounts."
  echo
  echo "| processes | tasks | setup |"
  echo "|---:|---:|---|"
  for size in $sizes; do
    summary=$(grep -o '[0-9]* processes up.*' "$work/$size/workload.txt" 2>/dev/null | head -1)
    echo "| $(population "$work/$size" procs) | $(population "$work/$size" tasks) | ${summary:-?} |"
  done
  echo
  echo "Wall time is per run, with the two commands interleaved (A B A B …) after one warm-up round;"
  echo "CPU is the median user + system time of a run. *lsns / nsctl* is the ratio of the medians"
  echo "(above 1: nsctl is faster). Peak RSS is the largest \`ru_maxrss\` of the runs."
  for cmp in ls json net; do
    echo
    echo "## \`nsctl $(cmp_args "$cmp")\` vs \`lsns$(lsns_args "$cmp")\`"
    echo
    timing_table "$cmp"
  done
  echo
  echo "## Starting a command in new namespaces, or in a process's namespaces"
  echo
  echo "Run once, on the machine itself (not in a workload: the process count does not matter),"
  echo "before the workloads; load average (1, 5, 15 min) then: $load_start_cmp. Each table interleaves"
  echo "three commands, nsctl, util-linux and \`/bin/true\` alone (the floor: one \`posix_spawnp\` +"
  echo "exec + exit + \`wait4\`, which every command pays), after one warm-up round. *Above"
  echo "\`/bin/true\`* is the ratio once that floor is taken off both medians: the cost of the tools'"
  echo "own work. CPU and peak RSS include the forked child that runs \`true\` (\`wait4\` counts the"
  echo "children a process reaped). Above 1, nsctl is faster."
  echo
  echo "### \`$(start_cmd unshare nsctl)\` vs \`$(start_cmd unshare util-linux)\`"
  echo
  start_table unshare
  echo
  echo "### \`$(start_cmd enter nsctl)\` vs \`$(start_cmd enter util-linux)\`"
  echo
  echo "PID is a \`sleep\` the script starts with \`unshare -fp --kill-child --mount-proc -n -u -i\`:"
  echo "PID 1 of new pid, mount, net, uts and ipc namespaces (user, cgroup and time are the machine's)."
  echo
  start_table enter
  if ((use_strace)); then
    echo
    echo "## Syscalls per listed process"
    echo
    echo "Counted with \`strace -c -f\` (one run each, not timed). *Per process* divides the total by"
    echo "the processes listed, so it includes start-up (loading libraries: a fixed ~100 calls);"
    echo "*per added process* is the slope between two sizes, the cost of one more process."
    echo
    syscall_table
    echo
    echo "### By syscall, \`ls\` at $(population "$work/$largest" procs) processes"
    echo
    echo "Calls per listed process (syscalls made less than once per 10 processes are left out)."
    echo
    breakdown "$largest" ls
  fi
} >"$output.tmp"
mv "$output.tmp" "$output"
echo "compare.sh: wrote $output" >&2
exit "$status"
