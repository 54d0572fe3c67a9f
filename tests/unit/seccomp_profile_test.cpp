// Seccomp profiles: the OCI/Docker JSON parser on good and hostile input, the default profile's
// contents, and compilation with libseccomp (no filter is loaded here; tests/ns does that).
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "privilege/seccomp.hpp"

namespace nsctl {
namespace {

using json = nlohmann::json;

bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// The error message of a parse that must fail.
std::string parse_error(std::string_view text) {
  auto p = parse_seccomp_profile(text);
  if (p) return "<parsed>";
  EXPECT_EQ(p.error().code(), EINVAL);
  EXPECT_TRUE(printable_ascii(p.error().message())) << p.error().message();
  return p.error().message();
}

std::set<std::string> denied_names(const SeccompProfile& p) {
  std::set<std::string> out;
  for (const auto& r : p.syscalls)
    if (r.action == "SCMP_ACT_ERRNO" && r.args.empty()) out.insert(r.names.begin(), r.names.end());
  return out;
}

json to_json(const SeccompProfile& p) {
  json j = {{"defaultAction", p.default_action}, {"architectures", p.architectures}};
  if (p.default_errno_ret) j["defaultErrnoRet"] = *p.default_errno_ret;
  j["syscalls"] = json::array();
  for (const auto& r : p.syscalls) {
    json rule = {{"names", r.names}, {"action", r.action}, {"args", json::array()}};
    if (r.errno_ret) rule["errnoRet"] = *r.errno_ret;
    for (const auto& a : r.args)
      rule["args"].push_back(
          {{"index", a.index}, {"value", a.value}, {"valueTwo", a.value_two}, {"op", a.op}});
    j["syscalls"].push_back(rule);
  }
  return j;
}

constexpr const char* kOciProfile = R"({
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 1,
  "comment": "Docker fields are ignored",
  "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}],
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "flags": ["SECCOMP_FILTER_FLAG_LOG"],
  "syscalls": [
    {"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW", "comment": "x",
     "includes": {"caps": ["CAP_SYS_ADMIN"]}, "excludes": {}},
    {"name": "getpid", "action": "SCMP_ACT_ALLOW"},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
    {"names": ["ptrace"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "args": null},
    {"names": ["kill"], "action": "SCMP_ACT_KILL_PROCESS",
     "args": [{"index": 5, "value": 18446744073709551615, "valueTwo": 0, "op": "SCMP_CMP_GE"}]}
  ]
})";

TEST(SeccompProfileParse, ReadsOciAndDockerFieldsAndIgnoresUnknownOnes) {
  auto p = parse_seccomp_profile(kOciProfile);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(p->default_errno_ret, 1u);
  EXPECT_EQ(p->architectures,
            (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  ASSERT_EQ(p->syscalls.size(), 6u);
  EXPECT_EQ(p->syscalls[0].names, (std::vector<std::string>{"read", "write", "exit_group"}));
  EXPECT_EQ(p->syscalls[1].names, std::vector<std::string>{"getpid"});
  EXPECT_EQ(p->syscalls[2].args, (std::vector<SeccompArg>{{0, 8, 0, "SCMP_CMP_EQ"}}));
  EXPECT_EQ(p->syscalls[3].args,
            (std::vector<SeccompArg>{{0, 2114060288, 0, "SCMP_CMP_MASKED_EQ"}}));
  EXPECT_EQ(p->syscalls[4].errno_ret, 38u);
  EXPECT_TRUE(p->syscalls[4].args.empty());
  EXPECT_FALSE(p->syscalls[0].errno_ret);
  EXPECT_EQ(p->syscalls[5].action, "SCMP_ACT_KILL_PROCESS");
  EXPECT_EQ(p->syscalls[5].args[0].index, 5u);
  EXPECT_EQ(p->syscalls[5].args[0].value, 18446744073709551615ull);
}

TEST(SeccompProfileParse, MinimalProfileHasDefaults) {
  auto p = parse_seccomp_profile(R"({"defaultAction": "SCMP_ACT_ALLOW"})");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(*p, SeccompProfile{});
}

TEST(SeccompProfileParse, ErrorNamesTheJsonPath) {
  EXPECT_EQ(parse_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["a"], "action": "SCMP_ACT_ERRNO"}, {"names": ["b"], "action": "SCMP_ACT_ERRNO"},
      {"names": ["c"], "action": "SCMP_ACT_ERRNO"}, {"names": ["d"], "action": "SCMP_ACT_FOO"}]})"),
            "syscalls[3].action: unknown action \"SCMP_ACT_FOO\"");
  EXPECT_EQ(parse_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"],
      "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "op": "SCMP_CMP_EQ"},
                                           {"index": 6, "op": "SCMP_CMP_EQ"}]}]})"),
            "syscalls[0].args[1].index: 6 is out of range (0..5)");
}

