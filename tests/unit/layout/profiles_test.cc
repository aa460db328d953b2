// Profile resolution and composition (docs/layouts.md, composing profiles): extends, the merge
// rules, removals, vars and --set, cycles and missing parents with their chain, and provenance.
#include "layout/profiles.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "layout/loader.h"
#include "layout_test_support.h"

namespace rootfsctl::layout {
namespace {

using testing::outcome;
using testing::source_dir;
using testing::TempDir;

constexpr std::string_view kBase = R"(version: 1
name: base
description: the base
vars: { usr: /usr, scratch: /var/tmp }
namespaces: [mount, pid]
sysctls: { kernel.msgmax: 8192 }
root:
  tmpfs: { size: 64M }
mounts:
  - bind: /usr
    from: ${usr}
    readonly: true
  - tmpfs: /tmp
    size: 64M
  - proc: /proc
  - bind: /scratch
    from: ${scratch}
)";

/// Sets an environment variable for the life of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::vector<std::string> targets(const Layout& layout) {
  std::vector<std::string> out;
  for (const auto& entry : layout.mounts) out.push_back(entry.target);
  return out;
}

class ProfilesTest : public ::testing::Test {
 protected:
  ProfilesTest() { base_ = dir_.write("base.yaml", kBase); }

  /// The path of `name` in the test directory, as messages spell it.
  std::string at(const std::string& name) const { return (dir_.path() / name).string(); }

  Result<Layout> load_child(std::string_view text, const LoadOptions& options = {}) {
    return load_profile(dir_.write("child.yaml", text), options);
  }

  TempDir dir_;
  std::string base_;
};

TEST_F(ProfilesTest, EntryWithAnInheritedTargetReplacesItInPlace) {
  auto layout = load_child(R"(version: 1
extends: [base.yaml]
mounts:
  - dir: /work
  - tmpfs: /tmp
    size: 256M
)");
  ASSERT_EQ(outcome(layout), "OK");
  EXPECT_EQ(targets(*layout),
            (std::vector<std::string>{"/usr", "/tmp", "/proc", "/scratch", "/work"}));
  const Entry& tmp = layout->mounts[1];
  EXPECT_EQ(tmp.size, "256M");
  EXPECT_EQ(tmp.origin, (Origin{at("child.yaml"), 5, 5, {}}));
}

TEST_F(ProfilesTest, ReplacementMayChangeTheKind) {
  auto layout = load_child("version: 1\nextends: [base.yaml]\nmounts:\n  - bind: /tmp\n");
  ASSERT_EQ(outcome(layout), "OK");
  EXPECT_EQ(layout->mounts[1].kind, EntryKind::kBind);
  EXPECT_EQ(layout->mounts[1].from, "/tmp");
}

TEST_F(ProfilesTest, RemountDoesNotReplaceTheMountItChanges) {
  auto layout = load_child(
      "version: 1\nextends: [base.yaml]\nmounts:\n  - remount: /tmp\n"
      "    readonly: true\n");
  ASSERT_EQ(outcome(layout), "OK");
  EXPECT_EQ(targets(*layout),
            (std::vector<std::string>{"/usr", "/tmp", "/proc", "/scratch", "/tmp"}));
  EXPECT_EQ(layout->mounts[1].kind, EntryKind::kTmpfs);
  EXPECT_EQ(layout->mounts[4].kind, EntryKind::kRemount);
}

TEST_F(ProfilesTest, RemoveDropsTheInheritedEntry) {
  auto layout = load_child("version: 1\nextends: [base.yaml]\nmounts:\n  - remove: /scratch\n");
  ASSERT_EQ(outcome(layout), "OK");
  EXPECT_EQ(targets(*layout), (std::vector<std::string>{"/usr", "/tmp", "/proc"}));
  EXPECT_TRUE(layout->removals.empty());
}

TEST_F(ProfilesTest, RemoveThenListMovesAnEntryToTheEnd) {
  auto layout = load_child(
      "version: 1\nextends: [base.yaml]\nmounts:\n  - proc: /proc\n"
      "  - remove: /proc\n");
  ASSERT_EQ(outcome(layout), "OK");
  EXPECT_EQ(targets(*layout), (std::vector<std::string>{"/usr", "/tmp", "/scratch", "/proc"}));
}

