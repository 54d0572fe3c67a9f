#include "net/rtnl.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>

#include "net/netlink_msg.hpp"

namespace nsctl {
namespace {

// Every request here is a few fixed headers plus at most two interface names (validated to
// IFNAMSIZ) and a few addresses: well under this.
constexpr std::size_t kRequestBufferSize = 512;
// Enough for any ack: with NETLINK_CAP_ACK the kernel echoes only the request's header.
constexpr std::size_t kAnswerBufferSize = 8192;

using RequestBuffer = std::array<char, kRequestBufferSize>;

// The kernel checks names too, but a string_view may hold a NUL (which would silently shorten
// the name in the attribute) and a name over IFNAMSIZ-1 bytes would be cut by if_nametoindex:
// refuse both here, with the name in the message.
Result<void> check_ifname(std::string_view name, std::string_view what) {
  if (name.empty() || name.size() >= IFNAMSIZ || name.find('\0') != std::string_view::npos)
    return invalid(fmt::format("{}: invalid interface name \"{}\" (1 to {} bytes, no NUL)", what,
                               name, IFNAMSIZ - 1));
  return {};
}

// IFLA_IFNAME-style attribute from a string_view (mnl_attr_put_strz needs a C string).
void put_name(nlmsghdr* nlh, std::uint16_t type, std::string_view name) {
  std::array<char, IFNAMSIZ> cname{};
  std::memcpy(cname.data(), name.data(), name.size());  // checked: < IFNAMSIZ
  mnl_attr_put(nlh, type, name.size() + 1, cname.data());
}

ifinfomsg* put_ifinfomsg(nlmsghdr* nlh) {
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  return ifi;
}

// RTM_NEWLINK that sets IFF_UP and leaves every other flag alone (ifi_change masks the change).
nlmsghdr* put_link_up(char* buf, int ifindex) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  ifinfomsg* ifi = put_ifinfomsg(nlh);
  ifi->ifi_index = ifindex;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  return nlh;
}

std::string ipv4_text(in_addr address) {
  std::array<char, INET_ADDRSTRLEN> text{};
  ::inet_ntop(AF_INET, &address, text.data(), text.size());
  return text.data();
}

}  // namespace

Result<Rtnl> Rtnl::open() {
  NSCTL_ASSIGN_OR_RETURN(UniqueFd sock, netlink_util::open_route_socket("rtnetlink"));
  return Rtnl(std::move(sock));
}

Result<void> Rtnl::request(std::span<char> message, std::string_view what) {
  auto* nlh = reinterpret_cast<nlmsghdr*>(message.data());
  if (message.size() < sizeof(nlmsghdr) || nlh->nlmsg_len > message.size())
    return invalid(fmt::format("{}: malformed request", what));
  nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  if (++seq_ == 0) ++seq_;  // 0 is what unsolicited messages carry
  nlh->nlmsg_seq = seq_;

  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = ::sendto(fd_.get(), message.data(), nlh->nlmsg_len, 0,
                    reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return errno_error(fmt::format("{}: rtnetlink send", what));

  // rtnetlink handles the request inside sendto, so the ack is queued by now; answers with
  // another sequence number are leftovers of an earlier request that failed in recv.
  alignas(nlmsghdr) std::array<char, kAnswerBufferSize> answer;
  for (;;) {
    sockaddr_nl from{};
    socklen_t from_len = sizeof from;
    ssize_t n = ::recvfrom(fd_.get(), answer.data(), answer.size(), 0,
                           reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(fmt::format("{}: rtnetlink receive", what));
    }
    if (from.nl_pid != 0) continue;  // only the kernel answers; anyone may send to our port
    int remaining = static_cast<int>(n);
    for (auto* reply = reinterpret_cast<const nlmsghdr*>(answer.data());
         mnl_nlmsg_ok(reply, remaining); reply = mnl_nlmsg_next(reply, &remaining)) {
      if (reply->nlmsg_seq != seq_ || reply->nlmsg_type != NLMSG_ERROR) continue;
      if (reply->nlmsg_len < mnl_nlmsg_size(sizeof(nlmsgerr)))
        return std::unexpected(Error(EPROTO, fmt::format("{}: truncated rtnetlink ack", what)));
      const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(reply));
      if (err->error == 0) return {};
      Error error = Error::from_errno(-err->error, what);
      std::string extack = netlink_util::extack_message(reply);
      if (!extack.empty()) error = Error(error.code(), error.message() + " (" + extack + ")");
      return std::unexpected(std::move(error));
    }
  }
}

