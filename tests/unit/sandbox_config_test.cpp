// nsctl run's configuration: its defaults, the OCI-shaped JSON document read by --config
// (each field, the overlay on a base, errors with their JSON path, hostile input) and written
// by --print-config (complete: it reads back to the same spec over any base).
#include "sandbox/sandbox_config.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "privilege/credentials.hpp"
#include "privilege/seccomp.hpp"
#include "run_args.hpp"

namespace nsctl {
namespace {

using json = nlohmann::json;

constexpr const char* kPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

NsTypeSet types(std::initializer_list<NsType> list) {
  NsTypeSet s;
  for (NsType t : list) s.insert(t);
  return s;
}

SandboxSpec base() { return default_sandbox(1000, "xterm"); }

SandboxSpec overlay(std::string_view text, SandboxSpec on = base()) {
  auto r = sandbox_from_json(text, std::move(on));
  EXPECT_TRUE(r) << text << "\n -> " << (r ? "" : r.error().message());
  return r ? *r : SandboxSpec{};
}

// The message of a document that must be refused.
std::string error_of(std::string_view text, SandboxSpec on = base()) {
  auto r = sandbox_from_json(text, std::move(on));
  if (r) return "<accepted>";
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_TRUE(printable_ascii(r.error().message())) << r.error().message();
  return r.error().message();
}

// A base unlike the defaults in every field, so that a document that forgets a field shows.
SandboxSpec odd_base() {
  SandboxSpec s;
  s.process.args = {"odd", "base"};
  s.process.env = {"ODD=1"};
  s.process.cwd = "/odd";
  s.process.uid = 7;
  s.process.gid = 8;
  s.process.additional_gids = {9, 10};
  s.process.rlimits = {{RLIMIT_CORE, 1, 2}};
  s.process.capabilities = 0x3;
  s.root = {"/oddroot", true};
  s.mounts = {{"/odd", "tmpfs", "tmpfs", {"size=1m"}}};
  s.hostname = "oddhost";
  s.domainname = "odddomain";
  s.linux_.namespaces = types({NsType::net});
  s.linux_.uid_mappings = {{0, 5000, 10}};
  s.linux_.gid_mappings = {{0, 6000, 10}};
  s.linux_.resources = {123 << 20, 5, 20000, 50000};
  s.linux_.seccomp.reset();
  s.linux_.monotonic_offset = 11;
  s.linux_.boottime_offset = -12;
  s.nsctl.as_pid_1 = true;
  s.nsctl.die_with_parent = false;
  s.nsctl.veth = SandboxVeth{"oddhost0", "odd0", 0x0a000001, 0x0a000002, 24};
  return s;
}

// ---- defaults ----------------------------------------------------------------------------

TEST(SandboxConfig, DefaultsForAnUnprivilegedCaller) {
  SandboxSpec s = default_sandbox(1000, "xterm-256color");
  EXPECT_EQ(s.linux_.namespaces, NsTypeSet::all());
  ASSERT_TRUE(s.linux_.seccomp);
  EXPECT_EQ(*s.linux_.seccomp, default_seccomp_profile());
  EXPECT_EQ(s.process.capabilities, 0u);
  EXPECT_TRUE(s.process.no_new_privileges);
  EXPECT_TRUE(s.nsctl.die_with_parent);
  EXPECT_FALSE(s.nsctl.as_pid_1);
  EXPECT_FALSE(s.nsctl.veth);
  EXPECT_EQ(s.process.cwd, "/");
  EXPECT_EQ(s.process.uid, 0u);
  EXPECT_EQ(s.process.gid, 0u);
  EXPECT_EQ(s.process.env, (std::vector<std::string>{kPath, "HOME=/root", "TERM=xterm-256color"}));
  EXPECT_TRUE(s.process.args.empty());
  EXPECT_TRUE(s.mounts.empty());
  EXPECT_TRUE(s.root.path.empty());
  EXPECT_TRUE(s.linux_.resources.empty());
  EXPECT_TRUE(s.linux_.uid_mappings.empty());
}

TEST(SandboxConfig, RealRootGetsNoUserNamespaceAndNoTermWithoutOne) {
  SandboxSpec s = default_sandbox(0, nullptr);
  EXPECT_FALSE(s.linux_.namespaces.contains(NsType::user));
  for (NsType t : {NsType::mnt, NsType::net, NsType::time, NsType::cgroup, NsType::pid, NsType::uts,
                   NsType::ipc})
    EXPECT_TRUE(s.linux_.namespaces.contains(t)) << name(t);
  EXPECT_EQ(s.process.env, (std::vector<std::string>{kPath, "HOME=/root"}));
}

TEST(SandboxConfig, HomeFollowsTheUidOnlyWhileItIsTheDefault) {
  SandboxSpec s = default_sandbox(1000, nullptr);
  set_sandbox_uid(s, 1000);
  EXPECT_EQ(s.process.env[1], "HOME=/");
  set_sandbox_uid(s, 5);
  EXPECT_EQ(s.process.env[1], "HOME=/");
  set_sandbox_uid(s, 0);
  EXPECT_EQ(s.process.env[1], "HOME=/root");
  s.process.env[1] = "HOME=/home/me";
  set_sandbox_uid(s, 1000);
  EXPECT_EQ(s.process.env[1], "HOME=/home/me");
  EXPECT_EQ(s.process.uid, 1000u);
  EXPECT_EQ(default_home(0), "/root");
  EXPECT_EQ(default_home(1), "/");
}

// ---- reading: overlay semantics ----------------------------------------------------------

TEST(SandboxConfigJson, EmptyDocumentKeepsTheBase) {
  EXPECT_EQ(overlay("{}"), base());
  EXPECT_EQ(overlay("{}", odd_base()), odd_base());
  EXPECT_EQ(
      overlay(R"({"ociVersion": "1.2.0", "annotations": {"a": "b"}, "hooks": {}})", odd_base()),
      odd_base());
}

TEST(SandboxConfigJson, OnlyArgsKeepsTheSecureDefaults) {
  SandboxSpec want = base();
  want.process.args = {"sh", "-c", "echo hi"};
  EXPECT_EQ(overlay(R"({"process": {"args": ["sh", "-c", "echo hi"]}})"), want);
}

TEST(SandboxConfigJson, EveryField) {
  const char* doc = R"({
    "ociVersion": "1.0.2",
    "process": {
      "terminal": true,
      "args": ["/bin/app", "--flag"],
      "env": ["A=1", "HOME=/home/app"],
      "cwd": "/work",
      "user": {"uid": 1000, "gid": 100, "additionalGids": [5, 6], "umask": 18},
      "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 4096},
                  {"type": "RLIMIT_CORE", "soft": 0, "hard": 18446744073709551615}],
      "capabilities": {"bounding": ["CAP_NET_RAW", "CAP_CHOWN"]},
      "noNewPrivileges": true
    },
    "root": {"path": "/srv/root", "readonly": true},
    "mounts": [
      {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid"]},
      {"destination": "/data", "type": "bind", "source": "/srv/data", "options": ["rbind", "ro"]}
    ],
    "hostname": "box",
    "domainname": "example",
    "linux": {
      "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "mount"}, {"type": "user"}],
      "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
      "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 65536}],
      "resources": {"memory": {"limit": 67108864, "swap": 1}, "pids": {"limit": 32},
                    "cpu": {"quota": 50000, "period": 100000, "shares": 2}},
      "seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
                  "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}]},
      "timeOffsets": {"monotonic": {"secs": -60, "nanosecs": 0}, "boottime": {"secs": 3600}},
      "maskedPaths": ["/proc/kcore"]
    },
    "nsctl": {"asPid1": true, "dieWithParent": false,
              "veth": {"hostName": "vh0", "sandboxName": "vs0", "hostAddress": "192.168.7.1",
                       "sandboxAddress": "192.168.7.2", "prefixLength": 24}}
  })";
  SandboxSpec s = overlay(doc);
  EXPECT_EQ(s.process.args, (std::vector<std::string>{"/bin/app", "--flag"}));
  EXPECT_EQ(s.process.env, (std::vector<std::string>{"A=1", "HOME=/home/app"}));
  EXPECT_EQ(s.process.cwd, "/work");
  EXPECT_EQ(s.process.uid, 1000u);
  EXPECT_EQ(s.process.gid, 100u);
  EXPECT_EQ(s.process.additional_gids, (std::vector<gid_t>{5, 6}));
  ASSERT_EQ(s.process.rlimits.size(), 2u);
  EXPECT_EQ(s.process.rlimits[0], (SandboxRlimit{RLIMIT_NOFILE, 1024, 4096}));
  EXPECT_EQ(s.process.rlimits[1], (SandboxRlimit{RLIMIT_CORE, 0, RLIM_INFINITY}));
  EXPECT_EQ(s.process.capabilities, (1ull << 13) | (1ull << 0));
  EXPECT_EQ(s.root, (SandboxRoot{"/srv/root", true}));
  ASSERT_EQ(s.mounts.size(), 2u);
  EXPECT_EQ(s.mounts[0], (SandboxMount{"/proc", "proc", "proc", {"nosuid"}}));
  EXPECT_EQ(s.mounts[1], (SandboxMount{"/data", "bind", "/srv/data", {"rbind", "ro"}}));
  EXPECT_EQ(s.hostname, "box");
  EXPECT_EQ(s.domainname, "example");
  EXPECT_EQ(s.linux_.namespaces, types({NsType::pid, NsType::net, NsType::mnt, NsType::user}));
  EXPECT_EQ(s.linux_.uid_mappings, (IdMap{{0, 100000, 65536}}));
  EXPECT_EQ(s.linux_.gid_mappings, (IdMap{{0, 200000, 65536}}));
  EXPECT_EQ(s.linux_.resources, (CgroupLimits{64 << 20, 32, 50000, 100000}));
  ASSERT_TRUE(s.linux_.seccomp);
  EXPECT_EQ(s.linux_.seccomp->default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(s.linux_.seccomp->default_errno_ret, 38u);
  ASSERT_EQ(s.linux_.seccomp->syscalls.size(), 1u);
  EXPECT_EQ(s.linux_.seccomp->syscalls[0].names, (std::vector<std::string>{"read", "write"}));
  EXPECT_EQ(s.linux_.monotonic_offset, -60);
  EXPECT_EQ(s.linux_.boottime_offset, 3600);
  EXPECT_TRUE(s.nsctl.as_pid_1);
  EXPECT_FALSE(s.nsctl.die_with_parent);
  EXPECT_EQ(s.nsctl.veth, (SandboxVeth{"vh0", "vs0", 0xc0a80701, 0xc0a80702, 24}));
}

TEST(SandboxConfigJson, NestedObjectsOverlayFieldByField) {
  SandboxSpec s = overlay(R"({"process": {"user": {"gid": 3}}, "root": {"readonly": false},
                              "linux": {"resources": {"pids": {"limit": 9}},
                                        "timeOffsets": {"boottime": {"secs": 1}}},
                              "nsctl": {"veth": {"sandboxName": "in0"}}})",
                          odd_base());
  SandboxSpec want = odd_base();
  want.process.gid = 3;
  want.root.readonly = false;
  want.linux_.resources.pids = 9;
  want.linux_.boottime_offset = 1;
  want.nsctl.veth->sandbox_name = "in0";
  EXPECT_EQ(s, want);
}