TEST_F(ProfilesTest, RemovingWhatIsNotInheritedIsAnErrorAtTheRemove) {
  auto layout = load_child("version: 1\nextends: [base.yaml]\nmounts:\n  - remove: /scratc\n");
  EXPECT_EQ(outcome(layout), at("child.yaml") +
                                 ":4:5: remove: no inherited entry at '/scratc' (did you mean "
                                 "'/scratch'?)");
}

TEST_F(ProfilesTest, RemoveOnlyDropsInheritedEntries) {
  auto layout = load_child(
      "version: 1\nextends: [base.yaml]\nmounts:\n  - dir: /own\n"
      "  - remove: /own\n");
  EXPECT_EQ(outcome(layout), at("child.yaml") +
                                 ":5:5: remove: no inherited entry at '/own' (remove names the "
                                 "target of an entry of a profile this one extends)");
}

TEST(RemoveTest, InALayoutThatExtendsNothingIsAnError) {
  EXPECT_EQ(outcome(testing::load("version: 1\nmounts:\n  - remove: /tmp\n")),
            "layout.yaml:3:5: remove: nothing is inherited (remove drops an entry inherited "
            "through 'extends', and this layout extends nothing)");
}

TEST(RemoveTest, TakesNoOtherKey) {
  EXPECT_EQ(
      outcome(testing::load("version: 1\nextends: [b]\nmounts:\n  - remove: /tmp\n    size: 1M\n")),
      "layout.yaml:5:5: key 'size' does not apply to a remove entry (a remove entry is '- "
      "remove: /path' on its own)");
}

TEST(RemoveTest, MisspeltIsSuggested) {
  EXPECT_EQ(outcome(testing::load("version: 1\nextends: [b]\nmounts:\n  - remov: /tmp\n")),
            "layout.yaml:4:5: unknown key 'remov' (did you mean 'remove'?)");
}

TEST(RemoveTest, ALayoutOnItsOwnKeepsItsRemovals) {
  auto layout = testing::load(
      "version: 1\nextends: [b]\nvars: { t: /tmp }\nmounts:\n"
      "  - remove: ${t}\n");
  ASSERT_EQ(outcome(layout), "OK");
  EXPECT_TRUE(layout->mounts.empty());
  EXPECT_EQ(layout->removals, (std::vector<Removal>{{"/tmp", Origin{"layout.yaml", 5, 5, {}}}}));
}

TEST_F(ProfilesTest, ChildVarsReachTheParentsPaths) {
  auto layout = load_child("version: 1\nextends: [base.yaml]\nvars: { usr: /opt/usr }\n");
  ASSERT_EQ(outcome(layout), "OK");
  EXPECT_EQ(layout->mounts[0].from, "/opt/usr");
  EXPECT_EQ(layout->vars.at("usr"), "/opt/usr");
  EXPECT_EQ(layout->vars.at("scratch"), "/var/tmp");
}

TEST_F(ProfilesTest, SetBeatsEveryFile) {
  LoadOptions options;
  options.set_vars = {{"usr", "/srv/usr"}};
  auto layout = load_child("version: 1\nextends: [base.yaml]\nvars: { usr: /opt/usr }\n", options);
  ASSERT_EQ(outcome(layout), "OK");
  EXPECT_EQ(layout->mounts[0].from, "/srv/usr");
  auto resolved = resolve_profile(at("child.yaml"), options);
  ASSERT_EQ(outcome(resolved), "OK");
  EXPECT_EQ(resolved->origins.at("vars.usr"), Origin::implicit("--set usr"));
  EXPECT_EQ(resolved->origins.at("vars.scratch"), (Origin{base_, 4, 20, {}}));
}