Result<int> Rtnl::link_index(std::string_view name) {
  std::string what = fmt::format("link {}", name);
  NSCTL_TRY(check_ifname(name, what));
  // if_nametoindex asks through a socket of the calling thread's network namespace, the one
  // this socket was opened in as long as the caller did not move between the two.
  unsigned index = ::if_nametoindex(std::string(name).c_str());
  if (index == 0) return errno_error(what);
  return static_cast<int>(index);
}

Result<void> Rtnl::set_link_up(int ifindex) {
  alignas(nlmsghdr) RequestBuffer buf{};
  nlmsghdr* nlh = put_link_up(buf.data(), ifindex);
  return request(std::span<char>(buf.data(), nlh->nlmsg_len),
                 fmt::format("set link {} up", ifindex));
}

Result<void> Rtnl::add_veth(std::string_view name, std::string_view peer, int peer_netns_fd) {
  std::string what = fmt::format("add veth {}/{}", name, peer);
  NSCTL_TRY(check_ifname(name, what));
  NSCTL_TRY(check_ifname(peer, what));
  alignas(nlmsghdr) RequestBuffer buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  put_ifinfomsg(nlh);
  put_name(nlh, IFLA_IFNAME, name);
  nlattr* linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
  nlattr* data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  // VETH_INFO_PEER holds a whole link description: a struct ifinfomsg, then its attributes
  // (as iproute2 builds it).
  nlattr* peer_info = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
  std::memset(mnl_nlmsg_get_payload_tail(nlh), 0, sizeof(ifinfomsg));
  static_cast<ifinfomsg*>(mnl_nlmsg_get_payload_tail(nlh))->ifi_family = AF_UNSPEC;
  nlh->nlmsg_len += MNL_ALIGN(sizeof(ifinfomsg));
  put_name(nlh, IFLA_IFNAME, peer);
  mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, static_cast<std::uint32_t>(peer_netns_fd));
  mnl_attr_nest_end(nlh, peer_info);
  mnl_attr_nest_end(nlh, data);
  mnl_attr_nest_end(nlh, linkinfo);
  return request(std::span<char>(buf.data(), nlh->nlmsg_len), what);
}

Result<void> Rtnl::add_address(int ifindex, in_addr address, int prefix_len) {
  std::string what =
      fmt::format("add address {}/{} to link {}", ipv4_text(address), prefix_len, ifindex);
  if (prefix_len < 0 || prefix_len > 32)
    return invalid(fmt::format("{}: prefix length must be 0 to 32", what));
  alignas(nlmsghdr) RequestBuffer buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_NEWADDR;
  nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = static_cast<unsigned char>(prefix_len);
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = static_cast<unsigned>(ifindex);
  // IFA_LOCAL is the interface's own address, IFA_ADDRESS the peer's on point-to-point links;
  // on others both are the same, as `ip address add` sends them.
  mnl_attr_put(nlh, IFA_LOCAL, sizeof address, &address);
  mnl_attr_put(nlh, IFA_ADDRESS, sizeof address, &address);
  // /31 and /32 have no broadcast address (RFC 3021); /0 has no meaningful one.
  if (prefix_len > 0 && prefix_len < 31) {
    std::uint32_t host_mask = ~std::uint32_t{0} >> prefix_len;
    in_addr broadcast{htonl(ntohl(address.s_addr) | host_mask)};
    mnl_attr_put(nlh, IFA_BROADCAST, sizeof broadcast, &broadcast);
  }
  return request(std::span<char>(buf.data(), nlh->nlmsg_len), what);
}

Result<void> Rtnl::add_default_route(in_addr gateway) {
  std::string what = fmt::format("add default route via {}", ipv4_text(gateway));
  alignas(nlmsghdr) RequestBuffer buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_NEWROUTE;
  nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = AF_INET;
  rtm->rtm_dst_len = 0;  // 0.0.0.0/0
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_BOOT;  // what `ip route add` uses by default
  rtm->rtm_scope = RT_SCOPE_UNIVERSE;
  rtm->rtm_type = RTN_UNICAST;
  mnl_attr_put(nlh, RTA_GATEWAY, sizeof gateway, &gateway);
  return request(std::span<char>(buf.data(), nlh->nlmsg_len), what);
}

