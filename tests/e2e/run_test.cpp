// nsctl run end to end, the process side: PID 1 and orphans, namespaces, identity, privileges,
// signals and exit codes, rootless runs, the config file, environment and time — each checked
// from inside the sandbox (the command prints what it sees; the test parses it).
#include "run_support.hpp"

namespace nsctl::run_e2e {
namespace {

// --- PID 1 and the process tree ---

TEST_F(Run, InitIsPid1AndTheCommandIsPid2) {
  auto r = run_sh({"--proc", "/proc"}, "cat /proc/1/comm; echo $$");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "nsctl-init\n2\n");
  // (Not the script's last command, which the shell would exec in its own place.)
  r = run_sh({"--proc", "/proc", "--as-pid-1"}, "echo $$; cat /proc/1/comm; true");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "1\nsh\n");
}

// The command's child double-forks: the grandchild (a sleep) is orphaned, reparented to PID 1
// (nsctl-init), and when it exits, init must reap it: no zombie is left in the sandbox.
TEST_F(Run, InitReapsOrphans) {
  auto r = run_sh({"--proc", "/proc", "--dev", "/dev"},
                  "o=$(sh -c 'sleep 0.5 >/dev/null 2>&1 & echo $!')\n"
                  "read -r pid comm state ppid rest < /proc/$o/stat\n"
                  "echo \"$o $state $ppid\"\n"
                  // A zombie keeps its /proc entry: this waits for the reaping, up to 5 s.
                  "i=0; while [ -e /proc/$o ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done\n"
                  "echo '== after =='\n"
                  "cat /proc/[0-9]*/stat; true\n");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto s = sections(r.out);
  std::istringstream first(s[""]);
  std::string orphan, state, ppid;
  first >> orphan >> state >> ppid;
  ASSERT_FALSE(orphan.empty()) << describe(r);
  EXPECT_EQ(ppid, "1") << "the orphan was not reparented to init: " << describe(r);
  int processes = 0;
  for (const auto& l : lines(s["after"])) {
    auto paren = l.rfind(')');
    ASSERT_NE(paren, std::string::npos) << l;
    std::string pid = l.substr(0, l.find(' '));
    char st = paren + 2 < l.size() ? l[paren + 2] : '?';
    EXPECT_NE(st, 'Z') << "zombie in the sandbox: " << l;
    EXPECT_NE(pid, orphan) << "the orphan is still there: " << l;
    ++processes;
  }
  // (The glob is expanded before cat starts.)
  EXPECT_EQ(processes, 2) << "expected init and sh: " << s["after"];
}

// --- Namespaces ---

const char* const kNsEntries[] = {"mnt", "net", "ipc", "uts", "pid", "user", "cgroup", "time"};

std::string readlink_script() {
  std::string script = "for n in";
  for (const char* e : kNsEntries) script += std::string(" ") + e;
  return script + "; do readlink /proc/self/ns/$n; done";
}

std::set<std::string> changed_namespaces(const std::string& out) {
  std::set<std::string> changed;
  auto l = lines(out);
  for (std::size_t i = 0; i < std::size(kNsEntries); ++i) {
    std::string mine = test::ns_inode(::getpid(), kNsEntries[i]) == 0
                           ? ""
                           : std::to_string(test::ns_inode(::getpid(), kNsEntries[i]));
    if (i >= l.size() || l[i].find("[" + mine + "]") == std::string::npos)
      changed.insert(kNsEntries[i]);
  }
  return changed;
}

