// The scan finds what lsns misses: each test creates the case with real namespaces and checks
// the model against the kernel's view (/proc/PID/ns/*).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/sockios.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "nsctl/inspect/scan.hpp"
#include "support/forked.hpp"
#include "support/model_compare.hpp"
#include "support/probe.hpp"

namespace nsctl {
namespace {

using test::ns_inode;
using test::Probe;
using test::spawn_probe;
using test::visit_new_netns;

NsId id_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return NsId{st.st_dev, st.st_ino};
}

Model scan_or_die(ScanOptions options = {}) {
  auto model = scan(options);
  if (!model) {
    ADD_FAILURE() << model.error().message();
    return {};
  }
  return std::move(*model);
}

bool has_process(const Model& model, const Namespace& ns, pid_t pid) {
  for (std::size_t i : ns.procs)
    if (model.processes[i].pid == pid) return true;
  return false;
}

TEST(Discovery, FindsAllEightTypesOfAProbe) {
  NSCTL_REQUIRE_ROOT();
  int flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID |
              CLONE_NEWCGROUP | CLONE_NEWUSER;
  // clone(2) cannot take CLONE_NEWTIME (it overlaps CSIGNAL): the probe unshares it, and only
  // its children enter, so a grandchild holds the time namespace.
  std::string error;
  Probe probe = spawn_probe(
      flags,
      [] {
        if (::unshare(CLONE_NEWTIME) != 0) return 20;
        pid_t child = ::fork();
        if (child < 0) return 21;
        if (child == 0) {
          for (;;) ::pause();
        }
        return 0;
      },
      &error);
  ASSERT_TRUE(probe) << error;
  Model model = scan_or_die();
  for (const auto& t : ns_types()) {
    std::string path =
        t.type == NsType::time ? probe.ns_path("time_for_children") : probe.ns_path(t.name.data());
    NsId id = id_of(path);
    ASSERT_TRUE(id) << path;
    const Namespace* ns = model.find(id);
    ASSERT_NE(ns, nullptr) << "missing " << t.name;
    EXPECT_EQ(ns->type, t.type);
    if (t.type != NsType::time) {
      EXPECT_TRUE(has_process(model, *ns, probe.pid())) << t.name;
    }
    EXPECT_TRUE(ns->has(Holder::process)) << t.name;
  }
}

TEST(Discovery, FindsANamespaceHeldOnlyByANonLeaderThread) {
  NSCTL_REQUIRE_ROOT();
  std::string error;
  Probe probe = spawn_probe(
      0,
      [] {
        int ready[2];
        if (::pipe(ready) != 0) return 30;
        pthread_t thread;
        auto body = [](void* arg) -> void* {
          int fd = *static_cast<int*>(arg);
          char ok = ::unshare(CLONE_NEWUTS) == 0 ? 1 : 0;  // this thread only
          (void)::write(fd, &ok, 1);
          for (;;) ::pause();
        };
        if (pthread_create(&thread, nullptr, body, &ready[1]) != 0) return 31;
        char ok = 0;
        return ::read(ready[0], &ok, 1) == 1 && ok ? 0 : 32;
      },
      &error);
  ASSERT_TRUE(probe) << error;
  std::string tid;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(probe.pid()) + "/task"))
    if (entry.path().filename() != std::to_string(probe.pid())) tid = entry.path().filename();
  ASSERT_FALSE(tid.empty());
  std::string thread_uts = "/proc/" + std::to_string(probe.pid()) + "/task/" + tid + "/ns/uts";
  NsId id = id_of(thread_uts);
  ASSERT_NE(id.ino, ns_inode(probe.pid(), "uts")) << "the thread did not get its own uts ns";

  Model model = scan_or_die();
  const Namespace* ns = model.find(id);
  ASSERT_NE(ns, nullptr) << "thread-held namespace not found";
  EXPECT_TRUE(ns->has(Holder::thread));
  EXPECT_FALSE(ns->has(Holder::process));
  EXPECT_TRUE(has_process(model, *ns, probe.pid()));
  EXPECT_EQ(ns->path, thread_uts);

  ScanOptions no_threads;
  no_threads.threads = false;
  EXPECT_EQ(scan_or_die(no_threads).find(id), nullptr);
}

