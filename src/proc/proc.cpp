#include "proc/proc.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstddef>

#include "base/escape.hpp"

namespace nsctl {

Result<UniqueFd> open_dir_at(int dirfd, const char* path) {
  UniqueFd fd(::openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return errno_error(path);
  return fd;
}

Result<void> read_file_at(int dirfd, const char* path, std::string& out, bool short_read_is_eof) {
  UniqueFd fd(::openat(dirfd, path, O_RDONLY | O_CLOEXEC));
  if (!fd) return errno_error(path);
  out.clear();
  // /proc files report size 0, so grow the buffer until a read returns 0. Most of them fit in
  // the first 4 KiB, which keeps the common case at open + 2 reads + close.
  std::size_t used = 0;
  if (out.capacity() < 4096) out.reserve(4096);
  for (;;) {
    out.resize(out.capacity());
    ssize_t n = ::read(fd.get(), out.data() + used, out.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      out.clear();
      return fail(err, path);
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
    if (short_read_is_eof && used < out.size()) break;
    if (used == out.size()) out.reserve(out.size() * 2);
  }
  out.resize(used);
  return {};
}

Result<void> readlink_at(int dirfd, const char* path, std::string& out) {
  if (out.capacity() < 256) out.reserve(256);
  for (;;) {
    out.resize(out.capacity());
    ssize_t n = ::readlinkat(dirfd, path, out.data(), out.size());
    if (n < 0) {
      out.clear();
      return errno_error(path);
    }
    if (static_cast<std::size_t>(n) < out.size()) {
      out.resize(static_cast<std::size_t>(n));
      return {};
    }
    out.reserve(out.size() * 2);  // possibly truncated: retry with more room
  }
}

Result<void> for_each_numeric_entry(int dirfd, bool procfs, const std::function<void(int)>& fn) {
  alignas(8) char buf[32768];
  // The largest record getdents64 can return: header, a NAME_MAX name and its NUL, 8-aligned.
  constexpr std::size_t kMaxRecord = (offsetof(struct dirent64, d_name) + 255 + 1 + 7) & ~7UL;
  for (;;) {
    ssize_t n = ::getdents64(dirfd, buf, sizeof buf);
    if (n < 0) return errno_error("getdents64");
    if (n == 0) return {};
    // procfs's iterators (/proc, /proc/PID/task, /proc/PID/fd) emit entries until one does
    // not fit or the directory ends. With room for any record left, it ended: the call that
    // would return 0 is not needed (one syscall less per fd table, ~5% of a listing).
    const bool ended = procfs && static_cast<std::size_t>(n) + kMaxRecord <= sizeof buf;
    for (ssize_t off = 0; off < n;) {
      auto* d = reinterpret_cast<struct dirent64*>(buf + off);
      off += d->d_reclen;
      const char* name = d->d_name;
      // Digits only ("0" is a valid fd number); skips ".", ".." and "self".
      if (name[0] < '0' || name[0] > '9' || (name[0] == '0' && name[1] != '\0')) continue;
      int value = 0;
      std::string_view sv(name);
      auto [ptr, ec] = std::from_chars(sv.data(), sv.data() + sv.size(), value);
      if (ec == std::errc() && ptr == sv.data() + sv.size()) fn(value);
    }
    if (ended) return {};
  }
}

namespace {

// Splits off the next space-separated field of `rest`.
std::string_view next_field(std::string_view& rest) {
  std::size_t start = rest.find_first_not_of(' ');
  if (start == std::string_view::npos) {
    rest = {};
    return {};
  }
  rest.remove_prefix(start);
  std::size_t end = rest.find(' ');
  std::string_view field = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  return field;
}

template <typename T>
bool field_to(std::string_view field, T& out) {
  auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), out);
  return ec == std::errc() && ptr == field.data() + field.size() && !field.empty();
}

}  // namespace

Result<ProcStat> parse_stat(std::string_view text) {
  ProcStat st;
  std::size_t open = text.find('(');
  std::size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return invalid("stat: no command name in parentheses");
  // The kernel writes "<pid> (<comm>)": a positive pid, then a space.
  if (open < 2 || text[open - 1] != ' ' || !field_to(text.substr(0, open - 1), st.pid) ||
      st.pid <= 0)
    return invalid("stat: bad pid field");
  st.comm.assign(text.substr(open + 1, close - open - 1));
  std::string_view rest = text.substr(close + 1);
  // Fields after the name, numbered as in proc(5): 3 state, 4 ppid, ..., 20 num_threads,
  // 22 starttime.
  std::string_view field;
  for (int n = 3; n <= 22; ++n) {
    field = next_field(rest);
    if (field.empty()) return invalid("stat: truncated after field " + std::to_string(n - 1));
    bool ok = true;
    if (n == 3) st.state = field[0];
    if (n == 4) ok = field_to(field, st.ppid) && st.ppid >= 0;
    if (n == 9) ok = field_to(field, st.flags);
    if (n == 20) ok = field_to(field, st.num_threads);
    if (n == 22) ok = field_to(field, st.start_time);
    if (!ok) return invalid("stat: bad field " + std::to_string(n));
  }
  return st;
}

std::optional<NsLink> parse_ns_link(std::string_view target) {
  std::size_t colon = target.find(":[");
  if (colon == std::string_view::npos || target.size() < colon + 4 || target.back() != ']')
    return std::nullopt;
  auto type = ns_type_from_name(target.substr(0, colon));
  if (!type) return std::nullopt;
  ino_t ino = 0;
  if (!field_to(target.substr(colon + 2, target.size() - colon - 3), ino)) return std::nullopt;
  return NsLink{*type, ino};
}

std::optional<ino_t> parse_socket_link(std::string_view target) {
  constexpr std::string_view kPrefix = "socket:[";
  if (!target.starts_with(kPrefix) || !target.ends_with(']')) return std::nullopt;
  ino_t ino = 0;
  if (!field_to(target.substr(kPrefix.size(), target.size() - kPrefix.size() - 1), ino))
    return std::nullopt;
  return ino;
}

std::vector<std::string> parse_cmdline(std::string_view text) {
  std::vector<std::string> args;
  if (!text.empty() && text.back() == '\0') text.remove_suffix(1);
  if (text.empty()) return args;
  for (;;) {
    std::size_t nul = text.find('\0');
    args.emplace_back(text.substr(0, nul));
    if (nul == std::string_view::npos) break;
    text.remove_prefix(nul + 1);
  }
  return args;
}

std::string join_cmdline(std::string_view text) {
  while (!text.empty() && text.back() == '\0') text.remove_suffix(1);
  std::string out(text);
  for (char& c : out)
    if (c == '\0') c = ' ';
  return out;
}

std::string unescape_mount_field(std::string_view field) {
  auto octal = [](char d) { return d >= '0' && d <= '7'; };
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && field.size() - i >= 4 && octal(field[i + 1]) && octal(field[i + 2]) &&
        octal(field[i + 3])) {
      out.push_back(static_cast<char>(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3) |
                                      (field[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(field[i]);
    }
  }
  return out;
}

Result<std::vector<MountInfo>> parse_mountinfo(std::string_view text) {
  std::vector<MountInfo> mounts;
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    std::string_view line = next_line(text);
    if (line.empty()) continue;
    auto bad = [&](const char* what) {
      return invalid("mountinfo line " + std::to_string(line_no) + ": " + what);
    };
    MountInfo m;
    std::string_view rest = line;
    if (!field_to(next_field(rest), m.mount_id)) return bad("bad mount id");
    if (!field_to(next_field(rest), m.parent_id)) return bad("bad parent id");
    std::string_view dev = next_field(rest);
    std::size_t colon = dev.find(':');
    if (colon == std::string_view::npos || !field_to(dev.substr(0, colon), m.major) ||
        !field_to(dev.substr(colon + 1), m.minor))
      return bad("bad major:minor");
    std::string_view root = next_field(rest);
    std::string_view point = next_field(rest);
    if (root.empty() || point.empty()) return bad("missing root or mount point");
    m.root = unescape_mount_field(root);
    m.mount_point = unescape_mount_field(point);
    next_field(rest);  // mount options
    // Optional fields end at a lone "-".
    for (;;) {
      std::string_view f = next_field(rest);
      if (f.empty()) return bad("missing '-' separator");
      if (f == "-") break;
    }
    std::string_view fs_type = next_field(rest);
    if (fs_type.empty()) return bad("missing filesystem type");
    m.fs_type = unescape_mount_field(fs_type);
    m.source = unescape_mount_field(next_field(rest));
    m.super_options = unescape_mount_field(next_field(rest));
    mounts.push_back(std::move(m));
  }
  return mounts;
}

std::vector<CgroupLine> parse_cgroup(std::string_view text) {
  std::vector<CgroupLine> lines;
  while (!text.empty()) {
    std::string_view line = next_line(text);
    std::size_t c1 = line.find(':');
    if (c1 == std::string_view::npos) continue;
    std::size_t c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    CgroupLine cl;
    if (!field_to(line.substr(0, c1), cl.hierarchy)) continue;
    cl.controllers.assign(line.substr(c1 + 1, c2 - c1 - 1));
    cl.path.assign(line.substr(c2 + 1));
    lines.push_back(std::move(cl));
  }
  return lines;
}

std::optional<std::string_view> environ_value(std::string_view environ, std::string_view name) {
  while (!environ.empty()) {
    std::size_t nul = environ.find('\0');
    std::string_view entry = environ.substr(0, nul);
    if (entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=')
      return entry.substr(name.size() + 1);
    if (nul == std::string_view::npos) break;
    environ.remove_prefix(nul + 1);
  }
  return std::nullopt;
}

}  // namespace nsctl

namespace nsctl {

Result<std::vector<std::pair<int, rlimit>>> parse_limits(std::string_view text) {
  // The names proc_pid_limits() prints, in RLIMIT_* order.
  static constexpr std::string_view kNames[] = {
      "Max cpu time",       "Max file size",     "Max data size",         "Max stack size",
      "Max core file size", "Max resident set",  "Max processes",         "Max open files",
      "Max locked memory",  "Max address space", "Max file locks",        "Max pending signals",
      "Max msgqueue size",  "Max nice priority", "Max realtime priority", "Max realtime timeout"};
  static_assert(std::size(kNames) == RLIMIT_NLIMITS);
  auto value = [](std::string_view word) -> std::optional<rlim_t> {
    if (word == "unlimited") return RLIM_INFINITY;
    return parse_number<rlim_t>(word);
  };
  std::vector<std::pair<int, rlimit>> out;
  std::string_view rest = text;
  while (!rest.empty()) {
    std::string_view line = next_line(rest);
    for (std::size_t r = 0; r < std::size(kNames); ++r) {
      // The name is padded to 25 columns; a longer name would run into the values.
      if (!line.starts_with(kNames[r]) || line.size() <= kNames[r].size() ||
          line[kNames[r].size()] != ' ')
        continue;
      std::string_view fields = line.substr(kNames[r].size());
      std::string_view words[2];
      for (auto& w : words) {
        fields.remove_prefix(std::min(fields.find_first_not_of(' '), fields.size()));
        w = fields.substr(0, fields.find(' '));
        fields.remove_prefix(w.size());
      }
      auto soft = value(words[0]), hard = value(words[1]);
      if (!soft || !hard)
        return invalid(fmt::format("limits: malformed line '{}'", text::printable(line, 80)));
      out.push_back({static_cast<int>(r), rlimit{*soft, *hard}});
    }
  }
  if (out.size() != RLIMIT_NLIMITS) return invalid("limits: a limit is missing");
  return out;
}

}  // namespace nsctl
