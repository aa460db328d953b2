#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "render/render.h"

namespace rootfsctl::render {
namespace {

plan::Drift drift(plan::DriftKind kind, std::string target, std::string message,
                  std::string origin = "") {
  plan::Drift d;
  d.kind = kind;
  d.target = std::move(target);
  d.expected = "tmpfs";
  d.actual = "proc";
  d.message = std::move(message);
  d.origin = std::move(origin);
  d.op_index = origin.empty() ? 0 : 3;
  return d;
}

TEST(DriftTextTest, ListsEachDriftOnItsOwnLine) {
  std::vector<plan::Drift> list{
      drift(plan::DriftKind::kMissing, "/tmp", "not mounted", "sandbox.yaml:12"),
      drift(plan::DriftKind::kExtra, "/mnt", "mounted (tmpfs rw), not in the layout")};
  EXPECT_EQ(drift_text(list, "pid 7 against sandbox.yaml"),
            "pid 7 against sandbox.yaml: 2 drift(s)\n"
            "  missing  /tmp: not mounted  (sandbox.yaml:12)\n"
            "  extra    /mnt: mounted (tmpfs rw), not in the layout\n");
  EXPECT_EQ(drift_text({}, "pid 7"), "pid 7: matches\n");
}

// A mount name is the target's bytes: a newline or an escape sequence in it must not
// reach the terminal (mounts escapes the same name the same way).
TEST(DriftTextTest, EscapesControlBytesInNames) {
  std::vector<plan::Drift> list{
      drift(plan::DriftKind::kExtra, "/mnt/a\nb\x1b[31m", "mounted (tmpfs rw\n)")};
  std::string text = drift_text(list, "pid 7");
  EXPECT_EQ(text, "pid 7: 1 drift(s)\n  extra    /mnt/a\\x0ab\\x1b[31m: mounted (tmpfs rw\\x0a)\n");
}

TEST(DriftJsonTest, KeepsNonUtf8BytesInHexFields) {
  std::vector<plan::Drift> list{drift(plan::DriftKind::kExtra, "/mnt/\xff", "not in the layout")};
  auto json = nlohmann::json::parse(drift_json(list));
  EXPECT_FALSE(json["match"]);
  ASSERT_EQ(json["drift"].size(), 1u);
  EXPECT_EQ(json["drift"][0]["kind"], "extra");
  EXPECT_EQ(json["drift"][0]["target"], "/mnt/\xef\xbf\xbd");
  EXPECT_EQ(json["drift"][0]["target_hex"], "2f6d6e742fff");
  EXPECT_FALSE(json["drift"][0].contains("message_hex"));
  EXPECT_TRUE(nlohmann::json::parse(drift_json({}))["match"]);
}

}  // namespace
}  // namespace rootfsctl::render
