// --cap-add's names: the kernel's numbering, the spellings accepted, ALL, and the refusal
// of unknown names with a suggestion.
#include "exec/capabilities.h"

#include <gtest/gtest.h>
#include <linux/capability.h>

namespace rootfsctl::exec {
namespace {

TEST(Capabilities, NumbersAreTheKernels) {
  EXPECT_EQ(capability_number("CAP_CHOWN"), CAP_CHOWN);
  EXPECT_EQ(capability_number("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
  EXPECT_EQ(capability_number("CAP_NET_ADMIN"), CAP_NET_ADMIN);
  EXPECT_EQ(capability_number("CAP_CHECKPOINT_RESTORE"), CAP_CHECKPOINT_RESTORE);
  EXPECT_EQ(capability_name(CAP_SETPCAP), "CAP_SETPCAP");
  EXPECT_EQ(capability_name(CAP_LAST_CAP + 1), "");
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    EXPECT_EQ(capability_number(capability_name(cap)), cap) << cap;
  }
}

TEST(Capabilities, AnyCaseWithOrWithoutThePrefix) {
  EXPECT_EQ(capability_number("cap_net_raw"), CAP_NET_RAW);
  EXPECT_EQ(capability_number("NET_RAW"), CAP_NET_RAW);
  EXPECT_EQ(capability_number("net_raw"), CAP_NET_RAW);
  EXPECT_EQ(capability_number("CAP_"), std::nullopt);
  EXPECT_EQ(capability_number("NET"), std::nullopt);
}

TEST(Capabilities, ParseUnitesTheNamesAndAll) {
  auto set = parse_capabilities({"CAP_NET_ADMIN", "sys_admin", "CAP_NET_ADMIN"}, 40);
  ASSERT_TRUE(set.has_value());
  EXPECT_EQ(*set, (CapabilitySet{1} << CAP_NET_ADMIN) | (CapabilitySet{1} << CAP_SYS_ADMIN));
  EXPECT_EQ(parse_capabilities({}, 40), CapabilitySet{0});
  EXPECT_EQ(parse_capabilities({"ALL"}, 40), (CapabilitySet{1} << 41) - 1);
  EXPECT_EQ(parse_capabilities({"all"}, 37), (CapabilitySet{1} << 38) - 1);
  EXPECT_EQ(all_capabilities(63), ~CapabilitySet{0});
}

TEST(Capabilities, UnknownNamesAreUsageErrorsWithASuggestion) {
  auto typo = parse_capabilities({"CAP_SYS_ADMN"}, 40);
  ASSERT_FALSE(typo.has_value());
  EXPECT_EQ(typo.error().stage, Stage::kUsage);
  EXPECT_NE(typo.error().message.find("unknown capability 'CAP_SYS_ADMN'"), std::string::npos);
  EXPECT_EQ(typo.error().hint, "did you mean 'CAP_SYS_ADMIN'?");
  auto lower = parse_capabilities({"net_admn"}, 40);
  ASSERT_FALSE(lower.has_value());
  EXPECT_EQ(lower.error().hint, "did you mean 'CAP_NET_ADMIN'?");
  auto nonsense = parse_capabilities({"xyzzy"}, 40);
  ASSERT_FALSE(nonsense.has_value());
  EXPECT_NE(nonsense.error().hint.find("capabilities(7)"), std::string::npos);
}

TEST(Capabilities, ANameTheRunningKernelLacksIsRefused) {
  auto bpf = parse_capabilities({"CAP_BPF"}, 37);
  ASSERT_FALSE(bpf.has_value());
  EXPECT_NE(bpf.error().message.find("no CAP_BPF"), std::string::npos);
}

TEST(Capabilities, LastCapIsTheRunningKernels) {
  int last = last_cap();
  EXPECT_GE(last, CAP_AUDIT_READ);  // Linux 3.16
  EXPECT_LE(last, 63);
}

}  // namespace
}  // namespace rootfsctl::exec
