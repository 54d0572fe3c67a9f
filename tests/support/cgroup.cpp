#include "support/cgroup.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>

#include "nsctl/base/fd.hpp"

namespace nsctl::test {

std::string random_hex(std::size_t n) {
  std::random_device rd;
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s.push_back("0123456789abcdef"[rd() % 16]);
  return s;
}

CgroupDirs::~CgroupDirs() {
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    // A cgroup whose last task just exited can stay busy for a moment.
    for (int tries = 0; ::rmdir(it->c_str()) != 0 && errno == EBUSY && tries < 200; ++tries)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}
std::string CgroupDirs::make(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0) return "mkdir " + path + ": " + std::strerror(errno);
  created_.push_back(path);
  return {};
}

static bool is_fs(const char* path, long magic) {
  struct statfs sf {};
  return ::statfs(path, &sf) == 0 && static_cast<long>(sf.f_type) == magic;
}

std::string v1_hierarchy(const char* name) {
  std::string path = std::string("/sys/fs/cgroup/") + name;
  return is_fs(path.c_str(), CGROUP_SUPER_MAGIC) ? path : "";
}
std::string v2_hierarchy() {
  if (is_fs("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC)) return "/sys/fs/cgroup/unified";
  if (is_fs("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC)) return "/sys/fs/cgroup";
  return "";
}

std::string move_to(const std::string& cgroup, pid_t pid) {
  std::string procs = cgroup + "/cgroup.procs";
  UniqueFd fd(::open(procs.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return "open " + procs + ": " + std::strerror(errno);
  std::string text = std::to_string(pid);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    return "write " + procs + ": " + std::strerror(errno);
  return {};
}

}  // namespace nsctl::test
