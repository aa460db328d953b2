#include "plan/capture.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "layout/writer.h"
#include "plan/overlay.h"
#include "test_support.h"

namespace rootfsctl::plan {
namespace {

using rootfsctl::testing::table;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The caller's tree: where bind sources are mapped back to.
constexpr std::string_view kCaller =
    "20 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
    "21 20 0:5 / /dev rw,nosuid - devtmpfs udev rw,mode=755\n"
    "22 21 0:20 / /dev/pts rw,nosuid,noexec - devpts devpts rw\n"
    "23 20 0:21 / /proc rw,nosuid,nodev,noexec - proc proc rw\n"
    "24 20 8:2 / /srv ro,nosuid,nodev,relatime - ext4 /dev/sda2 ro\n"
    "25 20 0:30 / /run rw,nosuid,nodev - tmpfs tmpfs rw,size=1024k,mode=755\n"
    "26 20 8:1 /var/lib/images /images rw,relatime - ext4 /dev/sda1 rw\n";

// A target that pivoted into a sandbox built from that tree.
constexpr std::string_view kTarget =
    "40 39 0:50 / / rw,relatime - tmpfs tmpfs rw,size=65536k,mode=755\n"
    "41 40 8:1 /usr /usr ro,relatime - ext4 /dev/sda1 rw\n"
    "42 40 0:51 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
    "43 40 0:52 / /dev rw,nosuid,noexec - tmpfs tmpfs rw,mode=755\n"
    "44 43 0:5 /null /dev/null rw,nosuid - devtmpfs udev rw,mode=755\n"
    "45 43 0:53 / /dev/pts rw,nosuid,noexec - devpts devpts rw,gid=5,mode=620,ptmxmode=666\n"
    "46 40 0:54 / /tmp rw,nosuid,nodev - tmpfs tmpfs rw,size=1048576k,nr_inodes=1000\n"
    "47 40 8:2 /data /data rw,nosuid,relatime - ext4 /dev/sda2 ro\n"
    "48 40 0:30 / /run rw,nosuid,nodev - tmpfs tmpfs rw,size=1024k,mode=755\n";

FileType devices(std::string_view path) {
  return path == "/dev/null" ? FileType::kCharDevice : FileType::kDirectory;
}

std::string capture_text(std::string_view target, std::string_view caller = kCaller) {
  auto capture = capture_layout(table(target), table(caller), {"pid 42", devices, {}});
  if (!capture) return "error: " + capture.error().to_string();
  return layout::write_layout(capture->layout, {capture->header, capture->comments});
}

TEST(CaptureTest, PivotedSandbox) {
  EXPECT_EQ(capture_text(kTarget),
            R"(# Captured from pid 42 by `rootfsctl capture`: its mount tree as a layout.
# Replaying it gives the same mounts (targets, types, ro/nosuid/nodev/noexec) and the
# symlinks, directories (with modes) and text files up to 64 KiB (with content and
# mode) on its tmpfs mounts; it does not record owners, larger or binary files,
# propagation, or filesystem options other than tmpfs size and mode.
version: 1
name: captured
description: "The mounts of pid 42, captured by rootfsctl."
root:
  tmpfs: { size: 64M, mode: "0755" }
mounts:
  - bind: /data
    from: /srv/data
    readonly: false
    recursive: false
    options: [nosuid, dev]
  - tmpfs: /dev
    mode: "0755"
    options: [nosuid, noexec]
  - device: /dev/null
  - devpts: /dev/pts
    options: [nosuid, noexec]
  - proc: /proc
    options: [nosuid, nodev, noexec]
  - bind: /run
    recursive: false
    options: [nosuid, nodev]
  # tmpfs /tmp: options not expressible: nr_inodes=1000
  - tmpfs: /tmp
    size: 1G
    mode: "1777"
    options: [nosuid, nodev]
  - bind: /usr
    readonly: true
    recursive: false
)");
}

TEST(CaptureTest, UnmappableSourceBecomesAComment) {
  std::string target(kTarget);
  target += "49 40 9:9 / /opt rw - xfs /dev/md0 rw\n";
  EXPECT_THAT(capture_text(target),
              HasSubstr("  # could not map source for dev 9:9 root /: xfs at /opt\n"
                        "  - proc: /proc\n"));
}

TEST(CaptureTest, HiddenMountsAreNoted) {
  std::string target(kTarget);
  target += "49 42 0:60 / /proc rw - tmpfs x rw\n";
  EXPECT_THAT(capture_text(target),
              HasSubstr("# not captured, hidden beneath another mount: /proc (proc)\n"));
  EXPECT_THAT(capture_text(target), HasSubstr("  - tmpfs: /proc\n"));
}

TEST(CaptureTest, RootBindLeavesOutWhatItBringsAlong) {
  // A target that has not pivoted: its tree is a copy of the caller's with /srv's
  // nosuid cleared, a private /tmp, and without /run and /images.
  std::string changed;
  for (auto line : {"20 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n",
                    "21 20 0:5 / /dev rw,nosuid - devtmpfs udev rw,mode=755\n",
                    "22 21 0:20 / /dev/pts rw,nosuid,noexec - devpts devpts rw\n",
                    "23 20 0:21 / /proc rw,nosuid,nodev,noexec - proc proc rw\n",
                    "24 20 8:2 / /srv ro,nodev,relatime - ext4 /dev/sda2 ro\n",
                    "30 20 0:70 / /tmp rw,nosuid - tmpfs tmpfs rw\n"}) {
    changed += line;
  }
  EXPECT_EQ(capture_text(changed),
            R"(# Captured from pid 42 by `rootfsctl capture`: its mount tree as a layout.
# Replaying it gives the same mounts (targets, types, ro/nosuid/nodev/noexec) and the
# symlinks, directories (with modes) and text files up to 64 KiB (with content and
# mode) on its tmpfs mounts; it does not record owners, larger or binary files,
# propagation, or filesystem options other than tmpfs size and mode.
# the root's bind also brings along what pid 42 does not have: /images, /run
version: 1
name: captured
description: "The mounts of pid 42, captured by rootfsctl."
root:
  bind: /
mounts:
  - remount: /srv
    options: [suid, nodev]
  - tmpfs: /tmp
    mode: "1777"
    options: [nosuid]
)");
}

TEST(CaptureTest, ImageRootMapsBackThroughABindInTheCallersTree) {
  auto capture = capture_layout(table("50 1 8:1 /var/lib/images/deb / ro - ext4 /dev/sda1 rw\n"),
                                table(kCaller));
  ASSERT_TRUE(capture) << capture.error().to_string();
  ASSERT_TRUE(capture->layout.root);
  // "/" + var/lib/images/deb and /images + /deb both reach it; the shorter path wins.
  EXPECT_EQ(capture->layout.root->from, "/images/deb");
  EXPECT_TRUE(capture->layout.root->readonly);
}

TEST(CaptureTest, RootThatCannotBeMappedIsAnError) {
  auto capture = capture_layout(table("50 1 9:9 / / rw - xfs /dev/md0 rw\n"), table(kCaller));
  ASSERT_FALSE(capture);
  EXPECT_EQ(capture.error().message,
            "cannot capture the root: no mount of dev 9:9 root / in rootfsctl's tree");
  EXPECT_FALSE(capture_layout(table(""), table(kCaller)));
}

TEST(CaptureTest, PathsALayoutCannotHoldAreComments) {
  std::string target(kTarget);
  target += "49 40 0:61 / /caf\\351 rw - tmpfs x rw\n";
  EXPECT_THAT(capture_text(target),
              HasSubstr("# not captured: a tmpfs mount whose path is not UTF-8 or holds control "
                        "characters: /caf\\xe9\n"));
}

// A surrogate (ED A0 80) and an overlong '/' (C0 AF) look like UTF-8 to a check of lead
// and continuation bits only; the loader refuses them, so capture must comment them out
// rather than write a layout that cannot be loaded back.
TEST(CaptureTest, SurrogatesAndOverlongFormsAreComments) {
  std::string target(kTarget);
  target += "49 40 0:61 / /s\\355\\240\\200 rw - tmpfs x rw\n";
  target += "50 40 0:62 / /o\\300\\257 rw - tmpfs x rw\n";
  auto capture = capture_layout(table(target), table(kCaller), {"pid 42", devices, {}});
  ASSERT_TRUE(capture) << capture.error().to_string();
  auto text = layout::write_layout(capture->layout, {capture->header, capture->comments});
  EXPECT_THAT(text, HasSubstr("control characters: /s\\xed\\xa0\\x80\n"));
  EXPECT_THAT(text, HasSubstr("control characters: /o\\xc0\\xaf\n"));
  auto loaded = layout::load_layout(text, "captured.yaml");
  EXPECT_TRUE(loaded) << loaded.error().to_string();
}

HostProbe::Node link(std::string path, std::string to) {
  return {std::move(path), std::move(to), FileType::kSymlink, 0, std::nullopt};
}
HostProbe::Node dir(std::string path, mode_t mode) {
  return {std::move(path), "", FileType::kDirectory, mode, std::nullopt};
}
HostProbe::Node file(std::string path, mode_t mode, std::optional<std::string> content) {
  return {std::move(path), "", FileType::kRegular, mode, std::move(content)};
}

// Symlinks on the tmpfs root and on a tmpfs mount become entries; one hidden by a mount
// on top, one on a bind (whose source brings it), and one a layout cannot hold do not.
TEST(CaptureTest, SymlinksOnTmpfsMountsAreEntries) {
  CaptureOptions options{
      "pid 42", devices, [](std::string_view mount) {
        std::vector<HostProbe::Node> links;
        if (mount == "/") {
          links = {link("/bin", "usr/bin"), link("/tmp/x", "hidden by /tmp"), link("/odd", "a\nb")};
        } else if (mount == "/dev") {
          links = {link("/dev/ptmx", "pts/ptmx")};
        } else if (mount == "/usr") {
          links = {link("/usr/lib64", "lib")};
        }
        return links;
      }};
  auto capture = capture_layout(table(kTarget), table(kCaller), options);
  ASSERT_TRUE(capture);
  std::vector<std::pair<std::string, std::string>> links;
  for (const auto& e : capture->layout.mounts) {
    if (e.kind == layout::EntryKind::kSymlink) links.emplace_back(e.target, e.to);
  }
  EXPECT_EQ(links, (std::vector<std::pair<std::string, std::string>>{{"/bin", "usr/bin"},
                                                                     {"/dev/ptmx", "pts/ptmx"}}));
  auto text = layout::write_layout(capture->layout, {capture->header, capture->comments});
  EXPECT_THAT(text, HasSubstr("# not captured: a symlink whose path or link text is not UTF-8"));
  EXPECT_TRUE(layout::load_layout(text, "captured.yaml"));
}

// Directories with their modes and small text files with content and mode; mount points
// are the planner's to make, and what a layout cannot hold is counted in a comment.
TEST(CaptureTest, DirectoriesAndSmallTextFilesOnTmpfsAreEntries) {
  CaptureOptions options{"pid 42", devices, [](std::string_view mount) {
                           std::vector<HostProbe::Node> nodes;
                           if (mount == "/") {
                             nodes = {dir("/etc", 0755),
                                      file("/etc/motd", 0640, "hello $HOME\n"),
                                      dir("/proc", 0555),
                                      dir("/run", 0755),
                                      dir("/srv", 01777),
                                      file("/srv/big", 0644, std::nullopt),
                                      file("/srv/binary", 0644, std::string("\x01\x02", 2))};
                           } else if (mount == "/tmp") {
                             nodes = {file("/tmp/app.pid", 0644, "42\n")};
                           }
                           return nodes;
                         }};
  auto capture = capture_layout(table(kTarget), table(kCaller), options);
  ASSERT_TRUE(capture);
  std::vector<std::string> made;
  for (const auto& e : capture->layout.mounts) {
    if (e.kind != layout::EntryKind::kDir && e.kind != layout::EntryKind::kFile) continue;
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", e.mode.value_or(0));
    made.push_back(std::string(layout::kind_name(e.kind)) + " " + e.target + " " + mode + " " +
                   e.content.value_or("-"));
  }
  EXPECT_THAT(made, ElementsAre("dir /etc 0755 -", "file /etc/motd 0640 hello $HOME\n",
                                "dir /srv 1777 -", "file /tmp/app.pid 0644 42\n"));
  auto text = layout::write_layout(capture->layout, {capture->header, capture->comments});
  EXPECT_THAT(text, HasSubstr("# not captured: 2 file(s) larger than 64 KiB, unreadable or not "
                              "UTF-8 text, on the tmpfs at /"));
  auto loaded = layout::load_layout(text, "captured.yaml");
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  // A `$` in content is written so that it loads back as itself.
  bool found = false;
  for (const auto& e : loaded->mounts) {
    if (e.target == "/etc/motd") found = e.content == "hello $HOME\n";
  }
  EXPECT_TRUE(found) << text;
}

TEST(CaptureTest, UnionIsCapturedAsAnOverlayEntry) {
  // The layer that is the mount's own path splits before from after; both spellings of
  // the lower layers (fd-given "lowerdir+", legacy "lowerdir" with an escaped ':').
  std::string target = std::string(kTarget) +
                       "49 40 0:60 / /opt rw,relatime - overlay overlay rw,lowerdir+=/srv/p,"
                       "lowerdir+=/opt,lowerdir+=/srv/b,lowerdir+=/srv/c,upperdir=/srv/u,"
                       "workdir=/srv/.u.work,uuid=on\n"
                       "50 40 0:61 / /ro ro,nosuid,relatime - overlay overlay "
                       "ro,lowerdir=/ro:/srv/a\\:b\n";
  std::string text = capture_text(target);
  EXPECT_THAT(text, HasSubstr("  - overlay: /opt\n    before: [/srv/p]\n    after: [/srv/b, "
                              "/srv/c]\n    create: /srv/u\n"));
  EXPECT_THAT(text, HasSubstr("# overlay /ro: nosuid cannot be expressed (overlay entries "
                              "have no options)\n  - overlay: /ro\n    after: [\"/srv/a:b\"]\n"));
}

TEST(CaptureTest, UnionsALayoutCannotExpressAreComments) {
  std::string target = std::string(kTarget) +
                       "49 40 0:60 / /merged rw,relatime - overlay overlay rw,lowerdir=/l1:/l2,"
                       "upperdir=/u,workdir=/w\n";
  EXPECT_THAT(capture_text(target),
              HasSubstr("# not captured: overlay /merged (rw,lowerdir=/l1:/l2,upperdir=/u,"
                        "workdir=/w): its own directory is not one of its layers, which a "
                        "union entry cannot express\n"));
}

TEST(OverlayOptionsTest, ParsesBothSpellings) {
  EXPECT_EQ(parse_overlay_options("rw,lowerdir=/a\\:x:/b\\,y::/d,upperdir=/u,workdir=/w"),
            (OverlayLayers{{"/a:x", "/b,y"}, "/u", "/w", {"/d"}}));
  EXPECT_EQ(parse_overlay_options("lowerdir+=/a,lowerdir+=/b,datadir+=/d,xino=off"),
            (OverlayLayers{{"/a", "/b"}, std::nullopt, std::nullopt, {"/d"}}));
  EXPECT_EQ(overlay_escape("/a:b,c\\d"), "/a\\:b\\,c\\\\d");
  EXPECT_EQ(parse_overlay_options("lowerdir=" + overlay_escape("/a:b,c\\d")).lower,
            std::vector<std::string>{"/a:b,c\\d"});
  EXPECT_EQ(overlay_work_dir("/srv/upper"), "/srv/.upper.work");
  EXPECT_EQ(overlay_work_dir("/upper"), "/.upper.work");
}

TEST(CaptureTest, TwoCapturesAreIdentical) {
  EXPECT_EQ(capture_text(kTarget), capture_text(kTarget));
}

TEST(CaptureTest, TmpfsSizeInALayoutsSpelling) {
  EXPECT_EQ(tmpfs_size("65536k"), "64M");
  EXPECT_EQ(tmpfs_size("1048576k"), "1G");
  EXPECT_EQ(tmpfs_size("100k"), "100k");
  EXPECT_EQ(tmpfs_size("0k"), "0k");
  EXPECT_EQ(tmpfs_size("12345"), "12345");
}

TEST(CaptureTest, CapturedLayoutLoadsBack) {
  auto capture = capture_layout(table(kTarget), table(kCaller), {"pid 42", devices, {}});
  ASSERT_TRUE(capture);
  auto text = layout::write_layout(capture->layout, {capture->header, capture->comments});
  auto loaded = layout::load_layout(text, "captured.yaml");
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  ASSERT_EQ(loaded->mounts.size(), capture->layout.mounts.size());
  for (std::size_t i = 0; i < loaded->mounts.size(); ++i) {
    auto a = loaded->mounts[i];
    a.origin = {};
    EXPECT_EQ(a, capture->layout.mounts[i]) << a.target;
  }
}

}  // namespace
// rootfsctl's masks carry "mask" as their source: a file mask is rooted at its empty file,
// a directory mask is a tmpfs of its own; both replay as `mask` entries (issue 20).
TEST(CaptureTest, MasksAreCapturedAsMaskEntries) {
  std::string target(kTarget);
  target += "60 42 0:60 /masked /proc/kcore ro,nosuid,nodev,noexec - tmpfs mask rw,mode=000\n";
  target += "61 42 0:61 / /proc/acpi ro,nosuid,nodev,noexec - tmpfs mask ro,mode=000\n";
  std::string text = capture_text(target);
  EXPECT_THAT(text, HasSubstr("  - mask: /proc/kcore\n"));
  EXPECT_THAT(text, HasSubstr("  - mask: /proc/acpi\n"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("mode=000")));
}

// A cgroup2 mount shows its mounter's cgroup namespace; a fresh one in the target's is what
// replays it, so it is a cgroup entry with its flags, not a bind of the caller's.
TEST(CaptureTest, Cgroup2IsCapturedAsACgroupEntry) {
  std::string target(kTarget);
  target +=
      "62 40 0:62 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 "
      "rw,nsdelegate\n";
  std::string text = capture_text(target);
  EXPECT_THAT(text, HasSubstr("  - cgroup: /sys/fs/cgroup\n    readonly: true\n"
                              "    options: [nosuid, nodev, noexec]\n"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("shows /")));
  // Read from outside, a target's own cgroup namespace is rooted at its cgroup.
  target = std::string(kTarget) + "62 40 0:62 /box /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
  text = capture_text(target);
  EXPECT_THAT(text, HasSubstr("  - cgroup: /sys/fs/cgroup\n"));
  EXPECT_THAT(text, HasSubstr("shows /box of rootfsctl's cgroup hierarchy"));
}

}  // namespace rootfsctl::plan
