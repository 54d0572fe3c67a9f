#include "proc/proc.hpp"

#include <gtest/gtest.h>

namespace nsctl {
namespace {

TEST(ParseStat, SplitsAtLastParen) {
  auto st = parse_stat("42 (a) b (c)) S 7 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 3 0 12345 0 0");
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st->pid, 42);
  EXPECT_EQ(st->comm, "a) b (c)");
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->ppid, 7);
  EXPECT_EQ(st->num_threads, 3);
  EXPECT_EQ(st->start_time, 12345u);
}

TEST(ParseStat, NameWithNewlineAndSpaces) {
  auto st = parse_stat("9 (x\ny  z) R 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n");
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st->comm, "x\ny  z");
  EXPECT_EQ(st->ppid, 1);
}

TEST(ParseStat, RejectsTruncatedAndGarbage) {
  EXPECT_FALSE(parse_stat(""));
  EXPECT_FALSE(parse_stat("12 (x) S 1"));
  EXPECT_FALSE(parse_stat("12 x) S 1 2 3"));
  EXPECT_FALSE(parse_stat("abc (x) S 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5"));
  EXPECT_FALSE(parse_stat("12 (x) S zz 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5"));
}

TEST(ParseNsLink, KnownTypes) {
  auto l = parse_ns_link("net:[4026531840]");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->type, NsType::net);
  EXPECT_EQ(l->ino, 4026531840u);
  EXPECT_EQ(parse_ns_link("time:[1]")->type, NsType::time);
  EXPECT_FALSE(parse_ns_link("socket:[123]"));
  EXPECT_FALSE(parse_ns_link("net:[]"));
  EXPECT_FALSE(parse_ns_link("net:[12x]"));
  EXPECT_FALSE(parse_ns_link("/run/netns/net:[1]x"));
  EXPECT_EQ(parse_socket_link("socket:[77]"), std::optional<ino_t>(77));
  EXPECT_FALSE(parse_socket_link("pipe:[77]"));
}

TEST(ParseCmdline, SplitsAndJoins) {
  using namespace std::string_view_literals;
  auto args = parse_cmdline("sleep\0infinity\0"sv);
  ASSERT_EQ(args.size(), 2u);
  EXPECT_EQ(args[1], "infinity");
  EXPECT_EQ(join_cmdline("a\0b c\0\0"sv), "a b c");
  EXPECT_TRUE(parse_cmdline(""sv).empty());
  EXPECT_EQ(parse_cmdline("no-final-nul"sv).size(), 1u);
}

TEST(ParseMountinfo, NsfsBindMountWithEscapes) {
  std::string text =
      "25 1 0:23 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
      "400 25 0:4 net:[4026532281] /run/netns/my\\040net rw shared:5 master:2 - nsfs nsfs rw\n";
  auto m = parse_mountinfo(text);
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[1].fs_type, "nsfs");
  EXPECT_EQ((*m)[1].root, "net:[4026532281]");
  EXPECT_EQ((*m)[1].mount_point, "/run/netns/my net");
  EXPECT_EQ((*m)[1].parent_id, 25);
  EXPECT_EQ((*m)[1].super_options, "rw");
  EXPECT_EQ((*m)[0].major, 0u);
  EXPECT_EQ((*m)[0].minor, 23u);
}

TEST(ParseMountinfo, ErrorNamesTheLine) {
  auto m = parse_mountinfo("25 1 0:23 / / rw - ext4 x rw\nbroken line\n");
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message().find("line 2"), std::string::npos) << m.error().message();
}

TEST(UnescapeMountField, OctalOnlyWhenComplete) {
  EXPECT_EQ(unescape_mount_field("a\\011b\\012c\\134d"), "a\tb\nc\\d");
  EXPECT_EQ(unescape_mount_field("end\\04"), "end\\04");
  EXPECT_EQ(unescape_mount_field("\\9"), "\\9");
}

TEST(ParseCgroup, V1AndV2WithColonsInPath) {
  auto lines = parse_cgroup("12:pids:/docker/abc\n0::/a:b/c\nbogus\n");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].controllers, "pids");
  EXPECT_EQ(lines[0].path, "/docker/abc");
  EXPECT_EQ(lines[1].hierarchy, 0);
  EXPECT_EQ(lines[1].path, "/a:b/c");
}

TEST(EnvironValue, FindsExactName) {
  using namespace std::string_view_literals;
  auto env = "container_x=1\0container=podman\0"sv;
  EXPECT_EQ(environ_value(env, "container"), std::optional<std::string_view>("podman"));
  EXPECT_FALSE(environ_value(env, "contain"));
}

TEST(ParseDecimal, WholeStringOnly) {
  EXPECT_EQ(parse_decimal("123"), 123);
  EXPECT_FALSE(parse_decimal("12a"));
  EXPECT_FALSE(parse_decimal(""));
  EXPECT_EQ(parse_decimal("-5"), -5);
}

}  // namespace
}  // namespace nsctl
