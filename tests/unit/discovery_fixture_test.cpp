// The scan's bookkeeping on a /proc built from files and symlinks (a symlink's target can be
// any text, so "net:[4026531840]" can be faked): vanished, zombie and hostile processes are
// skipped and counted, never an error.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "nsctl/discovery.hpp"

namespace nsctl {
namespace {

namespace fs = std::filesystem;

class FakeProc {
 public:
  FakeProc() {
    char tmpl[] = "/tmp/nsctl-fakeproc-XXXXXX";
    root_ = ::mkdtemp(tmpl);
  }
  ~FakeProc() { fs::remove_all(root_); }
  const std::string& root() const { return root_; }

  // A process with a stat line and namespace links (type -> inode).
  void add(int pid, const std::string& comm, char state, int ppid,
           const std::vector<std::pair<std::string, ino_t>>& ns, const std::string& cmdline = "",
           int threads = 1) {
    fs::path dir = fs::path(root_) / std::to_string(pid);
    fs::create_directories(dir / "ns");
    std::ofstream(dir / "stat") << pid << " (" << comm << ") " << state << " " << ppid
                                << " 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 " << threads
                                << " 0 100 0 0\n";
    if (!cmdline.empty()) std::ofstream(dir / "cmdline") << cmdline;
    for (const auto& [type, ino] : ns)
      fs::create_symlink(type + ":[" + std::to_string(ino) + "]", dir / "ns" / type);
  }
  // A pid directory with nothing in it: the process exited between getdents and open.
  void add_vanished(int pid) { fs::create_directories(fs::path(root_) / std::to_string(pid)); }

 private:
  std::string root_;
};

ScanOptions fixture_options(const FakeProc& proc) {
  ScanOptions o;
  o.proc_root = proc.root().c_str();
  o.mounts = false;
  o.fds = false;
  return o;
}

TEST(DiscoveryFixture, CountsVanishedAndZombieProcessesAndKeepsTheRest) {
  FakeProc proc;
  proc.add(10, "init", 'S', 0, {{"net", 1000}, {"uts", 1001}}, std::string("/sbin/init\0", 11));
  proc.add(20, "a) (b", 'S', 10, {{"net", 1000}, {"uts", 2001}}, std::string("x\0y z\0", 6));
  proc.add(30, "zombie", 'Z', 10, {});
  proc.add_vanished(40);
  proc.add(50, "kworker", 'I', 2, {{"net", 1000}, {"ipc", 3000}});  // no cmdline: kernel thread
  auto model = scan(fixture_options(proc));
  ASSERT_TRUE(model) << model.error().message();
  EXPECT_EQ(model->stats.vanished, 1u);
  EXPECT_EQ(model->stats.zombies, 1u);
  ASSERT_EQ(model->processes.size(), 3u);

  dev_t nsfs = *nsfs_device();
  const Namespace* net = model->find(NsId{nsfs, 1000});
  ASSERT_NE(net, nullptr);
  EXPECT_EQ(net->procs.size(), 3u);
  EXPECT_EQ(net->path, proc.root() + "/10/ns/net");
  const Process& rep = model->processes[net->procs.front()];
  EXPECT_EQ(rep.pid, 10);
  EXPECT_EQ(rep.command, "/sbin/init");

  const Namespace* uts = model->find(NsId{nsfs, 2001});
  ASSERT_NE(uts, nullptr);
  ASSERT_EQ(uts->procs.size(), 1u);
  const Process& p20 = model->processes[uts->procs.front()];
  EXPECT_EQ(p20.comm, "a) (b");
  EXPECT_EQ(p20.ppid, 10);
  EXPECT_EQ(p20.command, "x y z");
  EXPECT_EQ(model->process(50)->command, "kworker");  // comm stands in for no arguments
  // Namespaces come out sorted by inode.
  for (std::size_t i = 1; i < model->namespaces.size(); ++i)
    EXPECT_LE(model->namespaces[i - 1].id.ino, model->namespaces[i].id.ino);
}

TEST(DiscoveryFixture, HostileStatAndLinksAreSkippedNotFatal) {
  FakeProc proc;
  proc.add(10, "ok", 'S', 0, {{"net", 1000}});
  // A stat line with no closing parenthesis, and a link target that is not a namespace.
  fs::create_directories(fs::path(proc.root()) / "11" / "ns");
  std::ofstream(fs::path(proc.root()) / "11" / "stat") << "11 (broken S 1";
  proc.add(12, "odd", 'S', 0, {});
  fs::create_symlink("net:[not-a-number]", fs::path(proc.root()) / "12" / "ns" / "net");
  auto model = scan(fixture_options(proc));
  ASSERT_TRUE(model) << model.error().message();
  ASSERT_EQ(model->processes.size(), 1u);
  EXPECT_EQ(model->processes[0].pid, 10);
}

TEST(DiscoveryFixture, MissingProcIsAClearError) {
  ScanOptions o;
  o.proc_root = "/nonexistent/proc";
  auto model = scan(o);
  ASSERT_FALSE(model);
  EXPECT_NE(model.error().message().find("/nonexistent/proc"), std::string::npos)
      << model.error().message();
}

}  // namespace
}  // namespace nsctl
