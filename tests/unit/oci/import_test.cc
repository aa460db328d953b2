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

namespace rootfsctl::oci {
namespace {

using layout::Entry;
using layout::EntryKind;
using render::export_mounts;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Import import_ok(std::string_view text, const ImportOptions& options = {"config.json", "/b"}) {
  auto result = import_config(text, options);
  EXPECT_TRUE(result) << (result ? "" : result.error().to_string());
  return result ? *result : Import{};
}

/// One mount in a spec with no root.
Import import_mount(std::string_view mount_json) {
  return import_ok("{\"mounts\": [" + std::string(mount_json) + "]}");
}

std::vector<std::string> messages(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings) out.push_back(f.to_string());
  return out;
}

TEST(OciImportTest, RbindWithFlagsIsARecursiveBind) {
  auto result = import_mount(R"({"destination": "/data", "type": "bind", "source": "/srv/data",
                                 "options": ["rbind", "nosuid", "nodev", "ro"]})");
  ASSERT_EQ(result.layout.mounts.size(), 1u);
  const Entry& e = result.layout.mounts[0];
  EXPECT_EQ(e.kind, EntryKind::kBind);
  EXPECT_EQ(e.target, "/data");
  EXPECT_EQ(e.from, "/srv/data");
  EXPECT_TRUE(e.recursive);
  EXPECT_EQ(e.readonly, true);
  EXPECT_EQ(e.options, (std::vector<std::string>{"nosuid", "nodev"}));
  // ro on an rbind differs: the layout's readonly reaches the submounts.
  EXPECT_EQ(messages(result.findings),
            (std::vector<std::string>{
                "mounts[0] /data: note: ro on an rbind: rootfsctl makes the submounts read-only "
                "too (what rro asks for); runc leaves them writable"}));
}

TEST(OciImportTest, BindOptionWithoutTypeAndRroAreExact) {
  auto result = import_mount(R"({"destination": "/etc/resolv.conf", "source": "/etc/resolv.conf",
                                 "options": ["bind", "rro"]})");
  ASSERT_EQ(result.layout.mounts.size(), 1u);
  EXPECT_EQ(result.layout.mounts[0].kind, EntryKind::kBind);
  EXPECT_FALSE(result.layout.mounts[0].recursive);
  EXPECT_EQ(result.layout.mounts[0].readonly, true);
  EXPECT_TRUE(result.findings.empty());
}

TEST(OciImportTest, MountIdMappingsAreAnIdmap) {
  auto result = import_mount(R"({"destination": "/data", "type": "bind", "source": "/srv/data",
      "options": ["rbind"],
      "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
      "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 10},
                      {"containerID": 10, "hostID": 300000, "size": 1}]})");
  ASSERT_EQ(result.layout.mounts.size(), 1u);
  EXPECT_EQ(result.layout.mounts[0].idmap, "uids=0:100000:65536;gids=0:200000:10,10:300000:1");
  EXPECT_TRUE(result.findings.empty()) << messages(result.findings)[0];
  // runc's and crun's idmap option alone: the container's own user namespace.
  auto own = import_mount(R"({"destination": "/d", "type": "bind", "source": "/s",
                              "options": ["rbind", "ridmap"]})");
  ASSERT_EQ(own.layout.mounts.size(), 1u);
  EXPECT_EQ(own.layout.mounts[0].idmap, "target");
  EXPECT_TRUE(own.findings.empty());
  // What the kernel would refuse is reported, not imported.
  auto bad = import_mount(R"({"destination": "/d", "type": "bind", "source": "/s",
      "options": ["rbind"], "uidMappings": [{"containerID": 0, "hostID": 1, "size": 0}]})");
  EXPECT_FALSE(bad.layout.mounts[0].idmap);
  EXPECT_THAT(messages(bad.findings), ::testing::Contains(::testing::HasSubstr("maps no id")));
}

