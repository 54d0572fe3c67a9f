// A minimal root filesystem for `nsctl run` tests, built from /bin/busybox (busybox-static):
// /bin/busybox and a link per applet, empty proc dev tmp etc sys root, an /etc/passwd and
// /etc/group with root and nobody, and a marker file that only this root has. It lives in a
// temporary directory (0755, so that nobody can use it) that is removed with the object,
// unless something is still mounted under it: then it is left alone (removing files through a
// mount would reach into whatever is mounted) and a warning is printed.
#pragma once

#include <string>

namespace nsctl::test {

class BusyboxRoot {
 public:
  // Inside the root: a file whose content is marker_text().
  static constexpr const char* kMarkerPath = "/etc/nsctl-test-root";

  // Whether /bin/busybox exists (tests skip with "busybox-static is not installed" if not).
  static bool available();

  BusyboxRoot();
  BusyboxRoot(const BusyboxRoot&) = delete;
  BusyboxRoot& operator=(const BusyboxRoot&) = delete;
  ~BusyboxRoot();

  bool ok() const { return error_.empty(); }
  // Why the root could not be built ("" when ok()).
  const std::string& error() const { return error_; }
  // The root directory (absolute, no trailing slash).
  const std::string& path() const { return path_; }
  // path() + rel, for rel starting with '/'.
  std::string host_path(const std::string& rel) const { return path_ + rel; }
  // The marker's content: unique to this root ("nsctl-test-root <random>\n").
  const std::string& marker_text() const { return marker_; }

  // Adds a directory (and its parents) or a file inside the root; an error message, or "".
  std::string make_dir(const std::string& rel, unsigned mode = 0755) const;
  std::string write_file(const std::string& rel, const std::string& content,
                         unsigned mode = 0644) const;

 private:
  std::string build();
  std::string path_, marker_, error_;
};

// Whether anything is mounted at `dir` or below it, in the calling process's mount namespace.
bool has_mounts_under(const std::string& dir);

// Removes `dir` and everything in it without following symlinks or crossing into mounts;
// refuses (returns false) if anything is mounted under it.
bool remove_tree(const std::string& dir);

}  // namespace nsctl::test
