// The scan's bookkeeping on a /proc built from files and symlinks (a symlink's target can be
// any text, so "net:[4026531840]" can be faked): vanished, zombie and hostile processes are
// skipped and counted, never an error.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "nsctl/inspect/scan.hpp"
#include "support/model_compare.hpp"

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
    // A directory per thread, as procfs has: its link count (2 + subdirectories) says how many.
    for (int t = 0; t < threads; ++t)
      fs::create_directories(dir / "task" / std::to_string(t == 0 ? pid : pid * 1000 + t));
    std::ofstream(dir / "stat") << pid << " (" << comm << ") " << state << " " << ppid
                                << " 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 " << threads
                                << " 0 100 0 0\n";
    if (!cmdline.empty()) std::ofstream(dir / "cmdline") << cmdline;
    for (const auto& [type, ino] : ns)
      fs::create_symlink(type + ":[" + std::to_string(ino) + "]", dir / "ns" / type);
    // Every live process has a mnt link; a zombie's is gone with the rest of its nsproxy.
    if (state != 'Z' && !fs::is_symlink(dir / "ns" / "mnt"))
      fs::create_symlink("mnt:[" + std::to_string(kHostMnt) + "]", dir / "ns" / "mnt");
  }
  static constexpr ino_t kHostMnt = 4026531841;
  // A pid directory with nothing in it: the process exited between getdents and open.
  void add_vanished(int pid) { fs::create_directories(fs::path(root_) / std::to_string(pid)); }
  // An open fd of process `pid` whose link reads `target`.
  void add_fd(int pid, int fd, const std::string& target) {
    fs::path dir = fs::path(root_) / std::to_string(pid) / "fd";
    fs::create_directories(dir);
    fs::create_symlink(target, dir / std::to_string(fd));
  }

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
  EXPECT_EQ(model->stats.vanished, 2u);  // one gone, one zombie
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

// `ls`'s default columns need commands but no PPID: a representative's stat is read only when
// its command line is empty (a kernel thread, named by its stat), and nobody else's at all.
TEST(DiscoveryFixture, StatIsReadOnlyForACommandWithoutArguments) {
  FakeProc proc;
  proc.add(10, "init", 'S', 1, {{"net", 1000}}, std::string("/sbin/init\0", 11));
  proc.add(20, "app", 'S', 10, {{"net", 1000}}, std::string("app\0", 4));
  proc.add(50, "kworker", 'I', 2, {{"net", 1000}, {"ipc", 3000}});  // no cmdline
  ScanOptions o = fixture_options(proc);
  o.stat = ScanOptions::Detail::none;
  o.commands = ScanOptions::Detail::representatives;
  auto model = scan(o);
  ASSERT_TRUE(model) << model.error().message();
  ASSERT_EQ(model->processes.size(), 3u);
  const Process& init = *model->process(10);
  EXPECT_EQ(init.command, "/sbin/init");
  EXPECT_EQ(init.ppid, 0);  // its stat was not read
  EXPECT_EQ(init.comm, "");
  EXPECT_EQ(model->process(20)->command, "");    // not a representative
  const Process& kworker = *model->process(50);  // the representative of ipc 3000
  EXPECT_EQ(kworker.command, "kworker");
  EXPECT_EQ(kworker.ppid, 2);
  EXPECT_EQ(kworker.comm, "kworker");
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
  // 11 is skipped; 12 is kept with the namespace its good link names, without the bad one.
  ASSERT_EQ(model->processes.size(), 2u);
  EXPECT_EQ(model->processes[0].pid, 10);
  EXPECT_EQ(model->processes[1].pid, 12);
  EXPECT_FALSE(model->processes[1].ns[index(NsType::net)]);
  EXPECT_EQ(model->processes[1].ns[index(NsType::mnt)].ino, FakeProc::kHostMnt);
}

// Namespaces that span the runs a parallel scan cuts the pids into, with representatives,
// paths from processes and fds, and skipped processes in every run: each thread count must
// build the model one thread builds.
TEST(DiscoveryFixture, ParallelScanBuildsTheOneThreadModel) {
  FakeProc proc;
  for (int pid = 1; pid <= 300; ++pid) {
    if (pid % 17 == 0) {
      proc.add_vanished(pid);
      continue;
    }
    const char state = pid % 13 == 0 ? 'Z' : 'S';
    proc.add(pid, "p" + std::to_string(pid), state, pid / 2,
             {{"net", 5000 + pid / 7}, {"uts", 6000 + pid % 11}, {"ipc", 7000}},
             "cmd-" + std::to_string(pid) + std::string("\0arg", 4));
    // Net namespaces held by fds only, from many processes; and one of a namespace that a
    // later process is in (its process path must win over the fd path).
    if (pid % 19 == 0) proc.add_fd(pid, 3, "net:[" + std::to_string(9000 + pid % 5) + "]");
    if (pid == 20) proc.add_fd(pid, 4, "net:[" + std::to_string(5000 + 280 / 7) + "]");
    proc.add_fd(pid, 0, "/dev/null");
  }
  ScanOptions o = fixture_options(proc);
  o.fds = true;
  auto serial = scan(o);
  ASSERT_TRUE(serial) << serial.error().message();
  EXPECT_GT(serial->stats.vanished, 300u / 17);  // zombies included
  // The commands read are the representatives' (the lowest pid of each namespace).
  const dev_t nsfs = *nsfs_device();
  const Namespace* shared = serial->find(NsId{nsfs, 7000});
  ASSERT_NE(shared, nullptr);
  EXPECT_EQ(serial->processes[shared->procs.front()].command, "cmd-1 arg");
  const Namespace* held = serial->find(NsId{nsfs, 9000 + 38 % 5});
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->path, proc.root() + "/38/fd/3");
  EXPECT_EQ(serial->find(NsId{nsfs, 5040})->path, proc.root() + "/280/ns/net");
  std::vector<bool> representative(serial->processes.size());
  for (const Namespace& ns : serial->namespaces)
    if (!ns.procs.empty()) representative[ns.procs.front()] = true;
  for (std::size_t i = 0; i < serial->processes.size(); ++i)
    EXPECT_EQ(!serial->processes[i].command.empty(), representative[i]) << serial->processes[i].pid;

  for (unsigned workers : {2u, 3u, 4u, 7u, 64u}) {
    o.workers = workers;
    auto parallel = scan(o);
    ASSERT_TRUE(parallel) << parallel.error().message();
    EXPECT_EQ(test::model_difference(*serial, *parallel), "") << workers << " workers";
  }

  // Stat read only for the representatives: the others keep ppid 0 and no comm.
  o.workers = 1;
  o.stat = ScanOptions::Detail::representatives;
  auto reps = scan(o);
  ASSERT_TRUE(reps) << reps.error().message();
  for (std::size_t i = 0; i < reps->processes.size(); ++i) {
    const Process& p = reps->processes[i];
    EXPECT_EQ(p.comm.empty(), !representative[i]) << p.pid;
    EXPECT_EQ(p.ppid, representative[i] ? p.pid / 2 : 0) << p.pid;
  }
  for (unsigned workers : {2u, 5u}) {
    o.workers = workers;
    auto parallel = scan(o);
    ASSERT_TRUE(parallel) << parallel.error().message();
    EXPECT_EQ(test::model_difference(*reps, *parallel), "") << workers << " workers, stat reps";
  }
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
