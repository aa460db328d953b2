#include "render/oci_export.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "layout/loader.h"
#include "layout/writer.h"
#include "oci/oci.h"

namespace rootfsctl::render {
namespace {

layout::Layout load(std::string_view yaml) {
  auto layout = layout::load_layout(yaml, "layout.yaml");
  EXPECT_TRUE(layout) << (layout ? "" : layout.error().to_string());
  return layout ? *layout : layout::Layout{};
}

std::vector<layout::Entry> without_origins(std::vector<layout::Entry> entries) {
  for (auto& e : entries) e.origin = {};
  return entries;
}

TEST(OciExportTest, MountsBecomeOciMounts) {
  auto exported = export_mounts(load(R"(version: 1
mounts:
  - bind: /usr
    readonly: true
  - bind: /etc/hosts
    recursive: false
    readonly: true
  - tmpfs: /tmp
    size: 64M
    mode: "1777"
    options: [nosuid, nodev]
  - devpts: /dev/pts
)"));
  EXPECT_TRUE(exported.findings.empty());
  EXPECT_EQ(nlohmann::json::parse(exported.mounts_json), nlohmann::json::parse(R"([
    {"destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "rro"]},
    {"destination": "/etc/hosts", "type": "bind", "source": "/etc/hosts", "options": ["bind", "ro"]},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "nodev", "mode=1777", "size=64M"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["newinstance", "ptmxmode=0666", "mode=0620"]}])"));
}

// The options in runc's order (runc spec): flag names, the filesystem's key=value options
// (tmpfs modes with three digits, devpts's with four), read-only last; a cgroup entry is
// runc's cgroup mount.
TEST(OciExportTest, OptionsComeInRuncsOrder) {
  auto exported = export_mounts(load(R"(version: 1
mounts:
  - tmpfs: /dev
    mode: "0755"
    size: 65536k
    readonly: true
    options: [nosuid, strictatime]
  - devpts: /dev/pts
    gid: 5
    options: [nosuid, noexec]
  - sysfs: /sys
    readonly: true
    options: [nosuid, noexec, nodev]
  - cgroup: /sys/fs/cgroup
    readonly: true
    options: [nosuid, noexec, nodev, relatime]
  - bind: /data
    readonly: true
    options: [nosuid]
)"));
  EXPECT_TRUE(exported.findings.empty());
  EXPECT_EQ(nlohmann::json::parse(exported.mounts_json), nlohmann::json::parse(R"([
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k", "ro"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs",
     "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
     "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
    {"destination": "/data", "type": "bind", "source": "/data",
     "options": ["rbind", "nosuid", "rro"]}])"));
}

TEST(OciExportTest, WhatOciCannotSayIsReported) {
  auto exported = export_mounts(load(R"(version: 1
root:
  bind: /srv/rootfs
  readonly: true
mounts:
  - symlink: /bin
    to: usr/bin
  - dir: /run/app
  - remount: /usr
    readonly: true
  - device: /dev/null
)"));
  std::vector<std::string> found;
  for (const auto& f : exported.findings) found.push_back(f.to_string());
  EXPECT_EQ(found, (std::vector<std::string>{
                       "root: note: not a mount in OCI: set config.json root.path to "
                       "/srv/rootfs and root.readonly to true",
                       "mounts[0] /bin: warning: symlink entries are not mounts; not exported "
                       "(put it in the image under root.path)",
                       "mounts[1] /run/app: warning: dir entries are not mounts; not exported "
                       "(put it in the image under root.path)",
                       "mounts[2] /usr: warning: remount has no OCI mount equivalent; not "
                       "exported (for read-only, list the path in linux.readonlyPaths)",
                       "mounts[3] /dev/null: note: device placeholder exported as a bind of the "
                       "host node (the runtime creates the file it binds onto); linux.devices "
                       "is how OCI creates nodes instead"}));
  EXPECT_EQ(nlohmann::json::parse(exported.mounts_json),
            nlohmann::json::parse(R"([{"destination": "/dev/null", "type": "bind",
                                       "source": "/dev/null", "options": ["bind"]}])"));
}

TEST(OciExportTest, ExportThenImportGivesTheSameEntries) {
  auto layout = load(R"(version: 1
mounts:
  - bind: /usr
    from: /opt/usr
    readonly: true
    options: [nosuid]
  - bind: /etc/hosts
    recursive: false
  - bind: /srv
    readonly: false
    options: [noexec]
  - tmpfs: /tmp
    size: 50%
    mode: "0755"
    options: [nosuid, nodev, noatime]
  - proc: /proc
    options: [nosuid, nodev, noexec]
  - sysfs: /sys
    readonly: true
  - devpts: /dev/pts
    options: [nosuid, noexec]
  - mqueue: /dev/mqueue
  - overlay: /opt
    before: [/srv/patches, /srv/base]
    create: /srv/upper
  - bind: /home/app
    from: /srv/app
    idmap: target
  - bind: /home/build
    from: /home/alice
    recursive: false
    idmap: "uids=1000:100000:1;gids=1000:100000:1,5:100005:1"
)");
  auto exported = export_mounts(layout);
  auto imported = oci::import_config("{\"mounts\": " + exported.mounts_json + "}");
  ASSERT_TRUE(imported) << imported.error().to_string();
  layout::Layout expected;
  expected.mounts = without_origins(layout.mounts);
  layout::Layout got;
  got.mounts = without_origins(imported->layout.mounts);
  // Compared as written layouts, so a difference reads as YAML.
  EXPECT_EQ(layout::write_layout(got), layout::write_layout(expected)) << exported.mounts_json;
  EXPECT_EQ(got, expected);
}

}  // namespace
}  // namespace rootfsctl::render