TEST(SandboxConfigJson, ListsReplaceTheBasesLists) {
  SandboxSpec s = overlay(R"({"mounts": [{"destination": "/t", "type": "tmpfs"}],
                              "process": {"env": [], "rlimits": [], "user": {"additionalGids": []}},
                              "linux": {"namespaces": [], "uidMappings": []}})",
                          odd_base());
  EXPECT_EQ(s.mounts, (std::vector<SandboxMount>{{"/t", "tmpfs", "", {}}}));
  EXPECT_TRUE(s.process.env.empty());
  EXPECT_TRUE(s.process.rlimits.empty());
  EXPECT_TRUE(s.process.additional_gids.empty());
  EXPECT_TRUE(s.linux_.namespaces.empty());
  EXPECT_TRUE(s.linux_.uid_mappings.empty());
  EXPECT_EQ(s.linux_.gid_mappings, odd_base().linux_.gid_mappings);
}

TEST(SandboxConfigJson, HomeFollowsTheUidUnlessTheDocumentHasAnEnv) {
  SandboxSpec s = overlay(R"({"process": {"user": {"uid": 1000}}})");
  EXPECT_EQ(s.process.env, (std::vector<std::string>{kPath, "HOME=/", "TERM=xterm"}));
  s = overlay(R"({"process": {"user": {"uid": 1000}, "env": ["HOME=/root"]}})");
  EXPECT_EQ(s.process.env, (std::vector<std::string>{"HOME=/root"}));
}

