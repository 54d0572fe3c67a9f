// nsctl run's options: the exact SandboxSpec each gives, --config layering, the value parsers
// (sizes, CPUs, rlimits, veth networks) and the error messages.
#include "run_args.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "privilege/capabilities.hpp"
#include "privilege/credentials.hpp"
#include "privilege/seccomp.hpp"
#include "sandbox/sandbox_config.hpp"

namespace nsctl::cli {
namespace {

RunParse parse(std::vector<std::string> words, uid_t euid = 1000, const char* term = "xterm") {
  words.insert(words.begin(), "run");
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  return parse_run_args(static_cast<int>(words.size()), argv.data(), euid, term);
}

SandboxSpec spec_of(std::vector<std::string> words, uid_t euid = 1000) {
  auto r = parse(words, euid);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? r->spec : SandboxSpec{};
}

// A value error: exit 125, no "Try --help".
std::string value_error(std::vector<std::string> words, uid_t euid = 1000) {
  auto r = parse(std::move(words), euid);
  if (r) return "<accepted>";
  EXPECT_FALSE(r.error().usage) << r.error().message;
  EXPECT_EQ(r.error().exit_code, kSetupFailedExit);
  return r.error().message;
}

// A usage error: exit 2 with "Try --help".
std::string usage_error_of(std::vector<std::string> words) {
  auto r = parse(std::move(words));
  if (r) return "<accepted>";
  EXPECT_TRUE(r.error().usage) << r.error().message;
  return r.error().message;
}

SandboxSpec defaults(std::vector<std::string> args = {"sh"}, uid_t euid = 1000) {
  SandboxSpec s = default_sandbox(euid, "xterm");
  s.process.args = std::move(args);
  return s;
}

NsTypeSet all_but(std::initializer_list<NsType> shared) {
  NsTypeSet out;
  for (const auto& t : ns_types())
    if (std::find(shared.begin(), shared.end(), t.type) == shared.end()) out.insert(t.type);
  return out;
}

std::string cwd() {
  char buf[4096];
  return ::getcwd(buf, sizeof buf) ? buf : "";
}

// ---- the command, help, print-config ----------------------------------------------------

TEST(RunArgs, NoOptionsGiveTheDefaultsAndTheCommand) {
  EXPECT_EQ(spec_of({"sh", "-c", "echo hi"}), defaults({"sh", "-c", "echo hi"}));
  EXPECT_EQ(spec_of({"sh"}, 0), defaults({"sh"}, 0));
  auto r = parse({"sh"}, 1000, nullptr);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->spec.process.env.size(), 2u);  // no TERM
  EXPECT_FALSE(r->print_config);
  EXPECT_FALSE(r->help);
  EXPECT_TRUE(spec_of({}).process.args.empty());
}

TEST(RunArgs, OptionsEndAtTheCommandOrAfterDoubleDash) {
  EXPECT_EQ(spec_of({"sh", "--bind", "/a", "/b"}).process.args,
            (std::vector<std::string>{"sh", "--bind", "/a", "/b"}));
  EXPECT_EQ(spec_of({"--", "--weird-name", "-x"}).process.args,
            (std::vector<std::string>{"--weird-name", "-x"}));
  EXPECT_EQ(spec_of({"--as-pid-1", "--", "sh"}).process.args, (std::vector<std::string>{"sh"}));
}

TEST(RunArgs, HelpAndPrintConfig) {
  for (const char* h : {"-h", "--help", "--he"}) {
    auto r = parse({"--memory", "lots", h});  // help wins: values are checked later
    ASSERT_TRUE(r) << h;
    EXPECT_TRUE(r->help);
  }
  auto r = parse({"--print-config", "--", "sh"});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->print_config);
  EXPECT_EQ(r->spec, defaults());
}

// ---- namespaces and identity -------------------------------------------------------------

