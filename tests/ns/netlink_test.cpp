// NETNSID queries against network namespaces the test creates. Each test runs in a forked
// child with its own network namespace, so the ids it assigns live in an id table nothing else
// sees, and vanish with it; /run is a private tmpfs there, so `ip netns` names are the test's.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "inspect/netns_ids.hpp"
#include "support/command.hpp"
#include "support/forked.hpp"
#include "support/probe.hpp"

namespace nsctl {
namespace {

using test::Probe;
using test::spawn_probe;

#define CHILD_CHECK_OK(result)                                                    \
  do {                                                                            \
    if (!(result)) {                                                              \
      std::fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #result, \
                   (result).error().message().c_str());                           \
      return 1;                                                                   \
    }                                                                             \
  } while (0)

// Moves the child into a new network namespace (the observer whose id table is queried) and a
// new mount namespace with a private, empty /run for `ip netns` names. 77 when not allowed.
int enter_private_netns() {
  if (::unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) {
    std::fprintf(stderr, "unshare: %s\n", std::strerror(errno));
    return 77;
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
      ::mount("nsctl-test", "/run", "tmpfs", 0, "size=64k,mode=755") != 0 ||
      ::mkdir("/run/netns", 0755) != 0) {
    std::fprintf(stderr, "private /run: %s\n", std::strerror(errno));
    return 1;
  }
  return 0;
}

// Names the network namespace of `probe` as /run/netns/<name> (in the private /run).
bool name_netns(const Probe& probe, const std::string& name) {
  std::string path = "/run/netns/" + name;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  ::close(fd);
  return ::mount(probe.ns_path("net").c_str(), path.c_str(), nullptr, MS_BIND, nullptr) == 0;
}

TEST(Netnsid, UnassignedThenAssignedMatchesIpNetns) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK([] {
    if (int rc = enter_private_netns(); rc != 0) return rc;
    std::string error;
    Probe a = spawn_probe(CLONE_NEWNET, {}, &error);
    CHILD_CHECK(a);
    CHILD_CHECK(name_netns(a, "nsctl-kq-a"));
    UniqueFd fd_a = a.open_ns("net");
    CHILD_CHECK(fd_a);

    auto query = NetnsIdQuery::open();
    CHILD_CHECK_OK(query);
    auto before = query->nsid_of(fd_a.get());
    CHILD_CHECK_OK(before);
    CHILD_CHECK(*before == kNsidNotAssigned);

    CHILD_CHECK(std::system("ip netns set nsctl-kq-a 7") == 0);
    auto after = query->nsid_of(fd_a.get());
    CHILD_CHECK_OK(after);
    if (*after != 7) {
      std::fprintf(stderr, "nsid %d, want 7\n", *after);
      return 1;
    }
    std::string listed = test::shell_output("ip netns list-id");
    if (listed.find("nsid 7 (iproute2 netns name: nsctl-kq-a)") == std::string::npos) {
      std::fprintf(stderr, "ip netns list-id says:\n%s\n", listed.c_str());
      return 1;
    }
    return 0;
  });
}