TEST(SandboxConfigJson, CapabilitiesAreBoundingElseTheUnionOfTheOtherSets) {
  EXPECT_EQ(overlay(R"({"process": {"capabilities": {"bounding": ["CAP_KILL"],
                       "effective": ["CAP_CHOWN"], "ambient": ["CAP_SYS_ADMIN"]}}})")
                .process.capabilities,
            1ull << 5);
  EXPECT_EQ(overlay(R"({"process": {"capabilities": {"effective": ["CAP_CHOWN"],
                       "permitted": ["net_raw"], "inheritable": [], "ambient": ["KILL"]}}})")
                .process.capabilities,
            (1ull << 0) | (1ull << 13) | (1ull << 5));
  EXPECT_EQ(overlay(R"({"process": {"capabilities": {}}})", odd_base()).process.capabilities, 0u);
  EXPECT_EQ(error_of(R"({"process": {"capabilities": {"bounding": ["CAP_CHOWN", "CAP_FOO"]}}})"),
            "process.capabilities.bounding[1]: unknown capability \"CAP_FOO\"");
  EXPECT_EQ(error_of(R"({"process": {"capabilities": {"ambient": [7]}}})"),
            "process.capabilities.ambient[0]: expected a string, got number");
}

TEST(SandboxConfigJson, NamespacesUseOciNamesAndCannotBeJoined) {
  EXPECT_EQ(overlay(R"({"linux": {"namespaces": [{"type": "ipc"}, {"type": "uts", "path": ""},
                       {"type": "cgroup"}, {"type": "time"}]}})")
                .linux_.namespaces,
            types({NsType::ipc, NsType::uts, NsType::cgroup, NsType::time}));
  EXPECT_EQ(error_of(R"({"linux": {"namespaces": [{"type": "pid"}, {"type": "ipc"},
                        {"type": "network", "path": "/run/netns/blue"}]}})"),
            "linux.namespaces[2].path: joining an existing namespace is not supported");
  EXPECT_EQ(error_of(R"({"linux": {"namespaces": [{"type": "net"}]}})"),
            "linux.namespaces[0].type: unknown namespace type \"net\"");
  EXPECT_EQ(error_of(R"({"linux": {"namespaces": [{}]}})"), "linux.namespaces[0].type: missing");
}