TEST_F(Run, EveryNamespaceIsNewUnlessShared) {
  const std::set<std::string> all(std::begin(kNsEntries), std::end(kNsEntries));
  auto minus = [&](std::set<std::string> s, std::initializer_list<const char*> gone) {
    for (const char* g : gone) s.erase(g);
    return s;
  };
  struct Case {
    std::vector<std::string> opts;
    std::set<std::string> changed;
  };
  const Case cases[] = {
      {{}, minus(all, {"user"})},  // real root gets no user namespace by default
      {{"--userns"}, all},
      {{"--share=net,ipc"}, minus(all, {"user", "net", "ipc"})},
      {{"--share-uts", "--share-cgroup", "--share-time"},
       minus(all, {"user", "uts", "cgroup", "time"})},
      {{"--share-pid"}, minus(all, {"user", "pid"})},
  };
  for (const auto& c : cases) {
    auto opts = c.opts;
    opts.insert(opts.end(), {"--proc", "/proc"});
    auto r = run_sh(opts, readlink_script());
    ASSERT_EQ(r.exit_code, 0) << ::testing::PrintToString(c.opts) << describe(r);
    EXPECT_EQ(changed_namespaces(r.out), c.changed) << ::testing::PrintToString(c.opts) << "\n"
                                                    << r.out;
  }
  // A shared mount namespace: no root, no mounts; the host's /proc shows the command.
  auto r = run_command(nsctl_run({"--share-mnt"}, {"/bin/sh", "-c", readlink_script()}));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(changed_namespaces(r.out), minus(all, {"user", "mnt"})) << r.out;
}

// --- Identity ---

TEST_F(Run, HostnameAndDomainname) {
  char host_before[256] = {};
  ::gethostname(host_before, sizeof host_before - 1);
  auto r = run_sh({"--hostname", "sbx-host", "--domainname", "sbx-domain", "--proc", "/proc"},
                  "hostname; cat /proc/sys/kernel/domainname");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "sbx-host\nsbx-domain\n");
  char host_after[256] = {};
  ::gethostname(host_after, sizeof host_after - 1);
  EXPECT_STREQ(host_before, host_after);
}

TEST_F(Run, UidGidAndGroupsAsRoot) {
  auto r = run_sh({"--uid", "1000", "--gid", "1001", "--groups", "10,20", "--proc", "/proc"},
                  "id -u; id -g; grep -E '^(Uid|Gid|Groups):' /proc/self/status");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(squeeze(r.out),
            "1000\n1001\nUid: 1000 1000 1000 1000\nGid: 1001 1001 1001 1001\nGroups: 10 20\n");
}

// --- Privileges ---

const char* const kCapsScript =
    "grep -E '^(Cap|NoNewPrivs|Seccomp)' /proc/self/status\n"
    "echo '== chown =='\n"
    "touch /tmp/f; chown 1 /tmp/f 2>&1; echo \"chown $?\"\n";

TEST_F(Run, DefaultDropsEveryCapabilityAndSetsNoNewPrivsAndSeccomp) {
  auto r = run_sh({"--proc", "/proc", "--tmpfs", "/tmp"}, kCapsScript);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto s = sections(r.out);
  auto f = status_fields(s[""]);
  for (const char* cap : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
    EXPECT_EQ(f[cap], "0000000000000000") << cap;
  EXPECT_EQ(f["NoNewPrivs"], "1");
  EXPECT_EQ(f["Seccomp"], "2");
  EXPECT_NE(s["chown"].find("Operation not permitted\nchown 1\n"), std::string::npos) << s["chown"];
}

TEST_F(Run, CapAddKeepsExactlyThoseCapabilities) {
  // CAP_CHOWN is bit 0, CAP_NET_RAW bit 13.
  const std::string kept = "0000000000002001";
  for (const char* uid : {"0", "1000"}) {
    auto r =
        run_sh({"--cap-add", "CHOWN,NET_RAW", "--uid", uid, "--proc", "/proc", "--tmpfs", "/tmp"},
               kCapsScript);
    ASSERT_EQ(r.exit_code, 0) << uid << ": " << describe(r);
    auto s = sections(r.out);
    auto f = status_fields(s[""]);
    for (const char* cap : {"CapPrm", "CapEff", "CapBnd"}) EXPECT_EQ(f[cap], kept) << uid << cap;
    // A non-root command keeps them across exec through the ambient set (for root, see
    // AmbientSetOnlyForANonRootUid).
    if (uid != std::string("0")) {
      EXPECT_EQ(f["CapAmb"], kept);
    }
    EXPECT_EQ(f["NoNewPrivs"], "1") << uid;
    EXPECT_EQ(s["chown"], "chown 0\n") << uid;
  }
}

// The ambient set is documented (sandbox.hpp, SandboxProcess::capabilities) and written by
// --print-config as holding the kept capabilities only for a non-root uid: for uid 0 the
// sandbox must show what the document says.
TEST_F(Run, AmbientSetOnlyForANonRootUid) {
  auto config = run_command(in_root({"--cap-add", "NET_RAW", "--print-config"}, {"true"}));
  ASSERT_EQ(config.exit_code, 0) << describe(config);
  auto j = nlohmann::json::parse(config.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << config.out;
  EXPECT_EQ(j["process"]["capabilities"]["ambient"], nlohmann::json::array());
  auto r = run_sh({"--cap-add", "NET_RAW", "--proc", "/proc"}, "grep CapAmb /proc/self/status");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "CapAmb:\t0000000000000000\n")
      << "uid 0 got ambient capabilities that its --print-config document does not list";
}

// The default filter denies unshare with EPERM. Creating a user namespace needs no capability,
// so with --no-seccomp (and nothing else changed) the same command succeeds: the difference
// is the filter's alone.
TEST_F(Run, DefaultSeccompDeniesWithEpermAndNoSeccompLiftsIt) {
  const std::string script =
      "grep '^Seccomp:' /proc/self/status; unshare -U true 2>&1; echo \"unshare $?\"";
  auto r = run_sh({"--proc", "/proc"}, script);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(squeeze(r.out),
            "Seccomp: 2\nunshare: unshare(0x10000000): Operation not permitted\nunshare 1\n");
  r = run_sh({"--proc", "/proc", "--no-seccomp"}, script);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(squeeze(r.out), "Seccomp: 0\nunshare 0\n");
}

TEST_F(Run, SeccompProfileFileReplacesTheDefault) {
  std::string profile = root_->path() + ".seccomp.json";
  ASSERT_TRUE(write_file(profile,
                         R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
                              {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                               "errnoRet": 13}]})"));
  auto r = run_sh({"--seccomp", profile, "--tmpfs", "/tmp"},
                  "mkdir /tmp/d 2>&1; echo \"mkdir $?\"; unshare -U true; echo \"unshare $?\"");
  ::unlink(profile.c_str());
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out,
            "mkdir: can't create directory '/tmp/d': Permission denied\nmkdir 1\nunshare 0\n");
}