TEST(RunArgs, ShareOptions) {
  EXPECT_EQ(spec_of({"--share-net", "sh"}).linux_.namespaces, all_but({NsType::net}));
  EXPECT_EQ(spec_of({"--share-mnt", "--share-ipc", "--share-uts", "--share-pid", "--share-cgroup",
                     "--share-user", "--share-time", "sh"})
                .linux_.namespaces,
            all_but({NsType::mnt, NsType::ipc, NsType::uts, NsType::pid, NsType::cgroup,
                     NsType::user, NsType::time}));
  EXPECT_EQ(spec_of({"--share=net,ipc", "sh"}).linux_.namespaces,
            all_but({NsType::net, NsType::ipc}));
  EXPECT_EQ(spec_of({"--share", "all", "sh"}).linux_.namespaces, NsTypeSet());
  NsTypeSet only_user;
  only_user.insert(NsType::user);
  EXPECT_EQ(spec_of({"--share=all", "--userns", "sh"}, 0).linux_.namespaces, only_user);
  EXPECT_EQ(value_error({"--share=net,bogus", "sh"}),
            "--share: unknown namespace 'bogus' (mnt, net, ipc, uts, pid, cgroup, user, time or "
            "all)");
  EXPECT_EQ(value_error({"--share=", "sh"}),
            "--share: unknown namespace '' (mnt, net, ipc, uts, pid, cgroup, user, time or all)");
}

TEST(RunArgs, UsernsAddsAUserNamespaceForRoot) {
  EXPECT_FALSE(spec_of({"sh"}, 0).linux_.namespaces.contains(NsType::user));
  EXPECT_EQ(spec_of({"--userns", "sh"}, 0).linux_.namespaces, NsTypeSet::all());
}

TEST(RunArgs, UidGidGroupsAndHome) {
  SandboxSpec want = defaults();
  want.process.uid = 1000;
  want.process.gid = 100;
  want.process.additional_gids = {5, 6, 7};
  want.process.env[1] = "HOME=/";
  EXPECT_EQ(spec_of({"--uid", "1000", "--gid=100", "--groups", "5,6", "--groups", "7", "sh"}),
            want);
  // A HOME the user set stays.
  EXPECT_EQ(
      spec_of({"--setenv", "HOME", "/h", "--uid", "5", "sh"}).process.env,
      (std::vector<std::string>{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                "HOME=/h", "TERM=xterm"}));
  EXPECT_EQ(value_error({"--uid", "root", "sh"}), "--uid: invalid id 'root'");
  EXPECT_EQ(value_error({"--gid", "-1", "sh"}), "--gid: invalid id '-1'");
  EXPECT_EQ(value_error({"--uid", "4294967295", "sh"}), "--uid: invalid id '4294967295'");
  EXPECT_EQ(value_error({"--groups", "5,,6", "sh"}), "--groups: invalid group id ''");
  EXPECT_EQ(value_error({"--groups", "wheel", "sh"}), "--groups: invalid group id 'wheel'");
}

TEST(RunArgs, MapsAppendAndAskForAUserNamespace) {
  SandboxSpec s = spec_of({"--map-users", "0:100000:65536", "--map-users=65536:1000:1",
                           "--map-groups", "0:100000:10", "sh"},
                          0);
  EXPECT_EQ(s.linux_.uid_mappings, (IdMap{{0, 100000, 65536}, {65536, 1000, 1}}));
  EXPECT_EQ(s.linux_.gid_mappings, (IdMap{{0, 100000, 10}}));
  EXPECT_TRUE(s.linux_.namespaces.contains(NsType::user));
  EXPECT_EQ(value_error({"--map-users", "0:1", "sh"}), "--map-users: invalid mapping '0:1'");
  EXPECT_EQ(value_error({"--map-groups", "a:b:c", "sh"}), "--map-groups: invalid mapping 'a:b:c'");
}

TEST(RunArgs, HostnameDomainnameAndProcessOptions) {
  SandboxSpec want = defaults();
  want.hostname = "box";
  want.domainname = "example.org";
  want.nsctl.as_pid_1 = true;
  want.nsctl.die_with_parent = false;
  want.process.cwd = "/tmp";
  EXPECT_EQ(spec_of({"--hostname", "box", "--domainname", "example.org", "--as-pid-1",
                     "--no-die-with-parent", "--chdir", "/tmp", "sh"}),
            want);
  EXPECT_EQ(value_error({"--hostname", "", "sh"}), "--hostname: empty name");
  EXPECT_EQ(value_error({"--chdir", "tmp", "sh"}),
            "--chdir: 'tmp' is not an absolute path (it is a path in the sandbox)");
}

// ---- filesystem --------------------------------------------------------------------------