TEST(SandboxConfigJson, RlimitsByAnyNameAndErrorsWithTheirPath) {
  SandboxSpec s = overlay(R"({"process": {"rlimits": [{"type": "nproc", "soft": 1, "hard": 2},
                             {"type": "RLIMIT_RTTIME", "soft": 3, "hard": 4}]}})");
  EXPECT_EQ(s.process.rlimits,
            (std::vector<SandboxRlimit>{{RLIMIT_NPROC, 1, 2}, {RLIMIT_RTTIME, 3, 4}}));
  EXPECT_EQ(error_of(R"({"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 2},
                        {"type": "RLIMIT_FOO", "soft": 1, "hard": 2}]}})"),
            "process.rlimits[1].type: unknown resource \"RLIMIT_FOO\"");
  EXPECT_EQ(error_of(R"({"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "hard": 2}]}})"),
            "process.rlimits[0].soft: missing");
  EXPECT_EQ(error_of(R"({"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "soft": -1,
                        "hard": 2}]}})"),
            "process.rlimits[0].soft: -1 is out of range (0..18446744073709551615)");
}

TEST(SandboxConfigJson, NoNewPrivilegesCannotBeTurnedOff) {
  EXPECT_EQ(overlay(R"({"process": {"noNewPrivileges": true}})"), base());
  EXPECT_EQ(error_of(R"({"process": {"noNewPrivileges": false}})"),
            "process.noNewPrivileges: false is not supported: nsctl run always sets no_new_privs");
}

TEST(SandboxConfigJson, TimeOffsetsAreWholeSeconds) {
  EXPECT_EQ(error_of(R"({"linux": {"timeOffsets": {"boottime": {"secs": 1, "nanosecs": 5}}}})"),
            "linux.timeOffsets.boottime.nanosecs: must be 0: nsctl sets whole seconds");
  EXPECT_EQ(overlay(R"({"linux": {"timeOffsets": {"monotonic": {"secs": -9223372036854775808}}}})")
                .linux_.monotonic_offset,
            INT64_MIN);
}

TEST(SandboxConfigJson, SeccompObjectNullOrError) {
  EXPECT_FALSE(overlay(R"({"linux": {"seccomp": null}})").linux_.seccomp);
  SandboxSpec s =
      overlay(R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW"}}})", odd_base());
  ASSERT_TRUE(s.linux_.seccomp);
  EXPECT_EQ(s.linux_.seccomp->default_action, "SCMP_ACT_ALLOW");
  std::string e = error_of(
      R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
                                "syscalls": [{"names": ["read"], "action": "SCMP_ACT_FOO"}]}}})");
  EXPECT_TRUE(e.starts_with("linux.seccomp.syscalls[0].action: ")) << e;
  EXPECT_EQ(error_of(R"({"linux": {"seccomp": {}}})"), "linux.seccomp: no \"defaultAction\"");
  EXPECT_EQ(error_of(R"({"linux": {"seccomp": "default"}})"),
            "linux.seccomp: expected an object, got string");
}