TEST(OciImportTest, RelativeBindSourceIsInTheBundle) {
  auto result = import_mount(R"({"destination": "/x", "type": "bind", "source": "files/x",
                                 "options": ["rbind"]})");
  ASSERT_EQ(result.layout.mounts.size(), 1u);
  EXPECT_EQ(result.layout.mounts[0].from, "/b/files/x");
}

TEST(OciImportTest, TmpfsSizeModeAndUidCarry) {
  auto result = import_mount(R"({"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
                                 "options": ["nosuid", "noexec", "nodev", "mode=1777",
                                             "size=65536k", "uid=1000", "huge=always"]})");
  ASSERT_EQ(result.layout.mounts.size(), 1u);
  const Entry& e = result.layout.mounts[0];
  EXPECT_EQ(e.kind, EntryKind::kTmpfs);
  EXPECT_EQ(e.mode, 01777u);
  EXPECT_EQ(e.size, "65536k");
  EXPECT_EQ(e.uid, 1000u);
  EXPECT_EQ(e.options, (std::vector<std::string>{"nosuid", "noexec", "nodev"}));
  EXPECT_EQ(messages(result.findings),
            (std::vector<std::string>{"mounts[0] /dev/shm: warning: option 'huge=always' has "
                                      "no layout equivalent for a tmpfs entry; dropped"}));
}

// runc's default devpts: gid=5 is the layout's gid key now (issue 20); ptmxmode=0666 is
// the planner's default, so it needs no key; another ptmxmode is kept.
TEST(OciImportTest, DevptsKeepsWhatRootfsctlDoesAndItsGid) {
  auto result = import_mount(R"({"destination": "/dev/pts", "type": "devpts", "source": "devpts",
      "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]})");
  ASSERT_EQ(result.layout.mounts.size(), 1u);
  EXPECT_EQ(result.layout.mounts[0].kind, EntryKind::kDevpts);
  EXPECT_EQ(result.layout.mounts[0].options, (std::vector<std::string>{"nosuid", "noexec"}));
  EXPECT_EQ(result.layout.mounts[0].gid, 5u);
  EXPECT_FALSE(result.layout.mounts[0].ptmxmode);
  EXPECT_TRUE(result.findings.empty()) << testing::PrintToString(messages(result.findings));
  auto other = import_mount(R"({"destination": "/dev/pts", "type": "devpts",
      "options": ["ptmxmode=0620", "mode=0600"]})");
  EXPECT_EQ(other.layout.mounts[0].ptmxmode, 0620u);
  EXPECT_EQ(messages(other.findings),
            (std::vector<std::string>{"mounts[0] /dev/pts: warning: devpts option 'mode=0600' "
                                      "dropped: rootfsctl mounts devpts with "
                                      "newinstance,ptmxmode=0666,mode=620"}));
  // And back: export writes what import read.
  auto exported = nlohmann::json::parse(export_mounts(result.layout).mounts_json);
  EXPECT_EQ(exported[0]["options"],
            nlohmann::json::parse(R"(["nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                      "mode=0620", "gid=5"])"));
}

TEST(OciImportTest, TmpfsKeepsUidGidAndNrInodes) {
  auto result = import_mount(R"({"destination": "/scratch", "type": "tmpfs",
      "options": ["uid=1000", "gid=100", "nr_inodes=10k", "uid=-1"]})");
  ASSERT_EQ(result.layout.mounts.size(), 1u);
  EXPECT_EQ(result.layout.mounts[0].uid, 1000u);
  EXPECT_EQ(result.layout.mounts[0].gid, 100u);
  EXPECT_EQ(result.layout.mounts[0].nr_inodes, "10k");
  EXPECT_EQ(messages(result.findings),
            (std::vector<std::string>{"mounts[0] /scratch: warning: option 'uid=-1' has no "
                                      "layout equivalent for a tmpfs entry; dropped"}));
  auto exported = nlohmann::json::parse(export_mounts(result.layout).mounts_json);
  EXPECT_EQ(exported[0]["options"],
            nlohmann::json::parse(R"(["uid=1000", "gid=100", "nr_inodes=10k"])"));
}

