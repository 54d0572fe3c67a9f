// rtnetlink configuration against the real kernel. Every test runs in a forked child that
// first unshares a new network namespace ("A"); a second one ("B") is held by a probe process
// the child starts. Links, addresses and routes live only in those two, and vanish with them
// when the child returns (the probe is killed and reaped through its pidfd).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "net/rtnl.hpp"
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

// Checks that `result` failed with `code` and a message containing `text`.
#define CHILD_CHECK_ERROR(result, want_errno, want_text)                                        \
  do {                                                                                          \
    if ((result) || (result).error().code() != (want_errno) ||                                  \
        (result).error().message().find(want_text) == std::string::npos) {                      \
      std::fprintf(stderr, "%s:%d: %s: want errno %d and \"%s\", got %s\n", __FILE__, __LINE__, \
                   #result, want_errno, std::string(want_text).c_str(),                         \
                   (result) ? "success"                                                         \
                            : (std::to_string((result).error().code()) + " \"" +                \
                               (result).error().message() + "\"")                               \
                                  .c_str());                                                    \
      return 1;                                                                                 \
    }                                                                                           \
  } while (0)

int enter_new_netns() {
  if (::unshare(CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "unshare(CLONE_NEWNET): %s\n", std::strerror(errno));
    return 77;
  }
  return 0;
}

in_addr ipv4(const char* text) {
  in_addr address{};
  ::inet_pton(AF_INET, text, &address);
  return address;
}

// The link's flags as the calling thread's network namespace sees them (SIOCGIFFLAGS; not
// /sys/class/net, which shows the namespace of whoever mounted sysfs). -1 if there is none.
int link_flags(const char* name) {
  UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock) return -1;
  ifreq request{};
  std::snprintf(request.ifr_name, sizeof request.ifr_name, "%s", name);
  if (::ioctl(sock.get(), SIOCGIFFLAGS, &request) != 0) return -1;
  return request.ifr_flags;
}

bool link_is_up(const char* name) {
  int flags = link_flags(name);
  return flags >= 0 && (flags & IFF_UP);
}

ino_t thread_netns_inode() { return test::ns_inode("/proc/thread-self/ns/net"); }

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(NetconfRaw, LinkUpRequestBringsLoopbackUp) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK([] {
    if (int rc = enter_new_netns(); rc != 0) return rc;
    // A new network namespace's loopback (always ifindex 1) starts down.
    CHILD_CHECK(link_flags("lo") >= 0 && !link_is_up("lo"));
    std::vector<char> request = link_up_request(1);
    int rc = send_rtnl_request(request);
    CHILD_CHECK(rc == 0, "send_rtnl_request: %s", std::strerror(rc));
    CHILD_CHECK(link_is_up("lo"));
    // Again: already up is not an error.
    CHILD_CHECK(send_rtnl_request(request) == 0);

    // The kernel's answer comes back as the errno.
    rc = send_rtnl_request(link_up_request(9999));
    CHILD_CHECK(rc == ENODEV, "link 9999: %s", std::strerror(rc));
    // A request that would get no ack (and so block forever) or is cut short is refused.
    std::vector<char> no_ack = request;
    auto* header = reinterpret_cast<nlmsghdr*>(no_ack.data());
    header->nlmsg_flags &= static_cast<std::uint16_t>(~NLM_F_ACK);
    CHILD_CHECK(send_rtnl_request(no_ack) == EINVAL);
    CHILD_CHECK(send_rtnl_request(std::span<const char>(request.data(), request.size() - 1)) ==
                EINVAL);
    CHILD_CHECK(send_rtnl_request({}) == EINVAL);
    return 0;
  });
}

// The use it is built for: a child between fork and exec, which must not allocate, brings
// up the loopback of its new namespace with bytes prepared before the fork.
TEST(NetconfRaw, SendsFromAChildOfAForkedProcess) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK([] {
    std::vector<char> request = link_up_request(1);
    pid_t pid = ::fork();
    CHILD_CHECK(pid >= 0);
    if (pid == 0) {
      if (::unshare(CLONE_NEWNET) != 0) ::_exit(77);
      int rc = send_rtnl_request(request);
      if (rc != 0) ::_exit(rc);
      ::_exit(link_is_up("lo") ? 0 : 100);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    CHILD_CHECK(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) return 77;
    CHILD_CHECK(WEXITSTATUS(status) == 0, "grandchild exit %d", WEXITSTATUS(status));
    return 0;
  });
}

