// SandboxCgroup on the machine's real hierarchies: limits are read back from the files, and
// enforced on children the test starts (a fork bomb stopped by pids, an allocation stopped by
// the OOM killer). Every cgroup is named after the test ("nsctl-test-<pid>-<random>"); after
// each test nothing of that name may be left anywhere under /sys/fs/cgroup (TearDown checks,
// and removes what a failing test left). No other cgroup or process is touched.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "nsctl/base/fd.hpp"
#include "proc/proc.hpp"
#include "sandbox/sandbox_cgroup.hpp"
#include "support/cgroup.hpp"
#include "support/probe.hpp"

namespace nsctl {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kMiB = 1024 * 1024;

// Limits spelled by what they set (designated initializers that skip fields trip
// -Wmissing-field-initializers on GCC 12).
struct Set {
  CgroupLimits limits;
  Set& memory(std::int64_t v) { return limits.memory_bytes = v, *this; }
  Set& pids(std::int64_t v) { return limits.pids = v, *this; }
  Set& cpu(std::int64_t quota) { return limits.cpu_quota_us = quota, *this; }
  Set& period(std::uint64_t v) { return limits.cpu_period_us = v, *this; }
};

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::string read_trimmed(const std::string& path) {
  std::string text;
  if (!read_file_at(AT_FDCWD, path.c_str(), text)) return "<unreadable " + path + ">";
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// Every directory called `name` below `dir`. Errors (a cgroup someone else removes while we
// look) skip that directory only.
void find_named(const fs::path& dir, const std::string& name, std::vector<std::string>& out) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_symlink(ec) || !it->is_directory(ec)) continue;
    if (it->path().filename() == name) out.push_back(it->path().string());
    find_named(it->path(), name, out);
  }
}
std::vector<std::string> find_named(const std::string& name) {
  std::vector<std::string> out;
  find_named("/sys/fs/cgroup", name, out);
  std::sort(out.begin(), out.end());
  return out;
}

// The first directory of `cg` that has `file` (each controller's files live in one of them).
std::string file_in(const SandboxCgroup& cg, const std::string& file) {
  for (const std::string& dir : cg.paths())
    if (exists(dir + "/" + file)) return dir + "/" + file;
  return {};
}

// The directory of `cg` serving `controller`: on v2 the shared directory listing it in
// cgroup.controllers, on v1 the one under a hierarchy mounting it.
std::string dir_for(const SandboxCgroup& cg, const char* probe_file) {
  std::string f = file_in(cg, probe_file);
  return f.empty() ? f : f.substr(0, f.rfind('/'));
}
bool is_v2(const std::string& dir) { return exists(dir + "/cgroup.controllers"); }

// A child the test forks that waits at a pipe until release(), so that the test can add() it
// to a cgroup before it does anything; then it exits with fn(report_fd). Killed and reaped
// when the object goes, so declare it after the SandboxCgroup (removal needs it gone).
class GatedChild {
 public:
  explicit GatedChild(const std::function<int(int)>& fn) {
    int gate[2];
    int report[2];
    if (::pipe2(gate, O_CLOEXEC) != 0) return;
    gate_r_.reset(gate[0]);
    gate_w_.reset(gate[1]);
    if (::pipe2(report, O_CLOEXEC) != 0) return;
    report_r_.reset(report[0]);
    UniqueFd report_w(report[1]);
    std::fflush(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      gate_w_.reset();
      report_r_.reset();
      char c;
      if (::read(gate_r_.get(), &c, 1) != 1) ::_exit(100);  // the test gave up on us
      ::_exit(fn(report_w.get()));
    }
    gate_r_.reset();
  }
  GatedChild(const GatedChild&) = delete;
  GatedChild& operator=(const GatedChild&) = delete;
  ~GatedChild() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      (void)wait();
    }
  }

  pid_t pid() const { return pid_; }
  bool release() {
    bool ok = ::write(gate_w_.get(), "g", 1) == 1;
    gate_w_.reset();
    return ok;
  }
  // Everything the child wrote to its report fd, up to its exit (and its children's).
  std::string report() {
    std::string out;
    char buf[256];
    ssize_t n;
    while ((n = ::read(report_r_.get(), buf, sizeof buf)) > 0) out.append(buf, n);
    return out;
  }
  int wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    return status;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  UniqueFd gate_r_, gate_w_, report_r_;
};

class CgroupLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NSCTL_REQUIRE_ROOT();
    name_ = "nsctl-test-" + std::to_string(::getpid()) + "-" + test::random_hex(8);
  }
  // The guard for every path out of a test: whatever carries this test's name is removed, and
  // its presence is a failure (the library should have removed it).
  void TearDown() override {
    if (name_.empty()) return;
    std::vector<std::string> left = find_named(name_);
    for (auto it = left.rbegin(); it != left.rend(); ++it) {
      for (int tries = 0; ::rmdir(it->c_str()) != 0 && errno == EBUSY && tries < 200; ++tries)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(left.empty()) << "left behind: " << testing::PrintToString(left);
  }

  Result<SandboxCgroup> create(const Set& set) { return SandboxCgroup::create(set.limits, name_); }

  std::string name_;
};

TEST_F(CgroupLimitsTest, EmptyLimitsCreateNothing) {
  auto cg = create(Set());
  ASSERT_TRUE(cg) << cg.error().message();
  EXPECT_TRUE(cg->paths().empty());
  EXPECT_TRUE(find_named(name_).empty());
}

TEST_F(CgroupLimitsTest, MemoryLimitIsWrittenWithNoSwapOnTop) {
  auto cg = create(Set().memory(64 * kMiB));
  ASSERT_TRUE(cg) << cg.error().message();
  ASSERT_EQ(cg->paths().size(), 1u);
  EXPECT_EQ(find_named(name_), cg->paths());  // made exactly what it reports
  const std::string& dir = cg->paths()[0];
  EXPECT_TRUE(dir.ends_with("/" + name_)) << dir;
  if (is_v2(dir)) {
    EXPECT_EQ(read_trimmed(dir + "/memory.max"), "67108864");
    if (exists(dir + "/memory.swap.max")) {  // only with swap accounting
      EXPECT_EQ(read_trimmed(dir + "/memory.swap.max"), "0");
    }
  } else {
    EXPECT_EQ(read_trimmed(dir + "/memory.limit_in_bytes"), "67108864");
    if (exists(dir + "/memory.memsw.limit_in_bytes")) {  // only with swap accounting
      EXPECT_EQ(read_trimmed(dir + "/memory.memsw.limit_in_bytes"), "67108864");
    }
  }
}

TEST_F(CgroupLimitsTest, PidsLimitIsWrittenAndMinusOneIsMax) {
  {
    auto cg = create(Set().pids(5));
    ASSERT_TRUE(cg) << cg.error().message();
    ASSERT_EQ(cg->paths().size(), 1u);
    EXPECT_EQ(read_trimmed(cg->paths()[0] + "/pids.max"), "5");
  }
  EXPECT_TRUE(find_named(name_).empty());  // the destructor removed it
  auto cg = create(Set().pids(-1));
  ASSERT_TRUE(cg) << cg.error().message();
  EXPECT_EQ(read_trimmed(file_in(*cg, "pids.max")), "max");
}

TEST_F(CgroupLimitsTest, CpuQuotaAndPeriodAreWritten) {
  {
    auto cg = create(Set().cpu(50000).period(200000));
    ASSERT_TRUE(cg) << cg.error().message();
    ASSERT_EQ(cg->paths().size(), 1u);
    const std::string& dir = cg->paths()[0];
    if (is_v2(dir)) {
      EXPECT_EQ(read_trimmed(dir + "/cpu.max"), "50000 200000");
    } else {
      EXPECT_EQ(read_trimmed(dir + "/cpu.cfs_period_us"), "200000");
      EXPECT_EQ(read_trimmed(dir + "/cpu.cfs_quota_us"), "50000");
    }
  }
  auto cg = create(Set().cpu(25000));  // the period defaults to 100 ms
  ASSERT_TRUE(cg) << cg.error().message();
  const std::string& dir = cg->paths()[0];
  if (is_v2(dir)) {
    EXPECT_EQ(read_trimmed(dir + "/cpu.max"), "25000 100000");
  } else {
    EXPECT_EQ(read_trimmed(dir + "/cpu.cfs_period_us"), "100000");
    EXPECT_EQ(read_trimmed(dir + "/cpu.cfs_quota_us"), "25000");
  }
}