TEST(Discovery, FindsANamespaceHeldOnlyByAnOpenFd) {
  NSCTL_REQUIRE_ROOT();
  std::string error;
  Probe probe = spawn_probe(
      0,
      [] {
        return visit_new_netns(
            [] { return ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC) >= 0 ? 0 : 1; });
      },
      &error);
  ASSERT_TRUE(probe) << error;
  // The probe is back in the host's netns; the new one is reachable only through its fd.
  NsId held{};
  std::string fd_path;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(probe.pid()) + "/fd")) {
    NsId id = id_of(entry.path());
    if (id && id.ino != ns_inode(probe.pid(), "net") &&
        std::filesystem::read_symlink(entry.path()).string().starts_with("net:[")) {
      held = id;
      fd_path = entry.path();
    }
  }
  ASSERT_TRUE(held) << "probe holds no netns fd";

  Model model = scan_or_die();
  const Namespace* ns = model.find(held);
  ASSERT_NE(ns, nullptr) << "fd-held namespace not found";
  EXPECT_EQ(ns->type, NsType::net);
  EXPECT_TRUE(ns->procs.empty()) << "NPROCS must be 0";
  EXPECT_TRUE(ns->has(Holder::fd));
  EXPECT_EQ(ns->path, fd_path);
}

// The fd table is read by count (fd/0, fd/1, ... until all are found); fds past a gap are found
// by listing the directory. A namespace fd far above the others must still be found.
TEST(Discovery, FindsANamespaceFdPastAGapInTheFdTable) {
  NSCTL_REQUIRE_ROOT();
  constexpr int kHighFd = 200;
  std::string error;
  Probe probe = spawn_probe(
      0,
      [] {
        return visit_new_netns([] {
          int fd = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
          if (fd < 0 || ::dup3(fd, kHighFd, O_CLOEXEC) != kHighFd) return 1;
          return ::close(fd);
        });
      },
      &error);
  ASSERT_TRUE(probe) << error;
  const std::string fd_path =
      "/proc/" + std::to_string(probe.pid()) + "/fd/" + std::to_string(kHighFd);
  NsId held = id_of(fd_path);
  ASSERT_TRUE(held);
  ASSERT_NE(held.ino, ns_inode(probe.pid(), "net"));
  Model model = scan_or_die();
  const Namespace* ns = model.find(held);
  ASSERT_NE(ns, nullptr) << "namespace held by fd " << kHighFd << " not found";
  EXPECT_TRUE(ns->has(Holder::fd));
  EXPECT_EQ(ns->path, fd_path);
}

TEST(Discovery, FindsANamespaceHeldOnlyByASocket) {
  NSCTL_REQUIRE_ROOT();
  std::string error;
  Probe probe = spawn_probe(
      0,
      [] {
        return visit_new_netns(
            [] { return ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0) >= 0 ? 0 : 1; });
      },
      &error);
  ASSERT_TRUE(probe) << error;
  // The socket's namespace, asked of the kernel directly: take the probe's socket through its
  // pidfd and ask SIOCGSKNS.
  NsId expected{};
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(probe.pid()) + "/fd")) {
    if (!std::filesystem::read_symlink(entry.path()).string().starts_with("socket:[")) continue;
    int fd = std::stoi(entry.path().filename().string());
    int sock = static_cast<int>(::syscall(SYS_pidfd_getfd, probe.pidfd(), fd, 0));
    ASSERT_GE(sock, 0);
    int netns = ::ioctl(sock, SIOCGSKNS);
    ASSERT_GE(netns, 0);
    struct stat st {};
    ASSERT_EQ(::fstat(netns, &st), 0);
    expected = NsId{st.st_dev, st.st_ino};
    ::close(netns);
    ::close(sock);
  }
  ASSERT_TRUE(expected) << "the probe has no socket";
  ASSERT_NE(expected.ino, ns_inode(probe.pid(), "net"));

  Model model = scan_or_die();
  const Namespace* found = model.find(expected);
  ASSERT_NE(found, nullptr) << "socket-held netns not found";
  EXPECT_TRUE(found->has(Holder::socket));
  EXPECT_TRUE(found->procs.empty());
  EXPECT_TRUE(found->path.empty());

  ScanOptions no_sockets;
  no_sockets.sockets = false;
  EXPECT_EQ(scan_or_die(no_sockets).find(found->id), nullptr);
}