TEST(NetconfRtnl, SetLinkUpOnLoopback) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK([] {
    if (int rc = enter_new_netns(); rc != 0) return rc;
    auto rtnl = Rtnl::open();
    CHILD_CHECK_OK(rtnl);
    auto lo = rtnl->link_index("lo");
    CHILD_CHECK_OK(lo);
    CHILD_CHECK(*lo == 1);
    CHILD_CHECK(!link_is_up("lo"));
    auto up = rtnl->set_link_up(*lo);
    CHILD_CHECK_OK(up);
    CHILD_CHECK(link_is_up("lo"));
    auto again = rtnl->set_link_up(*lo);
    CHILD_CHECK_OK(again);
    return 0;
  });
}

// A veth pair from A into B, configured as `nsctl run` would configure a sandbox, carries a
// TCP connection from B to an address that B reaches only through its default route.
TEST(NetconfVeth, PairAcrossNamespacesCarriesTcp) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK([] {
    if (int rc = enter_new_netns(); rc != 0) return rc;
    std::string error;
    Probe b = spawn_probe(CLONE_NEWNET, {}, &error);
    CHILD_CHECK(b, "%s", error.c_str());
    UniqueFd netns_b = b.open_ns("net");
    CHILD_CHECK(netns_b);

    auto rtnl = Rtnl::open();
    CHILD_CHECK_OK(rtnl);
    auto added = rtnl->add_veth("nsctl0", "eth0", netns_b.get());
    CHILD_CHECK_OK(added);
    auto host_index = rtnl->link_index("nsctl0");
    CHILD_CHECK_OK(host_index);
    CHILD_CHECK(link_flags("eth0") < 0);  // the peer is not here...

    // ...but in B, configured from a thread there.
    auto in_b = in_netns(netns_b.get(), []() -> Result<void> {
      NSCTL_ASSIGN_OR_RETURN(Rtnl rtnl_b, Rtnl::open());
      NSCTL_ASSIGN_OR_RETURN(int peer, rtnl_b.link_index("eth0"));
      if (link_flags("nsctl0") >= 0) return invalid("nsctl0 visible in B");
      NSCTL_TRY(rtnl_b.add_address(peer, ipv4("10.200.0.2"), 30));
      NSCTL_TRY(rtnl_b.set_link_up(peer));
      NSCTL_TRY(rtnl_b.set_link_up(1));
      NSCTL_TRY(rtnl_b.add_default_route(ipv4("10.200.0.1")));
      // /proc/thread-self/net is this thread's namespace (/proc/self/net the main thread's).
      // The gateway is printed as the raw u32: 10.200.0.1 is 0100C80A on little endian.
      std::string routes = read_file("/proc/thread-self/net/route");
      std::uint32_t gateway = ipv4("10.200.0.1").s_addr;
      char want[64];
      std::snprintf(want, sizeof want, "eth0\t00000000\t%08X\t0003", gateway);
      if (routes.find(want) == std::string::npos)
        return invalid("no default route via 10.200.0.1 in B:\n" + routes);
      return {};
    });
    CHILD_CHECK_OK(in_b);

    CHILD_CHECK_OK(rtnl->add_address(*host_index, ipv4("10.200.0.1"), 30));
    // An address outside B's /30: B reaches it only through the default route.
    CHILD_CHECK_OK(rtnl->add_address(*host_index, ipv4("10.201.0.1"), 32));
    CHILD_CHECK_OK(rtnl->set_link_up(*host_index));
    CHILD_CHECK(link_is_up("nsctl0"));
    // iproute2, run here in A, agrees (including the broadcast address of the /30).
    std::string shown = test::shell_output("ip -o -4 address show dev nsctl0");
    CHILD_CHECK(
        shown.find("inet 10.200.0.1/30 brd 10.200.0.3 scope global nsctl0") != std::string::npos &&
            shown.find("inet 10.201.0.1/32 scope global nsctl0") != std::string::npos,
        "%s", shown.c_str());

    UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    CHILD_CHECK(listener);
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_addr = ipv4("10.201.0.1");
    CHILD_CHECK(
        ::bind(listener.get(), reinterpret_cast<const sockaddr*>(&server), sizeof server) == 0,
        "bind: %s", std::strerror(errno));
    socklen_t len = sizeof server;
    CHILD_CHECK(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&server), &len) == 0);
    CHILD_CHECK(::listen(listener.get(), 1) == 0);

    // The handshake completes into the listen backlog, so B can connect and send before A
    // accepts.
    static constexpr char kMessage[] = "hello from B";
    auto sent = in_netns(netns_b.get(), [&]() -> Result<void> {
      UniqueFd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (!sock) return errno_error("socket");
      timeval timeout{.tv_sec = 10, .tv_usec = 0};
      ::setsockopt(sock.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
      if (::connect(sock.get(), reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0)
        return errno_error("connect to 10.201.0.1 from B");
      if (::send(sock.get(), kMessage, sizeof kMessage, MSG_NOSIGNAL) !=
          static_cast<ssize_t>(sizeof kMessage))
        return errno_error("send from B");
      return {};
    });
    CHILD_CHECK_OK(sent);

    pollfd ready{.fd = listener.get(), .events = POLLIN, .revents = 0};
    CHILD_CHECK(::poll(&ready, 1, 10000) == 1);
    sockaddr_in client{};
    len = sizeof client;
    UniqueFd conn(
        ::accept4(listener.get(), reinterpret_cast<sockaddr*>(&client), &len, SOCK_CLOEXEC));
    CHILD_CHECK(conn, "accept: %s", std::strerror(errno));
    CHILD_CHECK(client.sin_addr.s_addr == ipv4("10.200.0.2").s_addr);  // B's end of the pair
    std::string received;
    char buf[64];
    ssize_t n;
    while ((n = ::recv(conn.get(), buf, sizeof buf, 0)) > 0) received.append(buf, buf + n);
    CHILD_CHECK(received == std::string(kMessage, sizeof kMessage));

    // Deleting one end deletes both.
    CHILD_CHECK_OK(rtnl->delete_link("nsctl0"));
    auto gone = rtnl->link_index("nsctl0");
    CHILD_CHECK_ERROR(gone, ENODEV, "link nsctl0: No such device");
    auto peer_gone = in_netns(netns_b.get(), []() -> Result<void> {
      NSCTL_ASSIGN_OR_RETURN(Rtnl rtnl_b, Rtnl::open());
      auto peer = rtnl_b.link_index("eth0");
      if (peer) return invalid("eth0 still in B");
      if (peer.error().code() != ENODEV) return std::unexpected(peer.error());
      return {};
    });
    CHILD_CHECK_OK(peer_gone);
    return 0;
  });
}