TEST(RunArgs, MountsInOrderWithTheirOciShape) {
  SandboxSpec s =
      spec_of({"--root", "/srv/root", "--ro",    "--bind", "/a",     "/b",      "--ro-bind",
               "/etc",   "/etc",      "--tmpfs", "/tmp",   "--proc", "/proc",   "--dev",
               "/dev",   "--overlay", "/l1:/l2", "/up",    "/work",  "/merged", "sh"});
  EXPECT_EQ(s.root, (SandboxRoot{"/srv/root", true}));
  EXPECT_EQ(
      s.mounts,
      (std::vector<SandboxMount>{
          {"/b", "bind", "/a", {"rbind"}},
          {"/etc", "bind", "/etc", {"rbind", "ro"}},
          {"/tmp", "tmpfs", "tmpfs", {"nosuid", "nodev"}},
          {"/proc", "proc", "proc", {"nosuid", "nodev", "noexec"}},
          {"/dev", std::string(kMinimalDevType), "tmpfs", {}},
          {"/merged", "overlay", "overlay", {"lowerdir=/l1:/l2", "upperdir=/up", "workdir=/work"}},
      }));
  SandboxSpec want = defaults();
  want.root = s.root;
  want.mounts = s.mounts;
  EXPECT_EQ(s, want);
}

TEST(RunArgs, RelativeSourcesAreTakenFromTheCurrentDirectory) {
  std::string here = cwd();
  ASSERT_FALSE(here.empty());
  SandboxSpec s = spec_of({"--bind", "data", "/data", "--root", "./rootfs", "--overlay", "lo:/l2",
                           "up", "wk", "/o", "sh"});
  EXPECT_EQ(s.mounts[0].source, here + "/data");
  EXPECT_EQ(s.root.path, here + "/./rootfs");
  EXPECT_EQ(s.mounts[1].options,
            (std::vector<std::string>{"lowerdir=" + here + "/lo:/l2", "upperdir=" + here + "/up",
                                      "workdir=" + here + "/wk"}));
}

TEST(RunArgs, DestinationsMustBeAbsolute) {
  EXPECT_EQ(value_error({"--bind", "/a", "b", "sh"}),
            "--bind: destination 'b' must be an absolute path");
  EXPECT_EQ(value_error({"--tmpfs", "tmp", "sh"}),
            "--tmpfs: destination 'tmp' must be an absolute path");
  EXPECT_EQ(value_error({"--proc", "", "sh"}), "--proc: destination '' must be an absolute path");
  EXPECT_EQ(value_error({"--bind", "", "/b", "sh"}), "--bind: source '': empty path");
  EXPECT_EQ(value_error({"--overlay", "/a::/b", "/u", "/w", "/o", "sh"}),
            "--overlay: source '': empty path");
}

TEST(RunArgs, OptionsWithSeveralArguments) {
  EXPECT_EQ(usage_error_of({"--bind", "/a"}), "option '--bind' requires 2 arguments");
  EXPECT_EQ(usage_error_of({"--ro-bind=/a"}), "option '--ro-bind' requires 2 arguments");
  EXPECT_EQ(usage_error_of({"--overlay", "/l", "/u", "/w"}),
            "option '--overlay' requires 4 arguments");
  EXPECT_EQ(usage_error_of({"--setenv", "A"}), "option '--setenv' requires 2 arguments");
  EXPECT_EQ(usage_error_of({"--bind"}), "option '--bind' requires an argument");
  // The second argument is taken as it is, even when it looks like an option.
  EXPECT_EQ(spec_of({"--setenv", "A", "--as-pid-1", "sh"}).process.env.back(), "A=--as-pid-1");
  EXPECT_EQ(spec_of({"--bin", "/a", "/b", "sh"}).mounts.size(), 1u);  // abbreviated
}

TEST(RunArgs, UnknownOptionsAndMissingArguments) {
  EXPECT_EQ(usage_error_of({"--bogus", "sh"}), "unrecognized option '--bogus'");
  EXPECT_EQ(usage_error_of({"-x", "sh"}), "invalid option -- 'x'");
  EXPECT_EQ(usage_error_of({"--memory"}), "option '--memory' requires an argument");
  EXPECT_EQ(usage_error_of({"--as-pid-1=yes", "sh"}),
            "option '--as-pid-1' doesn't allow an argument");
  // Ambiguous: not silently the first of --share-mnt, --share-net, ...
  EXPECT_NE(usage_error_of({"--share-", "sh"}), "<accepted>");
  EXPECT_EQ(spec_of({"--share-n", "sh"}).linux_.namespaces, all_but({NsType::net}));
  EXPECT_EQ(usage_error_of({"--\x1b[2J", "sh"}), "unrecognized option '--\\x1b[2J'");
}