// A bind mount of a netns in a mount namespace that nsctl is not in: found through the
// mountinfo of the probe in it, and — once no process is left there — through listmount on an
// fd that keeps the mount namespace alive.
TEST(Discovery, FindsANamespaceBindMountedInAnotherMountNamespace) {
  NSCTL_REQUIRE_ROOT();
  std::string error;
  Probe probe = spawn_probe(
      CLONE_NEWNS,
      [] {
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return 40;
        if (::mount("nsctl-test", "/mnt", "tmpfs", 0, nullptr) != 0) return 41;
        int f = ::open("/mnt/held net", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        if (f < 0) return 42;
        ::close(f);
        return visit_new_netns([] {
          return ::mount("/proc/self/ns/net", "/mnt/held net", nullptr, MS_BIND, nullptr);
        });
      },
      &error);
  ASSERT_TRUE(probe) << error;
  std::string inside = "/proc/" + std::to_string(probe.pid()) + "/root/mnt/held net";
  NsId held = id_of(inside);
  ASSERT_TRUE(held);
  NsId probe_mnt = id_of(probe.ns_path("mnt"));

  {
    Model model = scan_or_die();
    const Namespace* ns = model.find(held);
    ASSERT_NE(ns, nullptr) << "bind-mounted netns not found";
    EXPECT_TRUE(ns->procs.empty());
    EXPECT_TRUE(ns->has(Holder::mount));
    ASSERT_EQ(ns->mounts.size(), 1u);
    EXPECT_EQ(ns->mounts[0].path, "/mnt/held net");
    EXPECT_EQ(ns->mounts[0].mntns, probe_mnt);
  }

  // Keep the mount namespace through an fd of this test process and end the probe.
  int mnt_fd = ::open(probe.ns_path("mnt").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(mnt_fd, 0);
  probe.kill();
  Model model = scan_or_die();
  ::close(mnt_fd);
  const Namespace* mntns = model.find(probe_mnt);
  ASSERT_NE(mntns, nullptr) << "fd-held mount namespace not found";
  EXPECT_TRUE(mntns->procs.empty());
  const Namespace* ns = model.find(held);
  ASSERT_NE(ns, nullptr) << "netns bind-mounted in a process-less mount namespace not found";
  ASSERT_EQ(ns->mounts.size(), 1u);
  EXPECT_EQ(ns->mounts[0].path, "/mnt/held net");
}

TEST(Discovery, FindsAnAncestorUserNamespaceNoProcessIsIn) {
  NSCTL_REQUIRE_ROOT();
  std::string error;
  // The probe starts in U1 (root mapped), then unshares U2: U1 is left with no process.
  Probe probe = spawn_probe(
      CLONE_NEWUSER, [] { return ::unshare(CLONE_NEWUSER) == 0 ? 0 : 50; }, &error);
  ASSERT_TRUE(probe) << error;
  NsId u2 = id_of(probe.ns_path("user"));
  Model model = scan_or_die();
  const Namespace* child = model.find(u2);
  ASSERT_NE(child, nullptr);
  ASSERT_TRUE(child->parent) << "no parent read for the probe's user namespace";
  const Namespace* u1 = model.find(*child->parent);
  ASSERT_NE(u1, nullptr) << "ancestor user namespace not listed";
  EXPECT_TRUE(u1->procs.empty());
  EXPECT_TRUE(u1->has(Holder::child));
  EXPECT_EQ(u1->type, NsType::user);
  // U1's parent is the initial user namespace, which the test runner is in.
  ASSERT_TRUE(u1->parent);
  EXPECT_EQ(*u1->parent, id_of("/proc/self/ns/user"));
  EXPECT_EQ(u1->creator_uid, std::optional<uid_t>(::geteuid()));
}

TEST(Discovery, NestedPidNamespacesHaveParents) {
  NSCTL_REQUIRE_ROOT();
  std::string error;
  Probe probe = spawn_probe(
      CLONE_NEWPID,
      [] {
        if (::unshare(CLONE_NEWPID) != 0) return 60;
        pid_t child = ::fork();  // pid 1 of the inner namespace
        if (child < 0) return 61;
        if (child == 0) {
          for (;;) ::pause();
        }
        return 0;
      },
      &error);
  ASSERT_TRUE(probe) << error;
  NsId outer = id_of(probe.ns_path("pid"));
  NsId inner = id_of(probe.ns_path("pid_for_children"));
  ASSERT_NE(outer, inner);
  Model model = scan_or_die();
  const Namespace* ns = model.find(inner);
  ASSERT_NE(ns, nullptr);
  ASSERT_TRUE(ns->parent);
  EXPECT_EQ(*ns->parent, outer);
  ASSERT_NE(model.find(outer), nullptr);
  EXPECT_EQ(*model.find(outer)->parent, id_of("/proc/self/ns/pid"));
}

TEST(Discovery, ReadsTheNetnsidOfABoundNamespace) {
  NSCTL_REQUIRE_ROOT();
  std::string name = "nsctl-test-" + std::to_string(::getpid());
  if (std::system(("ip netns add " + name).c_str()) != 0) GTEST_SKIP() << "ip netns add failed";
  struct Cleanup {
    std::string name;
    ~Cleanup() { (void)std::system(("ip netns del " + name).c_str()); }
  } cleanup{name};
  ASSERT_EQ(std::system(("ip netns set " + name + " 4242").c_str()), 0);
  NsId id = id_of("/run/netns/" + name);
  ScanOptions options;
  options.netnsid = true;
  Model model = scan_or_die(options);
  const Namespace* ns = model.find(id);
  ASSERT_NE(ns, nullptr) << "netns held by /run/netns bind mount not found";
  EXPECT_TRUE(ns->procs.empty());
  ASSERT_TRUE(ns->netnsid);
  EXPECT_EQ(*ns->netnsid, 4242);
  ASSERT_FALSE(ns->mounts.empty());
  EXPECT_EQ(ns->mounts[0].path, "/run/netns/" + name);
  EXPECT_EQ(ns->path, "/run/netns/" + name);
  // The host's own netns has no id in its own eyes.
  const Namespace* own = model.find(id_of("/proc/self/ns/net"));
  ASSERT_NE(own, nullptr);
  EXPECT_EQ(own->netnsid, std::optional<int>(-1));
}

TEST(Discovery, CountsAndNamesTheRepresentativeOfEveryNamespace) {
  NSCTL_REQUIRE_ROOT();
  Model model = scan_or_die();
  ASSERT_FALSE(model.processes.empty());
  const Process* self = model.process(::getpid());
  ASSERT_NE(self, nullptr);
  for (const auto& t : ns_types())
    EXPECT_EQ(self->ns[index(t.type)], id_of("/proc/self/ns/" + std::string(t.name)));
  for (const auto& ns : model.namespaces) {
    if (ns.procs.empty()) continue;
    // The representative is the lowest pid, and its command was read.
    const Process& rep = model.processes[ns.procs.front()];
    for (std::size_t i : ns.procs) EXPECT_LE(rep.pid, model.processes[i].pid);
    EXPECT_FALSE(rep.command.empty()) << rep.pid;
  }
}

// Starts a thread that moves into a uts namespace of its own and sleeps; returns once it has.
bool start_thread_in_own_uts() {
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return false;
  pthread_t thread;
  auto body = [](void* arg) -> void* {
    char ok = ::unshare(CLONE_NEWUTS) == 0 ? 1 : 0;
    (void)::write(*static_cast<int*>(arg), &ok, 1);
    for (;;) ::pause();
  };
  if (pthread_create(&thread, nullptr, body, &ready[1]) != 0) return false;
  char ok = 0;
  return ::read(ready[0], &ok, 1) == 1 && ok;
}

// Real processes, in a pid namespace of the test's own so that nothing else comes or goes:
// groups in new uts, ipc and net namespaces (every third in a user namespace too), each with
// a thread in a uts namespace of its own and a net namespace held only by an fd. Scans with
// several threads must build the model one thread builds.
TEST(Discovery, ParallelScanBuildsTheOneThreadModel) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    constexpr int kGroups = 12, kMembers = 5;
    int ready[2];
    CHILD_CHECK(::pipe2(ready, O_CLOEXEC) == 0);
    for (int g = 0; g < kGroups; ++g) {
      pid_t leader = ::fork();
      CHILD_CHECK(leader >= 0);
      if (leader != 0) continue;
      char ok = 0;
      int flags = CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | (g % 3 == 0 ? CLONE_NEWUSER : 0);
      if (::unshare(flags) == 0) {
        ok = 1;
        for (int k = 1; k < kMembers; ++k) {
          if (::fork() != 0) continue;
          char member_ok = k != 1 || start_thread_in_own_uts() ? 1 : 0;
          (void)::write(ready[1], &member_ok, 1);
          for (;;) ::pause();
        }
        // A net namespace only an fd holds: made, opened, left for another.
        ok = ::unshare(CLONE_NEWNET) == 0 && ::open("/proc/self/ns/net", O_RDONLY) >= 0 &&
             ::unshare(CLONE_NEWNET) == 0;
      }
      (void)::write(ready[1], &ok, 1);
      for (;;) ::pause();
    }
    for (int i = 0; i < kGroups * kMembers; ++i) {
      char ok = 0;
      CHILD_CHECK(::read(ready[0], &ok, 1) == 1 && ok, "process %d of the population failed", i);
    }
    ScanOptions options;
    options.containers = ScanOptions::Detail::representatives;
    auto serial = scan(options);
    CHILD_CHECK(serial, "%s", serial.error().message().c_str());
    CHILD_CHECK(serial->processes.size() == 1 + kGroups * kMembers);
    std::size_t thread_held = 0, fd_held = 0;
    for (const Namespace& ns : serial->namespaces) {
      thread_held += ns.holders == static_cast<std::uint8_t>(Holder::thread);
      fd_held += ns.holders == static_cast<std::uint8_t>(Holder::fd);
    }
    CHILD_CHECK(thread_held == kGroups && fd_held == kGroups, "%zu %zu", thread_held, fd_held);
    for (unsigned workers : {2u, 3u, 5u}) {
      options.workers = workers;
      auto parallel = scan(options);
      CHILD_CHECK(parallel, "%s", parallel.error().message().c_str());
      std::string difference = test::model_difference(*serial, *parallel);
      CHILD_CHECK(difference.empty(), "%u workers: %s", workers, difference.c_str());
    }
    return 0;
  }));
}

}  // namespace
}  // namespace nsctl
