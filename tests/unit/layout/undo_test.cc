#include "layout/undo.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "layout/writer.h"
#include "test_support.h"

namespace rootfsctl::layout {
namespace {

using rootfsctl::testing::load;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> unmounts(const Undo& undo) {
  std::vector<std::string> out;
  for (const auto& e : undo.layout.mounts) {
    EXPECT_EQ(e.kind, EntryKind::kUnmount);
    out.push_back(e.target + (e.all ? " all" : "") + (e.optional ? " optional" : ""));
  }
  return out;
}

TEST(UndoTest, OneUnmountPerOutermostMountNewestFirst) {
  auto undo = undo_layout(load(R"(version: 1
mounts:
  - tmpfs: /mnt/x
  - bind: /mnt/x/data
    from: /srv/data
  - file: /mnt/x/note
  - dir: /srv/made
  - bind: /opt/tools
    optional: true
  - mask: /proc/kcore
  - tmpfs: /stack
  - tmpfs: /stack
  - remount: /usr
    readonly: true
)"));
  ASSERT_TRUE(undo) << undo.error().to_string();
  EXPECT_THAT(unmounts(*undo),
              ElementsAre("/stack all", "/proc/kcore optional", "/opt/tools optional", "/mnt/x"));
  EXPECT_THAT(undo->notes, ElementsAre(HasSubstr("1 dir, file or symlink entries outside"),
                                       HasSubstr("1 remount entries are not undone")));
  // What it makes is a layout like any other: it writes and loads back.
  auto text = write_layout(undo->layout, {});
  auto loaded = load_layout(text, "undo.yaml");
  ASSERT_TRUE(loaded) << loaded.error().render() << text;
  EXPECT_EQ(loaded->mounts.size(), 4u);
}

TEST(UndoTest, ALayoutWithARootIsRefused) {
  auto undo = undo_layout(load("version: 1\nroot: { tmpfs: {} }\nmounts:\n  - proc: /proc\n"));
  ASSERT_FALSE(undo);
  EXPECT_EQ(undo.error().stage, Stage::kUsage);
  EXPECT_THAT(undo.error().message, HasSubstr("has a root"));
}

TEST(UndoTest, NothingMountedNothingToUndo) {
  auto undo = undo_layout(load("version: 1\nmounts:\n  - dir: /srv/x\n"));
  ASSERT_TRUE(undo);
  EXPECT_THAT(undo->layout.mounts, IsEmpty());
}

}  // namespace
}  // namespace rootfsctl::layout
