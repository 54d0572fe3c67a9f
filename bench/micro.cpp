// nsctl-microbench: Google Benchmark timings of the per-process work of a listing: the
// parsers for /proc/PID/stat and ns link targets on fixed input, and the syscalls that read one
// live process (its stat file and its 8 ns links). The comparison with lsns is compare.sh's
// job; these isolate nsctl's own per-process cost so a regression shows up here first.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <string_view>

#include "nsctl/ns_type.hpp"
#include "nsctl/proc.hpp"

namespace {

constexpr std::string_view kStat =
    "4242 (ct12-app) S 4200 4242 4242 0 -1 4194560 103 0 0 0 0 0 0 0 20 0 1 0 123456 "
    "2342912 210 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

void BM_ParseStat(benchmark::State& state) {
  for (auto _ : state) {
    auto st = nsctl::parse_stat(kStat);
    benchmark::DoNotOptimize(st);
  }
}
BENCHMARK(BM_ParseStat);

void BM_ParseNsLink(benchmark::State& state) {
  for (auto _ : state) {
    auto link = nsctl::parse_ns_link("net:[4026531840]");
    benchmark::DoNotOptimize(link);
  }
}
BENCHMARK(BM_ParseNsLink);

// One process's worth of syscalls, as a listing makes them: open /proc/self, read stat,
// readlink the 8 ns links, close.
void BM_ReadOneProcess(benchmark::State& state) {
  std::string buf;
  std::string link;
  for (auto _ : state) {
    auto dir = nsctl::open_dir_at(AT_FDCWD, "/proc/self");
    if (!dir) {
      state.SkipWithError("cannot open /proc/self");
      break;
    }
    auto r = nsctl::read_file_at(dir->get(), "stat", buf);
    benchmark::DoNotOptimize(r);
    for (const auto& t : nsctl::ns_types()) {
      std::string path = "ns/" + std::string(t.name);
      auto l = nsctl::readlink_at(dir->get(), path.c_str(), link);
      benchmark::DoNotOptimize(l);
    }
  }
}
BENCHMARK(BM_ReadOneProcess);

}  // namespace

BENCHMARK_MAIN();
