// Hostile processes (issue 7): processes whose names and arguments hold ')', '(', spaces,
// newlines, tabs, terminal escapes, invalid UTF-8 and 64 KiB of arguments. nsctl ls and ps must
// list them: exit 0; tables and raw output carry no control byte but '\n', no DEL and no invalid
// UTF-8, and have one line per row; JSON parses and holds each command exactly (invalid bytes as
// the text \xNN); nothing is truncated silently. Everything runs as PID 1 of a new pid namespace
// with its own /proc, so the listings hold the test's processes and nothing else.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/command.hpp"
#include "support/forked.hpp"
#include "support/probe.hpp"

namespace nsctl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::printable;
using test::run_command;

// A process to start: in its own UTS namespace (so that it is the process `ls` shows for that
// namespace), either exec'ing /bin/sleep through a link named `file` with `argv`, or (when
// `file` is empty) naming itself `comm` with PR_SET_NAME and waiting without exec.
struct Hostile {
  std::string file;
  std::vector<std::string> argv;
  std::string comm;
};

std::vector<Hostile> hostile_processes() {
  std::vector<Hostile> out = {
      {"a) (b c", {"x) (y z", "1000"}, ""},
      {"n\nl\tt) 0", {"nl\nname\ttab) 0 0 (", "1000"}, ""},
      {"\x1b[2J\x1b]0;pw", {"\x1b[2J\x1b]0;pwned\x07", "1000"}, ""},
      {"\xff\xfe\xe2\x82 x\xc3", {"bad\xff\xfe utf8 \xe2\x82 trunc \xc3", "1000"}, ""},
      {"caf\xc3\xa9", {"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \x7f del", "1000"}, ""},
      {"", {}, "p) q\n\x1b[H\xff(r"},
      {"", {}, ") ) ) 0 0 0\t"},
  };
  // 64 KiB of arguments: sleep adds them up (1000 + 0 + 0 + ...).
  Hostile big{"long", {"long-command", "1000"}, ""};
  for (int i = 0; i < 32768; ++i) big.argv.push_back("0");
  out.push_back(std::move(big));
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// /proc/PID/cmdline with the NULs between arguments as spaces.
std::string command_line(pid_t pid) {
  std::string s = read_text("/proc/" + std::to_string(pid) + "/cmdline");
  while (!s.empty() && s.back() == '\0') s.pop_back();
  std::replace(s.begin(), s.end(), '\0', ' ');
  return s;
}

// The length of the valid UTF-8 sequence at s[i], or 0 (written independently of nsctl's
// decoder: shortest forms only, no surrogates, nothing past U+10FFFF).
std::size_t utf8_length(const std::string& s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  if (c < 0x80) return 1;
  std::size_t len = c >= 0xc2 && c <= 0xdf   ? 2
                    : c >= 0xe0 && c <= 0xef ? 3
                    : c >= 0xf0 && c <= 0xf4 ? 4
                                             : 0;
  if (len == 0 || i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k)
    if ((b(k) & 0xc0) != 0x80) return 0;
  if (c == 0xe0 && b(1) < 0xa0) return 0;   // overlong
  if (c == 0xed && b(1) >= 0xa0) return 0;  // surrogate
  if (c == 0xf0 && b(1) < 0x90) return 0;   // overlong
  if (c == 0xf4 && b(1) >= 0x90) return 0;  // past U+10FFFF
  return len;
}

// What JSON must hold for `s`: valid UTF-8 as it is, each byte of invalid UTF-8 as "\xNN".
std::string json_text(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_length(s, i);
    if (n) {
      out.append(s, i, n);
      i += n;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(s[i]));
      out += buf;
      ++i;
    }
  }
  return out;
}

// Where text for a terminal goes wrong: the offset of the first control byte other than '\n',
// DEL or invalid UTF-8 byte, or npos.
std::size_t first_unsafe_byte(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 && c != '\n') || c == 0x7f) return i;
    std::size_t n = utf8_length(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string::npos;
}

std::size_t lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

// Every object with a "pid" in a (possibly nested) JSON listing.
void collect(const json& j, std::vector<json>& out) {
  if (j.is_object()) {
    if (j.contains("pid")) out.push_back(j);
    for (const auto& [key, value] : j.items()) collect(value, out);
  } else if (j.is_array()) {
    for (const auto& v : j) collect(v, out);
  }
}

