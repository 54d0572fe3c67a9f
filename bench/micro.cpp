// nsctl-microbench: Google Benchmark timings of the per-process work of a listing: the
// parsers for /proc/PID/stat and ns link targets on fixed input, the syscalls that read one
// live process (its stat file and its 8 ns links), and the table writer on a listing's rows. The
// comparison with lsns is compare.sh's job; these isolate nsctl's own per-process cost so a
// regression shows up here first.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <string_view>
#include <vector>

#include "nsctl/ns/ns_type.hpp"
#include "output/table.hpp"
#include "proc/proc.hpp"

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

// The default `nsctl ls` table (NS TYPE NPROCS PID USER COMMAND) of state.range(0) rows, as
// a busy host's listing has them: the writer's cost per row, escaping and layout included.
void BM_RenderTable(benchmark::State& state) {
  namespace out = nsctl::out;
  auto column = [](const char* name, bool right, std::size_t hint, bool truncate = false) {
    out::Column c;
    c.name = name;
    c.kind = right ? out::Kind::number : out::Kind::string;
    c.right = right;
    c.width_hint = hint;
    c.truncate = truncate;
    return c;
  };
  const std::vector<out::Column> columns = {
      column("NS", true, 10), column("TYPE", false, 5), column("NPROCS", true, 5),
      column("PID", true, 5), column("USER", false, 0), column("COMMAND", false, 0, true)};
  static constexpr const char* kTypes[] = {"cgroup", "ipc", "mnt", "net", "pid", "uts"};
  std::vector<out::Row> rows(static_cast<std::size_t>(state.range(0)));
  for (std::size_t i = 0; i < rows.size(); ++i)
    rows[i].cells = {std::to_string(4026532000 + i),
                     kTypes[i % 6],
                     std::to_string(i % 10 + 1),
                     std::to_string(1000 + i / 6),
                     "root",
                     "/usr/sbin/app-" + std::to_string(i / 6) + " --config /etc/app.conf"};
  for (auto _ : state) {
    std::string text = out::render(columns, rows, out::Options{});
    benchmark::DoNotOptimize(text);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_RenderTable)->Arg(6000);

}  // namespace

BENCHMARK_MAIN();
