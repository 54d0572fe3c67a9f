// Network-namespace ids (NETNSID) over rtnetlink: the id that one network namespace assigned to
// another, as `ip netns list-id` and lsns's NETNSID column show it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "nsctl/base/error.hpp"
#include "nsctl/base/fd.hpp"

namespace nsctl {

// NETNSA_NSID_NOT_ASSIGNED: the caller's network namespace has no id for the target.
inline constexpr int kNsidNotAssigned = -1;

// Asks the caller's network namespace (the one the socket was opened in) which id it assigned
// to other network namespaces. One NETLINK_ROUTE socket (SOCK_CLOEXEC) serves any number of
// queries; an object is not thread-safe. Kernel 4.0+ (RTM_GETNSID with NETNSA_FD).
//
// The caller's own namespace normally has no id for itself (-1): the kernel answers from the
// caller's id table, and an id is only there if someone assigned one (RTM_NEWNSID) or the kernel
// did (e.g. when a veth or a socket crossed namespaces).
class NetnsIdQuery {
 public:
  // Opens and binds the socket. Errors: those of socket(2)/bind(2) with context "netlink".
  static Result<NetnsIdQuery> open();

  NetnsIdQuery(NetnsIdQuery&&) noexcept = default;
  NetnsIdQuery& operator=(NetnsIdQuery&&) noexcept = default;

  // The id of the network namespace behind `netns_fd`, or kNsidNotAssigned. Errors: the
  // kernel's NLMSG_ERROR answer as "netns fd N: RTM_GETNSID: <strerror> (<extack message>)",
  // e.g. EINVAL when `netns_fd` is not a network namespace, EBADF when it is not open; errors
  // of send/recv with context "netlink".
  Result<int> nsid_of(int netns_fd);

  // The same for many fds, in order: sends the requests in batches (one sendmsg each) and then
  // reads the answers, so N namespaces cost about N+N/batch syscalls instead of 2N. Fails as a
  // whole with the first error (after draining the batch, so the socket stays usable).
  Result<std::vector<int>> nsids_of(std::span<const int> netns_fds);

  // The socket, e.g. for poll(2); owned by this object.
  int fd() const { return sock_.get(); }

 private:
  NetnsIdQuery(UniqueFd sock, std::uint32_t portid, std::size_t batch)
      : sock_(std::move(sock)), portid_(portid), batch_(batch) {}

  // Sends one RTM_GETNSID per fd in `fds`, then fills `out` (same size) from the answers.
  Result<void> query_batch(std::span<const int> fds, std::span<int> out);

  UniqueFd sock_;
  std::uint32_t portid_ = 0;
  std::uint32_t seq_ = 0;
  std::size_t batch_ = 0;  // requests per sendmsg: bounded by what the receive buffer holds
  std::vector<char> buf_;  // reused for building requests and reading answers
};

}  // namespace nsctl