TEST(SandboxConfigJson, LimitsNullIsNoneAndMinusOneUnlimited) {
  SandboxSpec s = overlay(R"({"linux": {"resources": {"memory": {"limit": null},
                             "pids": {"limit": null}, "cpu": {"quota": null, "period": null}}}})",
                          odd_base());
  EXPECT_TRUE(s.linux_.resources.empty());
  EXPECT_FALSE(s.linux_.resources.cpu_period_us);
  s = overlay(R"({"linux": {"resources": {"memory": {"limit": -1}, "pids": {"limit": -1},
                 "cpu": {"quota": -1}}}})");
  EXPECT_EQ(s.linux_.resources, (CgroupLimits{-1, -1, -1, std::nullopt}));
  EXPECT_EQ(error_of(R"({"linux": {"resources": {"memory": {"limit": -2}}}})"),
            "linux.resources.memory.limit: -2 is out of range (-1..9223372036854775807)");
  EXPECT_EQ(error_of(R"({"linux": {"resources": {"cpu": {"period": -5}}}})"),
            "linux.resources.cpu.period: -5 is out of range (0..18446744073709551615)");
}

TEST(SandboxConfigJson, MountsNeedADestinationAndAType) {
  EXPECT_EQ(overlay(R"({"mounts": [{"destination": "/d", "source": "/s", "options": ["rbind"]}]})")
                .mounts,
            (std::vector<SandboxMount>{{"/d", "bind", "/s", {"rbind"}}}));
  EXPECT_EQ(error_of(R"({"mounts": [{"destination": "/d", "source": "/s"}]})"),
            "mounts[0].type: missing");
  EXPECT_EQ(error_of(R"({"mounts": [{"type": "tmpfs"}]})"), "mounts[0].destination: missing");
  EXPECT_EQ(error_of(R"({"mounts": [{"destination": "/d", "type": "tmpfs", "options": "ro"}]})"),
            "mounts[0].options: expected an array, got string");
}

TEST(SandboxConfigJson, VethAddressesAndNull) {
  EXPECT_FALSE(overlay(R"({"nsctl": {"veth": null}})", odd_base()).nsctl.veth);
  SandboxSpec s = overlay(R"({"nsctl": {"veth": {"hostAddress": "10.0.0.5"}}})");
  EXPECT_EQ(s.nsctl.veth, (SandboxVeth{"", "eth0", 0x0a000005, 0, 30}));
  EXPECT_EQ(error_of(R"({"nsctl": {"veth": {"sandboxAddress": "10.0.0.256"}}})"),
            "nsctl.veth.sandboxAddress: invalid IPv4 address \"10.0.0.256\"");
  EXPECT_EQ(error_of(R"({"nsctl": {"veth": {"prefixLength": 33}}})"),
            "nsctl.veth.prefixLength: 33 is out of range (0..32)");
}

// ---- reading: wrong and hostile input ----------------------------------------------------

TEST(SandboxConfigJson, WrongTypesNameThePath) {
  EXPECT_EQ(error_of("[]"), "config: expected an object, got array");
  EXPECT_EQ(error_of("null"), "config: expected an object, got null");
  EXPECT_EQ(error_of(R"({"process": []})"), "process: expected an object, got array");
  EXPECT_EQ(error_of(R"({"process": {"args": "sh"}})"),
            "process.args: expected an array, got string");
  EXPECT_EQ(error_of(R"({"process": {"args": ["sh", 1]}})"),
            "process.args[1]: expected a string, got number");
  EXPECT_EQ(error_of(R"({"process": {"user": {"uid": "0"}}})"),
            "process.user.uid: expected an integer, got string");
  EXPECT_EQ(error_of(R"({"root": {"readonly": 1}})"),
            "root.readonly: expected true or false, got number");
  EXPECT_EQ(error_of(R"({"hostname": null})"), "hostname: expected a string, got null");
  EXPECT_EQ(error_of(R"({"nsctl": {"asPid1": "yes"}})"),
            "nsctl.asPid1: expected true or false, got string");
  EXPECT_EQ(error_of(R"({"linux": {"uidMappings": [{"containerID": 0, "hostID": 1}]}})"),
            "linux.uidMappings[0].size: missing");
}

