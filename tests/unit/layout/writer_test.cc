#include "layout/writer.h"

#include <gtest/gtest.h>

#include "layout/loader.h"
#include "layout_test_support.h"

namespace rootfsctl::layout {
namespace {

using testing::source_dir;

/// Origins and the source name are where a layout was read from, not what it says.
Layout without_provenance(Layout layout) {
  layout.source.clear();
  if (layout.root) layout.root->origin = {};
  for (auto& e : layout.mounts) e.origin = {};
  return layout;
}

Entry entry(EntryKind kind, std::string target) {
  Entry e;
  e.kind = kind;
  e.target = std::move(target);
  e.recursive = kind == EntryKind::kBind;  // what the loader fills in
  return e;
}

/// Writes `layout`, loads the text back, and returns what was loaded.
Layout round_trip(const Layout& layout) {
  std::string text = write_layout(layout);
  auto loaded = load_layout(text, "written.yaml");
  EXPECT_TRUE(loaded) << (loaded ? "" : loaded.error().to_string()) << "\n" << text;
  return loaded ? without_provenance(*loaded) : Layout{};
}

TEST(WriterTest, BundledSandboxRoundTrips) {
  auto sandbox = load_layout_file((source_dir() / "manifests/sandbox.yaml").string());
  ASSERT_TRUE(sandbox) << sandbox.error().to_string();
  EXPECT_EQ(round_trip(*sandbox), without_provenance(*sandbox));
}

TEST(WriterTest, EveryKindAndKeyRoundTrips) {
  auto layout =
      load_layout(R"(version: 1
name: every-kind
description: "All of it: every kind, key and odd string"
namespaces: [mount, pid, uts]
hostname: box
sysctls: { kernel.msgmax: "8192" }
root:
  bind: /srv/rootfs
  readonly: true
mounts:
  - bind: /usr
    from: /opt/usr
    readonly: false
    recursive: false
    optional: true
    options: [nosuid, dev]
  - tmpfs: /tmp
    size: 64M
    mode: "1777"
    readonly: true
    options: [nodev]
  - proc: /proc
  - sysfs: /sys
    readonly: true
  - devpts: /dev/pts
  - mqueue: /dev/mqueue
  - device: /dev/null
    from: /dev/zero
    optional: true
    from_target: true
  - symlink: /bin
    to: usr/bin
  - dir: /run/app
    mode: "0700"
  - file: "/etc/a file: with # and \"quotes\""
    content: "line 1\n\ttabbed $$HOME and ${x}\n"
    mode: "0644"
  - overlay: /opt
    before: [/srv/patches]
    after: [/srv/base, /srv/more]
    create: /srv/upper
  - remount: /usr
    readonly: true
    options: [noexec]
)",
                  "layout.yaml", {.set_vars = {{"x", "1"}}, .command_line = {}, .limits = {}});
  ASSERT_TRUE(layout) << layout.error().to_string();
  EXPECT_EQ(layout->mounts[9].content, "line 1\n\ttabbed $HOME and 1\n");
  EXPECT_EQ(round_trip(*layout), without_provenance(*layout));
}

TEST(WriterTest, ScalarsThatYamlWouldRetypeAreQuoted) {
  EXPECT_EQ(yaml_scalar("/usr"), "/usr");
  EXPECT_EQ(yaml_scalar("64M"), "64M");
  EXPECT_EQ(yaml_scalar("true"), "\"true\"");
  EXPECT_EQ(yaml_scalar("No"), "\"No\"");
  EXPECT_EQ(yaml_scalar("0755"), "\"0755\"");
  EXPECT_EQ(yaml_scalar("1e3"), "\"1e3\"");
  EXPECT_EQ(yaml_scalar(""), "\"\"");
  EXPECT_EQ(yaml_scalar("-x"), "\"-x\"");
  EXPECT_EQ(yaml_scalar("a b"), "\"a b\"");
  EXPECT_EQ(yaml_scalar("a\"b\\c\x01"), "\"a\\\"b\\\\c\\x01\"");
}

TEST(WriterTest, DollarsSurviveVariableSubstitution) {
  Layout layout;
  layout.mounts.push_back(entry(EntryKind::kFile, "/etc/x"));
  layout.mounts.back().content = "cost: $5, ${not_a_var} and $$";
  EXPECT_EQ(round_trip(layout).mounts.at(0).content, "cost: $5, ${not_a_var} and $$");
}

TEST(WriterTest, CommentsAndEmptyLayouts) {
  Layout layout;
  layout.root = Root{};
  layout.mounts.push_back(entry(EntryKind::kProc, "/proc"));
  WriteOptions options;
  options.header = {"made by a test", "bad \x01 byte"};
  options.before_entry[0] = {"before proc"};
  options.before_entry[1] = {"after everything"};
  EXPECT_EQ(write_layout(layout, options), R"(# made by a test
# bad \x01 byte
version: 1
root:
  tmpfs: {}
mounts:
  # before proc
  - proc: /proc
  # after everything
)");
  EXPECT_EQ(round_trip(layout), layout);
  EXPECT_EQ(write_layout(Layout{}), "version: 1\n");
}

TEST(WriterTest, WrittenProfileKeepsItsRemovals) {
  // write_layout dropped `- remove:` items, so a profile did not load back equal (found by
  // layout_fuzz; tests/data/fuzz-regressions/layout/).
  auto loaded =
      load_layout("version: 1\nextends: [base.yaml]\nmounts:\n  - remove: /x\n", "p.yaml");
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(write_layout(*loaded), "version: 1\nextends: [base.yaml]\nmounts:\n  - remove: /x\n");
}

TEST(WriterTest, DoublesOnlyTheDollarsSubstitutionWouldRead) {
  // A 64-byte hostname with a `$` came back as 65 bytes of text ("$$"), which the schema's
  // maxLength refuses; a `$` before anything but `$` or `{` is literal as it is (found by
  // layout_fuzz).
  Layout layout;
  layout.hostname = std::string(60, 'h') + "$9$x";
  layout.sysctls["kernel.x"] = "${a}$$";
  auto text = write_layout(layout);
  EXPECT_EQ(text, "version: 1\nhostname: \"" + std::string(60, 'h') +
                      "$9$x\"\nsysctls:\n  kernel.x: \"$${a}$$$\"\n");
  auto loaded = load_layout(text, "w.yaml");
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(loaded->hostname, layout.hostname);
  EXPECT_EQ(loaded->sysctls, layout.sysctls);
}

}  // namespace
}  // namespace rootfsctl::layout