TEST_F(ProfilesTest, ScalarsAreOverriddenAndSysctlsMergeByName) {
  auto layout = load_child(R"(version: 1
name: child
extends: [base.yaml]
namespaces: [mount]
sysctls: { kernel.msgmnb: 65536, kernel.msgmax: 1 }
root: { bind: /srv/image }
)");
  ASSERT_EQ(outcome(layout), "OK");
  EXPECT_EQ(layout->name, "child");
  EXPECT_EQ(layout->description, "the base") << "not set by the child: inherited";
  EXPECT_EQ(layout->namespaces, (std::vector<std::string>{"mount"}));
  EXPECT_EQ(layout->sysctls, (std::map<std::string, std::string>{{"kernel.msgmax", "1"},
                                                                 {"kernel.msgmnb", "65536"}}));
  ASSERT_TRUE(layout->root);
  EXPECT_EQ(layout->root->kind, RootKind::kBind);
  EXPECT_EQ(layout->root->origin, (Origin{at("child.yaml"), 6, 1, {}}));
  EXPECT_EQ(layout->source, at("child.yaml"));
  EXPECT_EQ(layout->extends, (std::vector<std::string>{"base.yaml"}));
}

TEST_F(ProfilesTest, UndefinedVarIsReportedInTheParentAtItsScalar) {
  dir_.write("base.yaml", "version: 1\nmounts:\n  - bind: /data\n    from: ${data}\n");
  EXPECT_EQ(outcome(load_child("version: 1\nextends: [base.yaml]\n")),
            base_ +
                ":4:11: undefined variable 'data' (define it under vars: or pass --set "
                "NAME=VALUE)");
  EXPECT_EQ(outcome(load_child("version: 1\nextends: [base.yaml]\nvars: { data: /srv }\n")), "OK")
      << "a child may define what its parent uses";
}

// Issue 15: an error in an extended file that is not a layout quoted a line of it, so
// `extends: [/etc/shadow]` printed a password hash to whoever ran rootfsctl.
TEST_F(ProfilesTest, AnExtendedFileThatIsNotALayoutIsNeverQuoted) {
  const std::string secret = "root:$6$SECRETHASH:19000:0:99999:7:::";
  const std::vector<std::string> texts = {secret + "\nbin:*:19000:0:99999:7:::\n",
                                          "password: SECRET\n  bad: [\n",
                                          secret + std::string("\0\n", 2)};
  for (const std::string& text : texts) {
    const std::string path = dir_.write("secret", text);
    auto layout = load_child("version: 1\nextends: [" + path + "]\n");
    ASSERT_FALSE(layout);
    EXPECT_EQ(layout.error().where.file, path);
    EXPECT_GT(layout.error().where.line, 0);
    EXPECT_EQ(layout.error().excerpt, "");
    EXPECT_EQ(layout.error().render().find("SECRET"), std::string::npos) << layout.error().render();
  }
}

TEST_F(ProfilesTest, AnErrorInAnExtendedLayoutIsQuoted) {
  dir_.write("base.yaml", "version: 1\nmounts:\n  - tmpfs: /x\n    redonly: true\n");
  auto layout = load_child("version: 1\nextends: [base.yaml]\n");
  ASSERT_FALSE(layout);
  EXPECT_EQ(layout.error().render(), base_ +
                                         ":4:5: unknown key 'redonly' (did you mean 'readonly'?)\n"
                                         "      redonly: true\n"
                                         "      ^");
}

TEST_F(ProfilesTest, ValuesThatWereReplacedOrRemovedAreNotExpanded) {
  dir_.write("base.yaml",
             "version: 1\nhostname: ${h}\nmounts:\n  - bind: /a\n    from: ${nope}\n"
             "  - bind: /b\n    from: ${nope}\n");
  auto layout = load_child(
      "version: 1\nextends: [base.yaml]\nhostname: box\nmounts:\n  - dir: /a\n  - remove: /b\n");
  ASSERT_EQ(outcome(layout), "OK");
  EXPECT_EQ(layout->hostname, "box");
  EXPECT_EQ(targets(*layout), (std::vector<std::string>{"/a"}));
}

TEST_F(ProfilesTest, PathFromAMergedVarIsCheckedAtItsScalar) {
  auto layout = load_child("version: 1\nextends: [base.yaml]\nvars: { usr: usr }\n");
  EXPECT_EQ(outcome(layout),
            base_ + ":11:11: path 'usr' is not absolute (write '/usr') (expanded from '${usr}')");
}