TEST(SandboxConfigJson, NumbersMustBeIntegersInRange) {
  EXPECT_EQ(error_of(R"({"process": {"user": {"uid": -1}}})"),
            "process.user.uid: -1 is out of range (0..4294967294)");
  EXPECT_EQ(error_of(R"({"process": {"user": {"uid": 4294967295}}})"),
            "process.user.uid: 4294967295 is out of range (0..4294967294)");
  EXPECT_EQ(error_of(R"({"process": {"user": {"gid": 1.5}}})"),
            "process.user.gid: expected an integer, got 1.5");
  EXPECT_EQ(error_of(R"({"process": {"user": {"gid": 1.0}}})"),
            "process.user.gid: expected an integer, got 1.0");
  // Past 64 bits nlohmann reads a double: refused, not rounded.
  std::string e =
      error_of(R"({"linux": {"resources": {"pids": {"limit": 99999999999999999999}}}})");
  EXPECT_TRUE(e.starts_with("linux.resources.pids.limit: expected an integer")) << e;
  e = error_of(R"({"linux": {"timeOffsets": {"monotonic": {"secs": 1e999}}}})");
  EXPECT_TRUE(e.starts_with("invalid JSON: ")) << e;
  EXPECT_EQ(error_of(R"({"linux": {"uidMappings": [{"containerID": 0, "hostID": 4294967296,
                        "size": 1}]}})"),
            "linux.uidMappings[0].hostID: 4294967296 is out of range (0..4294967295)");
}

TEST(SandboxConfigJson, DeepNestingIsRefusedBeforeParsing) {
  std::string deep = R"({"linux": {"seccomp": {"x": )" + std::string(100000, '[') +
                     std::string(100000, ']') + "}}}";
  EXPECT_EQ(error_of(deep), "invalid JSON: nested deeper than 64 levels");
  // Brackets inside strings do not count.
  std::string name(1000, '[');
  EXPECT_EQ(overlay(R"({"hostname": ")" + name + R"("})").hostname, name);
}

TEST(SandboxConfigJson, InvalidJsonAndUtf8AreRefusedPrintably) {
  for (std::string bad :
       {std::string("{"), std::string("{\"hostname\": \"\xff\"}"),
        std::string("{\"hostname\": \"\\ud800\"}"), std::string(""), std::string("{} {}"),
        std::string("{\"a\": 1,}"), std::string("{\"hostname\": \"a\x01\"}")}) {
    std::string e = error_of(bad);
    EXPECT_TRUE(e.starts_with("invalid JSON: ")) << e;
  }
}

TEST(SandboxConfigJson, NulBytesInStringsAreRefused) {
  EXPECT_EQ(error_of(R"({"root": {"path": "/a\u0000b"}})"),
            "root.path: contains a NUL byte, which the kernel cannot take");
  EXPECT_EQ(error_of(R"({"mounts": [{"destination": "/x\u0000", "type": "tmpfs"}]})"),
            "mounts[0].destination: contains a NUL byte, which the kernel cannot take");
  EXPECT_EQ(error_of(R"({"process": {"args": ["sh", "\u0000"]}})"),
            "process.args[1]: contains a NUL byte, which the kernel cannot take");
  EXPECT_EQ(error_of(R"({"process": {"env": ["A=\u0000"]}})"),
            "process.env[0]: contains a NUL byte, which the kernel cannot take");
}

TEST(SandboxConfigJson, UnknownKeysAreIgnoredAndErrorsQuoteUserTextSafely) {
  EXPECT_EQ(overlay(R"({"process": {"oomScoreAdj": 5, "apparmorProfile": "x"},
                        "linux": {"sysctl": {"a": "b"}}, "zzz": [[[]]]})"),
            base());
  std::string e = error_of("{\"linux\": {\"namespaces\": [{\"type\": \"\\u001b[31m\xc3\xa9\"}]}}");
  EXPECT_EQ(e, "linux.namespaces[0].type: unknown namespace type \"\\u001b[31m\\u00e9\"");
}

// ---- writing and the round trip ----------------------------------------------------------

TEST(SandboxConfigJson, WrittenPrettyWithEveryField) {
  std::string text = sandbox_to_json(base());
  EXPECT_TRUE(text.starts_with("{\n  \"ociVersion\": \"1.0.2\",\n  \"process\": {\n    \"args\""))
      << text.substr(0, 80);
  json j = json::parse(text);
  for (const char* ptr : {"/process/args",
                          "/process/env",
                          "/process/cwd",
                          "/process/user/uid",
                          "/process/user/gid",
                          "/process/user/additionalGids",
                          "/process/rlimits",
                          "/process/capabilities/bounding",
                          "/process/capabilities/ambient",
                          "/process/noNewPrivileges",
                          "/root/path",
                          "/root/readonly",
                          "/mounts",
                          "/hostname",
                          "/domainname",
                          "/linux/namespaces",
                          "/linux/uidMappings",
                          "/linux/gidMappings",
                          "/linux/resources/memory/limit",
                          "/linux/resources/pids/limit",
                          "/linux/resources/cpu/quota",
                          "/linux/resources/cpu/period",
                          "/linux/seccomp",
                          "/linux/timeOffsets/monotonic/secs",
                          "/linux/timeOffsets/boottime/secs",
                          "/nsctl/asPid1",
                          "/nsctl/dieWithParent",
                          "/nsctl/veth"})
    EXPECT_TRUE(j.contains(json::json_pointer(ptr))) << ptr;
  EXPECT_TRUE(j["nsctl"]["veth"].is_null());
  EXPECT_TRUE(j["linux"]["resources"]["memory"]["limit"].is_null());
  EXPECT_EQ(j["linux"]["namespaces"].size(), 8u);
}