// --- Signals and exit status ---

TEST_F(Run, ForwardedSignalsReachTheCommand) {
  const std::pair<const char*, int> kSignals[] = {{"INT", SIGINT},   {"TERM", SIGTERM},
                                                  {"HUP", SIGHUP},   {"QUIT", SIGQUIT},
                                                  {"USR1", SIGUSR1}, {"USR2", SIGUSR2}};
  for (const auto& [name, sig] : kSignals) {
    // (--dev: without /dev/null for its stdin the background sleep fails, and `wait` returns.)
    Started nsctl(
        in_root({"--dev", "/dev"}, sh(std::string("trap 'echo got-") + name + "; exit 40' " + name +
                                      "; echo ready; sleep 30 & wait")));
    ASSERT_TRUE(nsctl);
    auto ready = nsctl.line();
    ASSERT_EQ(ready, std::optional<std::string>("ready")) << name << describe(nsctl.wait());
    ASSERT_EQ(::kill(nsctl.pid(), sig), 0);
    auto r = nsctl.wait(10000ms);
    EXPECT_EQ(r.exit_code, 40) << name << ": " << describe(r);
    EXPECT_EQ(r.out, std::string("ready\ngot-") + name + "\n") << name;
  }
}

// SIGKILL to nsctl: the command dies too. The test holds pidfds of the sandbox's init and of the
// command (found through /proc/PID/task/PID/children) and, as a child subreaper, reaps the
// init that nsctl's death hands to it.
TEST_F(Run, SigkillToNsctlKillsTheSandbox) {
  NSCTL_EXPECT_CHILD_OK([&] {
    CHILD_CHECK(::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0, "subreaper");
    int init_fd = -1, cmd_fd = -1;
    {
      Started nsctl(in_root({}, sh("echo ready; exec sleep 100")));
      CHILD_CHECK(nsctl && nsctl.line() == std::optional<std::string>("ready"), "did not start");
      pid_t init = wait_for_child(nsctl.pid());
      CHILD_CHECK(init > 0, "no init");
      pid_t cmd = wait_for_child(init);
      CHILD_CHECK(cmd > 0, "no command");
      init_fd = static_cast<int>(::syscall(SYS_pidfd_open, init, 0));
      cmd_fd = static_cast<int>(::syscall(SYS_pidfd_open, cmd, 0));
      CHILD_CHECK(init_fd >= 0 && cmd_fd >= 0, "pidfd_open: %s", std::strerror(errno));
      CHILD_CHECK(::kill(nsctl.pid(), SIGKILL) == 0, "kill nsctl");
      auto r = nsctl.wait();
      CHILD_CHECK(r.signal == SIGKILL, "%s", describe(r).c_str());
    }
    pollfd p[2] = {{init_fd, POLLIN, 0}, {cmd_fd, POLLIN, 0}};
    auto end = std::chrono::steady_clock::now() + 5s;
    while ((!(p[0].revents & POLLIN) || !(p[1].revents & POLLIN)) &&
           std::chrono::steady_clock::now() < end) {
      for (auto& x : p) x.revents = 0;
      ::poll(p, 2, 100);
    }
    bool init_gone = p[0].revents & POLLIN, cmd_gone = p[1].revents & POLLIN;
    if (!cmd_gone) ::syscall(SYS_pidfd_send_signal, cmd_fd, SIGKILL, nullptr, 0);
    if (!init_gone) ::syscall(SYS_pidfd_send_signal, init_fd, SIGKILL, nullptr, 0);
    // Reap what came to us (the orphaned init), until nothing is left.
    for (auto limit = std::chrono::steady_clock::now() + 5s;;) {
      siginfo_t si{};
      if (::waitid(P_ALL, 0, &si, WEXITED | WNOHANG) != 0) break;  // ECHILD: all reaped
      if (si.si_pid == 0) {
        CHILD_CHECK(std::chrono::steady_clock::now() < limit, "a child of ours does not end");
        std::this_thread::sleep_for(10ms);
      }
    }
    ::close(init_fd);
    ::close(cmd_fd);
    CHILD_CHECK(cmd_gone, "the command outlived nsctl by 5 s");
    CHILD_CHECK(init_gone, "the sandbox's init outlived nsctl by 5 s");
    return 0;
  });
}