// runc's cgroup mount (type cgroup, as runc spec writes it, or cgroup2) is a cgroup entry
// with its flags and read-only; a type no layout kind mounts is reported.
TEST(OciImportTest, CgroupIsAnEntryUnknownTypesAreReported) {
  auto result = import_ok(R"({"mounts": [
      {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
       "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
      {"destination": "/mnt/disk", "type": "ext4", "source": "/dev/vdb"},
      {"destination": "/proc", "type": "proc", "source": "proc"},
      {"destination": "/cg2", "type": "cgroup2", "source": "cgroup2"}]})");
  ASSERT_EQ(result.layout.mounts.size(), 3u);
  EXPECT_EQ(result.layout.mounts[0].kind, EntryKind::kCgroup);
  EXPECT_EQ(result.layout.mounts[0].readonly, true);
  EXPECT_EQ(result.layout.mounts[0].options,
            (std::vector<std::string>{"nosuid", "noexec", "nodev", "relatime"}));
  EXPECT_EQ(result.layout.mounts[1].kind, EntryKind::kProc);
  EXPECT_EQ(result.layout.mounts[2].kind, EntryKind::kCgroup);
  EXPECT_EQ(result.from_index, (std::vector<int>{0, 2, 3}));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].to_string(),
            "mounts[1] /mnt/disk: warning: type ext4 has no layout kind; not imported (layouts "
            "mount bind, tmpfs, proc, sysfs, devpts, mqueue, cgroup and overlay; bind a host "
            "mount of it instead)");
}

TEST(OciImportTest, PropagationAndRecursiveFlagsAreDropped) {
  auto result = import_mount(R"({"destination": "/a", "type": "bind", "source": "/a",
                                 "options": ["rbind", "rprivate", "rnosuid"]})");
  ASSERT_EQ(result.findings.size(), 2u);
  EXPECT_EQ(result.findings[0].message,
            "propagation option 'rprivate' has no layout equivalent; dropped (rootfsctl leaves "
            "propagation as the target's tree has it)");
  EXPECT_EQ(result.findings[1].message,
            "recursive option 'rnosuid' has no layout equivalent; dropped (only readonly is "
            "recursive on a bind)");
}

TEST(OciImportTest, OverlayLowerdirsComeFirst) {
  auto result = import_mount(R"({"destination": "/opt", "type": "overlay", "source": "overlay",
      "options": ["lowerdir=/srv/a:/srv/b", "upperdir=/srv/up", "workdir=/srv/.up.work"]})");
  ASSERT_EQ(result.layout.mounts.size(), 1u);
  const Entry& e = result.layout.mounts[0];
  EXPECT_EQ(e.kind, EntryKind::kOverlay);
  EXPECT_EQ(e.before, (std::vector<std::string>{"/srv/a", "/srv/b"}));
  EXPECT_EQ(e.create, "/srv/up");
  ASSERT_EQ(result.findings.size(), 1u);  // the existing directory joins the union
  EXPECT_EQ(result.findings[0].severity, "note");
}

TEST(OciImportTest, DestinationsAreNormalised) {
  auto result = import_mount(R"({"destination": "/dev//shm/", "type": "tmpfs", "source": "x"})");
  ASSERT_EQ(result.layout.mounts.size(), 1u);
  EXPECT_EQ(result.layout.mounts[0].target, "/dev/shm");
}

TEST(OciImportTest, RootPathIsRelativeToTheBundle) {
  auto result = import_ok(R"({"root": {"path": "rootfs", "readonly": true}})",
                          {"config.json", "/srv/bundle"});
  ASSERT_TRUE(result.layout.root);
  EXPECT_EQ(result.layout.root->kind, layout::RootKind::kBind);
  EXPECT_EQ(result.layout.root->from, "/srv/bundle/rootfs");
  EXPECT_TRUE(result.layout.root->readonly);
}

TEST(OciImportTest, MalformedJsonNamesLineColumnAndByte) {
  auto result = import_config("{\n  \"mounts\": [\n    {\"destination\": \"/a\",}\n  ]\n}\n",
                              {"bundle/config.json", ""});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().stage, Stage::kManifest);
  EXPECT_EQ(result.error().to_string(),
            "bundle/config.json:3:26: not valid JSON at byte 41: syntax error while parsing "
            "object key - unexpected '}'; expected string literal (check for a missing comma "
            "or quote, or a trailing comma, just before this point)");
  EXPECT_EQ(result.error().excerpt, "    {\"destination\": \"/a\",}");
}

