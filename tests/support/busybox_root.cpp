#include "support/busybox_root.hpp"

#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "support/cgroup.hpp"
#include "support/command.hpp"

namespace nsctl::test {

namespace {

constexpr const char* kBusybox = "/bin/busybox";

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// Copies `from` to `to` (created, `mode`), byte for byte.
std::string copy_file(const char* from, const std::string& to, mode_t mode) {
  int in = ::open(from, O_RDONLY | O_CLOEXEC);
  if (in < 0) return errno_text(std::string("open ") + from);
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (out < 0) {
    std::string e = errno_text("create " + to);
    ::close(in);
    return e;
  }
  std::string error;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = errno_text(std::string("read ") + from);
      break;
    }
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out, buf + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        error = errno_text("write " + to);
        break;
      }
      done += w;
    }
    if (!error.empty()) break;
  }
  ::close(in);
  if (::close(out) != 0 && error.empty()) error = errno_text("close " + to);
  // The umask must not decide what nobody may do with the root.
  if (error.empty() && ::chmod(to.c_str(), mode) != 0) error = errno_text("chmod " + to);
  return error;
}

// "\040" and the other octal escapes of /proc/self/mountinfo.
std::string unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool octal = s[i] == '\\' && i + 3 < s.size();
    for (std::size_t k = 1; octal && k <= 3; ++k) octal = s[i + k] >= '0' && s[i + k] <= '7';
    if (octal) {
      out.push_back(
          static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

int remove_entry(const char* path, const struct stat*, int type, struct FTW*) {
  int rc = (type == FTW_DP || type == FTW_D) ? ::rmdir(path) : ::unlink(path);
  if (rc != 0) std::fprintf(stderr, "BusyboxRoot: remove %s: %s\n", path, std::strerror(errno));
  return 0;  // go on: remove as much as can be removed
}

}  // namespace

bool has_mounts_under(const std::string& dir) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point;
    if (!(f >> id >> parent >> dev >> root >> point)) continue;
    point = unescape(point);
    if (point == dir || point.rfind(dir + "/", 0) == 0) return true;
  }
  return false;
}

bool remove_tree(const std::string& dir) {
  if (dir.empty() || dir == "/") return false;
  if (has_mounts_under(dir)) return false;
  // FTW_PHYS: symlinks are removed, never followed; FTW_MOUNT: nothing on another filesystem
  // is visited (a mount that appeared since the check above stays untouched, and so does the
  // directory it sits on); FTW_DEPTH: contents before their directory.
  ::nftw(dir.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  return ::access(dir.c_str(), F_OK) != 0;
}

bool BusyboxRoot::available() { return ::access(kBusybox, X_OK) == 0; }

BusyboxRoot::BusyboxRoot() {
  char tmpl[] = "/tmp/nsctl-busybox-root-XXXXXX";
  if (!::mkdtemp(tmpl)) {
    error_ = errno_text("mkdtemp");
    return;
  }
  path_ = tmpl;
  error_ = build();
}

BusyboxRoot::~BusyboxRoot() {
  if (path_.empty()) return;
  if (has_mounts_under(path_)) {
    std::fprintf(stderr, "BusyboxRoot: %s still has mounts under it; left in place\n",
                 path_.c_str());
    return;
  }
  if (!remove_tree(path_))
    std::fprintf(stderr, "BusyboxRoot: could not remove %s\n", path_.c_str());
}

std::string BusyboxRoot::make_dir(const std::string& rel, unsigned mode) const {
  std::string path = path_;
  std::size_t i = 0;
  while (i < rel.size()) {
    while (i < rel.size() && rel[i] == '/') ++i;
    if (i >= rel.size()) break;
    std::size_t end = rel.find('/', i);
    if (end == std::string::npos) end = rel.size();
    path += "/" + rel.substr(i, end - i);
    if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return errno_text("mkdir " + path);
    if (::chmod(path.c_str(), mode) != 0) return errno_text("chmod " + path);
    i = end;
  }
  return {};
}

std::string BusyboxRoot::write_file(const std::string& rel, const std::string& content,
                                    unsigned mode) const {
  std::string path = path_ + rel;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return errno_text("create " + path);
  ssize_t n = ::write(fd, content.data(), content.size());
  std::string error;
  if (n != static_cast<ssize_t>(content.size())) error = errno_text("write " + path);
  ::close(fd);
  if (error.empty() && ::chmod(path.c_str(), mode) != 0) error = errno_text("chmod " + path);
  return error;
}

std::string BusyboxRoot::build() {
  // mkdtemp makes 0700: nobody must be able to reach the root for the rootless tests.
  if (::chmod(path_.c_str(), 0755) != 0) return errno_text("chmod " + path_);
  for (const char* dir : {"/bin", "/proc", "/dev", "/etc", "/sys", "/root"})
    if (auto e = make_dir(dir); !e.empty()) return e;
  if (auto e = make_dir("/tmp", 01777); !e.empty()) return e;
  if (auto e = copy_file(kBusybox, path_ + "/bin/busybox", 0755); !e.empty()) return e;
  auto list = run_command({kBusybox, "--list"});
  if (list.exit_code != 0) return "busybox --list failed: " + list.err;
  std::istringstream applets(list.out);
  int count = 0;
  for (std::string name; std::getline(applets, name);) {
    if (name.empty() || name == "busybox" || name.find('/') != std::string::npos) continue;
    std::string link = path_ + "/bin/" + name;
    if (::symlink("busybox", link.c_str()) != 0 && errno != EEXIST)
      return errno_text("symlink " + link);
    ++count;
  }
  if (count == 0) return "busybox --list printed no applets";
  if (auto e = write_file("/etc/passwd",
                          "root:x:0:0:root:/root:/bin/sh\n"
                          "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
      !e.empty())
    return e;
  if (auto e = write_file("/etc/group", "root:x:0:\nnogroup:x:65534:\n"); !e.empty()) return e;
  marker_ = "nsctl-test-root " + random_hex(16) + "\n";
  return write_file(kMarkerPath, marker_);
}

}  // namespace nsctl::test