// ---- network -----------------------------------------------------------------------------

TEST(RunArgs, VethDefaultsFromThePid) {
  SandboxSpec s = spec_of({"--veth", "sh"});
  ASSERT_TRUE(s.nsctl.veth);
  EXPECT_EQ(*s.nsctl.veth, default_veth(::getpid()));
  EXPECT_EQ(default_veth(1), (SandboxVeth{"nsctl1", "eth0", 0x0ac80005, 0x0ac80006, 30}));
  EXPECT_EQ(default_veth(0), (SandboxVeth{"nsctl0", "eth0", 0x0ac80001, 0x0ac80002, 30}));
  // Block 16383 is the last /30 of 10.200.0.0/16; then it wraps.
  EXPECT_EQ(default_veth(16383).host_address, 0x0ac8fffdu);
  EXPECT_EQ(default_veth(16383).sandbox_address, 0x0ac8fffeu);
  EXPECT_EQ(default_veth(16384).host_address, 0x0ac80001u);
  EXPECT_EQ(default_veth(4194304).host_name, "nsctl4194304");
  EXPECT_EQ(ipv4_text(default_veth(12345).host_address), "10.200.192.229");
}

TEST(RunArgs, VethForANetwork) {
  auto v = veth_for_network("192.168.7.0/24", 42);
  ASSERT_TRUE(v) << v.error();
  EXPECT_EQ(*v, (SandboxVeth{"nsctl42", "eth0", 0xc0a80701, 0xc0a80702, 24}));
  v = veth_for_network("10.0.0.4/30", 1);
  ASSERT_TRUE(v);
  EXPECT_EQ(ipv4_text(v->sandbox_address), "10.0.0.6");
  v = veth_for_network("0.0.0.0/1", 1);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->host_address, 1u);
  EXPECT_EQ(veth_for_network("192.168.7.5/24", 1).error(),
            "'192.168.7.5/24' is not a network address (did you mean 192.168.7.0/24?)");
  EXPECT_EQ(veth_for_network("10.0.0.0/31", 1).error(),
            "network '10.0.0.0/31': the prefix must be 1..30 (a /30 is the smallest with two "
            "addresses)");
  EXPECT_EQ(veth_for_network("10.0.0.0/0", 1).error(),
            "network '10.0.0.0/0': the prefix must be 1..30 (a /30 is the smallest with two "
            "addresses)");
  for (const char* bad : {"10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/+8", "10.0.0/8", "/8",
                          "10.0.0.0/8/8", "10.0.0.0/008", "10.0.0.0/-1", "x"})
    EXPECT_EQ(veth_for_network(bad, 1).error(),
              fmt::format("invalid network '{}' (an IPv4 network such as 192.168.7.0/24)", bad));
  SandboxSpec s = spec_of({"--veth=172.16.0.0/12", "sh"});
  EXPECT_EQ(s.nsctl.veth->prefix_len, 12);
  EXPECT_EQ(value_error({"--veth=1.2.3.4/24", "sh"}),
            "--veth: '1.2.3.4/24' is not a network address (did you mean 1.2.3.0/24?)");
}

// ---- limits ------------------------------------------------------------------------------

TEST(RunArgs, Rlimits) {
  SandboxSpec s = spec_of({"--rlimit", "NOFILE=10:20", "--rlimit", "core=unlimited", "--rlimit",
                           "RLIMIT_NPROC=5:infinity", "--rlimit", "nofile=30", "sh"});
  EXPECT_EQ(s.process.rlimits,
            (std::vector<SandboxRlimit>{{RLIMIT_NOFILE, 30, 30},
                                        {RLIMIT_CORE, RLIM_INFINITY, RLIM_INFINITY},
                                        {RLIMIT_NPROC, 5, RLIM_INFINITY}}));
  EXPECT_EQ(value_error({"--rlimit", "FOO=1", "sh"}), "--rlimit: unknown resource 'FOO'");
  EXPECT_EQ(value_error({"--rlimit", "NOFILE", "sh"}),
            "--rlimit: 'NOFILE' is not NAME=SOFT[:HARD]");
  for (const char* bad : {"NOFILE=", "NOFILE=x", "NOFILE=1:", "NOFILE=1:2:3", "NOFILE=-1",
                          "NOFILE=18446744073709551616", "NOFILE=Unlimited"})
    EXPECT_EQ(
        value_error({"--rlimit", bad, "sh"}),
        fmt::format("--rlimit: invalid limit in '{}' (a number, unlimited or infinity)", bad));
  EXPECT_EQ(value_error({"--rlimit", "NOFILE=20:10", "sh"}),
            "--rlimit: the soft limit is above the hard limit in 'NOFILE=20:10'");
  EXPECT_EQ(parse_rlimit_value("18446744073709551615"), RLIM_INFINITY);
  EXPECT_EQ(parse_rlimit_value("0"), 0u);
}