TEST(Netnsid, BatchAgreesWithSingleQueries) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK([] {
    if (int rc = enter_private_netns(); rc != 0) return rc;
    Probe a = spawn_probe(CLONE_NEWNET);
    Probe b = spawn_probe(CLONE_NEWNET);
    Probe c = spawn_probe(CLONE_NEWNET);  // stays without an id
    CHILD_CHECK(a && b && c);
    CHILD_CHECK(name_netns(a, "nsctl-kq-a") && name_netns(b, "nsctl-kq-b"));
    CHILD_CHECK(std::system("ip netns set nsctl-kq-a 3 && ip netns set nsctl-kq-b 12") == 0);
    std::vector<UniqueFd> owned;
    owned.push_back(a.open_ns("net"));
    owned.push_back(b.open_ns("net"));
    owned.push_back(c.open_ns("net"));
    owned.emplace_back(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
    for (const auto& fd : owned) CHILD_CHECK(fd);

    auto query = NetnsIdQuery::open();
    CHILD_CHECK_OK(query);
    // Enough fds (dups of the four) that the batch form needs several sendmsg rounds.
    std::vector<UniqueFd> dups;
    std::vector<int> fds;
    for (int i = 0; i < 700; ++i) {
      dups.emplace_back(::fcntl(owned[static_cast<std::size_t>(i % 4)].get(), F_DUPFD_CLOEXEC, 0));
      CHILD_CHECK(dups.back());
      fds.push_back(dups.back().get());
    }
    auto batch = query->nsids_of(fds);
    CHILD_CHECK_OK(batch);
    CHILD_CHECK(batch->size() == fds.size());
    const int want[4] = {3, 12, kNsidNotAssigned, kNsidNotAssigned};
    for (std::size_t i = 0; i < fds.size(); ++i) {
      auto single = query->nsid_of(fds[i]);
      CHILD_CHECK_OK(single);
      if ((*batch)[i] != *single || *single != want[i % 4]) {
        std::fprintf(stderr, "fd #%zu: batch %d, single %d, want %d\n", i, (*batch)[i], *single,
                     want[i % 4]);
        return 1;
      }
    }
    auto empty = query->nsids_of({});
    CHILD_CHECK_OK(empty);
    CHILD_CHECK(empty->empty());
    return 0;
  });
}

// What the kernel does for the caller's own network namespace: it has no id for itself, so -1,
// unless one is assigned to it explicitly.
TEST(Netnsid, OwnNamespaceIsUnassignedUntilGivenAnId) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK([] {
    if (int rc = enter_private_netns(); rc != 0) return rc;
    UniqueFd self(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
    CHILD_CHECK(self);
    auto query = NetnsIdQuery::open();
    CHILD_CHECK_OK(query);
    auto id = query->nsid_of(self.get());
    CHILD_CHECK_OK(id);
    if (*id != kNsidNotAssigned) {
      std::fprintf(stderr, "own netns nsid %d\n", *id);
      return 1;
    }
    // A namespace may be given an id for itself; then the kernel answers it like any other.
    CHILD_CHECK(::close(::open("/run/netns/nsctl-kq-self", O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) ==
                0);
    CHILD_CHECK(
        ::mount("/proc/self/ns/net", "/run/netns/nsctl-kq-self", nullptr, MS_BIND, nullptr) == 0);
    CHILD_CHECK(std::system("ip netns set nsctl-kq-self 5") == 0);
    auto assigned = query->nsid_of(self.get());
    CHILD_CHECK_OK(assigned);
    CHILD_CHECK(*assigned == 5);
    return 0;
  });
}

TEST(Netnsid, NonNetnsFdIsAClearError) {
  UniqueFd uts(::open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC));
  UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  UniqueFd net(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(uts && devnull && net);
  auto query = NetnsIdQuery::open();
  ASSERT_TRUE(query) << query.error().message();

  for (int fd : {uts.get(), devnull.get()}) {
    auto id = query->nsid_of(fd);
    ASSERT_FALSE(id) << "fd " << fd << " gave nsid " << *id;
    EXPECT_EQ(id.error().code(), EINVAL) << id.error().message();
    EXPECT_NE(id.error().message().find("RTM_GETNSID"), std::string::npos) << id.error().message();
    EXPECT_NE(id.error().message().find("netns fd " + std::to_string(fd)), std::string::npos)
        << id.error().message();
  }
  auto closed = query->nsid_of(1 << 20);  // beyond any open fd
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().code(), EBADF) << closed.error().message();

  // A bad fd in the middle of a batch fails the batch; the socket stays usable after it.
  std::vector<int> fds = {net.get(), uts.get(), net.get()};
  auto batch = query->nsids_of(fds);
  ASSERT_FALSE(batch);
  EXPECT_EQ(batch.error().code(), EINVAL);
  auto again = query->nsid_of(net.get());
  ASSERT_TRUE(again) << again.error().message();
  auto again_batch = query->nsids_of(std::vector<int>{net.get(), net.get()});
  ASSERT_TRUE(again_batch) << again_batch.error().message();
  EXPECT_EQ((*again_batch)[0], *again);
}

}  // namespace
}  // namespace nsctl
