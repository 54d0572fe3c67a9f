#include "privilege/idmap.hpp"

#include <gtest/gtest.h>

#include <string>

namespace nsctl {
namespace {

TEST(ParseId, AcceptsOnlyPlainDecimalIdsBelowTheNoIdValue) {
  EXPECT_EQ(parse_id("0"), 0u);
  EXPECT_EQ(parse_id("4294967294"), 4294967294u);
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "4294967295", "4294967296",
                          "99999999999999999999999", "0x10", "1e3", "١"})
    EXPECT_FALSE(parse_id(bad)) << bad;
}

TEST(ParseIdRange, ColonFormIsInnerOuterCount) {
  auto r = parse_id_range("0:100000:65536");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, (IdRange{0, 100000, 65536}));
}

TEST(ParseIdRange, DeprecatedCommaFormIsOuterInnerCount) {
  auto r = parse_id_range("100000,0,65536");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, (IdRange{0, 100000, 65536}));
}

TEST(ParseIdRange, RejectsHostileInputWithUnsharesMessage) {
  for (const char* bad : {"",
                          ":",
                          "::",
                          "1:2",
                          "1,2",
                          "1:2:3:4",
                          "1,2,3,4",
                          "1:2,3",
                          "a:b:c",
                          "1:2:0",
                          "-1:2:3",
                          "1:-2:3",
                          "1:2:-3",
                          "1: 2:3",
                          "1:2:3 ",
                          "1:2:3\n",
                          "4294967295:0:1",
                          "0:4294967295:1",
                          "4294967294:0:2",
                          "0:1:4294967296",
                          "0:1:99999999999999999999"}) {
    auto r = parse_id_range(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().message(), "invalid mapping '" + std::string(bad) + "'");
    }
  }
  // The largest range that fits: up to, not including, 4294967295.
  EXPECT_TRUE(parse_id_range("0:1:4294967294"));
  EXPECT_FALSE(parse_id_range("0:1:4294967295"));
}

TEST(SubidRange, FirstLineOfTheUserByNameOrUid) {
  const char* file =
      "# comment\n"
      "alice:100000:65536\n"
      "1000:300000:10\n"
      "bob:200000:65536\n"
      "alice:400000:5\n";
  auto a = subid_range(file, "/etc/subuid", "alice", 1000, false);
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(*a, (IdRange{0, 100000, 65536}));
  auto b = subid_range(file, "/etc/subuid", "bob", 1001, true);
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ(*b, (IdRange{200000, 200000, 65536}));
  auto c = subid_range(file, "/etc/subuid", "carol", 1000, false);  // by uid
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(*c, (IdRange{0, 300000, 10}));
  EXPECT_EQ(subid_ranges(file, "alice", 1000).size(), 3u);
}

TEST(SubidRange, MissingUserAndMalformedLines) {
  auto none = subid_range("bob:1:2\n", "/etc/subuid", "alice", 1000, false);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message(), "no line matching user \"alice\" in /etc/subuid");
  EXPECT_FALSE(subid_range("", "/etc/subuid", "alice", 1000, false));
  for (const char* bad : {"alice:x:10\n", "alice:1:\n", "alice:1:0\n", "alice:4294967295:1\n",
                          "alice:1:-5\n", "alice:4294967000:1000\n"})
    EXPECT_FALSE(subid_range(bad, "/etc/subuid", "alice", 1000, false)) << bad;
  // Lines of other users are not parsed at all; a line without enough fields is skipped.
  auto ok = subid_range("bob:garbage\nalice\nalice:5:6\n", "/etc/subuid", "alice", 7, false);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->outer, 5u);
}

TEST(PassthroughMap, MapsEveryIdOfTheCallerOntoItself) {
  auto m = passthrough_map("         0          0 4294967295\n");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0], (IdRange{0, 0, 4294967295u}));
  auto two = passthrough_map("0 1000 1\n1 100000 65535\ngarbage\n5 6\n");
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[1], (IdRange{1, 1, 65535}));
}

