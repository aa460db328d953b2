// Differential test: rootfsctl's mountinfo parser against util-linux libmount, the
// reference parser, on mount tables the kernel wrote.
//
// The privileged case forks a child that unshares a mount namespace (made rprivate before
// anything is mounted, so nothing reaches the host's namespace), builds mounts with hostile
// names on a fresh tmpfs, and writes its /proc/self/mountinfo to files; both parsers then
// read those files and every field of every entry is compared. The unprivileged case does
// the same for the test process's own table.
//
// libmount differences, handled in compare_entry() (libmount/src/tab_parse.c,
// mnt_parse_mountinfo_line() and kernel_fs_postparse()):
// - Some libmount versions strip a trailing " (deleted)" from the mount point. 2.38
//   compares against the escaped "\040(deleted)" after unescaping, so it never strips
//   and agrees with us; later releases match " (deleted)" and strip it. rootfsctl keeps
//   what the kernel wrote: a directory may really be called "x (deleted)", and a plan
//   must name the path that exists. Either libmount behaviour is accepted below.
// - libmount replaces the source "/dev/root" with the device it guesses for the root
//   filesystem; rootfsctl keeps "/dev/root". That source is not compared.
// - libmount returns NULL for absent optional fields and rootfsctl "": compared as "".
// Everything else, including escapes, empty sources and non-UTF-8 bytes, must be equal.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <libmount/libmount.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "mountinfo/mountinfo.h"

namespace rootfsctl::mountinfo {
namespace {

constexpr int kManyMounts = 3000;
constexpr std::string_view kDeletedSuffix = " (deleted)";

// ---------------------------------------------------------------------------------------
// Both parsers, reduced to the same plain record.

struct Fields {
  int id = 0;
  int parent = 0;
  unsigned major = 0;
  unsigned minor = 0;
  std::string root, target, options, optional_fields, fstype, source, super_options;
};

Fields from_ours(const MountEntry& e) {
  return {e.id,
          e.parent,
          e.major,
          e.minor,
          std::string(e.root),
          std::string(e.target),
          std::string(e.options),
          std::string(e.optional_fields),
          std::string(e.fstype),
          std::string(e.source),
          std::string(e.super_options)};
}

std::string or_empty(const char* text) { return text == nullptr ? std::string() : text; }

Fields from_libmount(libmnt_fs* fs) {
  dev_t devno = mnt_fs_get_devno(fs);
  return {mnt_fs_get_id(fs),
          mnt_fs_get_parent_id(fs),
          major(devno),
          minor(devno),
          or_empty(mnt_fs_get_root(fs)),
          or_empty(mnt_fs_get_target(fs)),
          or_empty(mnt_fs_get_vfs_options(fs)),
          or_empty(mnt_fs_get_optional_fields(fs)),
          or_empty(mnt_fs_get_fstype(fs)),
          or_empty(mnt_fs_get_source(fs)),
          or_empty(mnt_fs_get_fs_options(fs))};
}

// Without an error callback libmount skips lines it cannot parse; this one makes it fail
// and remembers where, so a skipped line cannot pass for agreement.
int libmount_failed_line = 0;
int fail_on_parse_error(libmnt_table*, const char*, int line) {
  libmount_failed_line = line;
  return -EINVAL;
}

/// Parses `path` with mnt_table_parse_file; sets `error` when libmount fails.
std::vector<Fields> parse_with_libmount(const std::string& path, std::string& error) {
  std::vector<Fields> out;
  libmnt_table* table = mnt_new_table();
  mnt_table_set_parser_errcb(table, fail_on_parse_error);
  libmount_failed_line = 0;
  if (int rc = mnt_table_parse_file(table, path.c_str()); rc != 0) {
    error = "libmount failed on " + path + " line " + std::to_string(libmount_failed_line) + ": " +
            std::to_string(rc);
  }
  libmnt_iter* iter = mnt_new_iter(MNT_ITER_FORWARD);
  libmnt_fs* fs = nullptr;
  while (mnt_table_next_fs(table, iter, &fs) == 0) out.push_back(from_libmount(fs));
  mnt_free_iter(iter);
  mnt_unref_table(table);
  return out;
}

/// Bytes as a C string literal would show them, so mismatches print readably.
std::string escaped_bytes(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\%03o", c);
      out += buffer;
    }
  }
  return out + "\"";
}

