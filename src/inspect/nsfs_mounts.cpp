#include "inspect/nsfs_mounts.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nsctl/ns/ns_id.hpp"
#include "proc/proc.hpp"
#include "sys/kernel_defs.hpp"
#include "sys/syscalls.hpp"

namespace nsctl {
namespace {

// How listmount/statmount are told which mount namespace to read. 6.18 takes an fd of it in
// the field that was "spare" (and had to be 0, so older kernels answer EINVAL); 6.10..6.17
// take its 64-bit id. The answer is a property of the running kernel, so it is probed once.
enum class NsRefForm : int { unknown, by_fd, by_id };
std::atomic<NsRefForm> g_form{NsRefForm::unknown};  // racing probes store the same answer

struct NsRef {
  bool by_fd = false;
  int fd = -1;
  std::uint64_t id = 0;
};

sys::MntIdReq make_req(const NsRef& ns, std::uint64_t mnt_id, std::uint64_t param) {
  sys::MntIdReq req{};
  req.size = sys::kMntIdReqSizeVer1;
  req.mnt_id = mnt_id;
  req.param = param;
  if (ns.by_fd) {
    req.mnt_ns_fd = static_cast<__u32>(ns.fd);
  } else {
    req.mnt_ns_id = ns.id;
  }
  return req;
}

// Two paths of at most PATH_MAX fit long before this; beyond it something is wrong.
constexpr std::size_t kMaxStatmountBuffer = 1 << 20;

// A statmount(2) buffer: the fixed struct followed by its strings, 8-byte aligned.
class StatmountBuffer {
 public:
  StatmountBuffer() : words_((sizeof(sys::Statmount) + 1024) / 8) {}
  sys::Statmount* get() { return reinterpret_cast<sys::Statmount*>(words_.data()); }
  std::size_t size() const { return words_.size() * 8; }
  void grow() { words_.resize(words_.size() * 2); }
  // The string at `offset` after the struct, if the kernel filled it (`flag` in mask).
  std::optional<std::string_view> str(std::uint64_t flag, __u32 offset) {
    const sys::Statmount* sm = get();
    if (!(sm->mask & flag) || sm->size <= sizeof(sys::Statmount)) return std::nullopt;
    std::size_t strings = std::min<std::size_t>(sm->size, size()) - sizeof(sys::Statmount);
    if (offset >= strings) return std::nullopt;
    const char* base = reinterpret_cast<const char*>(words_.data()) + sizeof(sys::Statmount);
    return std::string_view(base + offset, ::strnlen(base + offset, strings - offset));
  }

