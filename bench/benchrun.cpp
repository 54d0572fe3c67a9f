// nsctl-benchrun: runs commands interleaved (A B A B ...) and reports, per command, the wall
// time (median, min, max), CPU time and peak RSS of each run, measured with wait4(2).
//
//   nsctl-benchrun [--runs N] [--warmup W] [--save DIR] [--require-output] LABEL=COMMAND ...
//
// COMMAND is split at spaces (no quoting) and run with posix_spawnp, stdin from /dev/null,
// stdout and stderr into memfds: the time is that of the command itself plus one spawn, the
// same for every command, with no shell and no pipe reader in the way. Prints a TSV table:
//
//   label runs failed median_ms min_ms max_ms cpu_ms rss_kib rss_max_kib out_bytes out_lines
//
// where cpu_ms is the median user+system time and rss_kib the median peak RSS (ru_maxrss).
// Exits 1 if any run exited non-zero or was killed, or (with --require-output) printed
// nothing on stdout; the failing run's stderr is copied to stderr.
#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace {

struct Command {
  std::string label;
  std::vector<std::string> args;
  int out_fd = -1;
  int err_fd = -1;
  std::vector<double> wall_ms;
  std::vector<double> cpu_ms;
  std::vector<long> rss_kib;
  int failed = 0;
  long out_bytes = 0;
  long out_lines = 0;
};

[[noreturn]] void usage(int status) {
  std::fputs(
      "Usage: nsctl-benchrun [--runs N] [--warmup W] [--save DIR] [--require-output]\n"
      "                      LABEL=COMMAND...\n"
      "Runs the commands interleaved N times (after W unrecorded warm-up rounds) and prints\n"
      "per command: runs, failed runs, wall time median/min/max (ms), median CPU time (ms),\n"
      "median and max peak RSS (KiB), and the last run's stdout size in bytes and lines.\n"
      "COMMAND is split at spaces. --save DIR keeps each command's last stdout as\n"
      "DIR/LABEL.out.\n",
      status == 0 ? stdout : stderr);
  std::exit(status);
}

double ms_between(const timespec& a, const timespec& b) {
  return static_cast<double>(b.tv_sec - a.tv_sec) * 1e3 +
         static_cast<double>(b.tv_nsec - a.tv_nsec) / 1e6;
}

double tv_ms(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) * 1e3 + static_cast<double>(tv.tv_usec) / 1e3;
}

template <typename T>
double median(std::vector<T> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? static_cast<double>(v[n / 2])
               : (static_cast<double>(v[n / 2 - 1]) + static_cast<double>(v[n / 2])) / 2;
}

std::string read_all(int fd) {
  std::string s;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) return s;
  s.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < s.size()) {
    ssize_t n = ::pread(fd, s.data() + got, s.size() - got, static_cast<off_t>(got));
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  s.resize(got);
  return s;
}

int make_memfd(const char* name) {
  int fd = ::memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) {
    std::perror("nsctl-benchrun: memfd_create");
    std::exit(2);
  }
  return fd;
}

// One run: returns false if it failed (non-zero exit, signal, or could not be spawned).
bool run_once(Command& c, bool record, int devnull) {
  for (int fd : {c.out_fd, c.err_fd}) {
    if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0) {
      std::perror("nsctl-benchrun: reset memfd");
      std::exit(2);
    }
  }
  std::vector<char*> argv;
  for (auto& a : c.args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, devnull, 0);
  posix_spawn_file_actions_adddup2(&fa, c.out_fd, 1);
  posix_spawn_file_actions_adddup2(&fa, c.err_fd, 2);

  timespec t0{}, t1{};
  ::clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    std::fprintf(stderr, "nsctl-benchrun: %s: cannot run %s: %s\n", c.label.c_str(), argv[0],
                 std::strerror(rc));
    ++c.failed;
    return false;
  }
  int status = 0;
  rusage ru{};
  while (::wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) {
      std::perror("nsctl-benchrun: wait4");
      std::exit(2);
    }
  }
  ::clock_gettime(CLOCK_MONOTONIC, &t1);

  struct stat st {};
  ::fstat(c.out_fd, &st);
  c.out_bytes = static_cast<long>(st.st_size);
  bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!ok) {
    ++c.failed;
    std::string err = read_all(c.err_fd);
    if (WIFEXITED(status))
      std::fprintf(stderr, "nsctl-benchrun: %s: exit status %d; stderr:\n%s\n", c.label.c_str(),
                   WEXITSTATUS(status), err.c_str());
    else
      std::fprintf(stderr, "nsctl-benchrun: %s: killed by signal %d; stderr:\n%s\n",
                   c.label.c_str(), WTERMSIG(status), err.c_str());
  }
  if (record) {
    c.wall_ms.push_back(ms_between(t0, t1));
    c.cpu_ms.push_back(tv_ms(ru.ru_utime) + tv_ms(ru.ru_stime));
    c.rss_kib.push_back(ru.ru_maxrss);
  }
  return ok;
}

