// A file a command leaves behind when it runs: how a test proves that a refused command never
// ran. Lives in a temporary directory that is removed with the Marker.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace nsctl::test {

class Marker {
 public:
  // `world_writable`: the directory is 0777, for commands run as another user (nobody).
  explicit Marker(bool world_writable = false) {
    char tmpl[] = "/tmp/nsctl-marker-XXXXXX";
    if (::mkdtemp(tmpl)) dir_ = tmpl;
    if (world_writable && !dir_.empty()) ::chmod(dir_.c_str(), 0777);
    path_ = dir_ + "/ran";
  }
  Marker(const Marker&) = delete;
  Marker& operator=(const Marker&) = delete;
  ~Marker() {
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  bool ok() const { return !dir_.empty(); }
  // The command that leaves the marker.
  std::vector<std::string> command() const { return {"/bin/sh", "-c", "touch " + path_}; }
  bool exists() const { return ::access(path_.c_str(), F_OK) == 0; }
  void reset() const { ::unlink(path_.c_str()); }

 private:
  std::string dir_, path_;
};

}  // namespace nsctl::test
