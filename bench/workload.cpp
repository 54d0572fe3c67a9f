// nsctl-workload: builds a realistic namespace population, runs a command while it is up, and
// removes exactly what it built.
//
//   nsctl-workload --procs N [--threads K] [--fds K] [--mounts K] -- COMMAND [ARGS...]
//
// Everything lives in a new pid namespace with its own /proc, whose PID 1 is this program: the
// command (run inside, once the population is up) sees only the workload, so results do not
// depend on what else runs on the machine, and when PID 1 exits the kernel kills every process
// in the namespace, so teardown is complete even when interrupted. The population:
//
//   * groups of --group-size processes (default 10) that share new pid+mnt+net+uts+ipc
//     namespaces, like a container: the group's first process is PID 1 of its pid namespace
//     and mounts its own /proc; every third group also has a new user namespace (with a uid
//     and gid map, like a rootless container) and a new cgroup namespace; every eighth group's
//     members are in a new time namespace;
//   * --threads threads (in processes of up to 4 threads) that each unshare a uts or net
//     namespace of their own: visible only under /proc/PID/task/TID/ns;
//   * --fds processes that each hold two namespace fds: the net namespace of a group, and a
//     net/uts/ipc namespace that no process is in any more (held only by the fd);
//   * --mounts nsfs bind mounts in the workload's own mount namespace, on a tmpfs over
//     --mount-dir (default /mnt): half of a group's net namespace (as `ip netns attach`), half
//     of a net namespace that only the mount holds (as `ip netns add`).
//
// Processes are forked (no exec) and sleep in pause(); a forked sleeper costs ~100 KiB of
// kernel memory and page tables, so 10,000 of them fit easily in a few GiB.
//
// The command gets NSCTL_WORKLOAD_PROCS (processes in the namespace, this one included),
// NSCTL_WORKLOAD_THREADS (threads beyond the processes' main threads) and
// NSCTL_WORKLOAD_GROUPS in its environment. The exit status is the command's (128+N if it
// was killed by signal N), or 125 if the workload could not be built.
//
// Code that runs in forked children uses only async-signal-safe calls and reports failure as a
// fixed-size record over the readiness pipe.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace {

constexpr int kSetupFailed = 125;

// ---- Options ---------------------------------------------------------------------------

struct Options {
  long procs = -1;
  long threads = -1;  // -1: default, scaled with procs
  long fds = -1;
  long mounts = -1;
  long group_size = 10;
  std::string mount_dir = "/mnt";
  bool quiet = false;
  char** command = nullptr;
};

[[noreturn]] void usage(int status) {
  std::fputs(
      "Usage: nsctl-workload --procs N [options] -- COMMAND [ARGS...]\n"
      "\n"
      "Builds N processes in container-like namespaces inside a new pid namespace, runs\n"
      "COMMAND there once they are all up, then removes everything it built.\n"
      "\n"
      "Options:\n"
      "  --procs N        processes in the new pid namespace, this program included\n"
      "  --threads K      threads that unshare a uts or net namespace of their own\n"
      "                   (default: max(4, N/100))\n"
      "  --fds K          processes holding namespace fds (default: max(2, N/200))\n"
      "  --mounts K       nsfs bind mounts (default: max(2, N/200))\n"
      "  --group-size G   processes per container-like group (default: 10)\n"
      "  --mount-dir DIR  existing directory to hide under a tmpfs for the nsfs mounts\n"
      "                   (default: /mnt; only inside the workload's mount namespace)\n"
      "  --quiet          no summary on stderr\n",
      status == 0 ? stdout : stderr);
  std::exit(status);
}

long parse_count(const char* opt, const char* text) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < 0 || v > 1000000) {
    std::fprintf(stderr, "nsctl-workload: %s: not a count: '%s'\n", opt, text);
    usage(2);
  }
  return v;
}

