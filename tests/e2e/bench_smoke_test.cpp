// The benchmark harness still works: the workload generator builds its population and passes
// the command's exit status through, and `bench/compare.sh --smoke` runs every comparison
// (nsctl ls vs lsns and nsctl ps vs bench/ns_loop.py inside a small workload; unshare, enter
// and run vs unshare, nsenter and bwrap) a few times. Not a timing test: it checks that the
// commands succeed and print something. A comparison whose other tool is not installed
// (python3, bwrap), or `nsctl run` while it does not work yet, is reported as skipped.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;

// The binaries that bench/CMakeLists.txt puts next to nsctl.
fs::path bin_dir() { return fs::path(NSCTL_BINARY).parent_path(); }

// bench/ of the source tree this file belongs to (tests/e2e/ -> ../../bench).
fs::path bench_dir() {
  return fs::path(__FILE__).parent_path().parent_path().parent_path() / "bench";
}

struct Outcome {
  int status = -1;  // exit status, or -1 if killed by a signal
  std::string output;
};

// Runs a shell command line, stdout and stderr together.
Outcome run_shell(const std::string& command) {
  Outcome r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

// Skips unless root and the bench binaries were built (NSCTL_BUILD_BENCH=ON).
#define SKIP_UNLESS_READY()                                                              \
  do {                                                                                   \
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: the workload creates namespaces"; \
    if (!fs::exists(bin_dir() / "nsctl-workload"))                                       \
      GTEST_SKIP() << "nsctl-workload not built next to nsctl (NSCTL_BUILD_BENCH=OFF?)"; \
    if (!fs::exists(bench_dir() / "compare.sh"))                                         \
      GTEST_SKIP() << "bench/compare.sh not found at " << bench_dir();                   \
  } while (0)

TEST(BenchSmoke, WorkloadRunsCommandInsideAndPassesItsStatus) {
  SKIP_UNLESS_READY();
  // Inside: only the workload's processes (30, plus sh, ls and wc), and the nsfs mounts it
  // made in its own mount namespace. The exit status 3 must come back out.
  Outcome r =
      run_shell(quoted(bin_dir() / "nsctl-workload") +
                " --procs 30 --quiet -- sh -c '"
                "n=$(ls -d /proc/[0-9]* | wc -l); echo procs=$n; "
                "[ $n -ge 30 ] && [ $n -le 40 ] || exit 9; "
                "[ $(grep -c \" /mnt/netns/.* - nsfs \" /proc/self/mountinfo) -eq 2 ] || exit 8; "
                "exit 3'");
  EXPECT_EQ(r.status, 3) << r.output;

  // Outside, nothing of it is left: its mounts were only ever in its own mount namespace.
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line))
    EXPECT_EQ(line.find(" /mnt/netns/"), std::string::npos) << line;
}

TEST(BenchSmoke, WorkloadRejectsMissingCommand) {
  // Argument parsing only: no root needed.
  if (!fs::exists(bin_dir() / "nsctl-workload")) GTEST_SKIP() << "nsctl-workload not built";
  Outcome r = run_shell(quoted(bin_dir() / "nsctl-workload") + " --procs 10");
  EXPECT_EQ(r.status, 2) << r.output;
}

TEST(BenchSmoke, CompareScriptSmokeRunPasses) {
  SKIP_UNLESS_READY();
  if (::system("command -v lsns >/dev/null 2>&1") != 0) GTEST_SKIP() << "lsns not installed";
  Outcome r = run_shell("NSCTL=" + quoted(NSCTL_BINARY) + " bash " +
                        quoted(bench_dir() / "compare.sh") + " --smoke");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("compare.sh: smoke OK"), std::string::npos) << r.output;
  for (const char* cmp : {"smoke ls ", "smoke json ", "smoke net ", "smoke ps ", "smoke unshare ",
                          "smoke enter ", "smoke run "})
    EXPECT_NE(r.output.find(cmp), std::string::npos) << cmp << "\n" << r.output;
}

}  // namespace