// An Rtnl belongs to the namespace it was opened in, whichever thread uses it later; and
// in_netns leaves the calling thread where it was.
TEST(NetconfInNetns, SocketStaysInItsNamespaceAndCallerDoesNotMove) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK([] {
    if (int rc = enter_new_netns(); rc != 0) return rc;
    Probe b = spawn_probe(CLONE_NEWNET);
    CHILD_CHECK(b);
    UniqueFd netns_b = b.open_ns("net");
    CHILD_CHECK(netns_b);
    ino_t home = thread_netns_inode();
    ino_t inode_b = test::ns_inode(b.ns_path("net"));
    CHILD_CHECK(home != 0 && inode_b != 0 && home != inode_b);

    std::optional<Rtnl> rtnl_b;
    ino_t seen = 0;
    auto opened = in_netns(netns_b.get(), [&]() -> Result<void> {
      seen = thread_netns_inode();
      NSCTL_ASSIGN_OR_RETURN(rtnl_b, Rtnl::open());
      return {};
    });
    CHILD_CHECK_OK(opened);
    CHILD_CHECK(seen == inode_b);
    CHILD_CHECK(thread_netns_inode() == home);

    // Used from this thread (in A), the socket still configures B.
    CHILD_CHECK_OK(rtnl_b->set_link_up(1));
    CHILD_CHECK(!link_is_up("lo"));
    bool up_in_b = false;
    auto looked = in_netns(netns_b.get(), [&]() -> Result<void> {
      up_in_b = link_is_up("lo");
      return {};
    });
    CHILD_CHECK_OK(looked);
    CHILD_CHECK(up_in_b);

    // fn's own error comes back unchanged.
    auto failed = in_netns(netns_b.get(), []() -> Result<void> { return fail(ENOENT, "inside"); });
    CHILD_CHECK_ERROR(failed, ENOENT, "inside: No such file or directory");
    return 0;
  });
}

