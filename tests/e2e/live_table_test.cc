// Equivalence of the two live-table readers on real namespaces: read_live_table()
// (listmount(2)/statmount(2)) must give the table parse_mountinfo() makes of
// /proc/N/mountinfo, entry by entry and field by field, and must say which reader it
// used. Cases: this process's own namespace, built with hostile names, every per-mount and
// superblock flag, overlays, stacks, an idmapped mount, a propagation chain whose
// propagate_from only the kernel can compute, and thousands of mounts; and children
// parked in namespaces of their own (private, rootless, with slaves, chrooted, and the
// one documented difference, a superblock mounted "mand").
//
// Safety: the test program moves into a private mount namespace before anything else
// (and makes "/" rprivate), so nothing it mounts reaches the machine's namespace.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "core/unique_fd.h"
#include "exec_plumbing_support.h"
#include "mountinfo/live.h"
#include "mountinfo/mountinfo.h"

namespace rootfsctl::mountinfo {
namespace {

using e2e::in_private_namespace;

// More than one listmount call's worth (4096 ids) in this namespace.
constexpr int kManyMounts = 4200;

/// Everything a mountinfo line holds, one string per entry.
std::vector<std::string> rows(const MountTable& table) {
  std::vector<std::string> out;
  out.reserve(table.size());
  for (const auto& e : table.entries()) {
    out.push_back(std::to_string(e.id) + "|" + std::to_string(e.parent) + "|" +
                  std::to_string(e.major) + ":" + std::to_string(e.minor) + "|" +
                  std::string(e.root) + "|" + std::string(e.target) + "|" + std::string(e.options) +
                  "|" + std::string(e.optional_fields) + "|" + std::string(e.fstype) + "|" +
                  std::string(e.source) + "|" + std::string(e.super_options));
  }
  return out;
}

/// "" when equal, else the first difference (tables have thousands of rows).
std::string difference(const std::vector<std::string>& text, const std::vector<std::string>& live) {
  for (std::size_t i = 0; i < std::min(text.size(), live.size()); ++i) {
    if (text[i] != live[i]) {
      return "row " + std::to_string(i) + ":\n  text: " + text[i] + "\n  live: " + live[i];
    }
  }
  if (text.size() != live.size()) {
    return std::to_string(text.size()) + " rows from the text, " + std::to_string(live.size()) +
           " from listmount";
  }
  return "";
}

struct Both {
  std::vector<std::string> text, live;
  LiveReadReport report;
  std::string error;
};

/// Reads pid's table both ways, the text first and again after, so a table that changed
/// in between shows up as a test error rather than as a difference.
Both read_both(pid_t pid) {
  Both both;
  auto text = read_mountinfo_pid(pid);
  auto live = read_live_table(linux_mount_api(), pid, &both.report);
  auto again = read_mountinfo_pid(pid);
  if (!text || !live || !again) {
    both.error = !text   ? text.error().to_string()
                 : !live ? live.error().to_string()
                         : again.error().to_string();
    return both;
  }
  both.text = rows(*text);
  both.live = rows(*live);
  if (rows(*again) != both.text) both.error = "the table changed while it was read";
  return both;
}

// ---------------------------------------------------------------------------------------
// Building this process's namespace (once, single-threaded, before any test).

void check(bool ok, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "live_table: %s: %s\n", what.c_str(), std::strerror(errno));
  std::abort();  // half a namespace would make every comparison meaningless
}

void make_dir(const std::string& path) {
  check(::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST, "mkdir " + path);
}

void tmpfs(const std::string& source, const std::string& target, unsigned long flags = 0,
           const char* data = "size=1m,mode=0711") {
  make_dir(target);
  check(::mount(source.c_str(), target.c_str(), "tmpfs", flags, data) == 0, "tmpfs " + target);
}

void bind_mount(const std::string& from, const std::string& to, unsigned long flags = 0) {
  make_dir(to);
  check(::mount(from.c_str(), to.c_str(), nullptr, MS_BIND, nullptr) == 0, "bind " + to);
  if (flags == 0) return;
  check(::mount(nullptr, to.c_str(), nullptr, MS_REMOUNT | MS_BIND | flags, nullptr) == 0,
        "remount " + to);
}

void propagate(const std::string& target, unsigned long type) {
  check(::mount(nullptr, target.c_str(), nullptr, type, nullptr) == 0, "propagation " + target);
}

const std::vector<std::string>& hostile_names() {
  static const std::vector<std::string> names = {
      "sp ace", "tab\there",      "new\nline",    "back\\slash",  "hash#", "com,ma", "trail ",
      " lead",  "bytes \xff\xfe", "literal\\040", "x (deleted)",  "-",     "a - b",  "eq=ual",
      "\\",     "end\\",          "two  spaces",  "utf8 \xc3\xbc"};
  return names;
}

/// Per-mount flags, superblock flags, hostile names in targets, roots and sources.
void build_flags_and_names(const std::string& top) {
  const unsigned long kMountFlags[] = {0,
                                       MS_RDONLY | MS_NOSUID,
                                       MS_NODEV | MS_NOEXEC,
                                       MS_NOATIME,
                                       MS_STRICTATIME,
                                       MS_NODIRATIME,
                                       MS_NOSYMFOLLOW,
                                       MS_NOATIME | MS_NODIRATIME | MS_NOSYMFOLLOW};
  const unsigned long kSuperFlags[] = {0, MS_SYNCHRONOUS, MS_DIRSYNC, MS_LAZYTIME,
                                       MS_SYNCHRONOUS | MS_DIRSYNC | MS_LAZYTIME};
  make_dir(top + "/t");
  make_dir(top + "/b");
  std::size_t i = 0;
  for (const auto& name : hostile_names()) {
    std::string fs = top + "/t/" + name;
    tmpfs(name, fs, kSuperFlags[i % std::size(kSuperFlags)]);
    make_dir(fs + "/" + name);
    // Per-mount flags by a bind remount, after the directory beneath is made.
    unsigned long flags = kMountFlags[i % std::size(kMountFlags)];
    check(::mount(nullptr, fs.c_str(), nullptr, MS_REMOUNT | MS_BIND | flags, nullptr) == 0,
          "remount " + fs);
    bind_mount(fs + "/" + name, top + "/b/" + name, i % 2 == 0 ? MS_RDONLY : MS_NOSUID | MS_NOEXEC);
    ++i;
  }
  // A read-only superblock, an empty source, escaped characters in the fs options.
  check(::mount(nullptr, (top + "/t/com,ma").c_str(), nullptr, MS_REMOUNT | MS_RDONLY,
                "size=1m,mode=0711") == 0,
        "remount superblock read-only");
  tmpfs("", top + "/empty source");
  tmpfs("t", top + "/uid", 0, "size=2m,mode=1777,uid=65534,gid=65534,nr_inodes=100");
}

void build_overlays(const std::string& top) {
  std::string ov = top + "/ov";
  for (const char* dir : {"", "/lower one", "/low=er#2", "/up\tper", "/work dir", "/merged"}) {
    make_dir(ov + dir);
  }
  std::string data = "lowerdir=" + ov + "/lower one:" + ov + "/low=er#2,upperdir=" + ov +
                     "/up\tper,workdir=" + ov + "/work dir";
  check(::mount("over,lay src", (ov + "/merged").c_str(), "overlay", 0, data.c_str()) == 0,
        "overlay");
}

/// Stacked mounts on one point, and a mount its parent's overmount hides.
void build_stacks(const std::string& top) {
  for (const char* source : {"stack 1", "stack 2", "stack 3"}) tmpfs(source, top + "/stack");
  make_dir(top + "/over");
  make_dir(top + "/over/x");
  tmpfs("hidden", top + "/over/x/z");
  tmpfs("overmount", top + "/over/x");
}

/// A peer group, a slave, a shared slave, and a slave of that ("chain c"), whose master
/// the second namespace below loses, so mountinfo shows "propagate_from".
void build_propagation(const std::string& top) {
  std::string a = top + "/prop a";
  tmpfs("prop a", a);
  propagate(a, MS_SHARED);
  bind_mount(a, top + "/prop peer");
  bind_mount(a, top + "/prop slave");
  propagate(top + "/prop slave", MS_SLAVE);
  bind_mount(a, top + "/chain b");
  propagate(top + "/chain b", MS_SLAVE);
  propagate(top + "/chain b", MS_SHARED);
  bind_mount(top + "/chain b", top + "/chain c");
  propagate(top + "/chain c", MS_SLAVE);
}

/// Unbindable; made in the second namespace, since a namespace copy does not keep it.
void build_unbindable(const std::string& top) {
  tmpfs("un bind", top + "/un bind");
  propagate(top + "/un bind", MS_UNBINDABLE);
}

/// An idmapped bind (",idmapped" in the options), mapped through a user namespace that a
/// short-lived child creates; 0 when the kernel refuses (the test then says so).
bool build_idmapped(const std::string& top) {
  std::array<int, 2> ready{};
  check(::pipe2(ready.data(), O_CLOEXEC) == 0, "pipe2");
  pid_t child = ::fork();
  check(child >= 0, "fork");
  if (child == 0) {
    if (::unshare(CLONE_NEWUSER) != 0) ::_exit(1);
    char byte = 'u';
    [[maybe_unused]] auto n = ::write(ready[1], &byte, 1);
    ::pause();
    ::_exit(0);
  }
  ::close(ready[1]);
  char byte = 0;
  bool ok = ::read(ready[0], &byte, 1) == 1;
  ::close(ready[0]);
  std::string proc = "/proc/" + std::to_string(child);
  if (ok) {
    std::ofstream(proc + "/uid_map") << "0 100000 65536\n";
    std::ofstream(proc + "/gid_map") << "0 100000 65536\n";
  }
  UniqueFd userns(::open((proc + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  tmpfs("idmap src", top + "/idmap src");
  make_dir(top + "/idmapped");
  UniqueFd tree(
      ::open_tree(AT_FDCWD, (top + "/idmap src").c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<std::uint64_t>(userns.get());
  if (!ok || userns.get() < 0 || tree.get() < 0 ||
      ::mount_setattr(tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) {
    return false;
  }
  check(::move_mount(tree.get(), "", AT_FDCWD, (top + "/idmapped").c_str(),
                     MOVE_MOUNT_F_EMPTY_PATH) == 0,
        "move_mount idmapped");
  return true;
}

void build_many(const std::string& top) {
  make_dir(top + "/many");
  make_dir(top + "/src dir");
  for (int i = 0; i < kManyMounts; ++i) {
    std::string name = top + "/many/m" + std::to_string(i) + " \t\\#";
    if (i % 8 == 0) {
      tmpfs("many " + std::to_string(i), name, i % 16 == 0 ? MS_NOSUID : 0);
    } else {
      bind_mount(top + "/src dir", name, i % 3 == 0 ? MS_RDONLY : 0);
    }
  }
}

struct World {
  std::string top;
  bool idmapped = false;
  UniqueFd first_namespace;  // keeps the namespace "chain b" still lives in
};

World& world() {
  static World w;
  return w;
}

/// ns 1: private, built; ns 2: a copy of it without "chain b", so "chain c"'s master
/// group has no member here and the kernel reports propagate_from (proc(5)).
class LiveTableWorld : public ::testing::Environment {
 public:
  void SetUp() override {
    if (::geteuid() != 0) return;
    check(::unshare(CLONE_NEWNS) == 0, "unshare");
    check(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0, "rprivate /");
    // A tmpfs over /tmp in this namespace only: nothing is left behind on the machine,
    // and the parked children's directories (e2e::TempDir) land there too.
    check(::mount("live table tmp", "/tmp", "tmpfs", 0, "mode=1777") == 0, "tmpfs on /tmp");
    World& w = world();
    std::string work = "/tmp/live_table.XXXXXX";
    check(::mkdtemp(work.data()) != nullptr, "mkdtemp");
    check(::mount("live table e2e", work.c_str(), "tmpfs", 0, "mode=0755") == 0, "work tmpfs");
    w.top = work + "/r oot";
    make_dir(w.top);
    build_flags_and_names(w.top);
    build_overlays(w.top);
    build_stacks(w.top);
    build_propagation(w.top);
    w.idmapped = build_idmapped(w.top);
    build_many(w.top);
    w.first_namespace = UniqueFd(::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC));
    check(w.first_namespace.get() >= 0, "open ns 1");
    check(::unshare(CLONE_NEWNS) == 0, "unshare ns 2");
    check(::umount2((w.top + "/chain b").c_str(), 0) == 0, "umount chain b");
    build_unbindable(w.top);
    in_private_namespace() = true;
  }
};

const auto* const kWorld = ::testing::AddGlobalTestEnvironment(new LiveTableWorld);

// ---------------------------------------------------------------------------------------
// Children parked in namespaces of their own.

/// A child in a new mount namespace (a copy of ours) that runs `setup` there, then waits
/// on a pipe until the test ends.
class Parked {
 public:
  explicit Parked(const std::function<std::string()>& setup) {
    std::array<int, 2> ready{}, release{};
    if (::pipe2(ready.data(), O_CLOEXEC) != 0 || ::pipe2(release.data(), O_CLOEXEC) != 0) {
      failure_ = "pipe2";
      return;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(ready[0]);
      ::close(release[1]);
      std::string result = ::unshare(CLONE_NEWNS) == 0 ? setup() : "unshare failed";
      e2e::send(ready[1], result.empty() ? "r" : result);
      char byte = 0;
      while (::read(release[0], &byte, 1) > 0) {
      }
      ::_exit(0);
    }
    ::close(ready[1]);
    ::close(release[0]);
    release_ = UniqueFd(release[1]);
    UniqueFd ready_read(ready[0]);
    std::string message = e2e::read_message(ready_read.get());
    if (message != "r") failure_ = "parked child: " + (message.empty() ? "no answer" : message);
  }
  ~Parked() {
    release_.reset();
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  const std::string& failure() const { return failure_; }

 private:
  pid_t pid_ = -1;
  UniqueFd release_;
  std::string failure_;
};

std::string step(bool ok, const char* what) {
  return ok ? "" : std::string(what) + ": " + std::strerror(errno);
}

std::string make_private() {
  return step(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0, "rprivate");
}

// ---------------------------------------------------------------------------------------

TEST(LiveTable, OwnNamespaceEqualsTheTextThroughListmount) {
  REQUIRE_ROOT();
  Both both = read_both(0);
  ASSERT_EQ(both.error, "");
  EXPECT_EQ(both.report.source, LiveSource::kListmount) << both.report.fallback_reason;
  EXPECT_EQ(difference(both.text, both.live), "");
  EXPECT_GT(both.text.size(), static_cast<std::size_t>(kManyMounts));
}

TEST(LiveTable, TheTreeHasWhatTheComparisonIsAbout) {
  REQUIRE_ROOT();
  auto table = read_live_table(0);
  ASSERT_TRUE(table.has_value()) << table.error().to_string();
  const std::string& top = world().top;
  auto at = [&](const std::string& path) { return table->covering(path); };
  ASSERT_NE(at(top + "/chain c"), nullptr);
  EXPECT_NE(at(top + "/chain c")->propagate_from(), std::nullopt)
      << at(top + "/chain c")->optional_fields;
  EXPECT_EQ(at(top + "/empty source")->source, "");
  EXPECT_EQ(at(top + "/ov/merged")->source, "over,lay src");
  EXPECT_EQ(at(top + "/t/new\nline")->source, "new\nline");
  EXPECT_EQ(at(top + "/un bind")->optional_fields, "unbindable");
  EXPECT_EQ(at(top + "/t/com,ma")->super_options.substr(0, 3), "ro,");
  if (!world().idmapped) GTEST_SKIP() << "the kernel refused the idmapped mount";
  EXPECT_NE(at(top + "/idmapped")->options.find(",idmapped"), std::string_view::npos);
}

TEST(LiveTable, PrivateParkedChildEqualsTheTextThroughListmount) {
  REQUIRE_ROOT();
  e2e::ParkedChild child(e2e::ParkMode::kRoot, "/mnt");
  ASSERT_EQ(child.failure(), "");
  Both both = read_both(child.pid());
  ASSERT_EQ(both.error, "");
  EXPECT_EQ(both.report.source, LiveSource::kListmount) << both.report.fallback_reason;
  EXPECT_EQ(difference(both.text, both.live), "");
}

TEST(LiveTable, RootlessParkedChildEqualsTheTextThroughListmount) {
  REQUIRE_ROOT();
  e2e::TempDir mark;
  e2e::ParkedChild child(e2e::ParkMode::kRootless, mark.path());
  ASSERT_EQ(child.failure(), "");
  Both both = read_both(child.pid());
  ASSERT_EQ(both.error, "");
  EXPECT_EQ(both.report.source, LiveSource::kListmount) << both.report.fallback_reason;
  EXPECT_EQ(difference(both.text, both.live), "");
}

TEST(LiveTable, ChildWithSlavesOfVisibleMastersEqualsTheTextThroughListmount) {
  REQUIRE_ROOT();
  const std::string top = world().top;
  Parked child([&] {
    std::string error = make_private();
    if (error.empty())
      error = step(::mount(nullptr, (top + "/prop a").c_str(), nullptr, MS_SHARED, nullptr) == 0,
                   "share");
    if (error.empty())
      error = step(::mount(nullptr, (top + "/prop peer").c_str(), nullptr, MS_SLAVE, nullptr) == 0,
                   "slave");
    return error;
  });
  ASSERT_EQ(child.failure(), "");
  Both both = read_both(child.pid());
  ASSERT_EQ(both.error, "");
  EXPECT_EQ(both.report.source, LiveSource::kListmount) << both.report.fallback_reason;
  EXPECT_EQ(difference(both.text, both.live), "");
}

TEST(LiveTable, ChildWithMastersInOurNamespaceReadsAsText) {
  REQUIRE_ROOT();
  Parked child([] { return std::string(); });  // a copy: peers and slaves of our mounts
  ASSERT_EQ(child.failure(), "");
  Both both = read_both(child.pid());
  ASSERT_EQ(both.error, "");
  EXPECT_EQ(both.report.source, LiveSource::kMountinfoText);
  EXPECT_EQ(both.report.fallback_reason,
            "a slave's master is outside the target's namespace (propagate_from unknowable)");
  EXPECT_EQ(difference(both.text, both.live), "");
}

TEST(LiveTable, ChrootedChildReadsAsText) {
  REQUIRE_ROOT();
  const std::string top = world().top;
  Parked child([&] {
    std::string error = make_private();
    if (error.empty()) error = step(::chroot(top.c_str()) == 0, "chroot");
    return error;
  });
  ASSERT_EQ(child.failure(), "");
  Both both = read_both(child.pid());
  ASSERT_EQ(both.error, "");
  EXPECT_EQ(both.report.source, LiveSource::kMountinfoText);
  EXPECT_EQ(both.report.fallback_reason,
            "the target's root directory is not its namespace's root (chroot?)");
  EXPECT_EQ(difference(both.text, both.live), "");
}

// statmount(2) cannot report the superblock flag "mand" (live.h): the one field where a
// listmount table differs from the text, pinned here so a kernel that starts reporting it
// (or a change in the reader) is noticed.
TEST(LiveTable, MandIsTheOneDocumentedDifference) {
  REQUIRE_ROOT();
  e2e::TempDir dir;
  Parked child([&] {
    std::string error = make_private();
    if (error.empty()) {
      error = step(::mount("mand", dir.path().c_str(), "tmpfs", MS_MANDLOCK, "size=1m") == 0,
                   "mount mand");
    }
    return error;
  });
  ASSERT_EQ(child.failure(), "");
  Both both = read_both(child.pid());
  ASSERT_EQ(both.error, "");
  EXPECT_EQ(both.report.source, LiveSource::kListmount) << both.report.fallback_reason;
  ASSERT_EQ(both.text.size(), both.live.size());
  std::vector<std::string> text_without_mand = both.text;
  int mand = 0;
  for (auto& row : text_without_mand) {
    auto at = row.rfind(",mand");  // in the super options, the last field
    if (at == std::string::npos || row.find("|mand|") == std::string::npos) continue;
    row.erase(at, 5);
    ++mand;
  }
  EXPECT_EQ(mand, 1);
  EXPECT_EQ(difference(text_without_mand, both.live), "");
}

}  // namespace
}  // namespace rootfsctl::mountinfo