TEST_F(Run, ExitStatusIsTheCommands) {
  auto r = run_sh({}, "exit 7");
  EXPECT_EQ(r.exit_code, 7) << describe(r);
  r = run_sh({}, "kill -9 $$");
  EXPECT_EQ(r.exit_code, 137) << describe(r);
  r = run_sh({}, "kill -TERM $$");
  EXPECT_EQ(r.exit_code, 143) << describe(r);
  // As PID 1 the shell is immune to signals it has no handler for, from inside.
  r = run_sh({"--as-pid-1"}, "kill -9 $$; echo survived");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "survived\n");
}

TEST_F(Run, CommandHoldsOnlyFdsZeroOneTwo) {
  // An fd nsctl inherits without close-on-exec (a careless caller's) must not reach the
  // sandbox, with nsctl's init in between or without it.
  int leaked = ::open("/dev/null", O_RDONLY);  // deliberately no O_CLOEXEC
  ASSERT_GE(leaked, 3);
  for (const std::vector<std::string>& opts : std::vector<std::vector<std::string>>{
           {"--proc", "/proc"}, {"--proc", "/proc", "--as-pid-1"}}) {
    // Not the last command, so that sh forks for ls and lists its own fds, not ls's.
    auto r = run_sh(opts, "ls /proc/$$/fd; true");
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, "0\n1\n2\n") << describe(r);
  }
  ::close(leaked);
}

TEST_F(Run, SetupAndExecFailuresExit125To127) {
  struct Case {
    std::vector<std::string> argv;
    int code;
    std::string message;
  };
  const Case cases[] = {
      {nsctl_run({"--root", "/nonexistent-nsctl-root"}, {"true"}), 125,
       "nsctl: run: root /nonexistent-nsctl-root: No such file or directory\n"},
      {in_root({"--bind", "/nonexistent-nsctl-src", "/mnt/x"}, {"true"}), 125,
       "nsctl: run: bind /nonexistent-nsctl-src on " + root() +
           "/mnt/x: No such file or directory\n"},
      {in_root({"--chdir", "/nonexistent"}, {"true"}), 125,
       "nsctl: run: chdir /nonexistent: No such file or directory\n"},
      {in_root({}, {"no-such-command"}), 127,
       "nsctl: run: exec no-such-command: No such file or directory\n"},
      {in_root({}, {"/etc/passwd"}), 126, "nsctl: run: exec /etc/passwd: Permission denied\n"},
  };
  for (const auto& c : cases) {
    auto r = run_command(c.argv);
    EXPECT_EQ(r.exit_code, c.code) << ::testing::PrintToString(c.argv) << describe(r);
    EXPECT_EQ(r.err, c.message) << ::testing::PrintToString(c.argv);
    EXPECT_EQ(r.out, "");
  }
}