Options parse_args(int argc, char** argv) {
  Options o;
  int i = 1;
  for (; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "-h" || a == "--help") usage(0);
    if (a == "--quiet") {
      o.quiet = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "nsctl-workload: unknown option or missing value: %s\n", argv[i]);
      usage(2);
    }
    const char* v = argv[++i];
    if (a == "--procs") {
      o.procs = parse_count(argv[i - 1], v);
    } else if (a == "--threads") {
      o.threads = parse_count(argv[i - 1], v);
    } else if (a == "--fds") {
      o.fds = parse_count(argv[i - 1], v);
    } else if (a == "--mounts") {
      o.mounts = parse_count(argv[i - 1], v);
    } else if (a == "--group-size") {
      o.group_size = parse_count(argv[i - 1], v);
    } else if (a == "--mount-dir") {
      o.mount_dir = v;
    } else {
      std::fprintf(stderr, "nsctl-workload: unknown option: %s\n", argv[i - 1]);
      usage(2);
    }
  }
  if (o.procs < 0) {
    std::fputs("nsctl-workload: --procs is required\n", stderr);
    usage(2);
  }
  if (i >= argc) {
    std::fputs("nsctl-workload: no COMMAND after --\n", stderr);
    usage(2);
  }
  if (o.group_size < 1) o.group_size = 1;
  o.command = argv + i;
  if (o.threads < 0) o.threads = std::max(4L, o.procs / 100);
  if (o.fds < 0) o.fds = std::max(2L, o.procs / 200);
  if (o.mounts < 0) o.mounts = std::max(2L, o.procs / 200);
  return o;
}

// ---- Readiness records -----------------------------------------------------------------

// Every process and thread of the population writes one record to the readiness pipe: "up",
// or the stage that failed and its errno. 4 bytes < PIPE_BUF, so each write is atomic.
enum Stage : std::uint8_t {
  kUp = 0,
  kSyncWait,
  kMountPrivate,
  kMountProc,
  kSetHostname,
  kUnshareTime,
  kForkMember,
  kThreadCreate,
  kThreadUnshare,
  kOpenNs,
  kUnshareOrphan,
  kSetnsBack,
  kStageCount,
};

constexpr const char* kStageNames[kStageCount] = {
    "up",
    "wait for the uid map",
    "make mounts private",
    "mount the group's /proc",
    "sethostname",
    "unshare(CLONE_NEWTIME)",
    "fork a group member",
    "pthread_create",
    "unshare in a thread",
    "open a namespace file",
    "unshare a namespace to orphan",
    "setns back",
};

struct Record {
  std::uint8_t stage;
  std::uint8_t pad;
  std::uint16_t err;
};
static_assert(sizeof(Record) == 4);

int g_ready_fd = -1;  // write end, inherited by every member of the population

int g_devnull = -1;  // /dev/null, for the population's stdin, stdout and stderr

// Like a daemon: stdio on /dev/null, so that the population holds none of the caller's
// terminal or pipes (a reader of the workload's output sees EOF when the command is done).
void detach_stdio() {
  for (int fd = 0; fd <= 2; ++fd) ::dup2(g_devnull, fd);
}

// Closes every fd from 3 up except `keep` (sorted, ascending; -1 entries ignored): a sleeper
// then holds only the fds it is meant to hold, whatever the caller passed down.
void close_all_except(std::initializer_list<int> keep) {
  unsigned next = 3;
  for (int fd : keep) {
    if (fd < static_cast<int>(next)) continue;
    if (static_cast<unsigned>(fd) > next)
      ::syscall(SYS_close_range, next, static_cast<unsigned>(fd) - 1, 0U);
    next = static_cast<unsigned>(fd) + 1;
  }
  ::syscall(SYS_close_range, next, ~0U, 0U);
}

void report(Stage stage, int err) {
  Record r{stage, 0, static_cast<std::uint16_t>(err)};
  ssize_t n;
  do {
    n = ::write(g_ready_fd, &r, sizeof r);
  } while (n < 0 && errno == EINTR);
}

[[noreturn]] void fail_child(Stage stage) {
  report(stage, errno);
  ::_exit(kSetupFailed);
}

[[noreturn]] void sleep_forever() {
  for (;;) ::pause();
}

// Formats "PREFIX<n>SUFFIX" into buf without allocating (async-signal-safe).
void format_name(char* buf, std::size_t size, const char* prefix, long n, const char* suffix) {
  char digits[24];
  int nd = 0;
  do {
    digits[nd++] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n > 0 && nd < 23);
  std::size_t pos = 0;
  for (const char* p = prefix; *p && pos + 1 < size; ++p) buf[pos++] = *p;
  while (nd > 0 && pos + 1 < size) buf[pos++] = digits[--nd];
  for (const char* p = suffix; *p && pos + 1 < size; ++p) buf[pos++] = *p;
  buf[pos] = '\0';
}