TEST(RunArgs, MemorySizes) {
  const std::pair<const char*, std::int64_t> good[] = {
      {"1", 1},
      {"1048576", 1048576},
      {"64m", 64 << 20},
      {"64M", 64 << 20},
      {"64MiB", 64 << 20},
      {"64mib", 64 << 20},
      {"64MB", 64 << 20},
      {"2k", 2048},
      {"2KiB", 2048},
      {"1g", 1 << 30},
      {"1G", 1 << 30},
      {"3t", 3ll << 40},
      {"100b", 100},
      {"100B", 100},
      {"007k", 7 << 10},
      {"8388607t", 8388607ll << 40},
      {"9223372036854775807", INT64_MAX},
  };
  for (auto [text, bytes] : good) {
    auto v = parse_size(text);
    ASSERT_TRUE(v) << text << ": " << v.error();
    EXPECT_EQ(*v, bytes) << text;
  }
  for (const char* bad : {"", "lots", "m", "1.5g", "-1", "+1", " 1", "1 ", "1x", "1kk", "1ki",
                          "1kib ", "1e3", "0x10", "1Bi", "1iB"})
    EXPECT_EQ(
        parse_size(bad).error(),
        fmt::format("invalid size '{}' (bytes, or a number with k, m, g or t; base 1024)", bad))
        << bad;
  EXPECT_EQ(parse_size("0").error(), "size '0' is zero");
  EXPECT_EQ(parse_size("0k").error(), "size '0k' is zero");
  for (const char* big :
       {"9223372036854775808", "8388608t", "18446744073709551616", "99999999999999999999999g"})
    EXPECT_EQ(parse_size(big).error(), fmt::format("size '{}' is too large", big));
  EXPECT_EQ(spec_of({"--memory", "512m", "sh"}).linux_.resources.memory_bytes, 512 << 20);
  EXPECT_EQ(value_error({"--memory", "lots", "sh"}),
            "--memory: invalid size 'lots' (bytes, or a number with k, m, g or t; base 1024)");
}

TEST(RunArgs, Pids) {
  EXPECT_EQ(spec_of({"--pids", "64", "sh"}).linux_.resources.pids, 64);
  for (const char* bad : {"0", "-1", "x", "", "1.5", "9223372036854775808"})
    EXPECT_EQ(value_error({"--pids", bad, "sh"}),
              fmt::format("--pids: invalid number '{}' (at least 1)", bad));
}

TEST(RunArgs, CpusAsQuotaPerPeriod) {
  const std::pair<const char*, std::int64_t> good[] = {
      {"0.5", 50000},      {"1", 100000},
      {"2", 200000},       {"1.5", 150000},
      {".25", 25000},      {"2.", 200000},
      {"0.00001", 1},      {"0.123450000", 12345},
      {"00001.0", 100000}, {"1048576", 104857600000},
      {"0.01", 1000},
  };
  for (auto [text, quota] : good) {
    auto v = parse_cpus(text);
    ASSERT_TRUE(v) << text << ": " << v.error();
    EXPECT_EQ(*v, quota) << text;
  }
  EXPECT_EQ(parse_cpus("0.123456").error(),
            "invalid number of CPUs '0.123456' (at most 5 decimals: 0.00001 CPU is 1 us per 100 "
            "ms)");
  for (const char* zero : {"0", "0.0", ".00000", "0.000001"})
    EXPECT_TRUE(parse_cpus(zero).error().ends_with("(must be more than 0)") ||
                parse_cpus(zero).error().ends_with("per 100 ms)"))
        << zero;
  for (const char* many : {"1048577", "99999999", "99999999999999999999"})
    EXPECT_EQ(parse_cpus(many).error(),
              fmt::format("invalid number of CPUs '{}' (too many)", many));
  for (const char* bad :
       {"", ".", "-1", "+1", "1,5", "1e2", "0x1", " 1", "1 ", "1.2.3", "inf", "nan", "½"})
    EXPECT_EQ(
        parse_cpus(bad).error(),
        fmt::format("invalid number of CPUs '{}' (a decimal number such as 0.5 or 2)", quoted(bad)))
        << bad;
  auto r = spec_of({"--cpus", "0.5", "sh"}).linux_.resources;
  EXPECT_EQ(r.cpu_quota_us, 50000);
  EXPECT_EQ(r.cpu_period_us, 100000u);
}