TEST_F(CgroupLimitsTest, AllThreeShareDirectoriesPerHierarchy) {
  auto cg = create(Set().memory(64 * kMiB).pids(50).cpu(50000));
  ASSERT_TRUE(cg) << cg.error().message();
  std::string memory = dir_for(*cg, "memory.max").empty() ? dir_for(*cg, "memory.limit_in_bytes")
                                                          : dir_for(*cg, "memory.max");
  std::string pids = dir_for(*cg, "pids.max");
  std::string cpu =
      dir_for(*cg, "cpu.max").empty() ? dir_for(*cg, "cpu.cfs_quota_us") : dir_for(*cg, "cpu.max");
  ASSERT_FALSE(memory.empty());
  ASSERT_FALSE(pids.empty());
  ASSERT_FALSE(cpu.empty());
  // One directory per hierarchy: v2 controllers share one, v1 ones have their own unless
  // mounted together (cpu,cpuacct).
  std::vector<std::string> distinct = {memory, pids, cpu};
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  std::vector<std::string> paths = cg->paths();
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths, distinct);
  EXPECT_EQ(find_named(name_), paths);
  std::fprintf(stderr, "memory: %s\npids:   %s\ncpu:    %s\n", memory.c_str(), pids.c_str(),
               cpu.c_str());
}

// A child in a cgroup with pids.max 5 forks until the kernel says no: it is one task itself,
// so four forks succeed and the fifth fails with EAGAIN.
TEST_F(CgroupLimitsTest, PidsLimitStopsForks) {
  auto cg = create(Set().pids(5));
  ASSERT_TRUE(cg) << cg.error().message();
  GatedChild child([](int report_fd) {
    pid_t kids[64];
    int forked = 0;
    int err = 0;
    while (forked < 64) {
      pid_t k = ::fork();
      if (k == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::pause();
        ::_exit(0);
      }
      if (k < 0) {
        err = errno;
        break;
      }
      kids[forked++] = k;
    }
    for (int i = 0; i < forked; ++i) ::kill(kids[i], SIGKILL);
    for (int i = 0; i < forked; ++i) ::waitpid(kids[i], nullptr, 0);
    char text[64];
    int n = std::snprintf(text, sizeof text, "%d %d", forked, err);
    return ::write(report_fd, text, n) == n ? 0 : 1;
  });
  ASSERT_GT(child.pid(), 0);
  auto added = cg->add(child.pid());
  ASSERT_TRUE(added) << added.error().message();
  ASSERT_TRUE(child.release());
  std::string report = child.report();
  int status = child.wait();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(report, "4 " + std::to_string(EAGAIN)) << "forks that succeeded, errno of the failure";
}

// A child limited to 64 MiB of memory (and no swap on top) that touches 256 MiB is killed by
// the cgroup's OOM killer.
TEST_F(CgroupLimitsTest, MemoryLimitOomKillsChild) {
  auto cg = create(Set().memory(64 * kMiB));
  ASSERT_TRUE(cg) << cg.error().message();
  GatedChild child([](int) {
    const std::size_t size = 256 * kMiB;
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 2;
    for (std::size_t off = 0; off < size; off += 4096) static_cast<volatile char*>(p)[off] = 1;
    return 0;  // survived: the limit did not hold
  });
  ASSERT_GT(child.pid(), 0);
  auto added = cg->add(child.pid());
  ASSERT_TRUE(added) << added.error().message();
  ASSERT_TRUE(child.release());
  int status = child.wait();
  ASSERT_TRUE(WIFSIGNALED(status)) << "exited with " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  // It was this cgroup's OOM killer, not the machine's.
  const std::string& dir = cg->paths()[0];
  std::string events = read_trimmed(dir + (is_v2(dir) ? "/memory.events" : "/memory.oom_control"));
  EXPECT_NE(events.find("oom_kill 1"), std::string::npos) << events;
}

TEST_F(CgroupLimitsTest, RemoveAfterTheChildExitedLeavesNothingAndIsIdempotent) {
  auto cg = create(Set().memory(64 * kMiB).pids(20).cpu(50000));
  ASSERT_TRUE(cg) << cg.error().message();
  const std::vector<std::string> paths = cg->paths();
  GatedChild child([](int) { return 0; });
  ASSERT_GT(child.pid(), 0);
  auto added = cg->add(child.pid());
  ASSERT_TRUE(added) << added.error().message();
  for (const std::string& dir : paths)
    EXPECT_EQ(read_trimmed(dir + "/cgroup.procs"), std::to_string(child.pid())) << dir;
  ASSERT_TRUE(child.release());
  int status = child.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  auto removed = cg->remove();
  ASSERT_TRUE(removed) << removed.error().message();
  for (const std::string& dir : paths) EXPECT_FALSE(exists(dir)) << dir;
  EXPECT_TRUE(cg->paths().empty());
  auto again = cg->remove();
  EXPECT_TRUE(again) << again.error().message();
}

