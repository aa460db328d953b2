#include "plan/op.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rootfsctl::plan {
namespace {

OpFlags named(std::vector<std::string> names) {
  auto flags = flags_from_names(names);
  EXPECT_TRUE(flags.has_value());
  return flags.value_or(OpFlags{});
}

TEST(OpFlagsTest, EveryNameRoundTripsThroughTheBits) {
  for (const auto& option : mount_options()) {
    const std::vector<std::string> one{std::string(option.name)};
    EXPECT_EQ(flag_names(named(one)), one) << option.name;
  }
  for (std::string name : {"rec", "detach", "all", "optional", "private", "slave", "shared",
                           "rprivate", "rslave", "rshared"}) {
    EXPECT_EQ(flag_names(named({name})), std::vector<std::string>{name}) << name;
  }
}

TEST(OpFlagsTest, NamesComeInOneOrderWhateverOrderTheyWereGivenIn) {
  EXPECT_EQ(flag_names(named({"rec", "noexec", "ro", "nosuid"})),
            (std::vector<std::string>{"ro", "nosuid", "noexec", "rec"}));
  EXPECT_EQ(flag_names(named({"optional", "all", "detach"})),
            (std::vector<std::string>{"detach", "all", "optional"}));
}

TEST(OpFlagsTest, ALaterRivalWinsAsInALayoutsList) {
  EXPECT_EQ(flag_names(named({"ro", "rw"})), std::vector<std::string>{"rw"});
  EXPECT_EQ(flag_names(named({"relatime", "noatime"})), std::vector<std::string>{"noatime"});
  EXPECT_EQ(flag_names(named({"suid", "nosuid"})), std::vector<std::string>{"nosuid"});
  OpFlags flags = named({"noatime"});
  // noatime turns the other atime modes off: applied to a relatime mount, only it is left.
  EXPECT_EQ(flags.applied_to(kMountRelAtime | kMountNoSuid), kMountNoAtime | kMountNoSuid);
}

TEST(OpFlagsTest, TheBitsAreWhatTheExecutorApplies) {
  OpFlags flags = named({"ro", "nodev", "exec"});
  EXPECT_EQ(flags.set, kMountReadOnly | kMountNoDev);
  EXPECT_EQ(flags.clear, MountFlags{kMountNoExec});
  EXPECT_TRUE(flags.read_only());
  EXPECT_FALSE(flags.recursive);
  OpFlags slave = named({"rslave"});
  EXPECT_EQ(slave.propagation, PropagationType::kSlave);
  EXPECT_TRUE(slave.recursive);
  EXPECT_EQ(named({"slave"}).recursive, false);
}

TEST(OpFlagsTest, AnUnknownNameIsRefused) {
  EXPECT_FALSE(flags_from_names(std::vector<std::string>{"ro", "bogus"}).has_value());
  EXPECT_FALSE(flags_from_names(std::vector<std::string>{"runbindable"}).has_value());
}

TEST(OpRoleTest, EveryRoleNameRoundTrips) {
  for (int i = 0; i <= static_cast<int>(Role::kOldRoot); ++i) {
    auto role = static_cast<Role>(i);
    EXPECT_EQ(role_from_name(role_name(role)), role) << role_name(role);
  }
  EXPECT_FALSE(role_from_name("bind").has_value());
}

TEST(OpRoleTest, TheEntryNameComesFromTheRoleAndTheEntryKind) {
  Op op;
  op.role = Role::kEntry;
  op.entry_kind = layout::EntryKind::kReadonlyPath;
  EXPECT_EQ(op.entry_name(), "readonly-path");
  op.role = Role::kPivot;
  EXPECT_EQ(op.entry_name(), "root");
  op.role = Role::kPtmx;
  EXPECT_EQ(op.entry_name(), "devpts");
  op.role = Role::kParent;
  EXPECT_EQ(op.entry_name(), "");
  EXPECT_FALSE(op.is_entry(layout::EntryKind::kReadonlyPath));
}

}  // namespace
}  // namespace rootfsctl::plan