// ---- privileges --------------------------------------------------------------------------

TEST(RunArgs, CapAdd) {
  EXPECT_EQ(
      spec_of({"--cap-add", "net_raw,CAP_CHOWN", "--cap-add", "Kill", "sh"}).process.capabilities,
      (1ull << 13) | (1ull << 0) | (1ull << 5));
  std::uint64_t all = 0;
  for (int c = 0; c <= last_capability(); ++c) all |= 1ull << c;
  EXPECT_EQ(spec_of({"--cap-add", "ALL", "sh"}).process.capabilities, all);
  EXPECT_EQ(spec_of({"--cap-add", "all", "sh"}).process.capabilities, all);
  EXPECT_EQ(value_error({"--cap-add", "CAP_CHOWN,CAP_FOO", "sh"}),
            "--cap-add: unknown capability 'CAP_FOO'");
  EXPECT_EQ(value_error({"--cap-add", "", "sh"}), "--cap-add: unknown capability ''");
}

TEST(RunArgs, NoSeccomp) { EXPECT_FALSE(spec_of({"--no-seccomp", "sh"}).linux_.seccomp); }

// ---- environment and time ----------------------------------------------------------------

TEST(RunArgs, EnvironmentInOrder) {
  ::setenv("NSCTL_RUN_ARGS_TEST", "v a=l", 1);
  SandboxSpec s = spec_of({"--keep-env", "sh"});
  EXPECT_NE(std::find(s.process.env.begin(), s.process.env.end(), "NSCTL_RUN_ARGS_TEST=v a=l"),
            s.process.env.end());
  std::size_t n = 0;
  for (char** e = environ; *e; ++e) ++n;
  EXPECT_EQ(s.process.env.size(), n);
  ::unsetenv("NSCTL_RUN_ARGS_TEST");

  s = spec_of({"--setenv", "A", "1", "--setenv", "PATH", "/bin", "--unsetenv", "TERM", "--setenv",
               "A", "2", "--setenv", "E", "", "sh"});
  EXPECT_EQ(s.process.env, (std::vector<std::string>{"PATH=/bin", "HOME=/root", "A=2", "E="}));
  s = spec_of({"--unsetenv", "NOPE", "--unsetenv", "HOME", "--setenv", "HOME", "/x", "sh"});
  EXPECT_EQ(s.process.env.back(), "HOME=/x");
  EXPECT_EQ(value_error({"--setenv", "A=B", "c", "sh"}), "--setenv: invalid variable name 'A=B'");
  EXPECT_EQ(value_error({"--unsetenv", "", "sh"}), "--unsetenv: invalid variable name ''");
}

TEST(RunArgs, TimeOffsets) {
  SandboxSpec s = spec_of({"--time-offset", "monotonic=-100,boottime=+86400", "sh"});
  EXPECT_EQ(s.linux_.monotonic_offset, -100);
  EXPECT_EQ(s.linux_.boottime_offset, 86400);
  s = spec_of({"--time-offset", "boottime=9223372036854775807", "--time-offset",
               "boottime=-9223372036854775808", "sh"});
  EXPECT_EQ(s.linux_.boottime_offset, INT64_MIN);
  for (const char* bad : {"", "monotonic", "monotonic=", "realtime=5", "monotonic=1.5",
                          "monotonic=5,", "boottime=9223372036854775808", "monotonic= 1"})
    EXPECT_EQ(value_error({"--time-offset", bad, "sh"}).substr(0, 30),
              "--time-offset: invalid offset ")
        << bad;
}

