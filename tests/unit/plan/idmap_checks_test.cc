#include "plan/idmap_checks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plan/drift.h"
#include "plan/planner.h"
#include "test_support.h"

namespace rootfsctl::plan {
namespace {

using rootfsctl::testing::FakeProbe;
using rootfsctl::testing::load;
using rootfsctl::testing::table;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr std::uint64_t kExt4 = 0xEF53;
constexpr std::uint64_t kTmpfs = 0x01021994;
constexpr std::uint64_t kProc = 0x9fa0;

constexpr std::string_view kTable =
    "20 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "30 20 0:40 / /srv/data rw - ext4 /dev/sdb1 rw\n"
    "31 30 0:41 / /srv/data/proc rw - proc proc rw\n";

std::string layout_with(std::string_view idmap, std::string_view extra = "") {
  return "version: 1\nmounts:\n  - bind: /mnt/data\n    from: /srv/data\n    idmap: " +
         std::string(idmap) + "\n" + std::string(extra);
}

struct Checked {
  std::vector<std::string> codes;
  std::vector<std::string> messages;
};

Checked check(std::string_view yaml, const ValidationContext& context) {
  auto layout = load(yaml);
  auto plan = make_plan(layout);
  Checked out;
  for (const auto& d : check_idmaps(plan, context)) {
    out.codes.push_back(d.code);
    out.messages.push_back(d.message);
  }
  return out;
}

class IdmapChecksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    probe_.add("/srv/data", FileType::kDirectory).filesystem("/srv/data", kExt4);
    context_.table = &table_;
    context_.source_probe = &probe_;
    context_.kernel_release = "6.18.44";
    context_.target_mnt_ns = 4026532000u;
    context_.user_namespace = true;
  }
  mountinfo::MountTable table_ = rootfsctl::testing::table(kTable);
  FakeProbe probe_;
  ValidationContext context_;
};

TEST_F(IdmapChecksTest, TheOpCarriesTheCanonicalMap) {
  auto layout = load(layout_with("\"0:100000:65536\""));
  auto plan = make_plan(layout);
  ASSERT_EQ(plan.ops.back().kind, OpKind::kBind);
  EXPECT_EQ(plan.ops.back().idmap, "uids=0:100000:65536;gids=0:100000:65536");
  EXPECT_THAT(plan.ops.back().to_string(), HasSubstr("idmap=uids=0:100000:65536;gids="));
}

TEST_F(IdmapChecksTest, AnExt4SourceWithoutOtherFilesystemsBeneathPasses) {
  EXPECT_THAT(check(layout_with("target", "    recursive: false\n"), context_).codes, IsEmpty());
}

TEST_F(IdmapChecksTest, ARecursiveBindCarryingProcIsRefused) {
  auto checked = check(layout_with("target"), context_);
  EXPECT_THAT(checked.codes, ElementsAre("idmap-filesystem"));
  EXPECT_THAT(checked.messages[0], HasSubstr("carries proc on /srv/data/proc"));
}

TEST_F(IdmapChecksTest, TheSourcesOwnFilesystemIsCheckedByItsMagic) {
  probe_.filesystem("/srv/data", kProc);
  auto checked = check(layout_with("target", "    recursive: false\n"), context_);
  EXPECT_THAT(checked.codes, ElementsAre("idmap-filesystem"));
  EXPECT_THAT(checked.messages[0], HasSubstr("(0x9fa0)"));
}

TEST_F(IdmapChecksTest, TmpfsTakesAnIdmapFromLinux63) {
  probe_.filesystem("/srv/data", kTmpfs);
  EXPECT_THAT(check(layout_with("target", "    recursive: false\n"), context_).codes, IsEmpty());
  context_.kernel_release = "6.2.16";
  auto checked = check(layout_with("target", "    recursive: false\n"), context_);
  EXPECT_THAT(checked.codes, ElementsAre("idmap-filesystem"));
  EXPECT_THAT(checked.messages[0], HasSubstr("(tmpfs)"));
}

TEST_F(IdmapChecksTest, KernelsBefore512HaveNoIdmappedMounts) {
  context_.kernel_release = "5.10.0";
  EXPECT_THAT(check(layout_with("target", "    recursive: false\n"), context_).codes,
              ElementsAre("idmap-kernel"));
}

TEST_F(IdmapChecksTest, TargetNeedsATargetInAUserNamespace) {
  context_.user_namespace = false;
  EXPECT_THAT(check(layout_with("target", "    recursive: false\n"), context_).codes,
              ElementsAre("idmap-no-userns"));
  // Explicit maps need no user namespace of the target's.
  EXPECT_THAT(check(layout_with("\"0:100000:65536\"", "    recursive: false\n"), context_).codes,
              IsEmpty());
}

TEST_F(IdmapChecksTest, FromTargetAndRunAreRefused) {
  EXPECT_THAT(
      check(layout_with("target", "    recursive: false\n    from_target: true\n"), context_).codes,
      ElementsAre("idmap-from-target"));
  context_.run_target = true;
  EXPECT_THAT(check(layout_with("target", "    recursive: false\n"), context_).codes,
              ElementsAre("idmap-in-run"));
}

TEST_F(IdmapChecksTest, VerifyWantsTheMountIdmapped) {
  auto layout = load(layout_with("target", "    recursive: false\n"));
  auto plan = make_plan(layout);
  auto plain = table(
      "20 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
      "40 20 8:1 /srv/data /mnt/data rw,relatime - ext4 /dev/sda1 rw\n");
  auto drift = find_drift(plan, plain);
  ASSERT_EQ(drift.size(), 1u);
  EXPECT_EQ(drift[0].kind, DriftKind::kFlags);
  EXPECT_EQ(drift[0].expected, "idmapped");
  auto mapped = table(
      "20 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
      "40 20 8:1 /srv/data /mnt/data rw,relatime,idmapped - ext4 /dev/sda1 rw\n");
  EXPECT_THAT(find_drift(plan, mapped), IsEmpty());
}

}  // namespace
}  // namespace rootfsctl::plan