// Starts the processes (each in a new UTS namespace) and returns their pids once each has
// exec'd or named itself; links to /bin/sleep go in `dir`.
std::vector<pid_t> start(const std::vector<Hostile>& procs, const std::string& dir,
                         std::string& error) {
  std::vector<pid_t> pids;
  for (const auto& h : procs) {
    std::string path;
    if (!h.file.empty()) {
      path = dir + "/" + h.file;
      if (::symlink("/bin/sleep", path.c_str()) != 0) {
        error = "symlink " + printable(path) + ": " + std::strerror(errno);
        return pids;
      }
    }
    std::vector<char*> args;
    for (const auto& a : h.argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) {
      error = "pipe2";
      return pids;
    }
    pid_t pid = ::fork();
    if (pid < 0) {
      error = "fork";
      return pids;
    }
    if (pid == 0) {
      ::close(pipefd[0]);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::unshare(CLONE_NEWUTS) != 0) ::_exit(120);
      if (path.empty()) {
        if (::prctl(PR_SET_NAME, h.comm.c_str()) != 0) ::_exit(121);
        char ok = 1;
        (void)::write(pipefd[1], &ok, 1);
        for (;;) ::pause();
      }
      ::execv(path.c_str(), args.data());
      char failed = 2;
      (void)::write(pipefd[1], &failed, 1);
      ::_exit(122);
    }
    ::close(pipefd[1]);
    char c = 0;
    ssize_t n;
    while ((n = ::read(pipefd[0], &c, 1)) < 0 && errno == EINTR) {
    }
    ::close(pipefd[0]);
    // exec'd: EOF with nothing written; named: one byte 1.
    if ((path.empty() && !(n == 1 && c == 1)) || (!path.empty() && n != 0)) {
      error = "process " + printable(h.file.empty() ? h.comm : h.file) + " did not start";
      return pids;
    }
    pids.push_back(pid);
  }
  return pids;
}

std::string describe(const std::vector<std::string>& args) {
  std::string out = "nsctl";
  for (const auto& a : args) out += " " + a;
  return out;
}