void compare_field(std::vector<std::string>& diffs, std::size_t index, std::string_view name,
                   const std::string& ours, const std::string& theirs) {
  if (ours == theirs) return;
  diffs.push_back("entry " + std::to_string(index) + " " + std::string(name) + ": ours " +
                  escaped_bytes(ours) + ", libmount " + escaped_bytes(theirs));
}

/// Accepts libmount's target when it is ours without the " (deleted)" suffix.
bool same_target(const std::string& ours, const std::string& theirs) {
  return ours == theirs || (ours.ends_with(kDeletedSuffix) &&
                            ours.substr(0, ours.size() - kDeletedSuffix.size()) == theirs);
}

void compare_entry(std::vector<std::string>& diffs, std::size_t i, const Fields& ours,
                   const Fields& theirs) {
  auto number = [&](std::string_view name, unsigned a, unsigned b) {
    compare_field(diffs, i, name, std::to_string(a), std::to_string(b));
  };
  number("id", static_cast<unsigned>(ours.id), static_cast<unsigned>(theirs.id));
  number("parent", static_cast<unsigned>(ours.parent), static_cast<unsigned>(theirs.parent));
  number("major", ours.major, theirs.major);
  number("minor", ours.minor, theirs.minor);
  compare_field(diffs, i, "root", ours.root, theirs.root);
  if (!same_target(ours.target, theirs.target)) {
    compare_field(diffs, i, "target", ours.target, theirs.target);
  }
  compare_field(diffs, i, "options", ours.options, theirs.options);
  compare_field(diffs, i, "optional_fields", ours.optional_fields, theirs.optional_fields);
  compare_field(diffs, i, "fstype", ours.fstype, theirs.fstype);
  if (ours.source != "/dev/root") compare_field(diffs, i, "source", ours.source, theirs.source);
  compare_field(diffs, i, "super_options", ours.super_options, theirs.super_options);
}

