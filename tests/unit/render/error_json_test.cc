#include <gtest/gtest.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "core/utf8.h"
#include "render/render.h"

namespace rootfsctl::render {
namespace {

using nlohmann::json;

// One shape for every command: what to do is always "hint" (an error's own hint, or the
// advice for its stage and errno), never a second field name.
TEST(ErrorJsonTest, AdviceIsWrittenAsTheHint) {
  auto out = json::parse(error_json(make_error(Stage::kMount, "mount /x", EPERM)));
  const json& e = out["error"];
  EXPECT_EQ(e["stage"], "mount");
  EXPECT_EQ(e["errno"], "EPERM");
  EXPECT_EQ(e["hint"], std::string(errno_advice(Stage::kMount, EPERM)));
  EXPECT_FALSE(e.contains("advice"));
  EXPECT_FALSE(e.contains("file"));
}

// A file without a known line (an OCI config that did not parse as a whole) has no
// "line": 0 or "column": 0.
TEST(ErrorJsonTest, WritesOnlyThePositionThatIsKnown) {
  Error error = make_error(Stage::kParse, "not JSON");
  error.where.file = "config.json";
  auto e = json::parse(error_json(error))["error"];
  EXPECT_EQ(e["file"], "config.json");
  EXPECT_FALSE(e.contains("line"));
  EXPECT_FALSE(e.contains("column"));
  EXPECT_TRUE(e["errno"].is_null());
  error = make_manifest_error({"layout.yaml", 3, 7}, "bad key", "did you mean 'tmpfs'?");
  e = json::parse(error_json(error))["error"];
  EXPECT_EQ(e["line"], 3);
  EXPECT_EQ(e["column"], 7);
  EXPECT_EQ(e["hint"], "did you mean 'tmpfs'?");
}

TEST(ErrorJsonTest, KeepsTheBytesOfAMessageThatIsNotUtf8) {
  auto e = json::parse(error_json(make_error(Stage::kUsage, "no such file /a\xff")))["error"];
  EXPECT_EQ(e["message_hex"], to_hex("no such file /a\xff"));
}

}  // namespace
}  // namespace rootfsctl::render
