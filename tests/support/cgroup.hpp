// Cgroups a test creates: shaped like the engines' paths, under a top directory of the test's
// own, removed when the test ends. Nothing else is touched.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace nsctl::test {

// n random lowercase hex digits (container ids, unique names).
std::string random_hex(std::size_t n);

// The cgroup directories a test created, removed deepest first when it ends, however it ends.
// The processes in them must be gone first (declare the guard before the Probe).
class CgroupDirs {
 public:
  CgroupDirs() = default;
  CgroupDirs(const CgroupDirs&) = delete;
  CgroupDirs& operator=(const CgroupDirs&) = delete;
  ~CgroupDirs();
  // Creates `path`, which must not exist yet; an error message on failure, "" on success.
  std::string make(const std::string& path);

 private:
  std::vector<std::string> created_;
};

// A cgroup v1 hierarchy mounted at /sys/fs/cgroup/<name>, or the v2 one (hybrid: unified/;
// pure v2: /sys/fs/cgroup itself). "" when there is none.
std::string v1_hierarchy(const char* name);
std::string v2_hierarchy();

// Moves `pid` into `cgroup`; an error message on failure, "" on success.
std::string move_to(const std::string& cgroup, pid_t pid);

}  // namespace nsctl::test