 private:
  std::vector<std::uint64_t> words_;
};

// statmount(2) of one mount. Returns false when it is gone (ENOENT): unmounted since listmount.
Result<bool> stat_mount(const NsRef& ns, std::uint64_t mnt_id, std::uint64_t mask,
                        StatmountBuffer& buf, bool whole_buffer) {
  for (;;) {
    sys::MntIdReq req = make_req(ns, mnt_id, mask);
    std::size_t size = whole_buffer ? buf.size() : sizeof(sys::Statmount);
    if (sys::statmount(&req, buf.get(), size, 0) == 0) return true;
    if (errno == ENOENT) return false;
    if (errno == EOVERFLOW && whole_buffer && buf.size() < kMaxStatmountBuffer) {
      buf.grow();  // the strings did not fit
      continue;
    }
    if (errno == EINTR) continue;
    return errno_error("statmount");
  }
}

}  // namespace

Result<std::vector<NsfsMountEntry>> list_nsfs_mounts(int mntns_fd) {
  auto type = ns_type_of(mntns_fd);
  if (!type) {
    int err = type.error().code() == ENOTTY ? EINVAL : type.error().code();
    return std::unexpected(Error(err, "listmount: fd " + std::to_string(mntns_fd) +
                                          ": not a mount namespace (" + type.error().message() +
                                          ")"));
  }
  if (*type != NsType::mnt)
    return std::unexpected(Error(EINVAL, "listmount: fd " + std::to_string(mntns_fd) +
                                             ": not a mount namespace but " +
                                             std::string(name(*type))));

  NsRef ns;
  // fd 0 cannot be passed: mnt_ns_fd == 0 means "the caller's namespace".
  ns.by_fd = g_form != NsRefForm::by_id && mntns_fd > 0;
  ns.fd = mntns_fd;
  auto use_id = [&]() -> Result<void> {
    auto id = mntns_id(mntns_fd);
    if (!id) {
      // NS_GET_MNTNS_ID is 6.8; listmount without it is useless here.
      if (id.error().code() == ENOTTY) return fail(ENOSYS, "listmount: NS_GET_MNTNS_ID");
      return std::unexpected(std::move(id).error().with_context("listmount"));
    }
    ns.by_fd = false;
    ns.id = *id;
    return {};
  };
  if (!ns.by_fd) NSCTL_TRY(use_id());

  std::vector<NsfsMountEntry> entries;
  std::vector<std::uint64_t> ids(512);
  StatmountBuffer buf;
  std::uint64_t last = 0;  // listmount pages: ids after `last`
  for (;;) {
    sys::MntIdReq req = make_req(ns, sys::kLsmtRoot, last);
    long n = sys::listmount(&req, ids.data(), ids.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EINVAL && ns.by_fd && g_form == NsRefForm::unknown) {
      // A kernel before 6.18: the fd went into the then-"spare" field, which must be 0.
      g_form = NsRefForm::by_id;
      NSCTL_TRY(use_id());
      continue;
    }
    if (n < 0) return errno_error("listmount");
    if (ns.by_fd) g_form = NsRefForm::by_fd;

    for (long i = 0; i < n; ++i) {
      std::uint64_t mnt_id = ids[static_cast<std::size_t>(i)];
      // Cheap first: only the superblock's magic, no strings.
      NSCTL_ASSIGN_OR_RETURN(bool present,
                             stat_mount(ns, mnt_id, sys::kStatmountSbBasic, buf, false));
      if (!present || !(buf.get()->mask & sys::kStatmountSbBasic) ||
          buf.get()->sb_magic != NSFS_MAGIC)
        continue;
      NSCTL_ASSIGN_OR_RETURN(
          present,
          stat_mount(ns, mnt_id, sys::kStatmountMntRoot | sys::kStatmountMntPoint, buf, true));
      if (!present) continue;
      auto root = buf.str(sys::kStatmountMntRoot, buf.get()->mnt_root);
      auto point = buf.str(sys::kStatmountMntPoint, buf.get()->mnt_point);
      if (!root) continue;
      auto link = parse_ns_link(*root);
      if (!link) continue;
      // No mount point when the mount is not reachable from the namespace's root: it still
      // holds the namespace, so it is listed (mountinfo omits it).
      entries.push_back(
          NsfsMountEntry{point ? std::string(*point) : std::string(), link->type, link->ino});
    }
    if (static_cast<std::size_t>(n) < ids.size()) break;
    last = ids.back();
  }
  return entries;
}

std::vector<NsfsMountEntry> nsfs_mounts_from_mountinfo(std::string_view text) {
  std::vector<NsfsMountEntry> entries;
  while (!text.empty()) {
    std::string_view line = next_line(text);
    // The kernel escapes spaces inside fields (\040), so this literal can only be the
    // separator before the filesystem type: most lines are skipped without parsing.
    if (line.find(" - nsfs ") == std::string_view::npos) continue;
    auto parsed = parse_mountinfo(line);
    if (!parsed || parsed->size() != 1 || parsed->front().fs_type != "nsfs") continue;
    auto link = parse_ns_link(parsed->front().root);
    if (!link) continue;
    entries.push_back(
        NsfsMountEntry{std::move(parsed->front().mount_point), link->type, link->ino});
  }
  return entries;
}

}  // namespace nsctl