Result<void> Rtnl::delete_link(std::string_view name) {
  std::string what = fmt::format("delete link {}", name);
  NSCTL_TRY(check_ifname(name, what));
  alignas(nlmsghdr) RequestBuffer buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_DELLINK;
  put_ifinfomsg(nlh);  // ifi_index 0: the kernel looks the link up by IFLA_IFNAME
  put_name(nlh, IFLA_IFNAME, name);
  return request(std::span<char>(buf.data(), nlh->nlmsg_len), what);
}

std::vector<char> link_up_request(int ifindex) {
  alignas(nlmsghdr) RequestBuffer buf{};
  nlmsghdr* nlh = put_link_up(buf.data(), ifindex);
  nlh->nlmsg_seq = 1;
  return std::vector<char>(buf.data(), buf.data() + nlh->nlmsg_len);
}

int send_rtnl_request(std::span<const char> request) noexcept {
  // Only syscalls and arithmetic from here on: this runs between clone and exec, where malloc
  // may hold a lock that a thread of the parent took (mnl_socket_open would allocate).
  nlmsghdr header;
  if (request.size() < sizeof header) return EINVAL;
  std::memcpy(&header, request.data(), sizeof header);
  // Without NLM_F_ACK a successful request gets no answer and the recv below would wait forever.
  if (header.nlmsg_len < sizeof header || header.nlmsg_len > request.size() ||
      !(header.nlmsg_flags & NLM_F_ACK))
    return EINVAL;

  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return errno;
  int one = 1;
  ::setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);  // best effort: short acks
  int result = 0;
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  ssize_t sent = -1;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    result = errno;
  } else {
    do {
      sent = ::sendto(fd, request.data(), header.nlmsg_len, 0,
                      reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) result = errno;
  }
  constexpr std::size_t kHeaderLen = NLMSG_ALIGN(sizeof(nlmsghdr));
  alignas(nlmsghdr) char answer[kAnswerBufferSize];
  while (sent >= 0) {
    sockaddr_nl from{};
    socklen_t from_len = sizeof from;
    ssize_t n =
        ::recvfrom(fd, answer, sizeof answer, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) {
      if (errno == EINTR) continue;
      result = errno;
      break;
    }
    if (from.nl_pid != 0) continue;  // only the kernel answers
    bool done = false;
    auto size = static_cast<std::size_t>(n);
    for (std::size_t offset = 0; offset + kHeaderLen <= size;) {
      const auto* reply = reinterpret_cast<const nlmsghdr*>(answer + offset);
      if (reply->nlmsg_len < kHeaderLen) break;
      // Only the error code at the start of the payload is read, so a truncated echo of the
      // request (no NETLINK_CAP_ACK before 4.3) still counts.
      if (reply->nlmsg_type == NLMSG_ERROR && reply->nlmsg_seq == header.nlmsg_seq &&
          offset + kHeaderLen + sizeof(int) <= size) {
        int error = 0;
        std::memcpy(&error, answer + offset + kHeaderLen, sizeof error);
        result = -error;
        done = true;
        break;
      }
      offset += NLMSG_ALIGN(reply->nlmsg_len);
    }
    if (done) break;
  }
  ::close(fd);
  return result;
}

Result<void> in_netns(int netns_fd, const std::function<Result<void>()>& fn) {
  // A fresh thread joins the namespace instead of the caller: the caller's namespace never
  // changes, so there is no "setns back" step that could fail and strand it (or other code
  // running on it) in the wrong namespace. The thread's namespace dies with it.
  Result<void> result;
  try {
    std::thread worker([&] {
      if (::setns(netns_fd, CLONE_NEWNET) != 0) {
        result = errno_error(fmt::format("netns fd {}: setns net", netns_fd));
        return;
      }
      result = fn();
    });
    worker.join();
  } catch (const std::system_error& e) {
    return fail(e.code().value(), "in_netns: start thread");
  }
  return result;
}

}  // namespace nsctl
