// The listmount reader against a fake kernel: statmount answers -> entries equal to the
// mountinfo text the kernel would print for the same mounts, and every reason to fall back
// to that text (no syscalls, a field the kernel cannot report, a chrooted target, a slave
// whose master is in another namespace).
#include "mountinfo/live.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace rootfsctl::mountinfo {
namespace {

namespace k = kernel;

/// One mount as the fake kernel knows it; strings as statmount returns them.
struct FakeMount {
  std::uint64_t id = 0;  // unique id
  std::uint64_t parent = 0;
  std::uint32_t old_id = 0;
  std::uint32_t old_parent = 0;
  std::uint32_t major = 0, minor = 0;
  std::uint32_t sb_flags = 0;
  std::uint64_t attr = 0;
  std::uint64_t propagation = k::kMsPrivate;
  std::uint64_t peer_group = 0, master = 0, propagate_from = 0;
  std::string root = "/", point, fstype = "tmpfs", subtype, source, options;
  bool reachable = true;  // false: no mount point (outside the caller's root)
};

constexpr std::uint64_t kOurNs = 7;
constexpr std::uint64_t kTheirNs = 9;

class FakeKernel : public MountApi {
 public:
  std::vector<FakeMount> mounts;
  std::map<std::uint64_t, std::vector<FakeMount>> other_namespaces;
  long listmount_error = 0;  // -errno to fail with
  long statmount_error = 0;
  std::uint64_t supported = 0x7fff;
  bool has_supported_mask = true;
  RootMount root{0, true};                                    // mnt_id 0: the first mount's id
  std::string text = "1 0 0:1 / / rw - ext4 /dev/root rw\n";  // what the fallback reads
  int listmount_calls = 0;
  int statmount_calls = 0;
  int text_reads = 0;
  std::vector<std::string> paths;       // every /proc path asked about
  std::vector<std::uint64_t> vanished;  // ids statmount says are gone

  long listmount(const k::MntIdReq& req, std::uint64_t* ids, std::size_t count) override {
    ++listmount_calls;
    if (listmount_error) return listmount_error;
    if (req.size != k::kMntIdReqSizeVer1 || req.mnt_id != k::kLsmtRoot) return -EINVAL;
    std::size_t n = 0;
    for (const auto& m : in(req.mnt_ns_id)) {
      if (m.id <= req.param || n == count) continue;
      ids[n++] = m.id;
    }
    return static_cast<long>(n);
  }

  long statmount(const k::MntIdReq& req, k::Statmount* buf, std::size_t size) override {
    ++statmount_calls;
    if (statmount_error) return statmount_error;
    for (std::uint64_t id : vanished) {
      if (id == req.mnt_id) return -ENOENT;
    }
    for (const auto& m : in(req.mnt_ns_id)) {
      if (m.id == req.mnt_id) return answer(m, req.param, buf, size);
    }
    return -ENOENT;
  }

  Result<std::uint64_t> mount_ns_id(const std::string& ns_file) override {
    paths.push_back(ns_file);
    return ns_file == "/proc/99/ns/mnt" ? kTheirNs : kOurNs;
  }

  Result<RootMount> root_mount(const std::string& root_link) override {
    paths.push_back(root_link);
    RootMount r = root;
    if (r.mnt_id == 0) {
      const auto& list = root_link == "/proc/99/root" ? other_namespaces[kTheirNs] : mounts;
      r.mnt_id = list.empty() ? 0 : list.front().id;
    }
    return r;
  }

  Result<MountTable> read_mountinfo(pid_t) override {
    ++text_reads;
    return parse_mountinfo(text);
  }

 private:
  const std::vector<FakeMount>& in(std::uint64_t ns) {
    return ns == kTheirNs ? other_namespaces[kTheirNs] : mounts;
  }