TEST(SeccompProfileParse, RejectsHostileInput) {
  struct Case {
    std::string text;
    std::string message;  // a part of the error
  };
  const std::string head = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [)";
  auto rule = [&](std::string body) { return head + body + "]}"; };
  const std::vector<Case> cases = {
      {"", "invalid JSON at byte"},
      {"   ", "invalid JSON"},
      {"{", "invalid JSON"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW"} x)", "invalid JSON"},
      {"[]", "expected an object, got array"},
      {"null", "expected an object, got null"},
      {"42", "expected an object, got number"},
      {R"("SCMP_ACT_ALLOW")", "expected an object, got string"},
      {"{}", "no \"defaultAction\""},
      {R"({"defaultAction": 1})", "defaultAction: expected a string, got number"},
      {R"({"defaultAction": "scmp_act_allow"})", "defaultAction: unknown action"},
      {R"({"defaultAction": "SCMP_ACT_NOTIFY"})", "not supported"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": -1})",
       "defaultErrnoRet: -1 is out of range"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 4096})",
       "defaultErrnoRet: 4096 is out of range (0..4095)"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": "1"})",
       "expected an unsigned integer, got string"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1.5})", "fits in 64 bits"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": "SCMP_ARCH_X86"})",
       "architectures: expected an array, got string"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]})",
       "architectures[0]: unknown architecture \"SCMP_ARCH_Z80\""},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {}})",
       "syscalls: expected an array, got object"},
      {rule("1"), "syscalls[0]: expected an object, got number"},
      {rule(R"({"action": "SCMP_ACT_ERRNO"})"), "syscalls[0]: no syscall names"},
      {rule(R"({"names": [], "action": "SCMP_ACT_ERRNO"})"), "syscalls[0]: no syscall names"},
      {rule(R"({"names": "mount", "action": "SCMP_ACT_ERRNO"})"),
       "syscalls[0].names: expected an array, got string"},
      {rule(R"({"names": ["mount", 7], "action": "SCMP_ACT_ERRNO"})"),
       "syscalls[0].names[1]: expected a string, got number"},
      {rule(R"({"names": [""], "action": "SCMP_ACT_ERRNO"})"), "invalid syscall name \"\""},
      // A NUL would cut the name short in libseccomp: "mount\0x" must not mean mount.
      {rule(R"({"names": ["mount\u0000x"], "action": "SCMP_ACT_ERRNO"})"),
       "invalid syscall name \"mount\\x00x\""},
      {rule(R"({"names": ["mo unt"], "action": "SCMP_ACT_ERRNO"})"), "invalid syscall name"},
      {rule(R"({"name": ["mount"], "action": "SCMP_ACT_ERRNO"})"),
       "syscalls[0].name: expected a string, got array"},
      {rule(R"({"names": ["mount"]})"), "syscalls[0]: no \"action\""},
      {rule(R"({"names": ["mount"], "action": null})"), "expected a string, got null"},
      {rule(R"({"names": ["mount"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1e3})"),
       "syscalls[0].errnoRet: expected an unsigned integer that fits in 64 bits"},
      {rule(R"({"names": ["mount"], "action": "SCMP_ACT_ERRNO", "args": {}})"),
       "syscalls[0].args: expected an array"},
      {rule(R"({"names": ["mount"], "action": "SCMP_ACT_ERRNO", "args": [[]]})"),
       "syscalls[0].args[0]: expected an object, got array"},
      {rule(R"({"names": ["mount"], "action": "SCMP_ACT_ERRNO", "args": [{"op": "SCMP_CMP_EQ"}]})"),
       "syscalls[0].args[0]: no \"index\""},
      {rule(R"({"names": ["m"], "action": "SCMP_ACT_ERRNO", "args": [{"index": -1, "op": "x"}]})"),
       "syscalls[0].args[0].index: -1 is out of range"},
      {rule(R"({"names": ["m"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0}]})"),
       "syscalls[0].args[0]: no \"op\""},
      {rule(R"({"names": ["m"], "action": "SCMP_ACT_ERRNO",
                "args": [{"index": 0, "op": "SCMP_CMP_FOO"}]})"),
       "syscalls[0].args[0].op: unknown operator \"SCMP_CMP_FOO\""},
      {rule(R"({"names": ["m"], "action": "SCMP_ACT_ERRNO",
                "args": [{"index": 0, "value": 18446744073709551616, "op": "SCMP_CMP_EQ"}]})"),
       "syscalls[0].args[0].value: expected an unsigned integer that fits in 64 bits"},
      {rule(R"({"names": ["m"], "action": "SCMP_ACT_ERRNO",
                "args": [{"index": 0, "valueTwo": -5, "op": "SCMP_CMP_EQ"}]})"),
       "syscalls[0].args[0].valueTwo: -5 is out of range"},
      {rule(R"({"names": ["m"], "action": "SCMP_ACT_ERRNO", "args": [
         {"index": 0, "op": "SCMP_CMP_EQ"}, {"index": 1, "op": "SCMP_CMP_EQ"},
         {"index": 2, "op": "SCMP_CMP_EQ"}, {"index": 3, "op": "SCMP_CMP_EQ"},
         {"index": 4, "op": "SCMP_CMP_EQ"}, {"index": 5, "op": "SCMP_CMP_EQ"},
         {"index": 5, "op": "SCMP_CMP_EQ"}]})"),
       "more than 6 argument comparisons"},
      // Invalid UTF-8 in a name: the parser refuses it and the message does not echo the byte.
      {rule("{\"names\": [\"mount\xff\"], \"action\": \"SCMP_ACT_ERRNO\"}"), "invalid JSON"},
      {rule("{\"names\": [\"\xc0\xae\"], \"action\": \"SCMP_ACT_ERRNO\"}"), "invalid JSON"},
      {std::string(100000, '['), "nested deeper than 32 levels"},
      {std::string(20 << 20, ' '), "too large"},
  };
  for (const auto& c : cases) {
    std::string message = parse_error(c.text);
    EXPECT_NE(message.find(c.message), std::string::npos)
        << "input: " << c.text.substr(0, 200) << "\nmessage: " << message;
  }
}