void set_name(const char* prefix, long n, const char* suffix) {
  char name[16];  // TASK_COMM_LEN
  format_name(name, sizeof name, prefix, n, suffix);
  ::prctl(PR_SET_NAME, name, 0, 0, 0);
}

// fork()-like clone with namespace flags: the child continues on the same (copied) stack.
// Only called from single-threaded processes.
pid_t clone_fork(unsigned long flags) {
  return static_cast<pid_t>(::syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, 0));
}

// ---- Groups ------------------------------------------------------------------------------

struct Group {
  long index = 0;
  long size = 0;
  bool userns = false;
  bool timens = false;
  pid_t leader = -1;
};

// The group's first process: PID 1 of the group's pid namespace. Runs in the child.
[[noreturn]] void run_group_leader(const Group& g, int sync_fd) {
  // Wait until the workload has written the uid/gid maps (EOF on the sync pipe).
  char c;
  ssize_t n;
  do {
    n = ::read(sync_fd, &c, 1);
  } while (n < 0 && errno == EINTR);
  if (n < 0) fail_child(kSyncWait);
  ::close(sync_fd);
  detach_stdio();
  set_name("ct", g.index, "-init");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail_child(kMountPrivate);
  if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    fail_child(kMountProc);
  char host[32];
  format_name(host, sizeof host, "ct", g.index, "");
  if (::sethostname(host, std::strlen(host)) != 0) fail_child(kSetHostname);
  // A new time namespace applies to the children only (time_for_children).
  if (g.timens && ::unshare(CLONE_NEWTIME) != 0) fail_child(kUnshareTime);
  for (long m = 1; m < g.size; ++m) {
    pid_t pid = ::fork();
    if (pid < 0) fail_child(kForkMember);
    if (pid == 0) {
      set_name("ct", g.index, "-app");
      report(kUp, 0);
      close_all_except({});
      sleep_forever();
    }
  }
  report(kUp, 0);
  close_all_except({});
  sleep_forever();
}

