// Helpers shared by the rtnetlink users (netlink.cpp, netconf.cpp): private to the library.
#pragma once

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include <cstddef>
#include <string>

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

}  // namespace nsctl::netlink_util