TEST(NetconfErrors, NameTheObjectAndKeepTheErrno) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK([] {
    if (int rc = enter_new_netns(); rc != 0) return rc;
    UniqueFd self(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
    CHILD_CHECK(self);
    auto rtnl = Rtnl::open();
    CHILD_CHECK_OK(rtnl);

    // Both ends here (the peer's namespace may be the same one).
    CHILD_CHECK_OK(rtnl->add_veth("nsctl0", "nsctl1", self.get()));
    auto exists = rtnl->add_veth("nsctl0", "nsctl2", self.get());
    CHILD_CHECK_ERROR(exists, EEXIST, "add veth nsctl0/nsctl2: File exists");
    CHILD_CHECK(link_flags("nsctl2") < 0);

    auto no_link = rtnl->add_address(9999, ipv4("10.200.0.1"), 30);
    CHILD_CHECK_ERROR(no_link, ENODEV, "add address 10.200.0.1/30 to link 9999: No such device");
    auto bad_prefix = rtnl->add_address(1, ipv4("10.200.0.1"), 33);
    CHILD_CHECK_ERROR(bad_prefix, EINVAL, "add address 10.200.0.1/33 to link 1: prefix");

    auto lo = rtnl->link_index("lo");
    CHILD_CHECK_OK(lo);
    CHILD_CHECK_OK(rtnl->add_address(*lo, ipv4("127.0.0.2"), 8));
    auto twice = rtnl->add_address(*lo, ipv4("127.0.0.2"), 8);
    CHILD_CHECK_ERROR(twice, EEXIST, "add address 127.0.0.2/8 to link 1: File exists");

    auto no_name = rtnl->link_index("nosuch0");
    CHILD_CHECK_ERROR(no_name, ENODEV, "link nosuch0: No such device");
    auto no_delete = rtnl->delete_link("nosuch0");
    CHILD_CHECK_ERROR(no_delete, ENODEV, "delete link nosuch0: No such device");
    auto down = rtnl->set_link_up(9999);
    CHILD_CHECK_ERROR(down, ENODEV, "set link 9999 up: No such device");
    // No address of this namespace reaches the gateway.
    auto unreachable = rtnl->add_default_route(ipv4("10.9.9.9"));
    CHILD_CHECK_ERROR(unreachable, ENETUNREACH, "add default route via 10.9.9.9: ");
    // The kernel's extended ack reason follows in parentheses (its wording is the kernel's).
    const std::string& why = unreachable.error().message();
    CHILD_CHECK(why.find("Network is unreachable (") != std::string::npos && why.back() == ')',
                "%s", why.c_str());

    // 16 bytes: one more than IFNAMSIZ allows. Refused before the kernel sees it, and nothing
    // (not even a truncated name) is created.
    const std::string long_name = "nsctl-0123456789";
    auto too_long = rtnl->add_veth(long_name, "nsctl3", self.get());
    CHILD_CHECK_ERROR(too_long, EINVAL,
                      "add veth " + long_name + "/nsctl3: invalid interface name");
    auto long_peer = rtnl->add_veth("nsctl3", long_name, self.get());
    CHILD_CHECK_ERROR(long_peer, EINVAL, "invalid interface name \"" + long_name + "\"");
    CHILD_CHECK(link_flags("nsctl3") < 0 && link_flags(long_name.substr(0, 15).c_str()) < 0);
    auto long_index = rtnl->link_index(long_name);
    CHILD_CHECK_ERROR(long_index, EINVAL, "link " + long_name + ": invalid interface name");
    auto long_delete = rtnl->delete_link(long_name);
    CHILD_CHECK_ERROR(long_delete, EINVAL, "delete link " + long_name);
    auto nul = rtnl->link_index(std::string_view("lo\0x", 4));
    CHILD_CHECK(!nul && nul.error().code() == EINVAL);
    // 15 bytes is fine.
    CHILD_CHECK_OK(rtnl->add_veth(long_name.substr(0, 15), "nsctl3", self.get()));

    // Not a network namespace: setns says EINVAL, and fn never runs.
    UniqueFd uts(::open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC));
    UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    CHILD_CHECK(uts && devnull);
    for (int fd : {uts.get(), devnull.get()}) {
      bool ran = false;
      auto entered = in_netns(fd, [&]() -> Result<void> {
        ran = true;
        return {};
      });
      CHILD_CHECK_ERROR(entered, EINVAL,
                        "netns fd " + std::to_string(fd) + ": setns net: Invalid argument");
      CHILD_CHECK(!ran);
    }

    CHILD_CHECK_OK(rtnl->delete_link("nsctl0"));
    CHILD_CHECK(link_flags("nsctl0") < 0 && link_flags("nsctl1") < 0);
    return 0;
  });
}

}  // namespace
}  // namespace nsctl