// --- Rootless ---

TEST_F(Run, RootlessRunsThroughAUserNamespace) {
  const std::vector<std::string> nobody = {"setpriv", "--reuid=65534", "--regid=65534",
                                           "--clear-groups"};
  auto as_nobody = [&](const std::vector<std::string>& opts, const std::string& script) {
    auto argv = in_root(opts, sh(script));
    argv.insert(argv.begin(), nobody.begin(), nobody.end());
    return run_command(argv);
  };
  auto r = as_nobody({"--proc", "/proc"},
                     "id -u; id -g; cat /etc/nsctl-test-root; cat /proc/self/uid_map "
                     "/proc/self/gid_map");
  if (r.exit_code != 0 && r.err.find("Permission denied") != std::string::npos &&
      r.err.find("nsctl") == std::string::npos)
    GTEST_SKIP() << "nobody cannot run the test binary: " << r.err;
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(squeeze(r.out), "0\n0\n" + root_->marker_text() + "0 65534 1\n0 65534 1\n");
  r = as_nobody({"--uid", "1000", "--gid", "1000"}, "id -u; id -g");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "1000\n1000\n");
  // And the user namespace is a new one.
  r = as_nobody({"--proc", "/proc"}, readlink_script());
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(changed_namespaces(r.out).count("user"), 1u) << r.out;
}

// --- Configuration ---

// A config file and the flags that mean the same: the same --print-config document, and the
// same sandbox as an inspection command sees it.
TEST_F(Run, ConfigFileAndEquivalentFlagsGiveTheSameSandbox) {
  const std::string inspect =
      "hostname; pwd; env | sort\n"
      "grep -E '^(Cap|NoNewPrivs|Seccomp|Uid|Gid|Groups)' /proc/self/status\n"
      "grep -E '^Max (open files|processes)' /proc/self/limits\n"
      "cut -d: -f2- /proc/self/cgroup | sort\n"
      "awk '{ for (i = 7; $i != \"-\"; i++); print $5, $6, $(i + 1) }' /proc/self/mountinfo\n";
  nlohmann::json config = {
      {"process",
       {{"args", {"sh", "-c", inspect}},
        {"env",
         {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
          "TERM=dumb", "GREETING=hello"}},
        {"cwd", "/tmp"},
        {"user", {{"uid", 0}, {"gid", 0}, {"additionalGids", {10}}}},
        {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"soft", 100}, {"hard", 200}}}},
        {"capabilities", {{"bounding", {"CAP_NET_RAW"}}}}}},
      {"root", {{"path", root()}, {"readonly", true}}},
      {"mounts",
       {{{"destination", "/tmp"},
         {"type", "tmpfs"},
         {"source", "tmpfs"},
         {"options", {"nosuid", "nodev"}}},
        {{"destination", "/proc"},
         {"type", "proc"},
         {"source", "proc"},
         {"options", {"nosuid", "nodev", "noexec"}}}}},
      {"hostname", "cfg-host"},
      {"linux",
       {{"namespaces",
         {{{"type", "pid"}},
          {{"type", "network"}},
          {{"type", "mount"}},
          {{"type", "ipc"}},
          {{"type", "uts"}},
          {{"type", "cgroup"}},
          {{"type", "time"}}}},
        {"resources", {{"pids", {{"limit", 30}}}}}}}};
  std::string file = root_->path() + ".config.json";
  ASSERT_TRUE(write_file(file, config.dump(2)));
  const std::vector<std::string> flags = {
      "--root",   root(),           "--ro",      "--tmpfs",  "/tmp",       "--proc",   "/proc",
      "--chdir",  "/tmp",           "--setenv",  "GREETING", "hello",      "--groups", "10",
      "--rlimit", "NOFILE=100:200", "--cap-add", "NET_RAW",  "--hostname", "cfg-host", "--pids",
      "30"};
  const std::vector<std::string> env = {"TERM=dumb"};
  auto with_flags = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {NSCTL_BINARY, "run"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.insert(argv.end(), {"--", "sh", "-c", inspect});
    Started s(argv, env);
    return s.wait();
  };
  auto with_config = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {NSCTL_BINARY, "run", "--config", file};
    argv.insert(argv.end(), extra.begin(), extra.end());
    Started s(argv, env);
    return s.wait();
  };
  auto a = with_flags({"--print-config"}), b = with_config({"--print-config"});
  ASSERT_EQ(a.exit_code, 0) << describe(a);
  ASSERT_EQ(b.exit_code, 0) << describe(b);
  auto ja = nlohmann::json::parse(a.out, nullptr, false);
  auto jb = nlohmann::json::parse(b.out, nullptr, false);
  EXPECT_FALSE(ja.is_discarded()) << a.out;
  EXPECT_EQ(ja, jb) << "flags:\n" << a.out << "\nconfig:\n" << b.out;
  a = with_flags({});
  b = with_config({});
  ::unlink(file.c_str());
  ASSERT_EQ(a.exit_code, 0) << describe(a);
  ASSERT_EQ(b.exit_code, 0) << describe(b);
  EXPECT_EQ(a.out, b.out);
  // And the inspection saw what was asked for.
  EXPECT_EQ(a.out.rfind("cfg-host\n/tmp\nGREETING=hello\nHOME=/root\n", 0), 0u) << a.out;
  EXPECT_NE(a.out.find("CapEff:\t0000000000002000\n"), std::string::npos) << a.out;
  EXPECT_NE(squeeze(a.out).find("Groups: 10\n"), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("\n/ ro,"), std::string::npos) << a.out;
  EXPECT_NE(squeeze(a.out).find("Max open files 100 200 files"), std::string::npos) << a.out;
}