TEST(ProfilesDataTest, ThreeLevelsByRelativePathsWithProvenance) {
  const auto dir = source_dir() / "tests/data/profiles";
  const std::string base = (dir / "base.yaml").string();
  const std::string child = (dir / "child.yaml").string();
  const std::string leaf = (dir / "nested/leaf.yaml").string();
  auto resolved = resolve_profile(leaf);
  ASSERT_EQ(outcome(resolved), "OK");
  EXPECT_EQ(resolved->chain, (std::vector<std::string>{base, child, leaf}));
  const Layout& layout = resolved->layout;
  EXPECT_EQ(targets(layout), (std::vector<std::string>{"/usr", "/tmp", "/proc", "/work", "/data"}));
  std::vector<std::string> origins;
  for (const auto& entry : layout.mounts) origins.push_back(entry.origin.to_string());
  EXPECT_EQ(origins, (std::vector<std::string>{base + ":14", child + ":10", base + ":20",
                                               child + ":14", leaf + ":9"}));
  EXPECT_EQ(layout.mounts[0].from, "/opt/usr") << "child's ${usr} in base's entry";
  EXPECT_EQ(layout.mounts[4].from, "/srv/data");
  EXPECT_EQ(layout.root->origin.to_string(), base + ":11");
  EXPECT_EQ(resolved->origins.at("name").to_string(), leaf + ":3");
  EXPECT_EQ(resolved->origins.at("namespaces").to_string(), base + ":8");
  EXPECT_EQ(resolved->origins.at("vars.usr").to_string(), child + ":6");
  EXPECT_EQ(resolved->origins.at("sysctls.kernel.msgmnb").to_string(), child + ":8");
}

TEST_F(ProfilesTest, CycleIsAnErrorWithTheChain) {
  dir_.write("a.yaml", "version: 1\nextends: [b.yaml]\n");
  dir_.write("b.yaml", "version: 1\nextends: [./a.yaml]\n");
  EXPECT_EQ(outcome(load_profile(at("a.yaml"))),
            at("b.yaml") + ":2:11: extends cycle: " + at("a.yaml") + " extends " + at("b.yaml") +
                " extends " + at("a.yaml") + " (a profile cannot extend itself, directly or not)");
}

TEST_F(ProfilesTest, ExtendingItselfByPathIsACycle) {
  dir_.write("a.yaml", "version: 1\nextends: [a.yaml]\n");
  EXPECT_EQ(outcome(load_profile(at("a.yaml"))),
            at("a.yaml") + ":2:11: extends cycle: " + at("a.yaml") + " extends " + at("a.yaml") +
                " (a profile cannot extend itself, directly or not)");
}

TEST_F(ProfilesTest, MissingParentIsAnErrorWithTheChain) {
  dir_.write("mid.yaml", "version: 1\nextends: [base.yaml, gone.yaml]\n");
  EXPECT_EQ(outcome(load_child("version: 1\nextends: [mid.yaml]\n")),
            at("mid.yaml") + ":2:22: cannot find 'gone.yaml': " + at("child.yaml") + " extends " +
                at("mid.yaml") +
                " extends gone.yaml (a path in extends is relative to the file that names it)");
}

TEST_F(ProfilesTest, MissingProfileNameIsAnErrorWithTheChain) {
  ScopedEnv path("ROOTFSCTL_PATH", dir_.path().string());
  EXPECT_EQ(outcome(load_child("version: 1\nextends: [nosuchprofile]\n")),
            at("child.yaml") + ":2:11: cannot find 'nosuchprofile': " + at("child.yaml") +
                " extends nosuchprofile (a name is looked up as NAME.yaml on the profile search "
                "path; see `rootfsctl profiles`)");
}

TEST_F(ProfilesTest, NamesAreFoundOnTheSearchPath) {
  ScopedEnv path("ROOTFSCTL_PATH", dir_.path().string());
  auto layout = load_profile("child", {});
  EXPECT_FALSE(layout) << "no child.yaml yet";
  dir_.write("child.yaml", "version: 1\nextends: [base]\nmounts:\n  - remove: /usr\n");
  layout = load_profile("child");
  ASSERT_EQ(outcome(layout), "OK");
  EXPECT_EQ(targets(*layout), (std::vector<std::string>{"/tmp", "/proc", "/scratch"}));
}