TEST(SandboxConfigJson, CapabilitiesGoToEverySetAndAmbientOnlyForNonRoot) {
  SandboxSpec s = base();
  s.process.capabilities = (1ull << 13) | (1ull << 21);
  json j = json::parse(sandbox_to_json(s));
  std::vector<std::string> caps = {"CAP_NET_RAW", "CAP_SYS_ADMIN"};
  for (const char* set : {"bounding", "effective", "inheritable", "permitted"})
    EXPECT_EQ(j["process"]["capabilities"][set], caps) << set;
  EXPECT_TRUE(j["process"]["capabilities"]["ambient"].empty());
  s.process.uid = 1000;
  j = json::parse(sandbox_to_json(s));
  EXPECT_EQ(j["process"]["capabilities"]["ambient"], caps);
}

TEST(SandboxConfigJson, RlimitInfinityAndVethAreWrittenReadably) {
  SandboxSpec s = base();
  s.process.rlimits = {{RLIMIT_NOFILE, RLIM_INFINITY, RLIM_INFINITY}};
  s.nsctl.veth = SandboxVeth{"nsctl1", "eth0", 0x0ac80001, 0x0ac80002, 30};
  json j = json::parse(sandbox_to_json(s));
  EXPECT_EQ(j["process"]["rlimits"][0]["type"], "RLIMIT_NOFILE");
  EXPECT_EQ(j["process"]["rlimits"][0]["soft"].get<std::uint64_t>(), UINT64_MAX);
  EXPECT_EQ(j["nsctl"]["veth"]["hostAddress"], "10.200.0.1");
  EXPECT_EQ(j["nsctl"]["veth"]["sandboxAddress"], "10.200.0.2");
}

void expect_round_trip(const SandboxSpec& s, const std::string& what) {
  std::string text = sandbox_to_json(s);
  for (const SandboxSpec& b : {SandboxSpec{}, base(), default_sandbox(0, nullptr), odd_base()}) {
    auto back = sandbox_from_json(text, b);
    ASSERT_TRUE(back) << what << ": " << back.error().message();
    EXPECT_TRUE(*back == s) << what << "\n" << text << "\nread back as\n" << sandbox_to_json(*back);
  }
}

cli::RunOptions parse_flags(std::vector<std::string> words, uid_t euid) {
  words.insert(words.begin(), "run");
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  auto r = cli::parse_run_args(static_cast<int>(words.size()), argv.data(), euid, "vt100");
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? *r : cli::RunOptions{};
}

TEST(SandboxConfigJson, RoundTripOverAnyBase) {
  expect_round_trip(SandboxSpec{}, "empty spec");
  expect_round_trip(base(), "defaults");
  expect_round_trip(default_sandbox(0, nullptr), "root defaults");
  expect_round_trip(odd_base(), "odd base");
  SandboxSpec s = odd_base();
  s.linux_.seccomp =
      SeccompProfile{"SCMP_ACT_ERRNO",
                     1,
                     {"SCMP_ARCH_X86_64"},
                     {SeccompRule{{"read", "write"}, "SCMP_ACT_ALLOW", std::nullopt, {}},
                      SeccompRule{{"personality"},
                                  "SCMP_ACT_ERRNO",
                                  22,
                                  {SeccompArg{0, 0xffffffff, 0, "SCMP_CMP_NE"},
                                   SeccompArg{1, 8, 8, "SCMP_CMP_MASKED_EQ"}}}}};
  expect_round_trip(s, "custom seccomp");
  s.process.capabilities = 0;
  for (int cap = 0; cap <= 40; ++cap) s.process.capabilities |= 1ull << cap;
  s.process.uid = 0;
  s.process.env = {"UNICODE=h\xc3\xa9llo \xe2\x9c\x93", "CTRL=\x01\x1b[0m\t\n"};
  expect_round_trip(s, "all capabilities, unicode and control characters");
}

