// nsctl under process churn: while processes (some in new network or uts namespaces, some
// multi-threaded, some holding a netns only by a socket) are forked and reaped as fast as the
// machine allows, every listing must succeed and be well formed. Processes vanish in the middle
// of every scan, which must be skipped, never an error and never a silent exit. Everything runs
// as PID 1 of a fresh pid namespace, so the churn is contained and dies with the test. No timing
// is asserted: the loop is only bounded so that a slow machine still finishes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <new>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/command.hpp"
#include "support/forked.hpp"
#include "support/probe.hpp"

namespace nsctl {
namespace {

using nlohmann::json;
using test::run_command;

// What one short-lived process does before it exits.
enum class Kind { plain, uts, net, socket_held_net, threads };

void* thread_body(void* arg) {
  // A thread of its own in a new uts namespace (unshare applies to the calling thread only).
  if (arg) (void)::unshare(CLONE_NEWUTS);
  ::usleep(200);
  return nullptr;
}

// Runs in a freshly forked grandchild; never returns.
[[noreturn]] void short_life(Kind kind, unsigned n) {
  switch (kind) {
    case Kind::plain:
      break;
    case Kind::uts:
      (void)::unshare(CLONE_NEWUTS);
      break;
    case Kind::net:
      (void)::unshare(CLONE_NEWNET);
      break;
    case Kind::socket_held_net: {
      // A netns that only a socket holds once the process is back home.
      int home = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
      if (home >= 0 && ::unshare(CLONE_NEWNET) == 0) {
        (void)::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        (void)::setns(home, CLONE_NEWNET);
      }
      break;
    }
    case Kind::threads: {
      pthread_t threads[3];
      int started = 0;
      for (int i = 0; i < 3; ++i)
        if (pthread_create(&threads[i], nullptr, thread_body,
                           i == 0 ? reinterpret_cast<void*>(1) : nullptr) == 0)
          ++started;
      for (int i = 0; i < started; ++i) pthread_join(threads[i], nullptr);
      break;
    }
  }
  // Live a little, so that some are caught mid-scan: from not at all to about 2 ms.
  if (n % 3) ::usleep(n % 2000);
  ::_exit(0);
}

// A worker forks batches of short-lived processes of its kinds and reaps them, forever.
[[noreturn]] void worker(const std::vector<Kind>& kinds, std::atomic<std::uint64_t>* forked) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  for (unsigned n = 0;; ++n) {
    pid_t batch[4];
    int alive = 0;
    for (int i = 0; i < 4; ++i) {
      unsigned serial = n * 4 + static_cast<unsigned>(i);
      pid_t pid = ::fork();
      if (pid == 0) short_life(kinds[serial % kinds.size()], serial * 7919u);
      if (pid > 0) batch[alive++] = pid;
    }
    for (int i = 0; i < alive; ++i) {
      while (::waitpid(batch[i], nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    forked->fetch_add(static_cast<std::uint64_t>(alive), std::memory_order_relaxed);
  }
}

// The churn: worker processes this test starts, killed (by their pids) and reaped on scope
// exit. The count of processes they forked lives in shared memory.
class Churn {
 public:
  Churn() {
    void* mem = ::mmap(nullptr, sizeof(std::atomic<std::uint64_t>), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem != MAP_FAILED) counter_ = new (mem) std::atomic<std::uint64_t>(0);
  }
  ~Churn() {
    for (pid_t pid : workers_) ::kill(pid, SIGKILL);
    for (pid_t pid : workers_) {
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    if (counter_) ::munmap(counter_, sizeof *counter_);
  }
  Churn(const Churn&) = delete;
  Churn& operator=(const Churn&) = delete;

  bool start(const std::vector<Kind>& kinds) {
    if (!counter_) return false;
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) return false;
    if (pid == 0) worker(kinds, counter_);
    workers_.push_back(pid);
    return true;
  }
  std::uint64_t forked() const { return counter_ ? counter_->load() : 0; }

 private:
  std::vector<pid_t> workers_;
  std::atomic<std::uint64_t>* counter_ = nullptr;
};

// Counts the rows of a listing, tree or not; false if a row lacks its identity.
bool count_rows(const json& rows, std::size_t& n) {
  if (!rows.is_array()) return false;
  for (const auto& row : rows) {
    if (!row.is_object() || !row.contains("ns") || !row["ns"].is_number_unsigned() ||
        !row.contains("type") || !row["type"].is_string())
      return false;
    ++n;
    if (row.contains("children") && !count_rows(row["children"], n)) return false;
  }
  return true;
}

TEST(Churn, ListingsStayWellFormedWhileProcessesComeAndGo) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    Churn churn;
    CHILD_CHECK(churn.start({Kind::plain, Kind::uts, Kind::plain, Kind::net}) &&
                    churn.start({Kind::socket_held_net, Kind::plain, Kind::uts}) &&
                    churn.start({Kind::threads, Kind::plain}) &&
                    churn.start({Kind::uts, Kind::threads, Kind::plain}),
                "could not start the churn");
    // Let the churn get going before the first listing.
    for (int i = 0; i < 10000 && churn.forked() < 50; ++i) ::usleep(1000);
    CHILD_CHECK(churn.forked() >= 50, "the churn does not start (%llu processes in 10 s)",
                static_cast<unsigned long long>(churn.forked()));
    const std::uint64_t before = churn.forked();

    struct Case {
      std::vector<std::string> args;
      const char* json_root;  // nullptr: not JSON
    };
    const Case cases[] = {
        {{NSCTL_BINARY, "ls"}, nullptr},
        {{NSCTL_BINARY, "ls", "-J"}, "namespaces"},
        {{NSCTL_BINARY, "ls", "-T"}, nullptr},
        {{NSCTL_BINARY, "ps", "-J"}, "processes"},
    };
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    int runs = 0;
    for (int round = 0; round < 50 && std::chrono::steady_clock::now() < deadline; ++round) {
      for (const auto& c : cases) {
        std::string what;
        for (std::size_t i = 1; i < c.args.size(); ++i) what += " " + c.args[i];
        auto r = run_command(c.args);
        ++runs;
        CHILD_CHECK(r.exit_code == 0, "round %d: nsctl%s exited %d (signal %d); stderr:\n%s", round,
                    what.c_str(), r.exit_code, r.signal, r.err.c_str());
        CHILD_CHECK(!r.out.empty(), "round %d: nsctl%s printed nothing; stderr:\n%s", round,
                    what.c_str(), r.err.c_str());
        if (!c.json_root) continue;
        json doc = json::parse(r.out, nullptr, false);
        CHILD_CHECK(!doc.is_discarded(), "round %d: nsctl%s printed malformed JSON:\n%s", round,
                    what.c_str(), r.out.c_str());
        CHILD_CHECK(doc.is_object() && doc.contains(c.json_root) && doc[c.json_root].is_array(),
                    "round %d: nsctl%s: no \"%s\" array:\n%s", round, what.c_str(), c.json_root,
                    r.out.c_str());
        if (std::string(c.json_root) == "namespaces") {
          std::size_t rows = 0;
          CHILD_CHECK(count_rows(doc["namespaces"], rows), "round %d: a malformed row:\n%s", round,
                      r.out.c_str());
          // This test's own namespaces, one of each type, exist throughout.
          CHILD_CHECK(rows >= 8, "round %d: only %zu namespaces:\n%s", round, rows, r.out.c_str());
        } else {
          for (const auto& p : doc["processes"])
            CHILD_CHECK(p.is_object() && p.contains("pid") && p["pid"].is_number_integer() &&
                            p.contains("namespaces") && p["namespaces"].is_object() &&
                            !p["namespaces"].empty(),
                        "round %d: a malformed process: %s", round, p.dump().c_str());
        }
      }
    }
    // The listings really ran against churn (a check that the generator worked, not a timing).
    CHILD_CHECK(churn.forked() > before, "the churn stopped (%llu processes forked)",
                static_cast<unsigned long long>(churn.forked()));
    std::fprintf(stderr, "%d runs against %llu short-lived processes\n", runs,
                 static_cast<unsigned long long>(churn.forked()));
    return 0;
  }));
}

}  // namespace
}  // namespace nsctl