// Issue 15: `oci import /etc/shadow` printed its first line, as the excerpt and in
// nlohmann's "last read: '...'". A file that does not start as JSON is not quoted.
TEST(OciImportTest, AFileThatIsNotJsonIsNotQuoted) {
  for (const char* text : {"root:$6$SECRET:19000:0:99999:7:::\n", "\"SECRET\n", "SECRET"}) {
    auto result = import_config(text, {"secret", ""});
    ASSERT_FALSE(result) << text;
    EXPECT_EQ(result.error().excerpt, "");
    EXPECT_EQ(result.error().render().find("SECRET"), std::string::npos) << result.error().render();
    EXPECT_EQ(result.error().where.file, "secret");
  }
}

TEST(OciImportTest, WrongShapesNameTheJsonPointer) {
  auto missing = import_config(R"({"mounts": [{"type": "tmpfs"}]})");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "/mounts/0/destination: expected a string, got null");
  auto option = import_config(R"({"mounts": [{"destination": "/a", "options": ["ro", 7]}]})");
  ASSERT_FALSE(option);
  EXPECT_EQ(option.error().to_string(),
            "config.json: /mounts/0/options/1: expected a string, got number");
  auto mounts = import_config(R"({"mounts": {}})");
  ASSERT_FALSE(mounts);
  EXPECT_EQ(mounts.error().message, "/mounts: expected an array, got object");
}

TEST(OciImportTest, RuncDefaultSpecImportsAndLoadsBack) {
  auto text = read_file(std::filesystem::path(ROOTFSCTL_SOURCE_DIR) /
                        "tests/data/oci/runc-1.1-default.json");
  auto result = import_ok(text, {"config.json", "/srv/bundle"});
  ASSERT_TRUE(result.layout.root);
  EXPECT_EQ(result.layout.root->from, "/srv/bundle/rootfs");
  std::vector<std::string> targets;
  for (const auto& e : result.layout.mounts) targets.push_back(e.target);
  EXPECT_EQ(
      targets,
      (std::vector<std::string>{
          "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup",
          // linux.maskedPaths, then linux.readonlyPaths (issue 20)
          "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
          "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
          "/proc/scsi", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}));
  EXPECT_EQ(result.layout.mounts[6].kind, layout::EntryKind::kCgroup);
  EXPECT_EQ(result.layout.mounts[7].kind, layout::EntryKind::kMask);
  EXPECT_EQ(result.layout.mounts[17].kind, layout::EntryKind::kReadonlyPath);
  // Everything carries over: cgroup, devpts gid=5, the masked and read-only paths.
  EXPECT_EQ(result.layout.mounts[2].gid, 5u);
  EXPECT_TRUE(result.findings.empty()) << testing::PrintToString(messages(result.findings));
  auto loaded = layout::load_layout(layout::write_layout(result.layout), "imported.yaml");
  EXPECT_TRUE(loaded) << (loaded ? "" : loaded.error().to_string());
}

}  // namespace
}  // namespace rootfsctl::oci