TEST(WithSingleId, PunchesTheHoleOnBothSides) {
  // --map-auto -r: the man page's example.
  IdMap m = with_single_id({{0, 100000, 65536}}, 1000, 0);
  EXPECT_EQ(m, (IdMap{{0, 1000, 1}, {1, 100000, 65535}}));
  // Outer id inside the range: the ids after it shift.
  m = with_single_id({{0, 100000, 10}}, 100003, 50);
  EXPECT_EQ(m, (IdMap{{50, 100003, 1}, {0, 100000, 3}, {3, 100004, 6}}));
  // Both inside.
  m = with_single_id({{0, 100, 10}}, 105, 2);
  EXPECT_EQ(m, (IdMap{{2, 105, 1}, {0, 100, 2}, {3, 102, 3}, {6, 106, 4}}));
  // Untouched range.
  m = with_single_id({{0, 100, 10}}, 5, 50);
  EXPECT_EQ(m, (IdMap{{50, 5, 1}, {0, 100, 10}}));
  // A range of one that is the hole disappears.
  m = with_single_id({{0, 100, 1}}, 7, 0);
  EXPECT_EQ(m, (IdMap{{0, 7, 1}}));
  for (const auto& map :
       {with_single_id({{0, 100000, 65536}}, 1000, 0), with_single_id({{0, 100, 10}}, 105, 2)})
    EXPECT_TRUE(validate_id_map(map)) << id_map_text(map);
}

TEST(ValidateIdMap, RejectsOverlapsEmptyAndOversizedMaps) {
  EXPECT_TRUE(validate_id_map({{0, 1000, 1}, {1, 100000, 65535}}));
  EXPECT_FALSE(validate_id_map({}));
  auto inner = validate_id_map({{0, 100, 10}, {5, 1000, 10}});
  ASSERT_FALSE(inner);
  EXPECT_NE(inner.error().message().find("overlap on the inner side"), std::string::npos);
  auto outer = validate_id_map({{0, 100, 10}, {50, 109, 10}});
  ASSERT_FALSE(outer);
  EXPECT_NE(outer.error().message().find("overlap on the outer side"), std::string::npos);
  EXPECT_FALSE(validate_id_map({{0, 1, 0}}));
  EXPECT_FALSE(validate_id_map({{4294967290u, 1, 10}}));
  IdMap many;
  for (std::uint32_t i = 0; i <= kMaxIdMapLines; ++i) many.push_back({i, i, 1});
  EXPECT_FALSE(validate_id_map(many));
  many.pop_back();
  EXPECT_TRUE(validate_id_map(many));
}

TEST(CheckSubordinate, AcceptsOwnIdAndRangesInsideTheSubordinateIds) {
  IdRange allowed[] = {{0, 100000, 65536}, {0, 300000, 10}};
  EXPECT_TRUE(check_subordinate({{0, 1000, 1}, {1, 100000, 65535}}, allowed, 1000, "u"));
  EXPECT_TRUE(check_subordinate({{0, 300000, 10}}, allowed, 1000, "u"));
  auto over = check_subordinate({{0, 100000, 65537}}, allowed, 1000, "alice in /etc/subuid");
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code(), EPERM);
  EXPECT_EQ(over.error().message(),
            "mapping '0:100000:65537' exceeds the subordinate ids of alice in /etc/subuid");
  EXPECT_FALSE(check_subordinate({{0, 1001, 1}}, allowed, 1000, "u"));
  EXPECT_FALSE(check_subordinate({{0, 1000, 2}}, allowed, 1000, "u"));
  // Across two allowed ranges that do not touch: refused.
  EXPECT_FALSE(check_subordinate({{0, 165530, 134480}}, allowed, 1000, "u"));
  EXPECT_FALSE(check_subordinate({{0, 5, 1}}, {}, 1000, "u"));
}

TEST(IdMapText, OneLinePerRange) {
  EXPECT_EQ(id_map_text({{0, 1000, 1}, {1, 100000, 65535}}), "0 1000 1\n1 100000 65535\n");
}

}  // namespace
}  // namespace nsctl