TEST_F(ProfilesTest, ExtendingItsOwnNameGetsTheNextOnTheSearchPath) {
  TempDir user;
  ScopedEnv path("ROOTFSCTL_PATH", user.path().string() + ":" + dir_.path().string());
  user.write("base.yaml", "version: 1\nextends: [base]\nmounts:\n  - remove: /scratch\n");
  auto layout = load_profile("base");
  ASSERT_EQ(outcome(layout), "OK");
  EXPECT_EQ(targets(*layout), (std::vector<std::string>{"/usr", "/tmp", "/proc"}));
}

TEST_F(ProfilesTest, DiamondMergesTheSharedParentOnce) {
  dir_.write("left.yaml", "version: 1\nextends: [base.yaml]\nmounts:\n  - remove: /scratch\n");
  dir_.write("right.yaml", "version: 1\nextends: [base.yaml]\nmounts:\n  - dir: /right\n");
  auto resolved =
      resolve_profile(dir_.write("child.yaml", "version: 1\nextends: [left.yaml, right.yaml]\n"));
  ASSERT_EQ(outcome(resolved), "OK");
  EXPECT_EQ(resolved->chain,
            (std::vector<std::string>{base_, at("left.yaml"), at("right.yaml"), at("child.yaml")}));
  EXPECT_EQ(targets(resolved->layout),
            (std::vector<std::string>{"/usr", "/tmp", "/proc", "/right"}));
}

TEST_F(ProfilesTest, ListShowsTheFirstProfileOfEachNameSorted) {
  TempDir user;
  ScopedEnv path("ROOTFSCTL_PATH", user.path().string() + ":" + dir_.path().string());
  user.write("base.yaml", "version: 1\ndescription: mine\n");
  user.write("broken.yaml", "version: 1\ndescription: half\nextends: [gone.yaml]\n");
  std::vector<ProfileInfo> mine;
  for (auto& info : list_profiles()) {
    if (info.path.starts_with(user.path().string()) || info.path.starts_with(dir_.path().string()))
      mine.push_back(info);
  }
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].name, "base");
  EXPECT_EQ(mine[0].description, "mine");
  EXPECT_EQ(mine[0].path, (user.path() / "base.yaml").string());
  EXPECT_EQ(mine[1].name, "broken");
  EXPECT_EQ(mine[1].description, "half");
  EXPECT_NE(mine[1].error.find("cannot find 'gone.yaml'"), std::string::npos) << mine[1].error;
}

}  // namespace
}  // namespace rootfsctl::layout

namespace rootfsctl::layout {
namespace {

// Issue 18: a private /dev without /dev/fd and /dev/std* breaks bash's <(...) and
// `echo > /dev/stderr`; bubblewrap's --dev and runc make them, so every bundled profile
// with a /dev of its own does too (/dev/ptmx comes with the devpts entry).
TEST(BundledProfiles, EveryPrivateDevHasTheDescriptorLinks) {
  const std::map<std::string, std::string> wanted{{"/dev/fd", "/proc/self/fd"},
                                                  {"/dev/stdin", "/proc/self/fd/0"},
                                                  {"/dev/stdout", "/proc/self/fd/1"},
                                                  {"/dev/stderr", "/proc/self/fd/2"}};
  int private_devs = 0;
  for (const auto& file : std::filesystem::directory_iterator(source_dir() / "manifests")) {
    if (file.path().extension() != ".yaml") continue;
    SCOPED_TRACE(file.path().string());
    auto layout = load_layout_file(file.path().string());
    ASSERT_TRUE(layout) << layout.error().render();
    bool private_dev = false;
    std::map<std::string, std::string> links;
    for (const auto& entry : layout->mounts) {
      if (entry.kind == EntryKind::kTmpfs && entry.target == "/dev") private_dev = true;
      if (entry.kind == EntryKind::kSymlink) links[entry.target] = entry.to;
    }
    if (!private_dev) continue;
    ++private_devs;
    for (const auto& [link, to] : wanted) EXPECT_EQ(links[link], to) << link;
  }
  EXPECT_GE(private_devs, 6);  // build, image, oci-default, readonly-host, sandbox, service
}

}  // namespace
}  // namespace rootfsctl::layout
