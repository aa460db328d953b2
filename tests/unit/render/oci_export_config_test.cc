// oci export --base: the base config with only the layout's parts rewritten (issue 20).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "layout/loader.h"
#include "layout/writer.h"
#include "oci/oci.h"
#include "render/oci_export.h"

namespace rootfsctl::render {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string read_data(std::string_view name) {
  std::ifstream in(std::filesystem::path(ROOTFSCTL_SOURCE_DIR) / "tests/data/oci" / name);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

layout::Layout load(std::string_view yaml) {
  auto layout = layout::load_layout(yaml, "layout.yaml");
  EXPECT_TRUE(layout) << (layout ? "" : layout.error().to_string());
  return layout ? *layout : layout::Layout{};
}

BaseOptions bundle(std::string dir) {
  BaseOptions options;
  options.bundle_dir = std::move(dir);
  options.uid = 1000;
  options.gid = 100;
  return options;
}

std::vector<std::string> messages(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings) out.push_back(f.to_string());
  return out;
}

/// import -> (the layout as written and loaded back, as the command line does) -> export
/// --base of the same file.
ConfigExport round_trip(const std::string& spec) {
  auto imported = oci::import_config(spec, {"config.json", "/srv/bundle"});
  EXPECT_TRUE(imported);
  if (!imported) return {};
  layout::Layout layout = load(layout::write_layout(imported->layout));
  auto exported = export_config(layout, spec, bundle("/srv/bundle"));
  EXPECT_TRUE(exported) << (exported ? "" : exported.error().to_string());
  return exported ? *exported : ConfigExport{};
}

// The done-when of issue 20: runc spec's default config comes back as it was: the same
// document, and here even the same text (runc's tabs, no final newline), with no finding.
TEST(OciExportConfigTest, RuncDefaultSpecRoundTrips) {
  const std::string spec = read_data("runc-1.1-default.json");
  auto exported = round_trip(spec);
  EXPECT_EQ(json::parse(exported.config_json), json::parse(spec));
  EXPECT_EQ(exported.config_json, spec);
  EXPECT_THAT(messages(exported.findings), IsEmpty());
}

// runc spec --rootless binds /sys with "ro" on an rbind, which leaves its submounts
// writable; a layout's read-only recursive bind is rro. That is the one difference, and
// import says so.
TEST(OciExportConfigTest, RuncRootlessSpecRoundTripsButForSysRro) {
  const std::string spec = read_data("runc-1.1-rootless.json");
  auto exported = round_trip(spec);
  json expected = json::parse(spec);
  ASSERT_EQ(expected["mounts"][5]["destination"], "/sys");
  ASSERT_EQ(expected["mounts"][5]["options"].back(), "ro");
  expected["mounts"][5]["options"].back() = "rro";
  EXPECT_EQ(json::parse(exported.config_json), expected);
  EXPECT_THAT(messages(exported.findings), IsEmpty());
}

TEST(OciExportConfigTest, EverythingElseIsKeptInItsPlace) {
  const std::string base = R"({
  "ociVersion": "1.0.2",
  "process": {"args": ["sh"], "cwd": "/"},
  "root": {"path": "/old/rootfs"},
  "hostname": "old",
  "annotations": {"z": "1", "a": "2"},
  "mounts": [{"destination": "/old", "type": "tmpfs", "source": "tmpfs"}],
  "linux": {
    "resources": {"memory": {"limit": 1048576}},
    "seccomp": {"defaultAction": "SCMP_ACT_ERRNO"},
    "sysctl": {"net.ipv4.ip_forward": "1", "kernel.msgmax": "1"},
    "namespaces": [{"type": "network", "path": "/run/netns/x"}, {"type": "mount"},
                   {"type": "ipc"}],
    "uidMappings": [{"containerID": 0, "hostID": 5000, "size": 10}],
    "maskedPaths": ["/proc/kcore"]
  }
}
)";
  auto layout = load(R"(version: 1
namespaces: [pid, mount]
sysctls:
  kernel.msgmax: "2"
  kernel.shmmax: "4"
root:
  bind: /srv/new
mounts:
  - tmpfs: /tmp
    options: [nosuid]
  - readonly-path: /proc/sys
)");
  auto exported = export_config(layout, base, bundle("/b"));
  ASSERT_TRUE(exported) << exported.error().to_string();
  EXPECT_EQ(json::parse(exported->config_json), json::parse(R"({
  "ociVersion": "1.0.2",
  "process": {"args": ["sh"], "cwd": "/"},
  "root": {"path": "/srv/new"},
  "annotations": {"z": "1", "a": "2"},
  "mounts": [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}],
  "linux": {
    "resources": {"memory": {"limit": 1048576}},
    "seccomp": {"defaultAction": "SCMP_ACT_ERRNO"},
    "sysctl": {"kernel.msgmax": "2", "kernel.shmmax": "4"},
    "namespaces": [{"type": "network", "path": "/run/netns/x"}, {"type": "mount"},
                   {"type": "pid"}],
    "maskedPaths": [],
    "readonlyPaths": ["/proc/sys"]
  }
})"));
  // Key order as the base had it, indentation too (two spaces), and the final newline.
  EXPECT_THAT(exported->config_json, ::testing::StartsWith("{\n  \"ociVersion\""));
  EXPECT_LT(exported->config_json.find("\"process\""), exported->config_json.find("\"root\""));
  EXPECT_LT(exported->config_json.find("\"annotations\""),
            exported->config_json.find("\"mounts\""));
  EXPECT_TRUE(exported->config_json.ends_with("}\n"));
  EXPECT_THAT(messages(exported->findings),
              ::testing::ElementsAre("linux.uidMappings: note: removed: the layout has no user "
                                     "namespace"));
}

