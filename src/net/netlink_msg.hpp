// Helpers shared by the rtnetlink users (netlink.cpp, netconf.cpp): private to the library.
#pragma once

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "nsctl/base/error.hpp"
#include "nsctl/base/fd.hpp"

namespace nsctl::netlink_util {

inline int parse_extack_attr(const nlattr* attr, void* data) {
  auto* message = static_cast<std::string*>(data);
  if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
      mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
    *message = mnl_attr_get_str(attr);
  return MNL_CB_OK;
}

// The extended-ack message (NLMSGERR_ATTR_MSG, kernel 4.12+ with NETLINK_EXT_ACK) of an
// NLMSG_ERROR answer whose length the caller has checked to hold a struct nlmsgerr; "" when
// the kernel gave none.
inline std::string extack_message(const nlmsghdr* nlh) {
  std::string message;
  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) return message;
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  // The TLVs follow the echoed request: only its header when the ack was capped.
  std::size_t offset = sizeof(nlmsgerr);
  if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && err->msg.nlmsg_len > sizeof(nlmsghdr))
    offset += err->msg.nlmsg_len - sizeof(nlmsghdr);
  if (mnl_nlmsg_size(offset) <= nlh->nlmsg_len)
    mnl_attr_parse(nlh, static_cast<unsigned>(offset), parse_extack_attr, &message);
  return message;
}

// A NETLINK_ROUTE socket (SOCK_CLOEXEC), bound to a port id the kernel picks. Best effort
// (4.12+ and 4.3+): error answers carry the kernel's reason as text, and echo only the
// request's header, so an ack always fits the answer buffer. Errors: "<context>: socket: ...".
inline Result<UniqueFd> open_route_socket(std::string_view context) {
  UniqueFd sock(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!sock) return errno_error(std::string(context) + ": socket");
  int one = 1;
  ::setsockopt(sock.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  ::setsockopt(sock.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;  // nl_pid 0: the kernel picks a unique port id
  if (::bind(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    return errno_error(std::string(context) + ": bind");
  return sock;
}

}  // namespace nsctl::netlink_util