TEST(SeccompProfileParse, DeepNestingInsideUnknownFieldsIsRefusedWithoutRecursion) {
  std::string deep = R"({"defaultAction": "SCMP_ACT_ALLOW", "comment": )" + std::string(5000, '[') +
                     std::string(5000, ']') + "}";
  EXPECT_NE(parse_error(deep).find("nested deeper"), std::string::npos);
  // Brackets inside strings are text, not nesting.
  std::string text =
      R"({"defaultAction": "SCMP_ACT_ALLOW", "comment": ")" + std::string(5000, '[') + R"(\"{"})";
  EXPECT_TRUE(parse_seccomp_profile(text));
}

TEST(DefaultSeccompProfile, AllowsByDefaultAndDeniesTheEscapeHatches) {
  SeccompProfile p = default_seccomp_profile();
  EXPECT_EQ(p.default_action, "SCMP_ACT_ALLOW");
  std::set<std::string> denied = denied_names(p);
  for (const char* name : {"mount",
                           "umount2",
                           "pivot_root",
                           "unshare",
                           "setns",
                           "kexec_load",
                           "init_module",
                           "finit_module",
                           "delete_module",
                           "reboot",
                           "swapon",
                           "settimeofday",
                           "clock_settime",
                           "adjtimex",
                           "acct",
                           "fsopen",
                           "fsmount",
                           "move_mount",
                           "open_tree",
                           "mount_setattr",
                           "add_key",
                           "keyctl",
                           "bpf",
                           "perf_event_open",
                           "userfaultfd",
                           "open_by_handle_at",
                           "ptrace",
                           "process_vm_readv",
                           "io_uring_setup",
                           "iopl",
                           "ioperm",
                           "syslog",
                           "kcmp"})
    EXPECT_TRUE(denied.count(name)) << name;
  // What ordinary programs need stays out of the unconditional list.
  for (const char* name : {"clone", "personality", "execve", "read", "getpid", "socket"})
    EXPECT_FALSE(denied.count(name)) << name;
  for (const auto& r : p.syscalls) {
    EXPECT_EQ(r.action, "SCMP_ACT_ERRNO");
    bool clone3 = r.names == std::vector<std::string>{"clone3"};
    EXPECT_EQ(r.errno_ret, clone3 ? ENOSYS : EPERM) << r.names.front();
  }
#if defined(__x86_64__)
  EXPECT_EQ(p.architectures,
            (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
#endif
}

TEST(DefaultSeccompProfile, CloneIsDeniedExactlyForNamespaceFlags) {
  SeccompProfile p = default_seccomp_profile();
  std::uint64_t masks = 0;
  for (const auto& r : p.syscalls) {
    if (r.names != std::vector<std::string>{"clone"}) continue;
    ASSERT_EQ(r.args.size(), 1u);
    EXPECT_EQ(r.args[0].op, "SCMP_CMP_MASKED_EQ");
    EXPECT_EQ(r.args[0].value, r.args[0].value_two);
    masks |= r.args[0].value;
  }
  const std::uint64_t kNewTime = 0x80;
  EXPECT_EQ(masks, std::uint64_t{CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
                                 CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET} |
                       kNewTime);
}

// Evaluates the default profile's personality rules the way the filter does (rules of one
// syscall are alternatives; a rule's comparisons all hold), for values the kernel would see.
bool personality_denied(const SeccompProfile& p, std::uint64_t x) {
  for (const auto& r : p.syscalls) {
    if (r.names != std::vector<std::string>{"personality"}) continue;
    bool all = true;
    for (const auto& a : r.args) {
      if (a.op == "SCMP_CMP_MASKED_EQ")
        all = all && (x & a.value) == a.value_two;
      else if (a.op == "SCMP_CMP_GT")
        all = all && x > a.value;
      else
        ADD_FAILURE() << "unexpected op " << a.op;
    }
    if (all) return true;
  }
  return false;
}

TEST(DefaultSeccompProfile, PersonalityAllowsDockersValuesAndNothingElse) {
  SeccompProfile p = default_seccomp_profile();
  const std::set<std::uint64_t> allowed = {0, 8, 0x20000, 0x20008, 0xffffffff};
  for (std::uint64_t x : allowed) EXPECT_FALSE(personality_denied(p, x)) << std::hex << x;
  std::vector<std::uint64_t> values = {
      0x0040000,    0x0400000,           0x0100000,    0x3fff8, 0xfffffff7, 0xfffdffff, 0x80000000,
      0x1'00000000, 0xffffffff'ffffffff, 0x1'00000008, 0x20009, 0x7,        0xf,        0x2000f};
  for (unsigned i = 0; i < 32; ++i) {
    values.push_back(1ULL << i);
    values.push_back(~(1ULL << i) & 0xffffffff);
    values.push_back((1ULL << i) | 8);
    values.push_back((1ULL << i) | 0x20000);
  }
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200000; ++i) {
    std::uint64_t x = rng();
    values.push_back(x & 0xffffffff);
    values.push_back(x & rng() & rng() & 0xffffffff);    // sparse bits
    values.push_back((x | rng() | rng()) & 0xffffffff);  // dense bits
  }
  for (std::uint64_t x : values)
    EXPECT_EQ(personality_denied(p, x), !allowed.count(x)) << std::hex << x;
}

TEST(DefaultSeccompProfile, SurvivesAJsonRoundTrip) {
  SeccompProfile p = default_seccomp_profile();
  auto back = parse_seccomp_profile(to_json(p).dump());
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, p);
}

bool ends_in_return(const std::vector<sock_filter>& prog) {
  return !prog.empty() && BPF_CLASS(prog.back().code) == BPF_RET;
}

TEST(SeccompCompile, DefaultProfileCompilesToAKernelSizedProgram) {
  auto prog = compile_seccomp(default_seccomp_profile());
  ASSERT_TRUE(prog) << prog.error().message();
  EXPECT_GT(prog->size(), 50u);
  EXPECT_LE(prog->size(), std::size_t{BPF_MAXINSNS});
  EXPECT_TRUE(ends_in_return(*prog));
}

TEST(SeccompCompile, SmallCustomProfileCompiles) {
  auto p = parse_seccomp_profile(kOciProfile);
  ASSERT_TRUE(p) << p.error().message();
  auto prog = compile_seccomp(*p);
  ASSERT_TRUE(prog) << prog.error().message();
  EXPECT_TRUE(ends_in_return(*prog));
  auto tiny = compile_seccomp(SeccompProfile{});
  ASSERT_TRUE(tiny) << tiny.error().message();
  EXPECT_LT(tiny->size(), prog->size());
}

TEST(SeccompCompile, UnknownAndOtherArchSyscallsAreSkipped) {
  SeccompProfile p;
  // A name with a NUL is no syscall name (libseccomp would read "mount").
  p.syscalls.push_back({{"no_such_syscall", "getpid", "vm86old", std::string("mount\0x", 7)},
                        "SCMP_ACT_ERRNO",
                        std::nullopt,
                        {}});
  p.syscalls.push_back({{"also_not_a_syscall"}, "SCMP_ACT_KILL", std::nullopt, {}});
  auto prog = compile_seccomp(p);
  ASSERT_TRUE(prog) << prog.error().message();
  EXPECT_FALSE(prog->empty());
}

TEST(SeccompCompile, RuleWithTheDefaultActionIsSkipped) {
  SeccompProfile p;  // default ALLOW; libseccomp itself would refuse this rule with EACCES
  p.syscalls.push_back({{"getpid"}, "SCMP_ACT_ALLOW", std::nullopt, {}});
  p.syscalls.push_back({{"getppid"}, "SCMP_ACT_ERRNO", 1, {}});
  auto prog = compile_seccomp(p);
  ASSERT_TRUE(prog) << prog.error().message();
}

TEST(SeccompCompile, ErrorsNameTheRule) {
  auto compile_error = [](SeccompProfile p) {
    auto prog = compile_seccomp(p);
    return prog ? std::string("<compiled>") : prog.error().message();
  };
  SeccompProfile p;
  p.syscalls.push_back({{"getpid"}, "SCMP_ACT_ERRNO", std::nullopt, {}});
  p.syscalls.push_back({{"read"}, "SCMP_ACT_ERRNO", std::nullopt, {{7, 0, 0, "SCMP_CMP_EQ"}}});
  EXPECT_EQ(compile_error(p), "seccomp: syscalls[1]: argument index 7 out of range (0..5)");
  p.syscalls[1].args = {{0, 0, 0, "SCMP_CMP_SOMETIMES"}};
  EXPECT_EQ(compile_error(p), "seccomp: syscalls[1]: unknown operator \"SCMP_CMP_SOMETIMES\"");
  p.syscalls[1].args.clear();
  p.syscalls[1].action = "SCMP_ACT_MAYBE";
  EXPECT_EQ(compile_error(p), "seccomp: syscalls[1]: unknown action \"SCMP_ACT_MAYBE\"");
  p.syscalls[1].action = "SCMP_ACT_ERRNO";
  p.syscalls[1].errno_ret = 70000;
  EXPECT_EQ(compile_error(p), "seccomp: syscalls[1]: errnoRet 70000 out of range (0..4095)");
  p.syscalls[1].errno_ret.reset();
  p.architectures = {"SCMP_ARCH_PDP11"};
  EXPECT_EQ(compile_error(p),
            "seccomp: architectures[0]: unknown architecture \"SCMP_ARCH_PDP11\"");
  p.architectures.clear();
  // libseccomp takes one comparison per argument in a rule.
  p.syscalls[1].args = {{0, 1, 0, "SCMP_CMP_NE"}, {0, 2, 0, "SCMP_CMP_NE"}};
  std::string message = compile_error(p);
  EXPECT_EQ(message.rfind("seccomp: syscalls[1]: read: ", 0), 0u) << message;
  p.default_action = "SCMP_ACT_NONE";
  EXPECT_EQ(compile_error(p), "seccomp: defaultAction: unknown action \"SCMP_ACT_NONE\"");
}

TEST(SeccompLoad, RefusesAnEmptyOrOversizedProgram) {
  EXPECT_EQ(load_seccomp({}), EINVAL);
  std::vector<sock_filter> huge(BPF_MAXINSNS + 1, sock_filter{BPF_RET | BPF_K, 0, 0, 0});
  EXPECT_EQ(load_seccomp(huge), EINVAL);
}

}  // namespace
}  // namespace nsctl