bool write_file(const std::string& path, std::string_view text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

// Starts one group; returns false (with errno) if the clone or the id maps failed.
bool start_group(Group& g) {
  int sync[2];
  if (::pipe2(sync, O_CLOEXEC) != 0) return false;
  unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC;
  if (g.userns) flags |= CLONE_NEWUSER | CLONE_NEWCGROUP;
  pid_t pid = clone_fork(flags);
  if (pid < 0) {
    int err = errno;
    ::close(sync[0]);
    ::close(sync[1]);
    errno = err;
    return false;
  }
  if (pid == 0) {
    ::close(sync[1]);
    run_group_leader(g, sync[0]);
  }
  ::close(sync[0]);
  g.leader = pid;
  bool ok = true;
  if (g.userns) {
    // Like a rootless container with a subordinate id range of its own.
    std::string base = "/proc/" + std::to_string(pid) + "/";
    std::string map = "0 " + std::to_string(100000 + g.index * 65536) + " 65536\n";
    ok = write_file(base + "uid_map", map) && write_file(base + "setgroups", "deny") &&
         write_file(base + "gid_map", map);
  }
  int err = errno;
  ::close(sync[1]);  // EOF: the leader goes on
  errno = err;
  return ok;
}

// ---- Threads with namespaces of their own ------------------------------------------------

void* thread_main(void* arg) {
  long i = reinterpret_cast<long>(arg);
  // uts and net may be unshared by one thread of a multithreaded process (mnt and user not).
  if (::unshare(i % 2 == 0 ? CLONE_NEWUTS : CLONE_NEWNET) != 0) {
    report(kThreadUnshare, errno);
    return nullptr;
  }
  report(kUp, 0);
  sleep_forever();
}

[[noreturn]] void run_thread_holder(long index, long threads) {
  set_name("ns-threads", index, "");
  detach_stdio();
  close_all_except({g_ready_fd});  // the threads report through it
  for (long t = 0; t < threads; ++t) {
    pthread_t th;
    int rc = ::pthread_create(&th, nullptr, thread_main, reinterpret_cast<void*>(t));
    if (rc != 0) {
      errno = rc;
      fail_child(kThreadCreate);
    }
  }
  report(kUp, 0);
  sleep_forever();
}

// ---- Namespaces held by fds and mounts ---------------------------------------------------

struct OrphanKind {
  int flag;
  const char* file;
};
constexpr OrphanKind kOrphanKinds[] = {
    {CLONE_NEWNET, "/proc/self/ns/net"},
    {CLONE_NEWUTS, "/proc/self/ns/uts"},
    {CLONE_NEWIPC, "/proc/self/ns/ipc"},
};

// Creates a namespace of `kind` that no process stays in: unshare, open (or bind-mount) the
// new namespace's file, setns back. Returns the stage that failed, or kUp.
Stage make_orphan(const OrphanKind& kind, int* fd_out, const char* mount_target) {
  int self = ::open(kind.file, O_RDONLY | O_CLOEXEC);
  if (self < 0) return kOpenNs;
  Stage st = kUp;
  if (::unshare(kind.flag) != 0) {
    st = kUnshareOrphan;
  } else {
    if (fd_out) {
      *fd_out = ::open(kind.file, O_RDONLY);  // kept: no CLOEXEC needed, never execs
      if (*fd_out < 0) st = kOpenNs;
    }
    if (st == kUp && mount_target &&
        ::mount(kind.file, mount_target, nullptr, MS_BIND, nullptr) != 0)
      st = kOpenNs;
    if (::setns(self, kind.flag) != 0 && st == kUp) st = kSetnsBack;
  }
  int err = errno;
  ::close(self);
  errno = err;
  return st;
}

[[noreturn]] void run_fd_holder(long index, pid_t group_leader) {
  set_name("ns-holder", index, "");
  detach_stdio();
  int group_fd = -1;
  if (group_leader > 0) {
    char path[64];
    format_name(path, sizeof path, "/proc/", group_leader, "/ns/net");
    group_fd = ::open(path, O_RDONLY);  // kept open on purpose
    if (group_fd < 0) fail_child(kOpenNs);
  }
  int orphan_fd = -1;
  Stage st = make_orphan(kOrphanKinds[index % 3], &orphan_fd, nullptr);
  if (st != kUp) fail_child(st);
  report(kUp, 0);
  close_all_except({std::min(group_fd, orphan_fd), std::max(group_fd, orphan_fd)});
  sleep_forever();
}

// ---- The workload's PID 1 ----------------------------------------------------------------

double now_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

long read_long(const char* path) {
  FILE* f = std::fopen(path, "re");
  if (!f) return -1;
  long v = -1;
  if (std::fscanf(f, "%ld", &v) != 1) v = -1;
  std::fclose(f);
  return v;
}

long mem_available_kib() {
  FILE* f = std::fopen("/proc/meminfo", "re");
  if (!f) return -1;
  char line[256];
  long v = -1;
  while (std::fgets(line, sizeof line, f)) {
    if (std::sscanf(line, "MemAvailable: %ld kB", &v) == 1) break;
  }
  std::fclose(f);
  return v;
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "nsctl-workload: %s: %s\n", what, std::strerror(errno));
  std::exit(kSetupFailed);
}

struct Plan {
  std::vector<Group> groups;
  long thread_procs = 0;
  long threads = 0;
  long fd_holders = 0;
  long mounts = 0;
  long processes = 0;  // in the pid namespace, PID 1 included
};

// Spreads --procs over the kinds: PID 1, the thread holders, the fd holders, then groups for
// whatever is left.
Plan make_plan(const Options& o) {
  Plan p;
  p.threads = o.threads;
  p.thread_procs = (o.threads + 3) / 4;
  p.fd_holders = o.fds;
  p.mounts = o.mounts;
  long rest = o.procs - 1 - p.thread_procs - p.fd_holders;
  if (rest < 1) rest = 1;  // at least one group: fd holders and mounts refer to groups
  for (long i = 0; rest > 0; ++i) {
    Group g;
    g.index = i;
    g.size = std::min(rest, o.group_size);
    g.userns = i % 3 == 1;
    g.timens = i % 8 == 5;
    rest -= g.size;
    p.groups.push_back(g);
  }
  p.processes = 1 + p.thread_procs + p.fd_holders;
  for (const Group& g : p.groups) p.processes += g.size;
  return p;
}

