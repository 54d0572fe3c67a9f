// validate_sandbox: every refusal, with the message a user reads, and the specs it accepts.
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "sandbox/sandbox.hpp"
#include "sandbox/sandbox_config.hpp"

namespace nsctl {
namespace {

SandboxSpec valid(uid_t euid = 1000) {
  SandboxSpec s = default_sandbox(euid, "xterm");
  s.process.args = {"sh"};
  return s;
}

NsTypeSet all_but(NsType type) {
  NsTypeSet out;
  for (const auto& t : ns_types())
    if (t.type != type) out.insert(t.type);
  return out;
}

std::string error_of(const SandboxSpec& s) {
  auto r = validate_sandbox(s);
  if (r) return "<valid>";
  EXPECT_EQ(r.error().code(), EINVAL);
  return r.error().message();
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

SandboxSpec with_mount(SandboxMount m) {
  SandboxSpec s = valid();
  s.mounts.push_back(std::move(m));
  return s;
}

TEST(SandboxValidate, DefaultsWithACommandAreValid) {
  EXPECT_TRUE(validate_sandbox(valid(1000)));
  EXPECT_TRUE(validate_sandbox(valid(0)));
}

TEST(SandboxValidate, NeedsACommand) {
  SandboxSpec s = valid();
  s.process.args.clear();
  EXPECT_EQ(error_of(s), "no command: give one after the options (or process.args in --config)");
  s.process.args = {""};
  EXPECT_EQ(error_of(s), "process.args[0]: the command name is empty");
}

TEST(SandboxValidate, ProcessFields) {
  SandboxSpec s = valid();
  s.process.env.push_back("NOEQUALS");
  EXPECT_EQ(error_of(s), "process.env[3]: 'NOEQUALS' is not NAME=value");
  s = valid();
  s.process.env.push_back("=x");
  EXPECT_EQ(error_of(s), "process.env[3]: '=x' is not NAME=value");
  s = valid();
  s.process.cwd = "tmp";
  EXPECT_EQ(error_of(s), "working directory (--chdir, process.cwd) 'tmp' is not an absolute path");
  s = valid();
  s.process.no_new_privileges = false;
  EXPECT_TRUE(contains(error_of(s), "always sets no_new_privs"));
}

TEST(SandboxValidate, CapabilitiesMustBeKnown) {
  SandboxSpec s = valid();
  s.process.capabilities = (1ull << 0) | (1ull << 40);
  EXPECT_TRUE(validate_sandbox(s));
  s.process.capabilities = 1ull << 50;
  EXPECT_EQ(error_of(s),
            "capabilities (--cap-add, process.capabilities): bit 50 is not a known capability");
  s.process.capabilities = 1ull << 63;
  EXPECT_TRUE(contains(error_of(s), "bit 63"));
}

TEST(SandboxValidate, Rlimits) {
  SandboxSpec s = valid();
  s.process.rlimits = {{RLIMIT_NOFILE, 10, 20}, {RLIMIT_CORE, 0, RLIM_INFINITY}};
  EXPECT_TRUE(validate_sandbox(s));
  s.process.rlimits = {{RLIMIT_NOFILE, 30, 20}};
  EXPECT_EQ(error_of(s), "rlimit RLIMIT_NOFILE: the soft limit 30 is above the hard limit 20");
  s.process.rlimits = {{RLIMIT_NOFILE, 1, 1}, {RLIMIT_NOFILE, 2, 2}};
  EXPECT_EQ(error_of(s), "rlimits (--rlimit, process.rlimits): RLIMIT_NOFILE is given twice");
  s.process.rlimits = {{99, 1, 1}};
  EXPECT_EQ(error_of(s), "rlimits (--rlimit, process.rlimits): unknown resource 99");
}

TEST(SandboxValidate, MountDestinations) {
  EXPECT_EQ(error_of(with_mount({"tmp", "tmpfs", "tmpfs", {}})),
            "mount 1 (tmpfs on tmp): destination must be an absolute path");
  SandboxSpec s = valid();
  s.mounts = {{"/ok", "tmpfs", "tmpfs", {}}, {"tmp", "tmpfs", "tmpfs", {}}};
  EXPECT_EQ(error_of(s), "mount 2 (tmpfs on tmp): destination must be an absolute path");
  EXPECT_EQ(error_of(with_mount({"", "tmpfs", "tmpfs", {}})),
            "mount 1 (tmpfs on ): destination must be an absolute path");
  for (const char* dst : {"/a/../b", "/..", "/a/..", "/../x"})
    EXPECT_EQ(error_of(with_mount({dst, "tmpfs", "tmpfs", {}})),
              fmt::format("mount 1 (tmpfs on {}): destination must not contain '..'", dst));
  for (const char* dst : {"/", "/a/..b", "/a/b..", "/a/./b", "//x//"})
    EXPECT_TRUE(validate_sandbox(with_mount({dst, "tmpfs", "tmpfs", {}}))) << dst;
}

TEST(SandboxValidate, MountTypes) {
  EXPECT_EQ(error_of(with_mount({"/sys", "sysfs", "sysfs", {}})),
            "mount 1 (sysfs on /sys): unknown type 'sysfs' (nsctl mounts bind, tmpfs, proc, "
            "overlay and devtmpfs-minimal)");
  EXPECT_TRUE(validate_sandbox(with_mount({"/dev", std::string(kMinimalDevType), "tmpfs", {}})));
  EXPECT_TRUE(
      validate_sandbox(with_mount({"/proc", "proc", "proc", {"nosuid", "nodev", "noexec"}})));
}

TEST(SandboxValidate, MountOptionsPerType) {
  EXPECT_TRUE(validate_sandbox(with_mount(
      {"/b", "bind", "/src", {"rbind", "bind", "ro", "rw", "nosuid", "nodev", "noexec"}})));
  EXPECT_TRUE(validate_sandbox(
      with_mount({"/t",
                  "tmpfs",
                  "tmpfs",
                  {"size=64m", "mode=1777", "nr_inodes=1k", "ro", "nosuid", "nodev", "noexec"}})));
  EXPECT_EQ(error_of(with_mount({"/b", "bind", "/src", {"size=1m"}})),
            "mount 1 (bind on /b): option 'size=1m' does not apply to a bind mount");
  EXPECT_EQ(error_of(with_mount({"/p", "proc", "proc", {"ro"}})),
            "mount 1 (proc on /p): option 'ro' does not apply to a proc mount");
  EXPECT_EQ(error_of(with_mount({"/t", "tmpfs", "tmpfs", {"size"}})),
            "mount 1 (tmpfs on /t): option 'size' does not apply to a tmpfs mount");
  EXPECT_EQ(error_of(with_mount({"/t", "tmpfs", "tmpfs", {"ro=1"}})),
            "mount 1 (tmpfs on /t): option 'ro=1' does not apply to a tmpfs mount");
  EXPECT_EQ(error_of(with_mount({"/t", "tmpfs", "tmpfs", {"size="}})),
            "mount 1 (tmpfs on /t): option 'size=' needs a value");
  EXPECT_EQ(error_of(with_mount({"/t", "tmpfs", "tmpfs", {"mode=0999"}})),
            "mount 1 (tmpfs on /t): option 'mode=0999': the mode must be octal, at most 07777");
  EXPECT_EQ(error_of(with_mount({"/t", "tmpfs", "tmpfs", {"mode=17777"}})),
            "mount 1 (tmpfs on /t): option 'mode=17777': the mode must be octal, at most 07777");
  EXPECT_EQ(error_of(with_mount({"/t", "tmpfs", "tmpfs", {"size=1m,mode=0"}})),
            "mount 1 (tmpfs on /t): option 'size=1m,mode=0' holds a comma");
  EXPECT_EQ(error_of(with_mount({"/d", std::string(kMinimalDevType), "tmpfs", {"nosuid"}})),
            "mount 1 (devtmpfs-minimal on /d): option 'nosuid' does not apply to a "
            "devtmpfs-minimal mount");
}

TEST(SandboxValidate, BindAndOverlaySources) {
  EXPECT_EQ(error_of(with_mount({"/b", "bind", "", {"rbind"}})),
            "mount 1 (bind on /b): a bind mount needs a source");
  EXPECT_EQ(error_of(with_mount({"/b", "bind", "rel", {"rbind"}})),
            "mount 1 (bind on /b): source 'rel' must be an absolute path");
  EXPECT_TRUE(validate_sandbox(
      with_mount({"/o", "overlay", "overlay", {"lowerdir=/l1:/l2", "upperdir=/u", "workdir=/w"}})));
  // Read-only overlay: neither upperdir nor workdir.
  EXPECT_TRUE(validate_sandbox(with_mount({"/o", "overlay", "overlay", {"lowerdir=/a:/b"}})));
  EXPECT_EQ(error_of(with_mount({"/o", "overlay", "", {"lowerdir=/l"}})),
            "mount 1 (overlay on /o): an overlay mount needs a source (\"overlay\")");
  EXPECT_EQ(error_of(with_mount({"/o", "overlay", "overlay", {"upperdir=/u", "workdir=/w"}})),
            "mount 1 (overlay on /o): an overlay mount needs lowerdir=");
  EXPECT_EQ(error_of(with_mount({"/o", "overlay", "overlay", {"lowerdir=/l", "upperdir=/u"}})),
            "mount 1 (overlay on /o): upperdir= and workdir= go together (neither: a read-only "
            "overlay)");
  EXPECT_EQ(error_of(with_mount({"/o", "overlay", "overlay", {"lowerdir=/l:rel"}})),
            "mount 1 (overlay on /o): lowerdir '/l:rel' must be absolute paths separated by ':'");
  EXPECT_EQ(error_of(with_mount({"/o", "overlay", "overlay", {"lowerdir=/l::/m"}})),
            "mount 1 (overlay on /o): lowerdir '/l::/m' must be absolute paths separated by ':'");
  EXPECT_EQ(error_of(with_mount(
                {"/o", "overlay", "overlay", {"lowerdir=/l", "upperdir=u", "workdir=/w"}})),
            "mount 1 (overlay on /o): upperdir and workdir must be absolute paths");
}

TEST(SandboxValidate, RootAndMountsNeedAMountNamespace) {
  SandboxSpec s = valid();
  s.root.path = "rel";
  EXPECT_EQ(error_of(s), "root (--root, root.path) 'rel' is not an absolute path");
  s.root.path = "/srv/root";
  s.linux_.namespaces = all_but(NsType::mnt);
  EXPECT_EQ(error_of(s),
            "--root/--ro (root) needs a new mnt namespace, but mnt is shared (--share-mnt, or no "
            "\"mount\" in linux.namespaces)");
  s.root.path.clear();
  s.root.readonly = true;
  EXPECT_TRUE(contains(error_of(s), "needs a new mnt namespace"));
  s = with_mount({"/t", "tmpfs", "tmpfs", {}});
  s.linux_.namespaces = all_but(NsType::mnt);
  EXPECT_TRUE(contains(error_of(s), "mounts needs a new mnt namespace"));
}

TEST(SandboxValidate, HostnameAndDomainname) {
  SandboxSpec s = valid();
  s.hostname = std::string(64, 'h');
  s.domainname = "example.org";
  EXPECT_TRUE(validate_sandbox(s));
  s.hostname = std::string(65, 'h');
  EXPECT_EQ(error_of(s), "hostname (--hostname) is 65 bytes long; the kernel takes at most 64");
  s.hostname = "box";
  s.linux_.namespaces = all_but(NsType::uts);
  EXPECT_EQ(error_of(s),
            "hostname (--hostname) needs a new uts namespace, but uts is shared (--share-uts, or "
            "no \"uts\" in linux.namespaces)");
  s.hostname.clear();
  EXPECT_TRUE(contains(error_of(s), "domainname (--domainname) needs a new uts namespace"));
}

TEST(SandboxValidate, TimeOffsetsNeedATimeNamespace) {
  SandboxSpec s = valid();
  s.linux_.boottime_offset = -5;
  EXPECT_TRUE(validate_sandbox(s));
  s.linux_.namespaces = all_but(NsType::time);
  EXPECT_TRUE(contains(error_of(s),
                       "time offsets (--time-offset, linux.timeOffsets) needs a new "
                       "time namespace"));
}

SandboxSpec with_veth(SandboxVeth v) {
  SandboxSpec s = valid();
  s.nsctl.veth = std::move(v);
  return s;
}

TEST(SandboxValidate, Veth) {
  const SandboxVeth good{"nsctl42", "eth0", 0x0ac80001, 0x0ac80002, 30};
  EXPECT_TRUE(validate_sandbox(with_veth(good)));
  SandboxSpec s = with_veth(good);
  s.linux_.namespaces = all_but(NsType::net);
  EXPECT_TRUE(contains(error_of(s), "--veth (nsctl.veth) needs a new net namespace"));
  auto v = good;
  v.host_name = "0123456789abcdef";
  EXPECT_EQ(error_of(with_veth(v)),
            "veth: the host interface name '0123456789abcdef' is not a valid link name (1 to 15 "
            "bytes, no '/', ':' or spaces)");
  for (const char* bad : {"", "a/b", "a b", "a\tb", "a:b", ".", ".."}) {
    v = good;
    v.sandbox_name = bad;
    EXPECT_TRUE(contains(error_of(with_veth(v)), "the sandbox interface name")) << bad;
  }
  v = good;
  v.host_name = "0123456789abcde";
  EXPECT_TRUE(validate_sandbox(with_veth(v)));
  for (int prefix : {0, 31, 32, -1}) {
    v = good;
    v.prefix_len = prefix;
    EXPECT_EQ(
        error_of(with_veth(v)),
        fmt::format("veth: prefix length {} is outside 1..30 (two hosts need a /30)", prefix));
  }
  v = good;
  v.sandbox_address = v.host_address;
  EXPECT_EQ(error_of(with_veth(v)),
            "veth: the host and the sandbox both have the address 10.200.0.1");
  v = good;
  v.sandbox_address = 0x0ac80005;
  EXPECT_EQ(error_of(with_veth(v)),
            "veth: the sandbox address 10.200.0.5 is not in 10.200.0.0/30, the host's network");
  v = good;
  v.sandbox_address = 0x0ac80003;
  EXPECT_EQ(error_of(with_veth(v)),
            "veth: the sandbox address 10.200.0.3 is the network or broadcast address of "
            "10.200.0.0/30");
  v = SandboxVeth{"h", "s", 0xc0a80700, 0xc0a80702, 24};
  EXPECT_TRUE(contains(error_of(with_veth(v)), "the host address 192.168.7.0 is the network"));
  v = SandboxVeth{"h", "s", 0x0a000001, 0x0a7ffffe, 1};
  EXPECT_TRUE(validate_sandbox(with_veth(v)));
}

TEST(SandboxValidate, AsPid1NeedsAPidNamespace) {
  SandboxSpec s = valid();
  s.nsctl.as_pid_1 = true;
  EXPECT_TRUE(validate_sandbox(s));
  s.linux_.namespaces = all_but(NsType::pid);
  EXPECT_TRUE(contains(error_of(s), "--as-pid-1 (nsctl.asPid1) needs a new pid namespace"));
}

TEST(SandboxValidate, IdMapsNeedAUserNamespaceAndMustBeValid) {
  SandboxSpec s = valid(0);  // no user namespace as root
  s.linux_.uid_mappings = {{0, 100000, 65536}};
  EXPECT_EQ(error_of(s),
            "--map-users (linux.uidMappings) needs a new user namespace, but user is shared "
            "(--share-user, or no \"user\" in linux.namespaces)");
  s.linux_.namespaces.insert(NsType::user);
  EXPECT_TRUE(validate_sandbox(s));
  s.linux_.gid_mappings = {{0, 100000, 10}, {5, 100002, 10}};
  EXPECT_TRUE(contains(error_of(s), "--map-groups (linux.gidMappings): ")) << error_of(s);
  s.linux_.gid_mappings = {{0, 100000, 10}};
  s.process.uid = 70000;
  EXPECT_EQ(error_of(s),
            "uid 70000 (--uid, process.user.uid) is not mapped by --map-users (linux.uidMappings)");
  s.process.uid = 0;
  s.process.gid = 10;
  EXPECT_EQ(error_of(s),
            "gid 10 (--gid, process.user.gid) is not mapped by --map-groups (linux.gidMappings)");
}

TEST(SandboxValidate, SupplementaryGroupsInARootlessUserNamespace) {
  SandboxSpec s = valid(1000);
  s.process.additional_gids = {5};
  EXPECT_EQ(error_of(s),
            "supplementary groups (--groups, process.user.additionalGids) in a new user "
            "namespace need --map-groups (linux.gidMappings): with only the caller's gid mapped, "
            "the kernel denies setgroups");
  s.linux_.gid_mappings = {{0, 100000, 65536}};
  EXPECT_TRUE(validate_sandbox(s));
  s.process.additional_gids = {5, 70000};
  EXPECT_TRUE(contains(error_of(s), "supplementary group 70000"));
  // Real root without a user namespace sets any groups.
  s = valid(0);
  s.process.additional_gids = {5, 70000};
  EXPECT_TRUE(validate_sandbox(s));
}

TEST(SandboxValidate, Resources) {
  SandboxSpec s = valid();
  s.linux_.resources = {1 << 20, 1, 1000, 1000};
  EXPECT_TRUE(validate_sandbox(s));
  s.linux_.resources = {-1, -1, -1, 1000000};  // unlimited
  EXPECT_TRUE(validate_sandbox(s));
  s.linux_.resources = {(1 << 20) - 1, {}, {}, {}};
  EXPECT_EQ(error_of(s),
            "memory limit (--memory, linux.resources.memory.limit) of 1048575 bytes is below 1 "
            "MiB, too little to start a command");
  s.linux_.resources = {{}, 0, {}, {}};
  EXPECT_EQ(error_of(s), "pids limit (--pids, linux.resources.pids.limit) 0 is below 1");
  s.linux_.resources = {{}, {}, 999, {}};
  EXPECT_EQ(error_of(s),
            "cpu quota (--cpus, linux.resources.cpu.quota) of 999 us is below the kernel's "
            "minimum of 1000 us");
  s.linux_.resources = {{}, {}, 0, {}};
  EXPECT_TRUE(contains(error_of(s), "of 0 us is below"));
  for (std::uint64_t period : {999ull, 1000001ull, 0ull}) {
    s.linux_.resources = {{}, {}, 50000, period};
    EXPECT_EQ(error_of(s), fmt::format("cpu period (linux.resources.cpu.period) of {} us is "
                                       "outside 1000..1000000",
                                       period));
  }
}

TEST(SandboxValidate, NulBytesInSpecsBuiltInCode) {
  SandboxSpec s = valid();
  s.process.args.push_back(std::string("a\0b", 3));
  EXPECT_EQ(error_of(s), "process.args[1]: contains a NUL byte, which the kernel cannot take");
  s = with_mount({std::string("/a\0", 3), "tmpfs", "tmpfs", {}});
  EXPECT_EQ(error_of(s), "mounts[0]: contains a NUL byte, which the kernel cannot take");
  s = valid();
  s.hostname = std::string("h\0", 2);
  EXPECT_TRUE(contains(error_of(s), "hostname: contains a NUL byte"));
}

}  // namespace
}  // namespace nsctl