/// Every difference between the two parses of `path`, at most `limit` of them.
std::vector<std::string> differences(const MountTable& ours, const std::string& path,
                                     std::size_t limit = 20) {
  std::string error;
  std::vector<Fields> theirs = parse_with_libmount(path, error);
  std::vector<std::string> diffs;
  if (!error.empty()) diffs.push_back(error);
  if (theirs.size() != ours.size()) {
    diffs.push_back("entry count: ours " + std::to_string(ours.size()) + ", libmount " +
                    std::to_string(theirs.size()));
  }
  for (std::size_t i = 0; i < ours.size() && i < theirs.size(); ++i) {
    compare_entry(diffs, i, from_ours(ours.entries()[i]), theirs[i]);
  }
  if (diffs.size() > limit) diffs.resize(limit);
  return diffs;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

// ---------------------------------------------------------------------------------------
// The hostile tree. Everything below runs in the forked child only, inside its own mount
// namespace; a failure prints what failed and exits non-zero.

[[noreturn]] void die(const std::string& what) {
  std::string line =
      "mountinfo e2e child: " + escaped_bytes(what) + ": " + std::strerror(errno) + "\n";
  [[maybe_unused]] auto ignored = ::write(STDERR_FILENO, line.data(), line.size());
  ::_exit(1);
}

void must(bool ok, const std::string& what) {
  if (!ok) die(what);
}

void make_dir(const std::string& path) {
  must(::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST, "mkdir " + path);
}

void mount_tmpfs(const std::string& source, const std::string& target, unsigned long flags = 0) {
  make_dir(target);
  must(::mount(source.c_str(), target.c_str(), "tmpfs", flags, "size=1m,mode=0711") == 0,
       "mount tmpfs " + target);
}

/// Binds `from` onto `to`; `flags` (MS_RDONLY, MS_NOSUID, ...) are applied per mount by a
/// second, remount call, which is the only way to set them on a bind.
void bind_mount(const std::string& from, const std::string& to, unsigned long flags = 0) {
  make_dir(to);
  must(::mount(from.c_str(), to.c_str(), nullptr, MS_BIND, nullptr) == 0, "bind " + to);
  if (flags == 0) return;
  must(::mount(nullptr, to.c_str(), nullptr, MS_REMOUNT | MS_BIND | flags, nullptr) == 0,
       "remount " + to);
}

void propagate(const std::string& target, unsigned long type) {
  must(::mount(nullptr, target.c_str(), nullptr, type, nullptr) == 0, "propagation " + target);
}

/// Names the kernel has to escape, and names that look like mountinfo syntax.
std::vector<std::string> hostile_names() {
  return {"sp ace",
          "tab\there",
          "new\nline",
          "back\\slash",
          "hash#mark",
          "com,ma",
          "trailing space ",
          " leading",
          "bytes \xff\xfe\x80",
          "literal\\040",
          "x (deleted)",
          "-",
          "a - b",
          "eq=uals",
          "quote'\"",
          "utf8 \xc3\xbc\xc3\xb1",
          "\\",
          "#",
          "end\\",
          "two  spaces"};
}

/// A tmpfs per hostile name, sourced by that name, with mixed flags; then a bind of a
/// hostile subdirectory of each, so `root` is hostile too.
void build_hostile_mounts(const std::string& top) {
  const unsigned long kFlags[] = {0, MS_NOSUID, MS_NODEV | MS_NOEXEC, MS_NOATIME,
                                  MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_STRICTATIME};
  make_dir(top + "/t");
  make_dir(top + "/b");
  std::size_t i = 0;
  for (const std::string& name : hostile_names()) {
    std::string fs = top + "/t/" + name;
    mount_tmpfs(name, fs, kFlags[i % std::size(kFlags)]);
    make_dir(fs + "/" + name);
    make_dir(fs + "/r (deleted)");
    bind_mount(fs + "/" + name, top + "/b/" + name, i % 2 == 0 ? MS_RDONLY : MS_NOSUID | MS_NODEV);
    ++i;
  }
  bind_mount(top + "/t/sp ace/r (deleted)", top + "/b/deleted root");
  // A read-only superblock (super options "ro"), not just a read-only mount.
  must(::mount(nullptr, (top + "/t/com,ma").c_str(), nullptr, MS_REMOUNT | MS_RDONLY,
               "size=1m,mode=0711") == 0,
       "remount superblock read-only");
  // mount -t tmpfs "" DIR: the kernel prints an empty source field.
  mount_tmpfs("", top + "/empty source");
}

/// Overlays whose directory names end up, escaped, in the super options.
void build_overlays(const std::string& top) {
  std::string ov = top + "/ov";
  for (const char* dir : {"", "/lower one", "/low=er#2", "/up\tper", "/work dir", "/merged",
                          "/com,ma", "/com,ma/l,1", "/com,ma/u", "/com,ma/w", "/com,ma/m"}) {
    make_dir(ov + dir);
  }
  std::string data = "lowerdir=" + ov + "/lower one:" + ov + "/low=er#2,upperdir=" + ov +
                     "/up\tper,workdir=" + ov + "/work dir";
  must(::mount("overlay", (ov + "/merged").c_str(), "overlay", 0, data.c_str()) == 0,
       "mount overlay " + data);
  // overlayfs takes "\," for a comma in a path; it keeps and shows that backslash.
  std::string comma = ov + "/com\\,ma";
  data = "lowerdir=" + comma + "/l\\,1,upperdir=" + comma + "/u,workdir=" + comma + "/w";
  must(::mount("over,lay src", (ov + "/com,ma/m").c_str(), "overlay", 0, data.c_str()) == 0,
       "mount overlay " + data);
}

/// Three mounts stacked on one mount point, and a mount hidden by one on its parent.
void build_stacks(const std::string& top) {
  for (const char* source : {"stack 1", "stack 2", "stack 3"}) {
    mount_tmpfs(source, top + "/stack ed");
  }
  make_dir(top + "/over");
  make_dir(top + "/over/x y");
  mount_tmpfs("hidden", top + "/over/x y/z");
  mount_tmpfs("overmount", top + "/over/x y");
}

/// Shared, slave, shared+slave and unbindable mounts. `outside` is not under `top`, so a
/// process chrooted into `top` sees "prop c" with a master it cannot see: the kernel then
/// adds propagate_from (proc(5)).
void build_propagation(const std::string& top, const std::string& outside) {
  std::string a = top + "/prop a";
  mount_tmpfs("prop a", a);
  propagate(a, MS_SHARED);
  bind_mount(a, top + "/prop peer");
  bind_mount(a, top + "/prop slave");
  propagate(top + "/prop slave", MS_SLAVE);
  bind_mount(a, outside);
  propagate(outside, MS_SLAVE);
  propagate(outside, MS_SHARED);
  bind_mount(outside, top + "/prop c");
  propagate(top + "/prop c", MS_SLAVE);
  mount_tmpfs("un bind", top + "/un bind");
  propagate(top + "/un bind", MS_UNBINDABLE);
}

/// Thousands of entries: tmpfs and binds alternating, every name hostile.
void build_many(const std::string& top) {
  std::string many = top + "/many";
  make_dir(many);
  make_dir(top + "/src dir");
  for (int i = 0; i < kManyMounts; ++i) {
    std::string name = many + "/m" + std::to_string(i) + " \t\\#,\xff";
    if (i % 2 == 0) {
      mount_tmpfs("many " + std::to_string(i) + ", \\ #", name);
    } else {
      bind_mount(top + "/src dir", name, i % 3 == 0 ? MS_RDONLY : 0);
    }
  }
}

/// Copies this process's mountinfo, opened through `proc_fd` so it works after chroot.
/// The kernel fixes the view (which mounts, paths relative to which root) at open time.
void copy_mountinfo(int proc_fd, int out_fd) {
  int in = ::openat(proc_fd, "self/mountinfo", O_RDONLY | O_CLOEXEC);
  must(in >= 0, "open /proc/self/mountinfo");
  char buffer[65536];
  for (;;) {
    ssize_t got = ::read(in, buffer, sizeof buffer);
    must(got >= 0, "read /proc/self/mountinfo");
    if (got == 0) break;
    must(::write(out_fd, buffer, static_cast<std::size_t>(got)) == got, "write capture");
  }
  ::close(in);
}

[[noreturn]] void build_and_capture(const std::string& work, int full_fd, int chroot_fd) {
  must(::unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS)");
  // Before any mount: nothing done below may propagate back to the host's namespace.
  must(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0, "make / rprivate");
  must(::mount("rootfsctl mountinfo e2e", work.c_str(), "tmpfs", 0, "mode=0755") == 0,
       "mount work tmpfs");
  std::string top = work + "/r oot";
  make_dir(top);
  build_hostile_mounts(top);
  build_overlays(top);
  build_stacks(top);
  build_propagation(top, work + "/outside");
  build_many(top);
  int proc_fd = ::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  must(proc_fd >= 0, "open /proc");
  copy_mountinfo(proc_fd, full_fd);
  must(::chroot(top.c_str()) == 0 && ::chdir("/") == 0, "chroot " + top);
  copy_mountinfo(proc_fd, chroot_fd);
  ::_exit(0);
}

// ---------------------------------------------------------------------------------------
// The parent: captures once per test program, removed at exit.

struct Captures {
  std::string full;    // the child's whole table
  std::string chroot;  // the same namespace seen from a chroot into the hostile tree
  std::string error;   // why building them failed, if it did

  ~Captures() {
    if (!full.empty()) ::unlink(full.c_str());
    if (!chroot.empty()) ::unlink(chroot.c_str());
  }
};

int make_temp(std::string& path, const char* stem) {
  path = testing::TempDir() + stem + "_XXXXXX";
  return ::mkstemp(path.data());
}

void capture(Captures& out) {
  std::string work = testing::TempDir() + "rootfsctl_mi_work_XXXXXX";
  int full_fd = make_temp(out.full, "rootfsctl_mi_full");
  int chroot_fd = make_temp(out.chroot, "rootfsctl_mi_chroot");
  if (full_fd < 0 || chroot_fd < 0 || ::mkdtemp(work.data()) == nullptr) {
    out.error = std::string("temporary files: ") + std::strerror(errno);
    return;
  }
  pid_t child = ::fork();
  if (child == 0) build_and_capture(work, full_fd, chroot_fd);
  int status = 0;
  if (child < 0 || ::waitpid(child, &status, 0) != child) status = -1;
  ::close(full_fd);
  ::close(chroot_fd);
  ::rmdir(work.c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    out.error =
        "the namespace child failed (status " + std::to_string(status) + "); its stderr says why";
  }
}

const Captures& captures() {
  static Captures captured = [] {
    Captures c;
    capture(c);
    return c;
  }();
  return captured;
}

/// CI runs this suite as root: a privileged test that skips itself there hides a defect.
#define REQUIRE_ROOT_OR_SKIP()                                                           \
  do {                                                                                   \
    if (::geteuid() != 0) {                                                              \
      if (std::getenv("CI") != nullptr) FAIL() << "CI is set but this test is not root"; \
      GTEST_SKIP() << "needs root to unshare a mount namespace";                         \
    }                                                                                    \
  } while (false)

MountTable read_ok(const std::string& path) {
  auto table = read_mountinfo_file(path);
  EXPECT_TRUE(table.has_value()) << (table ? "" : table.error().to_string());
  return table ? std::move(*table) : MountTable();
}

std::size_t count_if(const MountTable& table, auto predicate) {
  std::size_t n = 0;
  for (const auto& entry : table.entries()) n += predicate(entry) ? 1 : 0;
  return n;
}

TEST(MountinfoLibmountNamespace, HostileTreeMatchesLibmount) {
  REQUIRE_ROOT_OR_SKIP();
  const Captures& c = captures();
  ASSERT_EQ(c.error, "");
  MountTable table = read_ok(c.full);
  ASSERT_GE(table.size(), static_cast<std::size_t>(kManyMounts + 40));
  EXPECT_EQ(joined(differences(table, c.full)), "");
  RecordProperty("entries_compared", static_cast<int>(table.size()));
  std::printf("compared %zu entries field by field\n", table.size());
}

TEST(MountinfoLibmountNamespace, CaptureHoldsEveryHostileCase) {
  REQUIRE_ROOT_OR_SKIP();
  const Captures& c = captures();
  ASSERT_EQ(c.error, "");
  MountTable table = read_ok(c.full);
  auto has = [&](auto predicate) { return count_if(table, predicate) > 0; };
  // Guards against a builder change that would make the comparison vacuous.
  for (const std::string& name : hostile_names()) {
    EXPECT_TRUE(has([&](const MountEntry& e) { return e.target.ends_with("/t/" + name); }))
        << escaped_bytes(name);
    EXPECT_TRUE(has([&](const MountEntry& e) { return e.source == name; })) << escaped_bytes(name);
  }
  EXPECT_TRUE(has([](const MountEntry& e) { return e.fstype == "overlay"; }));
  EXPECT_TRUE(has([](const MountEntry& e) { return e.source.empty(); }));
  EXPECT_TRUE(has([](const MountEntry& e) { return e.root.ends_with("/r (deleted)"); }));
  EXPECT_TRUE(has([](const MountEntry& e) { return e.super_options.starts_with("ro,"); }));
  EXPECT_EQ(count_if(table, [](const MountEntry& e) { return e.target.ends_with("/stack ed"); }),
            3u);
  EXPECT_TRUE(has([](const MountEntry& e) { return e.propagation() == "shared"; }));
  EXPECT_TRUE(has([](const MountEntry& e) { return e.propagation() == "slave"; }));
  EXPECT_TRUE(has([](const MountEntry& e) { return e.propagation() == "shared,slave"; }));
  EXPECT_TRUE(has([](const MountEntry& e) { return e.propagation() == "unbindable"; }));
}

TEST(MountinfoLibmountNamespace, QueriesSeeTheStackAndTheOvermount) {
  REQUIRE_ROOT_OR_SKIP();
  const Captures& c = captures();
  ASSERT_EQ(c.error, "");
  MountTable table = read_ok(c.chroot);
  const MountEntry* stacked = table.covering("/stack ed/file");
  ASSERT_NE(stacked, nullptr);
  EXPECT_EQ(stacked->source, "stack 3");
  const MountEntry* over = table.covering("/over/x y/z");
  ASSERT_NE(over, nullptr);
  EXPECT_EQ(over->source, "overmount");
  EXPECT_EQ(table.beneath("/many").size(), static_cast<std::size_t>(kManyMounts));
}

TEST(MountinfoLibmountNamespace, ChrootViewMatchesLibmountWithPropagateFrom) {
  REQUIRE_ROOT_OR_SKIP();
  const Captures& c = captures();
  ASSERT_EQ(c.error, "");
  MountTable table = read_ok(c.chroot);
  EXPECT_EQ(joined(differences(table, c.chroot)), "");
  const MountEntry* prop_c = table.covering("/prop c");
  ASSERT_NE(prop_c, nullptr);
  EXPECT_TRUE(prop_c->master().has_value());
  EXPECT_TRUE(prop_c->propagate_from().has_value()) << prop_c->optional_fields;
  std::printf("compared %zu entries field by field\n", table.size());
}

TEST(MountinfoLibmountLive, OwnTableMatchesLibmount) {
  // The live table can change between the two reads (another process mounting in this
  // namespace), so a mismatch counts only if it survives a fresh read of both.
  std::string diffs;
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto read = read_mountinfo_pid(0);
    ASSERT_TRUE(read.has_value()) << read.error().to_string();
    MountTable table = std::move(*read);
    diffs = joined(differences(table, "/proc/self/mountinfo"));
    if (diffs.empty()) {
      std::printf("compared %zu entries field by field\n", table.size());
      return;
    }
  }
  EXPECT_EQ(diffs, "");
}

}  // namespace
}  // namespace rootfsctl::mountinfo