TEST(Hostile, LsAndPsShowHostileNamesAndArgumentsSafelyAndWhole) {
  NSCTL_REQUIRE_ROOT();
  NSCTL_EXPECT_CHILD_OK(test::run_in_new_proc([] {
    char tmpl[] = "/tmp/nsctl-hostile-XXXXXX";
    CHILD_CHECK(::mkdtemp(tmpl) != nullptr);
    struct Cleanup {
      std::string dir;
      ~Cleanup() {
        std::error_code ec;
        fs::remove_all(dir, ec);
      }
    } cleanup{tmpl};
    const auto procs = hostile_processes();
    std::string error;
    const std::vector<pid_t> pids = start(procs, cleanup.dir, error);
    CHILD_CHECK(error.empty() && pids.size() == procs.size(), "%s", error.c_str());

    // What the kernel says: the comm of a named process, the command line of the others.
    std::vector<std::string> commands;
    for (std::size_t i = 0; i < pids.size(); ++i) {
      commands.push_back(command_line(pids[i]));
      if (procs[i].file.empty()) {
        std::string comm = read_text("/proc/" + std::to_string(pids[i]) + "/comm");
        CHILD_CHECK(comm == procs[i].comm.substr(0, 15) + "\n", "comm of %d is %s", pids[i],
                    printable(comm).c_str());
      } else {
        std::string want;
        for (const auto& a : procs[i].argv) want += (want.empty() ? "" : " ") + a;
        CHILD_CHECK(commands.back() == want, "command line of %d is %s", pids[i],
                    printable(commands.back()).c_str());
      }
    }
    const std::string& big = commands.back();
    CHILD_CHECK(big.size() > 65536, "the long command line has %zu bytes", big.size());

    auto run = [](std::vector<std::string> args) {
      std::vector<std::string> argv = {"timeout", "60", NSCTL_BINARY};
      argv.insert(argv.end(), args.begin(), args.end());
      return run_command(argv);
    };

    // JSON: every process listed with its exact command (invalid bytes as \xNN).
    struct JsonRun {
      std::vector<std::string> args;
      const char* root;
    };
    std::size_t ls_rows = 0, ps_rows = 0, ps_groups = 0;
    for (const JsonRun& jr :
         {JsonRun{{"ls", "-J"}, "namespaces"}, JsonRun{{"ls", "-J", "--list"}, "namespaces"},
          JsonRun{{"ls", "-J", "-t", "uts", "-o", "NS,PID,COMMAND"}, "namespaces"},
          JsonRun{{"ps", "-J"}, "processes"}, JsonRun{{"ps", "-J", "--group"}, "groups"}}) {
      std::string what = describe(jr.args);
      auto r = run(jr.args);
      CHILD_CHECK(r.exit_code == 0 && r.signal == 0, "%s: exit %d signal %d: %s", what.c_str(),
                  r.exit_code, r.signal, printable(r.err).c_str());
      json doc = json::parse(r.out, nullptr, false);
      CHILD_CHECK(!doc.is_discarded() && doc.is_object() && doc.contains(jr.root) &&
                      doc[jr.root].is_array(),
                  "%s: not a JSON listing:\n%s", what.c_str(), printable(r.out).c_str());
      bool grouped = std::string(jr.root) == "groups";
      if (what == "nsctl ls -J --list") ls_rows = doc[jr.root].size();
      if (what == "nsctl ps -J") ps_rows = doc[jr.root].size();
      if (grouped) ps_groups = doc[jr.root].size();
      std::vector<json> objects;
      if (grouped) {
        for (const auto& g : doc[jr.root]) objects.push_back(g);
      } else {
        collect(doc[jr.root], objects);
      }
      for (std::size_t i = 0; i < pids.size(); ++i) {
        const json* found = nullptr;
        for (const auto& o : objects) {
          if (grouped ? (o.contains("pids") && o["pids"] == json::array({pids[i]}))
                      : (o.contains("pid") && o["pid"] == pids[i]))
            found = &o;
        }
        CHILD_CHECK(found, "%s: pid %d is not listed", what.c_str(), pids[i]);
        CHILD_CHECK(found->contains("command") && (*found)["command"].is_string(),
                    "%s: pid %d has no command: %s", what.c_str(), pids[i],
                    printable(found->dump()).c_str());
        std::string got = (*found)["command"].get<std::string>();
        std::string want = json_text(commands[i]);
        CHILD_CHECK(got == want, "%s: pid %d: command %s (%zu bytes), expected %s (%zu bytes)",
                    what.c_str(), pids[i], printable(got, 200).c_str(), got.size(),
                    printable(want, 200).c_str(), want.size());
      }
    }

    // Tables and raw output: safe bytes only, one line per row, and with -u the whole of the
    // long command line.
    struct TextRun {
      std::vector<std::string> args;
      std::size_t want_lines;  // 0: not checked (trees by owner add ancestor rows)
      bool whole;              // the long command line appears in full
    };
    for (const TextRun& tr :
         {TextRun{{"ls"}, ls_rows + 1, false}, TextRun{{"ls", "-r"}, ls_rows + 1, false},
          TextRun{{"ls", "-u"}, ls_rows + 1, true}, TextRun{{"ls", "-u", "-r"}, ls_rows + 1, true},
          TextRun{{"ls", "-T"}, 0, false}, TextRun{{"ls", "--list", "-u", "-W"}, ls_rows + 1, true},
          TextRun{{"ps"}, ps_rows + 1, false}, TextRun{{"ps", "-u"}, ps_rows + 1, true},
          TextRun{{"ps", "-r"}, ps_rows + 1, true},
          TextRun{{"ps", "--group"}, ps_groups + 1, false},
          TextRun{{"ps", "--group", "-u"}, ps_groups + 1, true}}) {
      std::string what = describe(tr.args);
      auto r = run(tr.args);
      CHILD_CHECK(r.exit_code == 0 && r.signal == 0, "%s: exit %d signal %d: %s", what.c_str(),
                  r.exit_code, r.signal, printable(r.err).c_str());
      std::size_t bad = first_unsafe_byte(r.out);
      CHILD_CHECK(bad == std::string::npos, "%s: unsafe byte 0x%02x at %zu: ...%s...", what.c_str(),
                  bad == std::string::npos ? 0 : static_cast<unsigned char>(r.out[bad]), bad,
                  printable(r.out.substr(bad < 80 ? 0 : bad - 80, 160)).c_str());
      CHILD_CHECK(first_unsafe_byte(r.err) == std::string::npos, "%s: unsafe stderr: %s",
                  what.c_str(), printable(r.err).c_str());
      if (tr.want_lines)
        CHILD_CHECK(lines(r.out) == tr.want_lines, "%s: %zu lines, expected %zu:\n%s", what.c_str(),
                    lines(r.out), tr.want_lines, printable(r.out, 3000).c_str());
      if (tr.whole) {
        // The long command is printable ASCII: with -r its blanks are \x20.
        std::string shown = big;
        if (tr.args.back() == "-r" || (tr.args.size() > 1 && tr.args[1] == "-r")) {
          shown.clear();
          for (char c : big) shown += c == ' ' ? std::string("\\x20") : std::string(1, c);
        }
        CHILD_CHECK(r.out.find(shown) != std::string::npos,
                    "%s: the %zu-byte command line is not shown whole", what.c_str(), big.size());
      }
    }
    return 0;
  }));
}

}  // namespace
}  // namespace nsctl
