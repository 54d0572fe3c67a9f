#include "inspect/netns_ids.hpp"

#include <libmnl/libmnl.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "net/netlink_msg.hpp"

namespace nsctl {
namespace {

// Each answer occupies one skb in the receive queue; its true size (a few hundred bytes of
// data plus skb overhead) is well under this. A batch must fit the receive buffer entirely,
// since the kernel answers every request of a sendmsg before the call returns and drops
// (ENOBUFS) what does not fit.
constexpr std::size_t kAnswerCost = 2048;
constexpr std::size_t kMinBatch = 8;
constexpr std::size_t kMaxBatch = 256;
constexpr std::size_t kRecvBufferSize = 16384;

// One request: nlmsghdr + rtgenmsg + NETNSA_FD (u32).
constexpr std::size_t kRequestSize =
    MNL_ALIGN(sizeof(nlmsghdr)) + MNL_ALIGN(sizeof(rtgenmsg)) + MNL_ALIGN(sizeof(nlattr)) + 4;

struct NsidAnswer {
  bool has_nsid = false;
  int nsid = kNsidNotAssigned;
};

int parse_nsid_attr(const nlattr* attr, void* data) {
  auto* answer = static_cast<NsidAnswer*>(data);
  if (mnl_attr_get_type(attr) == NETNSA_NSID && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) {
    answer->nsid = static_cast<int>(mnl_attr_get_u32(attr));
    answer->has_nsid = true;
  }
  return MNL_CB_OK;
}

// The errno (positive) and extended-ack message of an NLMSG_ERROR answer.
Error error_answer(const nlmsghdr* nlh, int netns_fd) {
  if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(nlmsgerr)))
    return Error(EPROTO, "RTM_GETNSID: truncated error answer");
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  Error error = Error::from_errno(-err->error, "RTM_GETNSID");
  std::string message = netlink_util::extack_message(nlh);
  if (!message.empty()) error = Error(error.code(), error.message() + " (" + message + ")");
  error.with_context("netns fd " + std::to_string(netns_fd));
  return error;
}

}  // namespace

Result<NetnsIdQuery> NetnsIdQuery::open() {
  NSCTL_ASSIGN_OR_RETURN(UniqueFd sock, netlink_util::open_route_socket("netlink"));
  sockaddr_nl addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(sock.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return errno_error("netlink: getsockname");
  int rcvbuf = 0;
  socklen_t optlen = sizeof rcvbuf;
  if (::getsockopt(sock.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, &optlen) != 0) rcvbuf = 0;
  std::size_t batch =
      std::clamp(static_cast<std::size_t>(std::max(rcvbuf, 0)) / kAnswerCost, kMinBatch, kMaxBatch);
  return NetnsIdQuery(std::move(sock), addr.nl_pid, batch);
}

Result<int> NetnsIdQuery::nsid_of(int netns_fd) {
  int out = kNsidNotAssigned;
  NSCTL_TRY(query_batch(std::span<const int>(&netns_fd, 1), std::span<int>(&out, 1)));
  return out;
}

Result<std::vector<int>> NetnsIdQuery::nsids_of(std::span<const int> netns_fds) {
  std::vector<int> out(netns_fds.size(), kNsidNotAssigned);
  for (std::size_t i = 0; i < netns_fds.size(); i += batch_) {
    std::size_t n = std::min(batch_, netns_fds.size() - i);
    NSCTL_TRY(query_batch(netns_fds.subspan(i, n), std::span<int>(out).subspan(i, n)));
  }
  return out;
}

Result<void> NetnsIdQuery::query_batch(std::span<const int> fds, std::span<int> out) {
  if (fds.empty()) return {};
  std::size_t need = std::max(fds.size() * kRequestSize, kRecvBufferSize);
  if (buf_.size() < need) buf_.resize(need);

  // Sequence numbers first_seq .. first_seq+n-1 name the requests. Answers with other numbers
  // are leftovers of an earlier batch that failed part-way, and are skipped.
  // 0 is never used, and a batch never wraps, so "seq - first_seq < n" identifies its answers.
  if (std::uint64_t{seq_} + fds.size() >= std::uint64_t{UINT32_MAX}) seq_ = 0;
  const std::uint32_t first_seq = seq_ + 1;
  seq_ += static_cast<std::uint32_t>(fds.size());

  std::size_t used = 0;
  for (std::size_t i = 0; i < fds.size(); ++i) {
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf_.data() + used);
    nlh->nlmsg_type = RTM_GETNSID;
    nlh->nlmsg_flags = NLM_F_REQUEST;
    nlh->nlmsg_seq = first_seq + static_cast<std::uint32_t>(i);
    auto* gen = static_cast<rtgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtgenmsg)));
    gen->rtgen_family = AF_UNSPEC;
    mnl_attr_put_u32(nlh, NETNSA_FD, static_cast<std::uint32_t>(fds[i]));
    used += nlh->nlmsg_len;
  }
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = ::sendto(sock_.get(), buf_.data(), used, 0, reinterpret_cast<const sockaddr*>(&kernel),
                    sizeof kernel);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return errno_error("netlink: send RTM_GETNSID");

  // The kernel handled every request inside sendto, so all answers are queued now: read until
  // each has one. The first error is kept and returned once the batch is drained.
  std::vector<bool> answered(fds.size(), false);
  std::size_t pending = fds.size();
  std::optional<Error> first_error;
  while (pending > 0) {
    sockaddr_nl from{};
    socklen_t from_len = sizeof from;
    ssize_t n = ::recvfrom(sock_.get(), buf_.data(), buf_.size(), 0,
                           reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("netlink: receive RTM_GETNSID answers");
    }
    if (from.nl_pid != 0) continue;  // only the kernel answers; anyone may send to our port
    int remaining = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buf_.data()); mnl_nlmsg_ok(nlh, remaining);
         nlh = mnl_nlmsg_next(nlh, &remaining)) {
      if (nlh->nlmsg_seq < first_seq || nlh->nlmsg_seq - first_seq >= fds.size()) continue;
      if (nlh->nlmsg_pid != portid_) continue;
      std::size_t index = nlh->nlmsg_seq - first_seq;
      if (answered[index]) continue;
      if (nlh->nlmsg_type == NLMSG_ERROR) {
        const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
        if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(nlmsgerr)) && err->error == 0)
          continue;  // an ack: not requested, and not the answer
        if (!first_error) first_error = error_answer(nlh, fds[index]);
      } else if (nlh->nlmsg_type == RTM_NEWNSID) {
        NsidAnswer answer;
        mnl_attr_parse(nlh, sizeof(rtgenmsg), parse_nsid_attr, &answer);
        if (!answer.has_nsid && !first_error)
          first_error = Error(EPROTO, "netns fd " + std::to_string(fds[index]) +
                                          ": RTM_GETNSID: answer without NETNSA_NSID");
        out[index] = answer.nsid;
      } else {
        continue;  // NLMSG_NOOP and the like
      }
      answered[index] = true;
      --pending;
    }
  }
  if (first_error) return std::unexpected(std::move(*first_error));
  return {};
}

}  // namespace nsctl
