#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "layout/loader.h"
#include "oci/oci.h"

namespace rootfsctl::oci {
namespace {

TEST(OciStateTest, RuncStateParses) {
  auto state = parse_state(R"({"ociVersion": "1.0.2-dev", "id": "c1", "status": "creating",
                               "pid": 4242, "bundle": "/srv/b", "annotations": {}})");
  ASSERT_TRUE(state) << state.error().to_string();
  EXPECT_EQ(state->pid, 4242);
  EXPECT_EQ(state->id, "c1");
  EXPECT_EQ(state->status, "creating");
  EXPECT_EQ(state->bundle, "/srv/b");
}

TEST(OciStateTest, PidMustBeAPositiveInteger) {
  for (const char* text : {R"({"id": "c1"})", R"({"pid": 0})", R"({"pid": -3})", R"({"pid": "42"})",
                           R"({"pid": 99999999999})"}) {
    auto state = parse_state(text);
    ASSERT_FALSE(state) << text;
    EXPECT_EQ(state.error().stage, Stage::kManifest);
    EXPECT_TRUE(state.error().message.starts_with("/pid: expected a positive process id"))
        << state.error().message;
  }
}

TEST(OciStateTest, NotJsonSaysWhere) {
  auto state = parse_state("{\"pid\": 42", "stdin");
  ASSERT_FALSE(state);
  EXPECT_EQ(state.error().where.file, "stdin");
  EXPECT_EQ(state.error().where.line, 1);
  EXPECT_TRUE(state.error().message.starts_with("not valid JSON at byte 10"))
      << state.error().message;
}

TEST(OciStateTest, RootfsPathIsJoinedToTheBundle) {
  EXPECT_EQ(rootfs_path(R"({"root": {"path": "rootfs"}})", "/srv/b").value(), "/srv/b/rootfs");
  EXPECT_EQ(rootfs_path(R"({"root": {"path": "/srv/b/rootfs/"}})", "/srv/b").value(),
            "/srv/b/rootfs");
  EXPECT_EQ(rootfs_path(R"({"root": {"path": "x/../rootfs"}})", "/srv/b/").value(),
            "/srv/b/rootfs");
  auto missing = rootfs_path(R"({"mounts": []})", "/srv/b");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "/root/path: expected a non-empty string, got null");
}

// Issue 15: a hook took a root.path of "/" (or one outside the bundle) for a container
// that had already pivoted, and applied the layout to the host's tree.
TEST(OciStateTest, ARelativeRootfsPathMustStayInsideTheBundle) {
  for (auto [root, normal] :
       {std::pair{"../..", "/"}, std::pair{"../../", "/"}, std::pair{"..", "/srv"},
        std::pair{".", "/srv/b"}, std::pair{"rootfs/../../b2", "/srv/b2"}}) {
    const std::string config = std::string(R"({"root": {"path": ")") + root + R"("}})";
    auto rootfs = rootfs_path(config, "/srv/b");
    ASSERT_FALSE(rootfs) << root << " -> " << rootfs.value();
    EXPECT_EQ(rootfs.error().stage, Stage::kManifest);
    EXPECT_EQ(rootfs.error().to_string(),
              "config.json: /root/path: \"" + std::string(root) + "\" is " + normal +
                  ", not inside the bundle /srv/b (a hook applies the layout beneath the "
                  "container's root: a directory inside its bundle (relative), or elsewhere "
                  "but never \"/\" (absolute))");
  }
}

TEST(OciStateTest, AnAbsoluteRootfsPathMayLieElsewhereButNeverAtTheHostsRoot) {
  // podman's root.path is the overlay's merged directory, outside the bundle.
  auto merged = rootfs_path(R"({"root": {"path": "/var/lib/containers/x/merged"}})", "/srv/b");
  ASSERT_TRUE(merged) << merged.error().to_string();
  EXPECT_EQ(*merged, "/var/lib/containers/x/merged");
  for (const char* root : {"/", "//", "/.", "/tmp/.."}) {
    auto rootfs = rootfs_path(std::string(R"({"root": {"path": ")") + root + R"("}})", "/srv/b");
    ASSERT_FALSE(rootfs) << root;
    EXPECT_THAT(rootfs.error().to_string(), ::testing::HasSubstr("is /, the host's root"));
  }
}

TEST(OciStateTest, RebaseMovesTargetsNotSources) {
  auto layout = layout::load_layout(R"(version: 1
mounts:
  - tmpfs: /mnt/x
  - bind: /data
    from: /srv/data
)",
                                    "l.yaml");
  ASSERT_TRUE(layout);
  auto rebased = rebase(*layout, "/run/b/rootfs");
  ASSERT_TRUE(rebased) << rebased.error().to_string();
  EXPECT_EQ(rebased->mounts[0].target, "/run/b/rootfs/mnt/x");
  EXPECT_EQ(rebased->mounts[1].target, "/run/b/rootfs/data");
  EXPECT_EQ(rebased->mounts[1].from, "/srv/data");
}

TEST(OciStateTest, RebaseRefusesARoot) {
  auto layout = layout::load_layout("version: 1\nroot:\n  tmpfs: {}\n", "l.yaml");
  ASSERT_TRUE(layout);
  auto rebased = rebase(*layout, "/run/b/rootfs");
  ASSERT_FALSE(rebased);
  EXPECT_EQ(rebased.error().stage, Stage::kUsage);
}

}  // namespace
}  // namespace rootfsctl::oci