TEST(SandboxConfigJson, RoundTripOfSpecsFromFlags) {
  const std::vector<std::vector<std::string>> combos = {
      {"sh"},
      {"--share=all", "true"},
      {"--share-net", "--share-ipc", "--userns", "--uid", "1000", "--gid", "100", "--groups", "5,6",
       "--map-users", "0:100000:65536", "--map-groups", "0:100000:65536", "id"},
      {"--hostname", "box", "--domainname", "dom", "--as-pid-1", "--no-die-with-parent", "--chdir",
       "/tmp", "--", "sh", "-c", "echo $0"},
      {"--root", "/srv/root", "--ro",    "--bind", "/a",     "/b",      "--ro-bind",
       "/etc",   "/etc",      "--tmpfs", "/tmp",   "--proc", "/proc",   "--dev",
       "/dev",   "--overlay", "/l1:/l2", "/up",    "/work",  "/merged", "ls"},
      {"--veth", "--veth=192.168.7.0/24", "ip", "a"},
      {"--rlimit", "NOFILE=10:20", "--rlimit", "core=unlimited", "--memory", "1g", "--pids", "64",
       "--cpus", "1.5", "true"},
      {"--cap-add", "ALL", "--uid", "5", "--no-seccomp", "true"},
      {"--cap-add", "net_raw,CAP_CHOWN", "--keep-env", "--setenv", "A", "b c", "--unsetenv", "PATH",
       "env"},
      {"--time-offset", "monotonic=-100,boottime=+86400", "uptime"},
  };
  for (uid_t euid : {0u, 1000u}) {
    for (const auto& words : combos) {
      std::string what;
      for (const auto& w : words) what += w + " ";
      expect_round_trip(parse_flags(words, euid).spec, what);
    }
  }
}

TEST(SandboxConfigJson, NonUtf8StringsAreWrittenWithReplacementCharacters) {
  SandboxSpec s = base();
  s.process.args = {"/bin/\xff"};
  std::string text = sandbox_to_json(s);
  EXPECT_NE(text.find("/bin/\xef\xbf\xbd"), std::string::npos);
}

// ---- name tables -------------------------------------------------------------------------

TEST(SandboxConfigNames, AllSixteenRlimitsByEveryForm) {
  EXPECT_EQ(RLIM_NLIMITS, 16);
  for (int r = 0; r < RLIM_NLIMITS; ++r) {
    std::string n = rlimit_name(r);
    ASSERT_TRUE(n.starts_with("RLIMIT_")) << n;
    EXPECT_EQ(rlimit_from_name(n), r) << n;
    std::string shortname = n.substr(7);
    EXPECT_EQ(rlimit_from_name(shortname), r);
    for (auto& c : shortname) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(rlimit_from_name(shortname), r);
  }
  EXPECT_EQ(rlimit_from_name("RLIMIT_NOFILE"), RLIMIT_NOFILE);
  EXPECT_EQ(rlimit_from_name("nofile"), RLIMIT_NOFILE);
  EXPECT_EQ(rlimit_from_name("rlimit_as"), RLIMIT_AS);
  for (const char* bad : {"", "RLIMIT_", "RLIMIT_FOO", "NOFILE ", "rlimit", "RLIMIT_RLIMIT_AS"})
    EXPECT_FALSE(rlimit_from_name(bad)) << bad;
  EXPECT_EQ(rlimit_name(99), "RLIMIT_99");
}

TEST(SandboxConfigNames, OciNamespaceNames) {
  EXPECT_EQ(oci_namespace_name(NsType::net), "network");
  EXPECT_EQ(oci_namespace_name(NsType::mnt), "mount");
  for (const auto& t : ns_types())
    EXPECT_EQ(ns_type_from_oci_name(oci_namespace_name(t.type)), t.type);
  EXPECT_FALSE(ns_type_from_oci_name("mnt"));
  EXPECT_FALSE(ns_type_from_oci_name("Network"));
}

TEST(SandboxConfigNames, Ipv4) {
  EXPECT_EQ(parse_ipv4("10.200.0.1"), 0x0ac80001u);
  EXPECT_EQ(parse_ipv4("0.0.0.0"), 0u);
  EXPECT_EQ(parse_ipv4("255.255.255.255"), 0xffffffffu);
  for (const char* bad : {"", "1.2.3", "1.2.3.4.", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.-4",
                          " 1.2.3.4", "1.2.3.4 ", "1..3.4", "1.2.3.0x1", "1234.1.1.1", "a.b.c.d"})
    EXPECT_FALSE(parse_ipv4(bad)) << bad;
  EXPECT_EQ(ipv4_text(0x0ac80001), "10.200.0.1");
  EXPECT_EQ(ipv4_text(0xffffffff), "255.255.255.255");
}

}  // namespace
}  // namespace nsctl
