// The compiled-in schema is schemas/layout.schema.json, agrees with the loader's key
// tables, documents every property, and as a run-time check reports what it finds at the
// offending node.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "core/mount_flags.h"
#include "layout/fields.h"
#include "layout/loader.h"
#include "layout/schema_check.h"
#include "layout/yaml_to_json.h"
#include "layout_test_support.h"

namespace rootfsctl::layout {
namespace {

using nlohmann::json;
using testing::source_dir;

json schema() { return json::parse(layout_schema_text()); }

std::set<std::string> keys_of(const json& object) {
  std::set<std::string> keys;
  for (const auto& item : object.items()) keys.insert(item.key());
  return keys;
}

std::set<std::string> names(std::span<const std::string_view> list) {
  return {list.begin(), list.end()};
}

TEST(SchemaTextTest, IsTheFileInTheTree) {
  std::ifstream in(source_dir() / "schemas/layout.schema.json", std::ios::binary);
  std::stringstream file;
  file << in.rdbuf();
  EXPECT_EQ(layout_schema_text(), file.str());
}

TEST(SchemaTextTest, IsDraft07) {
  EXPECT_EQ(schema()["$schema"], "http://json-schema.org/draft-07/schema#");
  EXPECT_EQ(schema()["additionalProperties"], false);
  EXPECT_EQ(schema()["properties"]["version"]["const"], 1);
}

TEST(SchemaAgreesWithLoaderTest, TopLevelAndRootKeys) {
  const json s = schema();
  EXPECT_EQ(keys_of(s["properties"]), names(top_level_keys()));
  EXPECT_EQ(keys_of(s["definitions"]["root"]["properties"]), names(root_keys()));
  EXPECT_EQ(keys_of(s["definitions"]["root"]["properties"]["tmpfs"]["properties"]),
            names(root_tmpfs_keys()));
}

TEST(SchemaAgreesWithLoaderTest, EveryKindTakesTheSameKeys) {
  const json s = schema();
  for (std::size_t i = 0; i < kind_names().size(); ++i) {
    const std::string kind(kind_names()[i]);
    const json& definition = s["definitions"][kind + "Entry"];
    ASSERT_TRUE(definition.is_object()) << kind;
    EXPECT_EQ(definition["additionalProperties"], false) << kind;
    std::set<std::string> expected{kind};
    std::set<std::string> required{kind};
    for (const auto& field : entry_fields()) {
      if (field.kinds & (KindSet{1} << i)) expected.insert(std::string(field.name));
      if (field.required & (KindSet{1} << i)) required.insert(std::string(field.name));
    }
    EXPECT_EQ(keys_of(definition["properties"]), expected) << kind;
    EXPECT_EQ(definition["required"].get<std::set<std::string>>(), required) << kind;
  }
}

TEST(SchemaAgreesWithLoaderTest, EnumsMatchTheTables) {
  const json s = schema();
  EXPECT_EQ(s["properties"]["namespaces"]["items"]["enum"].get<std::set<std::string>>(),
            names(namespace_names()));
  std::set<std::string> options;
  for (const auto& option : mount_options()) options.insert(std::string(option.name));
  EXPECT_EQ(s["definitions"]["options"]["items"]["enum"].get<std::set<std::string>>(), options);
}

// Editors show descriptions; a property without one (directly or on the definition it
// refers to) shows nothing.
void expect_descriptions(const json& s, const json& node, const std::string& where) {
  if (!node.is_object()) return;
  if (node.contains("properties")) {
    for (const auto& [name, property] : node["properties"].items()) {
      bool described = property.contains("description");
      if (!described && property.contains("$ref")) {
        const std::string target = property["$ref"].get<std::string>().substr(2);
        described = s.at(json::json_pointer("/" + target)).contains("description");
      }
      EXPECT_TRUE(described) << where << "/" << name;
    }
  }
  for (const auto& [key, child] : node.items()) expect_descriptions(s, child, where + "/" + key);
}

TEST(SchemaTextTest, EveryPropertyHasADescription) {
  const json s = schema();
  expect_descriptions(s, s, "");
}

// ---- The run-time check ------------------------------------------------------------------

std::string schema_outcome(std::string_view text) {
  const SourceText source{text, "layout.yaml"};
  auto document = yaml_to_json(source);
  if (!document) return "PARSE: " + document.error().to_string();
  auto result = check_schema(source, *document);
  return result ? "OK" : result.error().to_string();
}

TEST(CheckSchemaTest, AcceptsValidDocuments) {
  EXPECT_EQ(schema_outcome("version: 1\n"), "OK");
  EXPECT_EQ(schema_outcome("version: 1\nroot: {tmpfs: }\nmounts:\n  - bind: ${x}\n"), "OK");
}

// The loader's own checks catch all of these first; the schema is the safety net, and
// its findings are still placed at the node they concern.
TEST(CheckSchemaTest, PlacesFindingsAtTheNode) {
  const std::string hint = " (`rootfsctl schema` prints the layout schema)";
  EXPECT_EQ(schema_outcome("version: 1\nmounts:\n  - bind: /x\n    size: 1M\n"),
            "layout.yaml:4:5: mounts[0]: key 'size' is not allowed here" + hint);
  EXPECT_EQ(schema_outcome("version: 1\nbogus: 1\n"),
            "layout.yaml:2:1: key 'bogus' is not allowed here" + hint);
  EXPECT_EQ(schema_outcome("version: 1\nmounts:\n  - symlink: /x\n"),
            "layout.yaml:3:5: mounts[0]: missing key 'to'" + hint);
  EXPECT_EQ(schema_outcome("version: 1\nmounts:\n  - tmpfs: /x\n    size: 64Q\n"),
            "layout.yaml:4:11: mounts[0].size does not match the layout schema: failed to "
            "match regex specified by 'pattern' constraint" +
                hint);
  EXPECT_EQ(schema_outcome("version: 2\n"),
            "layout.yaml:1:10: version does not match the layout schema: failed to match "
            "expected value set by 'const' constraint" +
                hint);
  EXPECT_EQ(schema_outcome("version: 1\nmounts:\n  - tmpfs: /x\n    options: [nosiud]\n"),
            "layout.yaml:4:15: mounts[0].options[0] does not match the layout schema: failed to "
            "match against any enum values" +
                hint);
}

TEST(CheckSchemaTest, ABrokenSchemaIsAnInternalError) {
  const SourceText source{"version: 1\n", "layout.yaml"};
  auto document = yaml_to_json(source);
  ASSERT_TRUE(document);
  auto result = check_schema_text("{not json", source, *document);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().stage, Stage::kInternal);
  EXPECT_TRUE(result.error().message.starts_with("layout schema: ")) << result.error().message;
}

TEST(DisplayPathTest, ReadsLikeTheLayout) {
  EXPECT_EQ(display_path(""), "the layout");
  EXPECT_EQ(display_path("/version"), "version");
  EXPECT_EQ(display_path("/mounts/0/size"), "mounts[0].size");
  EXPECT_EQ(display_path("/mounts/3/before/1"), "mounts[3].before[1]");
  EXPECT_EQ(display_path("/sysctls/net~1ipv4~0x"), "sysctls.net/ipv4~x");
}

}  // namespace
}  // namespace rootfsctl::layout