TEST(RunArgs, ErrorsEscapeWhatTheUserTyped) {
  EXPECT_EQ(value_error({"--memory", "\x1b[31m", "sh"}).substr(0, 28),
            "--memory: invalid size '\\x1b");
  EXPECT_EQ(value_error({"--share", "n\xc3\xa9t", "sh"}).substr(0, 44),
            "--share: unknown namespace 'n\\xc3\\xa9t' (mnt");
}

// ---- --config ----------------------------------------------------------------------------

class RunArgsConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/nsctl-run-args-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const auto& f : files_) ::unlink(f.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    files_.push_back(path);
    return path;
  }
  std::string dir_;
  std::vector<std::string> files_;
};

TEST_F(RunArgsConfig, TheFileIsReadFirstAndFlagsApplyOnTop) {
  std::string config = write("c.json", R"({
    "process": {"args": ["from-config"], "cwd": "/cfg", "rlimits": [
      {"type": "RLIMIT_NOFILE", "soft": 1, "hard": 2}]},
    "hostname": "cfghost",
    "mounts": [{"destination": "/cfg", "type": "tmpfs", "source": "tmpfs"}],
    "linux": {"namespaces": [{"type": "mount"}, {"type": "uts"}]}
  })");
  // --config after the flags is still read first.
  SandboxSpec s = spec_of(
      {"--hostname", "flaghost", "--tmpfs", "/flag", "--rlimit", "NOFILE=5", "--config", config});
  EXPECT_EQ(s.hostname, "flaghost");
  EXPECT_EQ(s.process.args, (std::vector<std::string>{"from-config"}));
  EXPECT_EQ(s.process.cwd, "/cfg");
  ASSERT_EQ(s.mounts.size(), 2u);
  EXPECT_EQ(s.mounts[0].destination, "/cfg");
  EXPECT_EQ(s.mounts[1].destination, "/flag");
  EXPECT_EQ(s.process.rlimits, (std::vector<SandboxRlimit>{{RLIMIT_NOFILE, 5, 5}}));
  NsTypeSet ns;
  ns.insert(NsType::mnt);
  ns.insert(NsType::uts);
  EXPECT_EQ(s.linux_.namespaces, ns);
  // Everything the file leaves out has nsctl run's defaults.
  SandboxSpec d = default_sandbox(1000, "xterm");
  EXPECT_EQ(s.linux_.seccomp, d.linux_.seccomp);
  EXPECT_EQ(s.process.env, d.process.env);
  EXPECT_EQ(s.process.no_new_privileges, true);
  // A command replaces the file's.
  EXPECT_EQ(spec_of({"--config", config, "sh", "-c", "x"}).process.args,
            (std::vector<std::string>{"sh", "-c", "x"}));
}

TEST_F(RunArgsConfig, FileAndEquivalentFlagsGiveEqualSpecs) {
  const std::vector<std::string> flags = {"--share=net,ipc",
                                          "--uid",
                                          "1000",
                                          "--gid",
                                          "100",
                                          "--hostname",
                                          "box",
                                          "--chdir",
                                          "/tmp",
                                          "--ro-bind",
                                          "/usr",
                                          "/usr",
                                          "--tmpfs",
                                          "/tmp",
                                          "--proc",
                                          "/proc",
                                          "--memory",
                                          "64m",
                                          "--pids",
                                          "32",
                                          "--cpus",
                                          "0.5",
                                          "--cap-add",
                                          "NET_RAW",
                                          "--rlimit",
                                          "NOFILE=100:200",
                                          "--time-offset",
                                          "boottime=60",
                                          "--as-pid-1",
                                          "--setenv",
                                          "A",
                                          "1",
                                          "--",
                                          "sh",
                                          "-c",
                                          "id"};
  std::string config = write("same.json", R"({
    "process": {
      "args": ["sh", "-c", "id"],
      "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/",
              "TERM=xterm", "A=1"],
      "cwd": "/tmp",
      "user": {"uid": 1000, "gid": 100},
      "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}],
      "capabilities": {"bounding": ["CAP_NET_RAW"], "effective": ["CAP_NET_RAW"]}
    },
    "hostname": "box",
    "mounts": [
      {"destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "ro"]},
      {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]},
      {"destination": "/proc", "type": "proc", "source": "proc",
       "options": ["nosuid", "nodev", "noexec"]}
    ],
    "linux": {
      "namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"}, {"type": "user"},
                     {"type": "cgroup"}, {"type": "time"}],
      "resources": {"memory": {"limit": 67108864}, "pids": {"limit": 32},
                    "cpu": {"quota": 50000, "period": 100000}},
      "timeOffsets": {"boottime": {"secs": 60, "nanosecs": 0}}
    },
    "nsctl": {"asPid1": true}
  })");
  EXPECT_EQ(spec_of({"--config", config}), spec_of(flags));
  // And --print-config's output is such a file.
  std::string printed = write("printed.json", sandbox_to_json(spec_of(flags)));
  EXPECT_EQ(spec_of({"--config", printed}), spec_of(flags));
  EXPECT_EQ(spec_of({"--config", printed}, 0), spec_of(flags));
}