// A user namespace without mappings in the base gets the caller's ids mapped to 0 (as run
// maps them); mappings the base has stay, since a layout cannot say others.
TEST(OciExportConfigTest, AUserNamespaceMapsTheCallerWhenTheBaseHasNoMappings) {
  auto layout = load("version: 1\nnamespaces: [user, mount]\n");
  auto fresh = export_config(layout, R"({"linux": {}})", bundle("/b"));
  ASSERT_TRUE(fresh);
  EXPECT_EQ(json::parse(fresh->config_json)["linux"], json::parse(R"({
      "namespaces": [{"type": "user"}, {"type": "mount"}],
      "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
      "gidMappings": [{"containerID": 0, "hostID": 100, "size": 1}]})"));
  auto kept = export_config(
      layout, R"({"linux": {"uidMappings": [{"containerID": 0, "hostID": 7, "size": 3}],
                            "gidMappings": [{"containerID": 0, "hostID": 8, "size": 3}]}})",
      bundle("/b"));
  ASSERT_TRUE(kept);
  EXPECT_EQ(json::parse(kept->config_json)["linux"]["uidMappings"][0]["hostID"], 7);
  EXPECT_THAT(messages(kept->findings), IsEmpty());
}

// A relative root.path (and bind source) stays as written when it names the layout's path;
// a mount's source name and a bind's "none" type are the base's when the base has the
// same kind of mount there.
TEST(OciExportConfigTest, TheBasesSpellingIsKeptWhereItSaysTheSame) {
  const std::string base = R"({"root": {"path": "rootfs", "readonly": true}, "mounts": [
      {"destination": "/dev/shm", "type": "tmpfs", "source": "shm"},
      {"destination": "/data", "type": "none", "source": "data", "options": ["rbind"]},
      {"destination": "/other", "type": "none", "source": "x", "options": ["rbind"]},
      {"destination": "/sys/fs/cgroup", "type": "cgroup2", "source": "cg"}]})";
  auto layout = load(R"(version: 1
root:
  bind: /srv/bundle/rootfs
  readonly: true
mounts:
  - tmpfs: /dev/shm
  - bind: /data
    from: /srv/bundle/data
  - bind: /other
    from: /elsewhere
  - cgroup: /sys/fs/cgroup
)");
  auto exported = export_config(layout, base, bundle("/srv/bundle"));
  ASSERT_TRUE(exported);
  EXPECT_EQ(json::parse(exported->config_json), json::parse(R"({
      "root": {"path": "rootfs", "readonly": true}, "mounts": [
      {"destination": "/dev/shm", "type": "tmpfs", "source": "shm"},
      {"destination": "/data", "type": "none", "source": "data", "options": ["rbind"]},
      {"destination": "/other", "type": "none", "source": "/elsewhere", "options": ["rbind"]},
      {"destination": "/sys/fs/cgroup", "type": "cgroup2", "source": "cg"}]})"));
  auto moved = export_config(layout, base, bundle("/srv/other"));
  ASSERT_TRUE(moved);
  EXPECT_EQ(json::parse(moved->config_json)["root"]["path"], "/srv/bundle/rootfs");
}

TEST(OciExportConfigTest, AMalformedBaseIsAnErrorThatSaysWhere) {
  auto layout = load("version: 1\n");
  auto syntax = export_config(layout, "{\n  \"root\": [,\n}", bundle("/b"));
  ASSERT_FALSE(syntax);
  EXPECT_EQ(syntax.error().stage, Stage::kManifest);
  EXPECT_THAT(syntax.error().to_string(), HasSubstr("config.json:2:"));
  for (auto [text, message] :
       {std::pair{"[]", "(top level): expected an object (a runtime spec), got array"},
        std::pair{R"({"mounts": {}})", "/mounts: expected an array, got object"},
        std::pair{R"({"linux": []})", "/linux: expected an object, got array"},
        std::pair{R"({"root": {"path": 3}})", "/root/path: expected a string, got number"}}) {
    auto shape = export_config(layout, text, bundle("/b"));
    ASSERT_FALSE(shape) << text;
    EXPECT_EQ(shape.error().message, message);
  }
}

}  // namespace
}  // namespace rootfsctl::render