namespace rootfsctl::oci {
namespace {

// runc spec's default set, plus a namespace joined by path (which a layout cannot say)
// and the hostname, which goes with a new uts namespace.
TEST(OciImportNamespacesTest, NewNamespacesAreTheLayoutsJoinedOnesAreFindings) {
  auto imported = import_config(R"({"hostname": "box", "linux": {"namespaces": [
      {"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
      {"type": "mount"}, {"type": "cgroup", "path": "/proc/1/ns/cgroup"}]}})",
                                {"config.json", "/b"});
  ASSERT_TRUE(imported) << imported.error().to_string();
  EXPECT_EQ(imported->layout.namespaces,
            (std::vector<std::string>{"pid", "net", "ipc", "uts", "mount"}));
  EXPECT_EQ(imported->layout.hostname, "box");
  ASSERT_EQ(imported->findings.size(), 1u);
  EXPECT_EQ(imported->findings[0].destination, "linux.namespaces");
  EXPECT_NE(imported->findings[0].message.find("joins /proc/1/ns/cgroup"), std::string::npos);
}

TEST(OciImportNamespacesTest, AHostnameWithoutUtsIsAFindingAndBadShapesAreErrors) {
  auto imported = import_config(
      R"({"hostname": "box", "linux": {"namespaces": [{"type": "pid"}]}})", {"config.json", "/b"});
  ASSERT_TRUE(imported);
  EXPECT_FALSE(imported->layout.hostname);
  ASSERT_EQ(imported->findings.size(), 1u);
  EXPECT_EQ(imported->findings[0].destination, "hostname");
  EXPECT_FALSE(import_config(R"({"linux": {"namespaces": {"type": "pid"}}})"));
  EXPECT_FALSE(import_config(R"({"linux": {"namespaces": [{"path": "/x"}]}})"));
}

TEST(OciExportNamespacesTest, NamespacesAreNotedWithTheirOciNames) {
  layout::Layout layout;
  layout.namespaces = {"pid", "net"};
  auto exported = export_mounts(layout);
  ASSERT_EQ(exported.findings.size(), 1u);
  EXPECT_EQ(
      exported.findings[0].message,
      R"(not mounts: set config.json linux.namespaces to [{"type": "pid"}, {"type": "network"}])");
}

}  // namespace
}  // namespace rootfsctl::oci

namespace rootfsctl::oci {
namespace {

TEST(OciImportProtectedPathsTest, MaskedAndReadOnlyPathsBecomeEntriesAndExportBack) {
  auto imported = import_config(R"({"linux": {"maskedPaths": ["/proc/kcore", "proc/x", "/a/../b"],
      "readonlyPaths": ["/proc/sys"]}})");
  ASSERT_TRUE(imported) << imported.error().to_string();
  ASSERT_EQ(imported->layout.mounts.size(), 2u);
  EXPECT_EQ(imported->layout.mounts[0].kind, layout::EntryKind::kMask);
  EXPECT_EQ(imported->layout.mounts[0].target, "/proc/kcore");
  EXPECT_EQ(imported->layout.mounts[1].kind, layout::EntryKind::kReadonlyPath);
  EXPECT_EQ(imported->layout.mounts[1].target, "/proc/sys");
  // What a layout cannot name is a warning each, with the path.
  ASSERT_EQ(imported->findings.size(), 2u);
  EXPECT_THAT(imported->findings[0].to_string(),
              ::testing::HasSubstr("linux.maskedPaths: warning: 'proc/x'"));
  // Export gives the lists back, for config.json's linux section.
  auto exported = export_mounts(imported->layout);
  EXPECT_EQ(nlohmann::json::parse(exported.mounts_json), nlohmann::json::array());
  std::vector<std::string> found;
  for (const auto& f : exported.findings) found.push_back(f.to_string());
  EXPECT_EQ(found, (std::vector<std::string>{
                       "linux.maskedPaths: note: not mounts: set config.json linux.maskedPaths "
                       "to [\"/proc/kcore\"]",
                       "linux.readonlyPaths: note: not mounts: set config.json "
                       "linux.readonlyPaths to [\"/proc/sys\"]"}));
  auto shape = import_config(R"({"linux": {"readonlyPaths": [7]}})");
  ASSERT_FALSE(shape);
  EXPECT_EQ(shape.error().message, "/linux/readonlyPaths/0: expected a string, got number");
}

}  // namespace
}  // namespace rootfsctl::oci