TEST_F(RunArgsConfig, RelativePathsInTheFileAreTakenFromItsDirectory) {
  std::string config = write("rel.json", R"({"root": {"path": "rootfs"},
      "mounts": [{"destination": "/d", "type": "bind", "source": "data"},
                 {"destination": "/e", "type": "bind", "source": "/abs"}]})");
  SandboxSpec s = spec_of({"--config", config, "sh"});
  EXPECT_EQ(s.root.path, dir_ + "/rootfs");
  EXPECT_EQ(s.mounts[0].source, dir_ + "/data");
  EXPECT_EQ(s.mounts[1].source, "/abs");
}

TEST_F(RunArgsConfig, Errors) {
  std::string bad = write("bad.json", R"({"process": {"rlimits": [
      {"type": "RLIMIT_NOFILE", "soft": 1, "hard": 2}, {"type": "RLIMIT_FOO"}]}})");
  EXPECT_EQ(value_error({"--config", bad, "sh"}),
            "--config: '" + bad + "': process.rlimits[1].type: unknown resource \"RLIMIT_FOO\"");
  std::string broken = write("broken.json", "{\"hostname\": ");
  std::string e = value_error({"--config", broken, "sh"});
  EXPECT_TRUE(e.starts_with("--config: '" + broken + "': invalid JSON: ")) << e;
  EXPECT_EQ(value_error({"--config", dir_ + "/missing.json", "sh"}),
            "--config: '" + dir_ + "/missing.json': No such file or directory");
  EXPECT_EQ(value_error({"--config", dir_, "sh"}), "--config: '" + dir_ + "': Is a directory");
  EXPECT_EQ(value_error({"--config", "/dev/null", "sh"}),
            "--config: '/dev/null': not a regular file");
  EXPECT_EQ(usage_error_of({"--config", bad, "--config", bad, "sh"}),
            "option '--config' given twice");
  // The file is checked before the flags' values.
  EXPECT_EQ(value_error({"--memory", "x", "--config", bad, "sh"}).substr(0, 10), "--config: ");
}

TEST_F(RunArgsConfig, SeccompFile) {
  std::string profile = write("p.json", R"({"defaultAction": "SCMP_ACT_ERRNO",
      "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]})");
  SandboxSpec s = spec_of({"--seccomp", profile, "sh"});
  ASSERT_TRUE(s.linux_.seccomp);
  EXPECT_EQ(s.linux_.seccomp->default_action, "SCMP_ACT_ERRNO");
  // The last of --seccomp and --no-seccomp wins.
  EXPECT_FALSE(spec_of({"--seccomp", profile, "--no-seccomp", "sh"}).linux_.seccomp);
  EXPECT_TRUE(spec_of({"--no-seccomp", "--seccomp", profile, "sh"}).linux_.seccomp);
  std::string bad = write("bad.json", R"({"defaultAction": "SCMP_ACT_FOO"})");
  std::string e = value_error({"--seccomp", bad, "sh"});
  EXPECT_TRUE(e.starts_with("--seccomp: '" + bad + "': defaultAction: ")) << e;
  EXPECT_EQ(value_error({"--seccomp", dir_ + "/none", "sh"}),
            "--seccomp: '" + dir_ + "/none': No such file or directory");
}

TEST_F(RunArgsConfig, ReadsFromAPipe) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string text = R"({"hostname": "piped"})";
  ASSERT_EQ(::write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fds[1]);
  SandboxSpec s = spec_of({"--config", fmt::format("/proc/self/fd/{}", fds[0]), "sh"});
  ::close(fds[0]);
  EXPECT_EQ(s.hostname, "piped");
}

}  // namespace
}  // namespace nsctl::cli
