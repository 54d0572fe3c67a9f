#include "privilege/idmap_write.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace nsctl {

namespace {

// Opens `path` and writes all of `text`: 0, or `open_stage`/`open_stage + 1` with errno set.
std::int32_t write_file(const char* path, const char* text, std::size_t len,
                        std::int32_t open_stage, std::int32_t write_stage) noexcept {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return open_stage;
  bool ok = true;
  while (len > 0) {
    ssize_t n = ::write(fd, text, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    text += n;
    len -= static_cast<std::size_t>(n);
  }
  int saved = errno;
  ::close(fd);
  errno = saved;
  return ok ? 0 : write_stage;
}

// Runs `path argv` with `envp` and waits: true when it exits 0; else *status is its wait
// status, or -errno when it could not be started.
bool run_helper(const char* path, char* const* argv, char* const* envp, int* status) noexcept {
  pid_t pid = ::fork();
  if (pid < 0) {
    *status = -errno;
    return false;
  }
  if (pid == 0) {
    ::execve(path, argv, envp);
    ::_exit(127);
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) {
      *status = -errno;
      return false;
    }
  *status = st;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

bool write_map(const IdMapFile& w, std::int32_t open_stage, std::int32_t helper_stage,
               char* const* envp, ChildFailure* f) noexcept {
  if (!w.helper.empty()) {
    int status = 0;
    if (!run_helper(w.helper.c_str(), w.helper_argv.data(), envp, &status))
      return fail_with(f, helper_stage, status);
    return true;
  }
  if (w.text.empty()) return true;
  std::int32_t st =
      write_file(w.path.c_str(), w.text.data(), w.text.size(), open_stage, open_stage + 1);
  return st == 0 || fail_with(f, st, errno);
}

bool write_setgroups(const IdMapPlan& p, const char* value, std::int32_t stage,
                     ChildFailure* f) noexcept {
  if (!value) return true;
  if (write_file(p.setgroups_path.c_str(), value, std::strlen(value), stage, stage) != 0 &&
      errno != ENOENT)
    return fail_with(f, stage, errno);
  return true;
}

void plan_file(IdMapFile& w, const IdMap& map, bool helper, const char* tool,
               const std::string& proc_dir, const char* file) {
  w.path = fmt::format("{}/{}", proc_dir, file);
  if (map.empty()) return;
  if (!helper) {
    w.text = id_map_text(map);
    return;
  }
  w.helper = find_program(tool);
  if (w.helper.empty()) w.helper = fmt::format("/usr/bin/{}", tool);
  // newuidmap takes a pid: the last component of /proc/PID.
  std::string_view pid = proc_dir;
  pid.remove_prefix(pid.rfind('/') + 1);
  w.helper_args = {tool, std::string(pid)};
  for (const IdRange& r : map) {
    w.helper_args.push_back(std::to_string(r.inner));
    w.helper_args.push_back(std::to_string(r.outer));
    w.helper_args.push_back(std::to_string(r.count));
  }
  for (auto& a : w.helper_args) w.helper_argv.push_back(a.data());
  w.helper_argv.push_back(nullptr);
}

}  // namespace

std::string find_program(const char* name) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    std::size_t colon = dirs.find(':');
    std::string candidate = fmt::format("{}/{}", dirs.substr(0, colon), name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return {};
}

IdMapPlan plan_id_maps(const std::string& proc_dir, const IdMap& uid_map, const IdMap& gid_map,
                       bool helpers, bool deny_setgroups) {
  IdMapPlan p;
  p.envp = environ;
  p.setgroups_path = proc_dir + "/setgroups";
  if (deny_setgroups) p.setgroups_before = "deny";
  plan_file(p.uid, uid_map, helpers, "newuidmap", proc_dir, "uid_map");
  plan_file(p.gid, gid_map, helpers, "newgidmap", proc_dir, "gid_map");
  return p;
}

bool write_id_maps(const IdMapPlan& p, ChildFailure* f) noexcept {
  return write_setgroups(p, p.setgroups_before, kMapSetgroupsBefore, f) &&
         write_map(p.uid, kMapUidOpen, kMapNewuidmap, p.envp, f) &&
         write_map(p.gid, kMapGidOpen, kMapNewgidmap, p.envp, f) &&
         write_setgroups(p, p.setgroups_after, kMapSetgroupsAfter, f);
}

Error id_map_error(const ChildFailure& f, const IdMapPlan& p) {
  switch (f.stage) {
    case kMapSetgroupsBefore:
    case kMapSetgroupsAfter:
      return Error::from_errno(f.err, fmt::format("write failed {}", p.setgroups_path));
    case kMapUidOpen:
      return Error::from_errno(f.err, fmt::format("failed to open {}", p.uid.path));
    case kMapUidWrite:
      return Error::from_errno(f.err, fmt::format("failed to write {}", p.uid.path));
    case kMapGidOpen:
      return Error::from_errno(f.err, fmt::format("failed to open {}", p.gid.path));
    case kMapGidWrite:
      return Error::from_errno(f.err, fmt::format("failed to write {}", p.gid.path));
    case kMapNewuidmap:
    case kMapNewgidmap: {
      const char* tool = f.stage == kMapNewuidmap ? "newuidmap" : "newgidmap";
      if (f.err < 0) return Error::from_errno(-f.err, fmt::format("failed to execute {}", tool));
      if (WIFEXITED(f.err) && WEXITSTATUS(f.err) == 127)
        return Error(ENOENT,
                     fmt::format("failed to execute {} (install the uidmap package)", tool));
      return Error(EPERM, fmt::format("{} failed", tool));
    }
    default:
      return Error(EIO, fmt::format("id map setup failed (stage {})", f.stage));
  }
}

}  // namespace nsctl
