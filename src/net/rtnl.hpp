// Network configuration over rtnetlink (libmnl): links up, veth pairs, addresses, routes —
// what `nsctl run` does for a sandbox's network namespace. Kernel 3.0+ (IFLA_NET_NS_FD);
// the kernel's reasons in error messages need 4.12+ (NETLINK_EXT_ACK).
#pragma once

#include <netinet/in.h>

#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "nsctl/base/error.hpp"
#include "nsctl/base/fd.hpp"

namespace nsctl {

// A NETLINK_ROUTE socket (SOCK_CLOEXEC) in the network namespace of the thread that opened it
// (it stays there when used from another thread); each request waits for the kernel's
// acknowledgement. Errors carry the errno of the kernel's answer and, where the kernel gives
// one (4.12+), its extended ack message, after the object the request names:
// "add address 10.200.0.1/30 to link 7: File exists", "delete link nsctl0: No such device",
// "add veth nsctl0/eth0: File exists". Interface names must be 1 to 15 bytes (IFNAMSIZ - 1)
// without NUL, otherwise EINVAL before anything is sent. Not thread-safe.
class Rtnl {
 public:
  // Errors: socket(2)/bind(2), as "rtnetlink: socket: ...".
  static Result<Rtnl> open();

  // The index of the link named `name` (if_nametoindex, which looks in the *calling thread's*
  // network namespace, not necessarily the socket's); ENODEV "link eth9: No such device".
  Result<int> link_index(std::string_view name);
  // Sets IFF_UP on the link.
  Result<void> set_link_up(int ifindex);
  // Creates a veth pair: `name` here and `peer` in the network namespace behind `peer_netns_fd`
  // (an nsfs fd of a network namespace), as `ip link add NAME type veth peer name PEER netns FD`.
  Result<void> add_veth(std::string_view name, std::string_view peer, int peer_netns_fd);
  // Adds an IPv4 address with its prefix length (0-32, else EINVAL) to the link, with the
  // broadcast address for prefixes 1-30. EEXIST if the link has it already, ENODEV if there
  // is no such link.
  Result<void> add_address(int ifindex, in_addr address, int prefix_len);
  // Adds a default IPv4 route through `gateway` to the main table. ENETUNREACH when no
  // address of this namespace reaches the gateway, EEXIST when a default route exists.
  Result<void> add_default_route(in_addr gateway);
  // Deletes the link (and with a veth, its peer).
  Result<void> delete_link(std::string_view name);

 private:
  explicit Rtnl(UniqueFd fd) : fd_(std::move(fd)) {}
  Result<void> request(std::span<char> message, std::string_view what);
  UniqueFd fd_;
  unsigned seq_ = 0;
};

// The bytes of an RTM_NEWLINK request that sets link `ifindex` up, built in advance (with
// libmnl) so that a child between clone and exec can send it without allocating.
std::vector<char> link_up_request(int ifindex);

// In a child: opens a NETLINK_ROUTE socket in the current network namespace, sends `request`
// (e.g. from link_up_request) and reads the acknowledgement. Async-signal-safe, no
// allocation. Returns 0 or the errno (the kernel's answer, or the failed call's); EINVAL
// without sending when `request` is shorter than its nlmsg_len or lacks NLM_F_ACK (no answer
// would come to end the wait).
int send_rtnl_request(std::span<const char> request) noexcept;

// Runs `fn` on a thread that has joined the network namespace behind `netns_fd`, so that
// sockets it opens (e.g. an Rtnl) live there; the calling thread's namespaces do not change.
// Inside fn, /proc/thread-self/net shows that namespace (/proc/self/net is the main
// thread's). fn must not throw. Needs CAP_SYS_ADMIN over that namespace and in the caller's
// user namespace. Errors: the setns failure ("netns fd 5: setns net: Invalid argument" when
// the fd is not a network namespace, EPERM without the capability), a failure to start the
// thread, or fn's own error.
Result<void> in_netns(int netns_fd, const std::function<Result<void>()>& fn);

}  // namespace nsctl
