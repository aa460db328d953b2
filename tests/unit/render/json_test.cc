#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "fixtures.h"
#include "render/render.h"

namespace rootfsctl::render {
namespace {

using namespace testing;
using plan::Severity;

TEST(PlanJsonTest, WritesTheDocumentedShapeInOrder) {
  PlanBuilder b(true);
  Op& dir =
      b.add(OpKind::kMkdir, Scope::kNewRoot, "/tmp", Origin::implicit("mount point for /tmp"));
  dir.mode = 0755;
  dir.exist_ok = true;
  Op& tmp = b.mount(Scope::kNewRoot, "/tmp", "tmpfs", at(16));
  tmp.flags = flags("nosuid", "nodev");
  tmp.data = "size=64M,mode=1777";
  tmp.role = plan::Role::kEntry;
  tmp.entry_kind = layout::EntryKind::kTmpfs;
  Op& detach = b.add(OpKind::kUmount, Scope::kOldRoot, "/", Origin::implicit("detach"));
  detach.flags = flags("detach");
  detach.commit = true;
  const std::vector diagnostics{
      diagnostic(Severity::kError, "duplicate-target", "/tmp is named twice", at(30), 2),
      diagnostic(Severity::kNote, "offline", "checked against a captured table", Origin{})};

  EXPECT_EQ(plan_json(b.build(), diagnostics), R"({
  "layout": "manifests/sandbox.yaml",
  "name": "sandbox",
  "ops": [
    {
      "index": 1,
      "op": "mkdir",
      "target": "/tmp",
      "origin": "implicit: mount point for /tmp",
      "scope": "new_root",
      "mode": "0755",
      "exist_ok": true
    },
    {
      "index": 2,
      "op": "mount",
      "target": "/tmp",
      "source": "tmpfs",
      "fstype": "tmpfs",
      "flags": [
        "nosuid",
        "nodev"
      ],
      "data": "size=64M,mode=1777",
      "origin": "manifests/sandbox.yaml:16",
      "scope": "new_root",
      "entry": "tmpfs"
    },
    {
      "index": 3,
      "op": "umount",
      "target": "/",
      "flags": [
        "detach"
      ],
      "origin": "implicit: detach",
      "scope": "old_root",
      "commit": true
    }
  ],
  "diagnostics": [
    {
      "severity": "error",
      "code": "duplicate-target",
      "message": "/tmp is named twice",
      "origin": "manifests/sandbox.yaml:30",
      "op_index": 2
    },
    {
      "severity": "note",
      "code": "offline",
      "message": "checked against a captured table",
      "origin": "implicit: "
    }
  ]
}
)");
}

TEST(PlanJsonTest, EmptyPlanHasEmptyArrays) {
  plan::Plan empty;
  EXPECT_EQ(
      plan_json(empty, {}),
      "{\n  \"layout\": \"\",\n  \"name\": \"\",\n  \"ops\": [],\n  \"diagnostics\": []\n}\n");
}

TEST(PlanJsonTest, InvalidUtf8InAPlanGetsHexFields) {
  PlanBuilder b(false);
  b.bind(Scope::kCurrent, "/mnt/a\x80", "/srv/\xff", at(3)).flags = flags("rec");
  const auto json = nlohmann::json::parse(plan_json(b.build(), {}));
  const auto& op = json["ops"][0];
  EXPECT_EQ(op["target"], "/mnt/a\xef\xbf\xbd");
  EXPECT_EQ(op["target_hex"], "2f6d6e742f6180");
  EXPECT_EQ(op["source"], "/srv/\xef\xbf\xbd");
  EXPECT_EQ(op["source_hex"], "2f7372762fff");
  EXPECT_FALSE(op.contains("flags_hex"));
}

TEST(PlanJsonTest, IsDeterministic) {
  const auto plan = sandbox_plan();
  const std::vector diagnostics{diagnostic(Severity::kWarning, "shadowed", "m", at(4), 3)};
  EXPECT_EQ(plan_json(plan, diagnostics), plan_json(plan, diagnostics));
  EXPECT_NO_THROW(nlohmann::json::parse(plan_json(plan, diagnostics)));
}

// Fields: id parent major:minor root target options optional... - fstype source super.
constexpr std::string_view kTwoMounts =
    "22 1 0:21 / / rw,relatime shared:1 - tmpfs none rw,size=65536k\n"
    "23 22 0:22 / /mnt/a\\200 rw,nosuid shared:2 master:1 - ext4 /dev/sda1 rw\n";

TEST(MountsJsonTest, WritesTheDocumentedShapeWithHexForInvalidBytes) {
  EXPECT_EQ(mounts_json(table(kTwoMounts)), R"({
  "mounts": [
    {
      "id": 22,
      "parent": 1,
      "major": 0,
      "minor": 21,
      "root": "/",
      "target": "/",
      "options": "rw,relatime",
      "optional_fields": [
        "shared:1"
      ],
      "fstype": "tmpfs",
      "source": "none",
      "super_options": "rw,size=65536k",
      "propagation": "shared",
      "shared": 1
    },
    {
      "id": 23,
      "parent": 22,
      "major": 0,
      "minor": 22,
      "root": "/",
      "target": "/mnt/a�",
      "target_hex": "2f6d6e742f6180",
      "options": "rw,nosuid",
      "optional_fields": [
        "shared:2",
        "master:1"
      ],
      "fstype": "ext4",
      "source": "/dev/sda1",
      "super_options": "rw",
      "propagation": "shared,slave",
      "shared": 2,
      "master": 1
    }
  ]
}
)");
}

TEST(MountsJsonTest, EscapesNewlineTabQuoteAndBackslash) {
  // mountinfo writes newline, tab and backslash as \012, \011, \134; a quote is raw.
  const auto out =
      mounts_json(table("30 1 0:40 / /mnt/new\\012line\\011tab\"q\\134 rw - tmpfs tmpfs rw\n"));
  EXPECT_NE(out.find(R"("target": "/mnt/new\nline\ttab\"q\\",)"), std::string::npos) << out;
  EXPECT_EQ(out.find("target_hex"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(out)["mounts"][0]["target"], "/mnt/new\nline\ttab\"q\\");
}

TEST(MountsJsonTest, KeepsEveryByteRecoverable) {
  // Every byte value but NUL and the separators the kernel escapes, raw in a path.
  std::string target = "/x";
  for (int byte = 1; byte < 256; ++byte) {
    if (byte == ' ' || byte == '\n' || byte == '\t' || byte == '\\') continue;
    target += static_cast<char>(byte);
  }
  const auto out = mounts_json(table("31 1 0:41 / " + target + " rw - tmpfs tmpfs rw\n"));
  const auto json = nlohmann::json::parse(out);  // throws on invalid UTF-8 or JSON
  const auto hex = json["mounts"][0]["target_hex"].get<std::string>();
  std::string bytes;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  EXPECT_EQ(bytes, target);
}

TEST(MountsJsonTest, EmptyTableAndDeterminism) {
  EXPECT_EQ(mounts_json(mountinfo::MountTable{}), "{\n  \"mounts\": []\n}\n");
  const auto t = table(kTwoMounts);
  EXPECT_EQ(mounts_json(t), mounts_json(t));
}

}  // namespace
}  // namespace rootfsctl::render
