// Access to /proc relative to a directory fd, and parsers for the files nsctl reads there.
// The parsers take the file's bytes and never trust them: a process controls its own name,
// arguments and environment, and mount points may contain any byte but NUL.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/text.hpp"
#include "nsctl/base/error.hpp"
#include "nsctl/base/fd.hpp"
#include "nsctl/ns/ns_type.hpp"

namespace nsctl {

// ---- Reading ----------------------------------------------------------------------------

// Opens a directory (O_RDONLY | O_DIRECTORY | O_CLOEXEC) relative to `dirfd`.
Result<UniqueFd> open_dir_at(int dirfd, const char* path);

// Reads the whole file at `path` (relative to `dirfd`) into `out`, replacing its contents.
// Uses one openat, as few reads as the size needs, and one close.
//
// `short_read_is_eof`: for /proc files the kernel produces in one piece on the first read
// (/proc/PID/stat, cmdline), a read that returns less than asked for has returned everything,
// so the read that would return 0 is skipped: open, read, close.
Result<void> read_file_at(int dirfd, const char* path, std::string& out,
                          bool short_read_is_eof = false);

// readlinkat(2) into `out`; handles targets of any length.
Result<void> readlink_at(int dirfd, const char* path, std::string& out);

// True for the errnos that mean "the process went away while we looked" (ENOENT, ESRCH).
inline bool is_vanished(int err) { return err == ENOENT || err == ESRCH; }

// Splits the next line (without its '\n') off the front of `rest`.
inline std::string_view next_line(std::string_view& rest) {
  std::size_t eol = rest.find('\n');
  std::string_view line = rest.substr(0, eol);
  rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
  return line;
}

// ---- Parsers ------------------------------------------------------------------------------

// /proc/PID/stat. The command name is cut at the *last* ')' since a process may call itself
// "a) b"; the fields after it are space separated.
struct ProcStat {
  pid_t pid = 0;
  std::string comm;
  char state = '?';
  pid_t ppid = 0;
  unsigned flags = 0;  // PF_* flags; PF_KTHREAD marks kernel threads
  long num_threads = 0;
  std::uint64_t start_time = 0;                               // clock ticks after boot
  bool kernel_thread() const { return flags & 0x00200000u; }  // PF_KTHREAD
};
Result<ProcStat> parse_stat(std::string_view text);

// A /proc/PID/ns/* or /proc/PID/fd/* link target naming a namespace: "net:[4026531840]".
struct NsLink {
  NsType type;
  ino_t ino;
};
std::optional<NsLink> parse_ns_link(std::string_view target);

// "socket:[12345]" -> 12345.
std::optional<ino_t> parse_socket_link(std::string_view target);

// /proc/PID/cmdline: the arguments, split at NUL. A process may have rewritten its argument
// area, so a missing final NUL is accepted. Empty for kernel threads and zombies.
std::vector<std::string> parse_cmdline(std::string_view text);

// The arguments joined by spaces, as lsns prints COMMAND.
std::string join_cmdline(std::string_view text);

// One line of /proc/PID/mountinfo (proc(5)); octal escapes (\040 etc.) decoded.
struct MountInfo {
  int mount_id = 0;
  int parent_id = 0;
  unsigned major = 0;
  unsigned minor = 0;
  std::string root;         // for an nsfs bind mount: "net:[4026532281]"
  std::string mount_point;  // relative to the process's root
  std::string fs_type;
  std::string source;
  std::string super_options;  // e.g. "rw,pids" for a cgroup v1 hierarchy
};
// Parses every line; a malformed line is an error naming its number.
Result<std::vector<MountInfo>> parse_mountinfo(std::string_view text);

// Decodes the \NNN octal escapes the kernel writes for space, tab, newline and backslash.
std::string unescape_mount_field(std::string_view field);

// One line of /proc/PID/cgroup: "hierarchy-ID:controller-list:cgroup-path".
// cgroup v2's line is "0::/path". The path may contain ':'.
struct CgroupLine {
  int hierarchy = 0;
  std::string controllers;
  std::string path;
};
std::vector<CgroupLine> parse_cgroup(std::string_view text);

// The value of `name` in an environ block (NUL-separated NAME=value), if present.
std::optional<std::string_view> environ_value(std::string_view environ, std::string_view name);

// /proc/PID/limits (world-readable, unlike prlimit(2) of another user's process, which needs
// CAP_SYS_RESOURCE): {RLIMIT_*, {soft, hard}} for every limit, "unlimited" as RLIM_INFINITY.
// Errors (EINVAL): a line whose values do not parse, a limit missing.
Result<std::vector<std::pair<int, rlimit>>> parse_limits(std::string_view text);

// Calls fn(name) for each entry of the directory `dirfd` whose name is a decimal
// number (pids, tids, fds), in the order the kernel returns them (ascending for /proc).
// Uses getdents64 with a large buffer: one syscall per few hundred entries. `procfs`: dirfd
// is a procfs directory, so a call that leaves room for another record was the last one;
// elsewhere only a call that returns nothing ends the directory (FUSE, for one, returns one
// server reply per call).
Result<void> for_each_numeric_entry(int dirfd, bool procfs, const std::function<void(int)>& fn);

}  // namespace nsctl