void check_limits(long processes, long threads) {
  long pid_max = read_long("/proc/sys/kernel/pid_max");
  long threads_max = read_long("/proc/sys/kernel/threads-max");
  if (pid_max > 0 && processes + threads + 1000 > pid_max)
    std::fprintf(stderr,
                 "nsctl-workload: warning: kernel.pid_max is %ld, close to the %ld tasks this "
                 "workload needs (raise it with sysctl kernel.pid_max=4194304)\n",
                 pid_max, processes + threads);
  if (threads_max > 0 && processes + threads + 1000 > threads_max)
    std::fprintf(stderr,
                 "nsctl-workload: warning: kernel.threads-max is %ld, close to the %ld tasks "
                 "this workload needs\n",
                 threads_max, processes + threads);
}

// Decodes the \NNN octal escapes of a mountinfo field.
std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7') {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The copy of the machine's mount namespace holds the machine's nsfs bind mounts (ip netns,
// container runtimes), which would keep the machine's namespaces in every listing. Detaching
// them here (in the private copy only; the machine's own mounts are untouched) makes the
// results independent of the machine.
void detach_foreign_nsfs_mounts() {
  FILE* f = std::fopen("/proc/self/mountinfo", "re");
  if (!f) die("open mountinfo");
  std::vector<std::string> points;
  char* line = nullptr;
  std::size_t cap = 0;
  while (::getline(&line, &cap, f) > 0) {
    std::string_view l(line);
    std::size_t sep = l.find(" - ");
    if (sep == std::string_view::npos || !l.substr(sep + 3).starts_with("nsfs ")) continue;
    // Field 5 (1-based) is the mount point.
    std::size_t pos = 0;
    for (int field = 0; field < 4 && pos != std::string_view::npos; ++field)
      pos = l.find(' ', pos + 1);
    if (pos == std::string_view::npos) continue;
    std::size_t end = l.find(' ', pos + 1);
    points.push_back(unescape(l.substr(pos + 1, end - pos - 1)));
  }
  std::free(line);
  std::fclose(f);
  for (auto it = points.rbegin(); it != points.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
}

[[noreturn]] void run_init(const Options& o, int parent_alive_fd) {
  // Die with the parent (Ctrl-C, kill): then the kernel kills the whole pid namespace. The
  // parent never writes the pipe; EOF after PDEATHSIG is armed means it already died.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  char c;
  if (::read(parent_alive_fd, &c, 1) == 0) ::_exit(kSetupFailed);
  ::close(parent_alive_fd);
  ::prctl(PR_SET_NAME, "nsctl-workload", 0, 0, 0);

  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) die("make mounts private");
  if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    die("mount a fresh /proc");
  detach_foreign_nsfs_mounts();

  Plan plan = make_plan(o);
  check_limits(plan.processes, plan.threads);
  long mem_before = mem_available_kib();
  double t0 = now_seconds();

  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) die("pipe");
  g_devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (g_devnull < 0) die("open /dev/null");
  g_ready_fd = ready[1];
  long expected = plan.processes - 1 + plan.threads;

  for (Group& g : plan.groups)
    if (!start_group(g)) die("start a container-like group (clone or id map)");

  // nsfs bind mounts, after the groups so that only this mount namespace holds them.
  if (plan.mounts > 0) {
    std::string dir = o.mount_dir;
    if (::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                "mode=755,size=1m") != 0)
      die(("mount a tmpfs on " + dir).c_str());
    dir += "/netns";
    if (::mkdir(dir.c_str(), 0755) != 0) die("mkdir netns");
    for (long i = 0; i < plan.mounts; ++i) {
      std::string target = dir + (i % 2 == 0 ? "/ct" : "/orphan") + std::to_string(i);
      int fd = ::open(target.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0444);
      if (fd < 0) die("create a mount point");
      ::close(fd);
      if (i % 2 == 0) {
        const Group& g = plan.groups[static_cast<std::size_t>(i / 2) % plan.groups.size()];
        std::string src = "/proc/" + std::to_string(g.leader) + "/ns/net";
        if (::mount(src.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0)
          die("bind-mount a group's net namespace");
      } else if (make_orphan(kOrphanKinds[0], nullptr, target.c_str()) != kUp) {
        die("bind-mount a new net namespace");
      }
    }
  }

  long remaining_threads = plan.threads;
  for (long i = 0; i < plan.thread_procs; ++i) {
    long n = std::min(4L, remaining_threads);
    remaining_threads -= n;
    pid_t pid = ::fork();
    if (pid < 0) die("fork");
    if (pid == 0) run_thread_holder(i, n);
  }
  for (long i = 0; i < plan.fd_holders; ++i) {
    pid_t leader = plan.groups[static_cast<std::size_t>(i) % plan.groups.size()].leader;
    pid_t pid = ::fork();
    if (pid < 0) die("fork");
    if (pid == 0) run_fd_holder(i, leader);
  }
  ::close(ready[1]);
  g_ready_fd = -1;
  ::close(g_devnull);

  // Wait for every record; give up if none arrives for a minute.
  long up = 0;
  while (up < expected) {
    pollfd pfd{ready[0], POLLIN, 0};
    int rc = ::poll(&pfd, 1, 60000);
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) {
      std::fprintf(stderr, "nsctl-workload: only %ld of %ld tasks came up within a minute\n", up,
                   expected);
      std::exit(kSetupFailed);
    }
    Record recs[256];
    ssize_t n = ::read(ready[0], recs, sizeof recs);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::fprintf(stderr, "nsctl-workload: only %ld of %ld tasks came up\n", up, expected);
      std::exit(kSetupFailed);
    }
    for (ssize_t i = 0; i < n / static_cast<ssize_t>(sizeof(Record)); ++i) {
      const Record& r = recs[i];
      if (r.stage != kUp) {
        const char* stage = r.stage < kStageCount ? kStageNames[r.stage] : "?";
        std::fprintf(stderr, "nsctl-workload: a task failed to %s: %s\n", stage,
                     std::strerror(r.err));
        std::exit(kSetupFailed);
      }
      ++up;
    }
  }
  ::close(ready[0]);
  double t1 = now_seconds();
  long mem_after = mem_available_kib();

  long usergroups = 0;
  for (const Group& g : plan.groups) usergroups += g.userns ? 1 : 0;
  if (!o.quiet) {
    std::fprintf(stderr,
                 "nsctl-workload: %ld processes up in %.2f s: %zu groups (%ld with a user ns), "
                 "%ld threads in own ns, %ld fd holders, %ld nsfs mounts; memory used %ld MiB\n",
                 plan.processes, t1 - t0, plan.groups.size(), usergroups, plan.threads,
                 plan.fd_holders, plan.mounts,
                 mem_before > 0 && mem_after > 0 ? (mem_before - mem_after) / 1024 : -1L);
  }
  ::setenv("NSCTL_WORKLOAD_PROCS", std::to_string(plan.processes).c_str(), 1);
  ::setenv("NSCTL_WORKLOAD_THREADS", std::to_string(plan.threads).c_str(), 1);
  ::setenv("NSCTL_WORKLOAD_GROUPS", std::to_string(plan.groups.size()).c_str(), 1);

  pid_t cmd = ::fork();
  if (cmd < 0) die("fork the command");
  if (cmd == 0) {
    ::execvp(o.command[0], o.command);
    std::fprintf(stderr, "nsctl-workload: %s: %s\n", o.command[0], std::strerror(errno));
    ::_exit(127);
  }
  // As PID 1, reap whatever exits until the command does.
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      die("waitpid");
    }
    if (pid != cmd) continue;
    if (WIFEXITED(status)) std::exit(WEXITSTATUS(status));
    std::exit(128 + WTERMSIG(status));
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  if (::geteuid() != 0)
    std::fputs("nsctl-workload: warning: not root; creating namespaces will likely fail\n", stderr);
  std::fflush(nullptr);

  int alive[2];
  if (::pipe2(alive, O_CLOEXEC) != 0) die("pipe");
  pid_t init = clone_fork(CLONE_NEWPID | CLONE_NEWNS);
  if (init < 0) die("clone a new pid and mount namespace");
  if (init == 0) {
    ::close(alive[1]);
    ::fcntl(alive[0], F_SETFL, O_NONBLOCK);
    run_init(o, alive[0]);
  }
  ::close(alive[0]);
  // Ctrl-C reaches the command (same process group) and this process; when this process
  // dies, PDEATHSIG kills the namespace's PID 1 and with it the whole population.
  int status = 0;
  while (::waitpid(init, &status, 0) < 0) {
    if (errno != EINTR) die("waitpid");
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}