// --- Environment and time ---

TEST_F(Run, EnvironmentHoldsOnlyPathHomeTermAndWhatIsSet) {
  const std::vector<std::string> env = {"TERM=xterm-nsctl", "NSCTL_LEAK=1"};
  auto sorted = [](const std::string& out) {
    std::set<std::string> s;
    for (const auto& l : lines(out)) s.insert(l);
    return s;
  };
  const std::string path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  Started plain(in_root({}, {"env"}), env);
  auto r = plain.wait();
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(sorted(r.out), (std::set<std::string>{path, "HOME=/root", "TERM=xterm-nsctl"}));
  Started set(in_root({"--setenv", "FOO", "a b", "--unsetenv", "TERM"}, {"env"}), env);
  r = set.wait();
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(sorted(r.out), (std::set<std::string>{path, "HOME=/root", "FOO=a b"}));
  Started keep(in_root({"--keep-env"}, {"env"}), env);
  r = keep.wait();
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(sorted(r.out).count("NSCTL_LEAK=1")) << r.out;
}

// The first field of /proc/uptime ("12845.54 ...") in hundredths of a second, exactly.
long long uptime_centis(const std::string& text) {
  std::size_t dot = text.find('.');
  if (dot == std::string::npos || dot + 3 > text.size()) return -1;
  return std::atoll(text.substr(0, dot).c_str()) * 100 +
         std::atoll(text.substr(dot + 1, 2).c_str());
}

TEST_F(Run, TimeOffsetMovesBoottimeAndMonotonic) {
  long long host_before = uptime_centis(read_text("/proc/uptime"));
  auto r = run_sh({"--proc", "/proc", "--time-offset", "monotonic=1000,boottime=86400"},
                  "cat /proc/uptime /proc/self/timens_offsets");
  long long host_after = uptime_centis(read_text("/proc/uptime"));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto l = lines(r.out);
  ASSERT_EQ(l.size(), 3u) << r.out;
  long long inside = uptime_centis(l[0]);
  EXPECT_GE(inside, host_before + 8640000) << r.out;
  EXPECT_LE(inside, host_after + 8640000) << r.out;
  EXPECT_EQ(squeeze(l[1] + "\n" + l[2]), "monotonic 1000 0\nboottime 86400 0\n");
}

}  // namespace
}  // namespace nsctl::run_e2e