  // Packs the answer as the kernel does: fixed part, then NUL-terminated strings; a
  // string's bit is set only when it is not empty.
  long answer(const FakeMount& m, std::uint64_t want, k::Statmount* buf, std::size_t size) {
    std::string strings;
    std::uint64_t mask =
        want & (k::kStatmountSbBasic | k::kStatmountMntBasic | k::kStatmountPropagateFrom);
    auto put = [&](std::uint64_t bit, const std::string& value, std::uint32_t& offset) {
      if (!(want & bit) || value.empty()) return;
      offset = static_cast<std::uint32_t>(strings.size());
      strings += value;
      strings += '\0';
      mask |= bit;
    };
    k::Statmount sm{};
    put(k::kStatmountMntRoot, m.root, sm.mnt_root);
    put(k::kStatmountMntPoint, m.reachable ? m.point : "", sm.mnt_point);
    put(k::kStatmountFsType, m.fstype, sm.fs_type);
    put(k::kStatmountFsSubtype, m.subtype, sm.fs_subtype);
    put(k::kStatmountSbSource, m.source, sm.sb_source);
    put(k::kStatmountMntOpts, m.options, sm.mnt_opts);
    if ((want & k::kStatmountSupportedMask) && has_supported_mask) {
      mask |= k::kStatmountSupportedMask;
      sm.supported_mask = supported;
    }
    if (sizeof sm + strings.size() > size) return -EOVERFLOW;
    sm.size = static_cast<std::uint32_t>(sizeof sm + strings.size());
    sm.mask = mask;
    sm.sb_dev_major = m.major;
    sm.sb_dev_minor = m.minor;
    sm.sb_flags = m.sb_flags;
    sm.mnt_id = m.id;
    sm.mnt_parent_id = m.parent;
    sm.mnt_id_old = m.old_id;
    sm.mnt_parent_id_old = m.old_parent;
    sm.mnt_attr = m.attr;
    sm.mnt_propagation = m.propagation;
    sm.mnt_peer_group = m.peer_group;
    sm.mnt_master = m.master;
    sm.propagate_from = m.propagate_from;
    std::memcpy(static_cast<void*>(buf), &sm, sizeof sm);
    std::memcpy(reinterpret_cast<char*>(buf) + sizeof sm, strings.data(), strings.size());
    return 0;
  }
};

FakeMount root_mount_of_fake() {
  FakeMount m;
  m.id = 0x100000001;
  m.parent = 0x100000000;  // the namespace's rootfs, not listed
  m.old_id = 26;
  m.old_parent = 1;
  m.major = 254;
  m.point = "/";
  m.fstype = "ext4";
  m.source = "/dev/vda";
  m.options = "discard,errors=remount-ro";
  return m;
}

FakeMount child(std::uint64_t id, std::uint32_t old_id, std::string point) {
  FakeMount m;
  m.id = id;
  m.parent = 0x100000001;
  m.old_id = old_id;
  m.old_parent = 26;
  m.minor = old_id;
  m.point = std::move(point);
  m.source = "tmpfs";
  return m;
}

/// Every field of every entry, for whole-table comparisons with readable failures.
std::vector<std::string> rows(const MountTable& table) {
  std::vector<std::string> out;
  for (const auto& e : table.entries()) {
    out.push_back(std::to_string(e.id) + "|" + std::to_string(e.parent) + "|" +
                  std::to_string(e.major) + ":" + std::to_string(e.minor) + "|" +
                  std::string(e.root) + "|" + std::string(e.target) + "|" + std::string(e.options) +
                  "|" + std::string(e.optional_fields) + "|" + std::string(e.fstype) + "|" +
                  std::string(e.source) + "|" + std::string(e.super_options));
  }
  return out;
}

std::vector<std::string> rows_of_text(std::string_view text) {
  auto table = parse_mountinfo(text);
  EXPECT_TRUE(table.has_value()) << table.error().to_string();
  return table ? rows(*table) : std::vector<std::string>{};
}

TEST(ListmountReader, EntriesEqualTheMountinfoTextOfTheSameMounts) {
  FakeKernel kernel;
  kernel.mounts.push_back(root_mount_of_fake());
  FakeMount a = child(0x100000002, 30, "/mnt/a b");  // raw: statmount does not escape
  a.attr = k::kMountAttrRdonly | k::kMountAttrNosuid | k::kMountAttrNodev | k::kMountAttrNoexec |
           k::kMountAttrNoatime | k::kMountAttrNodiratime | k::kMountAttrNosymfollow;
  a.propagation = k::kMsShared | k::kMsSlave;
  a.peer_group = 5;
  a.master = 3;
  a.propagate_from = 2;
  a.options = "size=64k,mode=755";
  FakeMount b = child(0x100000003, 31, "/mnt/b");
  b.attr = k::kMountAttrStrictatime | k::kMountAttrIdmap;
  b.propagation = k::kMsUnbindable;
  b.sb_flags = k::kSbRdonly | k::kSbSynchronous | k::kSbDirsync | k::kSbLazytime;
  b.source = "";  // an empty source: mountinfo prints an empty field
  b.fstype = "fuse";
  b.subtype = "sshfs";
  b.root = "/sub\\dir";
  b.options = "user_id=0,comment=a\\054b";  // show_options() escapes ',' as \054
  FakeMount c = child(0x100000004, 32, "/mnt/c");
  c.attr = k::kMountAttrNodiratime;  // relatime comes after nodiratime
  c.propagation = k::kMsSlave;
  c.master = 4;
  c.propagate_from = 4;  // equal to the master: mountinfo leaves it out
  kernel.mounts = {kernel.mounts[0], a, b, c};

  LiveReadReport report;
  auto table = read_live_table(kernel, 0, &report);
  ASSERT_TRUE(table.has_value()) << table.error().to_string();
  EXPECT_EQ(report.source, LiveSource::kListmount) << report.fallback_reason;
  EXPECT_EQ(rows(*table),
            rows_of_text("26 1 254:0 / / rw,relatime - ext4 /dev/vda "
                         "rw,discard,errors=remount-ro\n"
                         "30 26 0:30 / /mnt/a\\040b ro,nosuid,nodev,noexec,noatime,nodiratime,"
                         "nosymfollow shared:5 master:3 propagate_from:2 - tmpfs tmpfs "
                         "rw,size=64k,mode=755\n"
                         "31 26 0:31 /sub\\134dir /mnt/b rw,idmapped unbindable - fuse.sshfs  "
                         "ro,sync,dirsync,lazytime,user_id=0,comment=a\\054b\n"
                         "32 26 0:32 / /mnt/c rw,nodiratime,relatime master:4 - tmpfs tmpfs "
                         "rw\n"));
  EXPECT_EQ(kernel.text_reads, 0);
  EXPECT_EQ(kernel.paths, (std::vector<std::string>{"/proc/self/ns/mnt", "/proc/thread-self/ns/mnt",
                                                    "/proc/self/root"}));
}

TEST(ListmountReader, QueriesWorkOnTheBuiltTable) {
  FakeKernel kernel;
  kernel.mounts = {root_mount_of_fake(), child(0x100000002, 30, "/tmp")};
  auto table = read_listmount_table(kernel, 0);
  ASSERT_TRUE(table.has_value()) << table.error().to_string();
  ASSERT_NE(table->covering("/tmp/x"), nullptr);
  EXPECT_EQ(table->covering("/tmp/x")->id, 30);
  EXPECT_EQ(table->covering("/etc")->id, 26);
  auto moved = std::move(*table);  // views point into storage the table owns
  EXPECT_EQ(moved.by_id(30)->target, "/tmp");
}

TEST(ListmountReader, NoSyscallFallsBackToTheTextOnceAndForAll) {
  FakeKernel kernel;
  kernel.mounts = {root_mount_of_fake()};
  kernel.listmount_error = -ENOSYS;
  LiveReadReport report;
  auto table = read_live_table(kernel, 0, &report);
  ASSERT_TRUE(table.has_value()) << table.error().to_string();
  EXPECT_EQ(report.source, LiveSource::kMountinfoText);
  EXPECT_EQ(report.fallback_reason, "listmount(2) failed: ENOSYS (Function not implemented)");
  EXPECT_EQ(rows(*table), rows_of_text(kernel.text));
  EXPECT_EQ(kernel.text_reads, 1);
  // The probe is not repeated: the next read goes straight to the text.
  ASSERT_TRUE(read_live_table(kernel, 0, &report).has_value());
  EXPECT_EQ(report.fallback_reason, "the kernel has no listmount(2)");
  EXPECT_EQ(kernel.listmount_calls, 1);
  EXPECT_EQ(kernel.text_reads, 2);
}

TEST(ListmountReader, StatmountWithoutSupportedMaskFallsBack) {
  FakeKernel kernel;  // Linux 6.8 to 6.14: an empty source is indistinguishable
  kernel.mounts = {root_mount_of_fake()};
  kernel.has_supported_mask = false;
  LiveReadReport report;
  ASSERT_TRUE(read_live_table(kernel, 0, &report).has_value());
  EXPECT_EQ(report.source, LiveSource::kMountinfoText);
  EXPECT_EQ(report.fallback_reason, "statmount(2) has no supported_mask (Linux 6.15+)");
  EXPECT_EQ(kernel.text_reads, 1);
  ASSERT_TRUE(read_live_table(kernel, 0, &report).has_value());
  EXPECT_EQ(kernel.statmount_calls, 1);  // probed once
}

TEST(ListmountReader, AFieldTheKernelCannotReportFallsBack) {
  FakeKernel kernel;
  kernel.mounts = {root_mount_of_fake()};
  kernel.supported &= ~k::kStatmountSbSource;  // an "unsupported" answer for sources
  LiveReadReport report;
  auto table = read_live_table(kernel, 0, &report);
  ASSERT_TRUE(table.has_value());
  EXPECT_EQ(report.source, LiveSource::kMountinfoText);
  EXPECT_EQ(report.fallback_reason, "statmount(2) cannot report every mountinfo field");
  EXPECT_EQ(rows(*table), rows_of_text(kernel.text));
  auto direct = read_listmount_table(kernel, 0);
  ASSERT_FALSE(direct.has_value());
  EXPECT_EQ(direct.error().errno_value, ENOTSUP);
}

TEST(ListmountReader, OtherStatmountErrorsFallBackWithoutGivingUpOnTheKernel) {
  FakeKernel kernel;
  kernel.mounts = {root_mount_of_fake()};
  kernel.statmount_error = -EPERM;  // e.g. a seccomp filter, or no right to the namespace
  LiveReadReport report;
  ASSERT_TRUE(read_live_table(kernel, 0, &report).has_value());
  EXPECT_EQ(report.source, LiveSource::kMountinfoText);
  EXPECT_EQ(report.fallback_reason,
            "statmount(2) of mount 4294967297 failed: EPERM (Operation not permitted)");
  kernel.statmount_error = 0;
  ASSERT_TRUE(read_live_table(kernel, 0, &report).has_value());
  EXPECT_EQ(report.source, LiveSource::kListmount);
}

TEST(ListmountReader, AChrootedTargetReadsAsText) {
  FakeKernel kernel;
  kernel.mounts = {root_mount_of_fake(), child(0x100000002, 30, "/srv")};
  kernel.root = {0x100000002, true};  // its root is /srv, a mount below the listing's root
  LiveReadReport report;
  ASSERT_TRUE(read_live_table(kernel, 42, &report).has_value());
  EXPECT_EQ(report.source, LiveSource::kMountinfoText);
  EXPECT_EQ(report.fallback_reason,
            "the target's root directory is not its namespace's root (chroot?)");
  kernel.root = {0x100000001, false};  // a subdirectory of the root mount
  ASSERT_TRUE(read_live_table(kernel, 42, &report).has_value());
  EXPECT_EQ(report.source, LiveSource::kMountinfoText);
  kernel.root = {0, true};
  ASSERT_TRUE(read_live_table(kernel, 42, &report).has_value());
  EXPECT_EQ(report.source, LiveSource::kListmount);
  EXPECT_EQ(kernel.paths.back(), "/proc/42/root");
}

TEST(ListmountReader, AnotherNamespaceIsListedByItsId) {
  FakeKernel kernel;
  kernel.mounts = {root_mount_of_fake()};
  FakeMount root = root_mount_of_fake();
  root.id = 0x200000001;
  root.parent = 0x200000000;
  root.old_id = 400;
  FakeMount marker = child(0x200000002, 401, "/mnt");
  marker.parent = root.id;
  marker.old_parent = 400;
  kernel.other_namespaces[kTheirNs] = {root, marker};
  LiveReadReport report;
  auto table = read_live_table(kernel, 99, &report);
  ASSERT_TRUE(table.has_value());
  EXPECT_EQ(report.source, LiveSource::kListmount) << report.fallback_reason;
  ASSERT_EQ(table->size(), 2u);
  EXPECT_EQ(table->entries()[1].id, 401);
  EXPECT_EQ(table->entries()[1].parent, 400);
}

TEST(ListmountReader, ASlaveOfAMountOutsideAnotherNamespaceReadsAsText) {
  FakeKernel kernel;
  FakeMount root = root_mount_of_fake();
  root.propagation = k::kMsSlave;
  root.master = 1;  // peer group 1 lives in the caller's namespace only
  kernel.other_namespaces[kTheirNs] = {root};
  LiveReadReport report;
  ASSERT_TRUE(read_live_table(kernel, 99, &report).has_value());
  EXPECT_EQ(report.source, LiveSource::kMountinfoText);
  EXPECT_EQ(report.fallback_reason,
            "a slave's master is outside the target's namespace "
            "(propagate_from unknowable)");
  // With a member of that peer group in the namespace, mountinfo prints no
  // propagate_from and neither does the listmount table.
  FakeMount peer = child(0x100000009, 50, "/peer");
  peer.propagation = k::kMsShared;
  peer.peer_group = 1;
  kernel.other_namespaces[kTheirNs].push_back(peer);
  ASSERT_TRUE(read_live_table(kernel, 99, &report).has_value());
  EXPECT_EQ(report.source, LiveSource::kListmount) << report.fallback_reason;
}

TEST(ListmountReader, OurOwnSlavesNeedNoVisibleMaster) {
  FakeKernel kernel;
  FakeMount root = root_mount_of_fake();
  root.propagation = k::kMsSlave;
  root.master = 1;
  root.propagate_from = 3;  // computed against our own root: exact
  kernel.mounts = {root};
  auto table = read_listmount_table(kernel, 0);
  ASSERT_TRUE(table.has_value()) << table.error().to_string();
  EXPECT_EQ(table->entries()[0].optional_fields, "master:1 propagate_from:3");
}

TEST(ListmountReader, VanishedAndUnreachableMountsAreLeftOut) {
  FakeKernel kernel;
  FakeMount gone = child(0x100000002, 30, "/gone");
  FakeMount outside = child(0x100000003, 31, "/outside");
  outside.reachable = false;
  kernel.mounts = {root_mount_of_fake(), gone, outside, child(0x100000004, 32, "/kept")};
  kernel.vanished = {gone.id};
  auto table = read_listmount_table(kernel, 0);
  ASSERT_TRUE(table.has_value()) << table.error().to_string();
  ASSERT_EQ(table->size(), 2u);
  EXPECT_EQ(table->entries()[1].target, "/kept");
}

TEST(ListmountReader, LongPathsGrowTheAnswerBuffer) {
  FakeKernel kernel;
  std::string deep;
  while (deep.size() < 40000) deep += "/directory";
  kernel.mounts = {root_mount_of_fake(), child(0x100000002, 30, deep)};
  auto table = read_listmount_table(kernel, 0);
  ASSERT_TRUE(table.has_value()) << table.error().to_string();
  EXPECT_EQ(table->entries()[1].target, deep);
}

TEST(ListmountReader, ManyMountsTakeSeveralListmountCalls) {
  FakeKernel kernel;
  kernel.mounts = {root_mount_of_fake()};
  for (std::uint32_t i = 0; i < 9000; ++i) {
    kernel.mounts.push_back(child(0x100000002 + i, 30 + i, "/m/" + std::to_string(i)));
  }
  auto table = read_listmount_table(kernel, 0);
  ASSERT_TRUE(table.has_value()) << table.error().to_string();
  ASSERT_EQ(table->size(), 9001u);
  EXPECT_EQ(table->entries()[9000].target, "/m/8999");
  EXPECT_EQ(kernel.listmount_calls, 3);  // 4096 + 4096 + 809
}

TEST(ListmountReader, AMissingBasicFieldIsUnsupported) {
  FakeKernel kernel;
  FakeMount odd = root_mount_of_fake();
  odd.root = "";  // a kernel that did not report the root
  kernel.mounts = {odd};
  auto table = read_listmount_table(kernel, 0);
  ASSERT_FALSE(table.has_value());
  EXPECT_EQ(table.error().message, "statmount answered without a basic field");
}

}  // namespace
}  // namespace rootfsctl::mountinfo
