// The capability-name table: capabilities(7) spellings, both ways.
#include <gtest/gtest.h>
#include <linux/capability.h>

#include <string>

#include "privilege/capabilities.hpp"
#include "privilege/credentials.hpp"

namespace nsctl {
namespace {

TEST(CapsNames, AllFortyOneRoundTrip) {
  for (int cap = 0; cap <= 40; ++cap) {
    std::string name = capability_name(cap);
    ASSERT_EQ(name.rfind("CAP_", 0), 0u) << name;
    EXPECT_NE(name, "CAP_" + std::to_string(cap));
    EXPECT_EQ(capability_from_name(name), cap) << name;
  }
  EXPECT_EQ(capability_name(0), "CAP_CHOWN");
  EXPECT_EQ(capability_name(CAP_NET_RAW), "CAP_NET_RAW");
  EXPECT_EQ(capability_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
  EXPECT_EQ(capability_name(CAP_BPF), "CAP_BPF");
  EXPECT_EQ(capability_name(40), "CAP_CHECKPOINT_RESTORE");
  EXPECT_EQ(CAP_LAST_CAP, 40);  // the headers agree with the table's length
}

TEST(CapsNames, AcceptsAnyCaseWithOrWithoutPrefix) {
  for (const char* name :
       {"CAP_NET_RAW", "cap_net_raw", "Cap_Net_Raw", "NET_RAW", "net_raw", "nEt_RaW"})
    EXPECT_EQ(capability_from_name(name), CAP_NET_RAW) << name;
  EXPECT_EQ(capability_from_name("checkpoint_restore"), 40);
  EXPECT_EQ(capability_from_name("chown"), 0);
}

TEST(CapsNames, RejectsUnknownsNumbersAndEmpty) {
  for (const char* name : {"", "CAP_", "cap_", "13", "CAP_13", "0", "NET RAW", "CAP_NET_RAW ",
                           " CAP_NET_RAW", "CAP_CAP_NET_RAW", "CAP_NET_RAWX", "NET", "ALL",
                           "CAP_ALL", "CAP_NET_RAW\n", "ＮＥＴ_ＲＡＷ"})
    EXPECT_FALSE(capability_from_name(name)) << name;
  EXPECT_FALSE(capability_from_name(std::string("NET_RAW\0", 8)));
}

TEST(CapsNames, NumbersPastTheTableGetAGenericName) {
  EXPECT_EQ(capability_name(41), "CAP_41");
  EXPECT_EQ(capability_name(63), "CAP_63");
  EXPECT_EQ(capability_name(-1), "CAP_-1");
}

TEST(CapsNames, LastCapabilityIsTheKernels) {
  int last = last_capability();
  EXPECT_GE(last, 40);  // kernel 6.18 knows CAP_CHECKPOINT_RESTORE (5.9)
  EXPECT_LT(last, 64);
  EXPECT_EQ(last_capability(), last);
}

}  // namespace
}  // namespace nsctl
