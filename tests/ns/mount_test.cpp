// nsfs mounts read from a mount namespace — also after its last process is gone. Every mount
// the tests make is inside a mount namespace a probe created with its mounts private, so it
// disappears with that namespace; the only host state is a temporary directory (removed).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "inspect/nsfs_mounts.hpp"
#include "nsctl/ns/ns_id.hpp"
#include "proc/proc.hpp"
#include "support/probe.hpp"

namespace nsctl {
namespace {

using test::Probe;
using test::spawn_probe;

// A directory under /tmp for the probes' tmpfs mounts, removed at scope exit.
class TempDir {
 public:
  TempDir() {
    char templ[] = "/tmp/nsctl-kq-XXXXXX";
    if (::mkdtemp(templ)) path_ = templ;
  }
  ~TempDir() {
    if (!path_.empty()) ::rmdir(path_.c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs in the probe (a new mount namespace): makes its mounts private, mounts a tmpfs on `dir`
// and bind-mounts each of `sources` on a new file `dir`/`names[i]`. Returns 0 or a code naming
// the step that failed.
int mount_nsfs_files(const std::string& dir, const std::vector<std::string>& sources,
                     const std::vector<std::string>& names) {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return 10;
  if (::mount("nsctl-test", dir.c_str(), "tmpfs", 0, "size=256k") != 0) return 11;
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::string file = dir + "/" + names[i];
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return 12;
    ::close(fd);
    if (::mount(sources[i].c_str(), file.c_str(), nullptr, MS_BIND, nullptr) != 0) return 13;
  }
  return 0;
}

std::vector<NsfsMountEntry> sorted(std::vector<NsfsMountEntry> v) {
  std::sort(v.begin(), v.end(),
            [](const auto& a, const auto& b) { return a.mount_point < b.mount_point; });
  return v;
}

std::vector<NsfsMountEntry> under(const std::vector<NsfsMountEntry>& v, const std::string& dir) {
  std::vector<NsfsMountEntry> out;
  for (const auto& e : v)
    if (e.mount_point.starts_with(dir + "/")) out.push_back(e);
  return sorted(out);
}

std::string describe(const std::vector<NsfsMountEntry>& v) {
  std::string s;
  for (const auto& e : v)
    s += "  " + std::string(name(e.type)) + ":[" + std::to_string(e.ino) + "] at \"" +
         e.mount_point + "\"\n";
  return s;
}

// The listmount form needs 6.10 (mnt_ns_id) or 6.18 (mnt_ns_fd): skip on older kernels.
#define SKIP_IF_UNSUPPORTED(result)                                                         \
  if (!(result) && ((result).error().code() == ENOSYS || (result).error().code() == E2BIG)) \
  GTEST_SKIP() << "listmount cannot read other mount namespaces here: "                     \
               << (result).error().message()

TEST(NsfsMounts, FoundInAMountNamespaceNoProcessIsIn) {
  NSCTL_REQUIRE_ROOT();
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::string error;
  Probe target = spawn_probe(CLONE_NEWNET | CLONE_NEWUTS, {}, &error);
  ASSERT_TRUE(target) << error;
  const ino_t net_ino = test::ns_inode(target.pid(), "net");
  const ino_t uts_ino = test::ns_inode(target.pid(), "uts");
  ASSERT_NE(net_ino, 0u);

  // Mount points with a space and a newline: both escaped in mountinfo, raw in statmount.
  const std::vector<std::string> names = {"net", "uts", "with space", "new\nline"};
  const std::vector<std::string> sources = {target.ns_path("net"), target.ns_path("uts"),
                                            target.ns_path("net"), target.ns_path("net")};
  Probe holder = spawn_probe(
      CLONE_NEWNS, [&] { return mount_nsfs_files(dir.path(), sources, names); }, &error);
  ASSERT_TRUE(holder) << error;

  auto mnt = open_ns_file(AT_FDCWD, holder.ns_path("mnt").c_str());
  ASSERT_TRUE(mnt) << mnt.error().message();
  std::string mountinfo;
  auto read = read_file_at(
      AT_FDCWD, ("/proc/" + std::to_string(holder.pid()) + "/mountinfo").c_str(), mountinfo);
  ASSERT_TRUE(read) << read.error().message();

  auto live = list_nsfs_mounts(mnt->get());
  SKIP_IF_UNSUPPORTED(live);
  ASSERT_TRUE(live) << live.error().message();

  // The same set as mountinfo shows (which also holds the copies of the host's nsfs mounts).
  auto from_mountinfo = nsfs_mounts_from_mountinfo(mountinfo);
  EXPECT_EQ(sorted(*live), sorted(from_mountinfo)) << "listmount:\n"
                                                   << describe(*live) << "mountinfo:\n"
                                                   << describe(from_mountinfo);

  const std::string& d = dir.path();
  std::vector<NsfsMountEntry> want = sorted({
      {d + "/net", NsType::net, net_ino},
      {d + "/uts", NsType::uts, uts_ino},
      {d + "/with space", NsType::net, net_ino},
      {d + "/new\nline", NsType::net, net_ino},
  });
  EXPECT_EQ(under(*live, d), want) << describe(*live);

  // Now no process is in that mount namespace (and none in the netns): only our fd holds the
  // one and the bind mounts the other.
  holder.kill();
  target.kill();
  auto orphan = list_nsfs_mounts(mnt->get());
  ASSERT_TRUE(orphan) << orphan.error().message();
  EXPECT_EQ(under(*orphan, d), want) << describe(*orphan);
  EXPECT_EQ(sorted(*orphan), sorted(*live));
}

TEST(NsfsMounts, PagesThroughMoreMountsThanOneListmountCall) {
  NSCTL_REQUIRE_ROOT();
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  Probe target = spawn_probe(CLONE_NEWNET);
  ASSERT_TRUE(target);
  constexpr int kMounts = 1200;  // more than two pages of the 512 ids listmount is given
  std::vector<std::string> names, sources;
  for (int i = 0; i < kMounts; ++i) {
    names.push_back("n" + std::to_string(i));
    sources.push_back(target.ns_path("net"));
  }
  std::string error;
  Probe holder = spawn_probe(
      CLONE_NEWNS, [&] { return mount_nsfs_files(dir.path(), sources, names); }, &error);
  ASSERT_TRUE(holder) << error;
  auto mnt = open_ns_file(AT_FDCWD, holder.ns_path("mnt").c_str());
  ASSERT_TRUE(mnt) << mnt.error().message();
  auto entries = list_nsfs_mounts(mnt->get());
  SKIP_IF_UNSUPPORTED(entries);
  ASSERT_TRUE(entries) << entries.error().message();
  auto ours = under(*entries, dir.path());
  ASSERT_EQ(ours.size(), static_cast<std::size_t>(kMounts));
  const ino_t ino = test::ns_inode(target.pid(), "net");
  for (const auto& e : ours) {
    EXPECT_EQ(e.type, NsType::net);
    EXPECT_EQ(e.ino, ino);
  }
  std::vector<std::string> points;
  for (const auto& e : ours) points.push_back(e.mount_point);
  EXPECT_EQ(std::unique(points.begin(), points.end()), points.end()) << "a mount listed twice";
}

TEST(NsfsMounts, RejectsFdsThatAreNotMountNamespaces) {
  UniqueFd net(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(net && devnull);
  for (int fd : {net.get(), devnull.get()}) {
    auto r = list_nsfs_mounts(fd);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), EINVAL) << r.error().message();
    EXPECT_NE(r.error().message().find("not a mount namespace"), std::string::npos)
        << r.error().message();
  }
  auto closed = list_nsfs_mounts(1 << 20);
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().code(), EBADF) << closed.error().message();
}

TEST(NsfsMounts, FromMountinfoTextKeepsOnlyNsfsLines) {
  const std::string text =
      "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
      "this line is not mountinfo at all\n"
      "43 42 0:4 net:[4026532177] /run/netns/a\\040b rw shared:2 - nsfs nsfs rw\n"
      "44 42 0:4 uts:[4026532300] /x\\012y\\134z rw - nsfs nsfs rw\n"
      "45 42 0:4 net:[bad] /run/netns/broken rw - nsfs nsfs rw\n"
      "46 42 0:40 / /run/netns/fake\\040-\\040nsfs\\040 rw - tmpfs tmpfs rw\n"
      "47 42 0:4 cgroup:[4026531835] /last rw - nsfs nsfs rw";  // no final newline
  auto entries = nsfs_mounts_from_mountinfo(text);
  std::vector<NsfsMountEntry> want = {
      {"/run/netns/a b", NsType::net, 4026532177},
      {"/x\ny\\z", NsType::uts, 4026532300},
      {"/last", NsType::cgroup, 4026531835},
  };
  EXPECT_EQ(entries, want) << describe(entries);
  EXPECT_TRUE(nsfs_mounts_from_mountinfo("").empty());
}

}  // namespace
}  // namespace nsctl