// Removing right after SIGKILL, before the child is reaped: its cgroups may be busy for a
// moment while it exits, which remove() waits out.
TEST_F(CgroupLimitsTest, RemoveWhileTheChildIsDying) {
  auto cg = create(Set().memory(64 * kMiB).pids(20).cpu(50000));
  ASSERT_TRUE(cg) << cg.error().message();
  const std::vector<std::string> paths = cg->paths();
  GatedChild child([](int) -> int {
    for (;;) ::pause();
  });
  ASSERT_GT(child.pid(), 0);
  auto added = cg->add(child.pid());
  ASSERT_TRUE(added) << added.error().message();
  ASSERT_TRUE(child.release());
  // Busy while it lives: remove() gives up after its second and keeps the paths.
  auto busy = cg->remove();
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code(), EBUSY) << busy.error().message();
  EXPECT_TRUE(busy.error().message().starts_with("cgroup /sys/fs/cgroup/"))
      << busy.error().message();
  EXPECT_EQ(cg->paths().size(), paths.size());
  ASSERT_EQ(::kill(child.pid(), SIGKILL), 0);
  auto removed = cg->remove();
  ASSERT_TRUE(removed) << removed.error().message();
  for (const std::string& dir : paths) EXPECT_FALSE(exists(dir)) << dir;
  int status = child.wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
}

TEST_F(CgroupLimitsTest, MoveAndDestructorRemove) {
  std::vector<std::string> paths;
  {
    SandboxCgroup outer;
    {
      auto cg = create(Set().memory(64 * kMiB).pids(20));
      ASSERT_TRUE(cg) << cg.error().message();
      paths = cg->paths();
      outer = std::move(*cg);
      EXPECT_TRUE(cg->paths().empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
    }
    for (const std::string& dir : paths) EXPECT_TRUE(exists(dir)) << dir;
    EXPECT_EQ(outer.paths(), paths);
  }
  for (const std::string& dir : paths) EXPECT_FALSE(exists(dir)) << dir;
}

// The kernel refuses a CFS period under 1 ms. The cpu files come last, so the memory and pids
// directories exist by then and must be removed again.
TEST_F(CgroupLimitsTest, RejectedValueRemovesEverythingAndNamesTheFile) {
  auto cg = create(Set().memory(64 * kMiB).pids(20).cpu(50000).period(10));
  ASSERT_FALSE(cg);
  EXPECT_EQ(cg.error().code(), EINVAL);
  const std::string& msg = cg.error().message();
  EXPECT_TRUE(msg.starts_with("cgroup /sys/fs/cgroup/")) << msg;
  EXPECT_TRUE(msg.ends_with("/" + name_ + "/cpu.cfs_period_us: Invalid argument") ||
              msg.ends_with("/" + name_ + "/cpu.max: Invalid argument"))
      << msg;
  EXPECT_TRUE(find_named(name_).empty());

  // pids.max above the kernel's PID_MAX_LIMIT.
  cg = create(Set().memory(64 * kMiB).pids(std::int64_t{1} << 40));
  ASSERT_FALSE(cg);
  EXPECT_EQ(cg.error().code(), EINVAL);
  EXPECT_TRUE(cg.error().message().ends_with("/" + name_ + "/pids.max: Invalid argument"))
      << cg.error().message();
  EXPECT_TRUE(find_named(name_).empty());
}

TEST_F(CgroupLimitsTest, BadInputIsRefusedBeforeAnythingIsMade) {
  auto cg = create(Set().memory(64 * kMiB).pids(-5));
  ASSERT_FALSE(cg);
  EXPECT_EQ(cg.error().code(), EINVAL);
  EXPECT_NE(cg.error().message().find("pids limit -5"), std::string::npos) << cg.error().message();
  for (const char* bad : {"", ".", "..", "a/b"}) {
    auto named = SandboxCgroup::create(Set().pids(5).limits, bad);
    ASSERT_FALSE(named) << bad;
    EXPECT_EQ(named.error().code(), EINVAL) << bad;
  }
  EXPECT_TRUE(find_named(name_).empty());
}

// A name in use is not taken over: EEXIST naming it, the existing directory stays, and what
// this call made before it (the memory directory on a v1 system) is removed.
TEST_F(CgroupLimitsTest, ExistingNameIsEexistAndNothingIsRemoved) {
  auto first = create(Set().pids(5));
  ASSERT_TRUE(first) << first.error().message();
  auto second = create(Set().memory(64 * kMiB).pids(7));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), EEXIST);
  EXPECT_EQ(second.error().message(), "cgroup " + first->paths()[0] + ": File exists");
  EXPECT_EQ(find_named(name_), first->paths());
  EXPECT_EQ(read_trimmed(first->paths()[0] + "/pids.max"), "5");  // not rewritten
}

}  // namespace
}  // namespace nsctl