long parse_count(const char* text) {
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < 0) usage(2);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  long runs = 10;
  long warmup = 1;
  bool require_output = false;
  std::string save_dir;
  std::vector<Command> cmds;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-h" || a == "--help") usage(0);
    if (a == "--require-output") {
      require_output = true;
    } else if ((a == "--runs" || a == "-n") && i + 1 < argc) {
      runs = parse_count(argv[++i]);
    } else if (a == "--warmup" && i + 1 < argc) {
      warmup = parse_count(argv[++i]);
    } else if (a == "--save" && i + 1 < argc) {
      save_dir = argv[++i];
    } else if (a.find('=') != std::string_view::npos && !a.starts_with("-")) {
      Command c;
      c.label = std::string(a.substr(0, a.find('=')));
      std::string_view rest = a.substr(a.find('=') + 1);
      while (!rest.empty()) {
        std::size_t sp = rest.find(' ');
        std::string_view word = rest.substr(0, sp);
        if (!word.empty()) c.args.emplace_back(word);
        rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
      }
      if (c.label.empty() || c.args.empty()) usage(2);
      cmds.push_back(std::move(c));
    } else {
      std::fprintf(stderr, "nsctl-benchrun: bad argument: %s\n", argv[i]);
      usage(2);
    }
  }
  if (cmds.empty() || runs < 1) usage(2);

  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0) {
    std::perror("nsctl-benchrun: /dev/null");
    return 2;
  }
  for (auto& c : cmds) {
    c.out_fd = make_memfd("stdout");
    c.err_fd = make_memfd("stderr");
  }

  bool ok = true;
  for (long r = 0; r < warmup + runs; ++r) {
    for (auto& c : cmds) {
      bool run_ok = run_once(c, r >= warmup, devnull);
      if (run_ok && require_output && c.out_bytes == 0) {
        std::fprintf(stderr, "nsctl-benchrun: %s: printed nothing\n", c.label.c_str());
        ++c.failed;
        run_ok = false;
      }
      ok = ok && run_ok;
    }
  }

  std::printf(
      "label\truns\tfailed\tmedian_ms\tmin_ms\tmax_ms\tcpu_ms\trss_kib\trss_max_kib\tout_bytes\t"
      "out_lines\n");
  for (auto& c : cmds) {
    std::string out = read_all(c.out_fd);
    c.out_lines = static_cast<long>(std::count(out.begin(), out.end(), '\n'));
    if (!save_dir.empty()) {
      std::string path = save_dir + "/" + c.label + ".out";
      if (FILE* f = std::fopen(path.c_str(), "we")) {
        std::fwrite(out.data(), 1, out.size(), f);
        std::fclose(f);
      }
    }
    auto [mn, mx] = std::minmax_element(c.wall_ms.begin(), c.wall_ms.end());
    std::printf("%s\t%zu\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.0f\t%ld\t%ld\t%ld\n", c.label.c_str(),
                c.wall_ms.size(), c.failed, median(c.wall_ms), *mn, *mx, median(c.cpu_ms),
                median(c.rss_kib), *std::max_element(c.rss_kib.begin(), c.rss_kib.end()),
                c.out_bytes, c.out_lines);
  }
  return ok ? 0 : 1;
}
