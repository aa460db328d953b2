// A recording fake of the syscall seam (docs/architecture.md §6), for unprivileged unit tests of
// the executor, the rollback, pinning and the worker.
//
// Every call is recorded as one line, strace-like, with fds shown as symbolic handles:
//
//   open("/proc/42/ns/mnt", O_RDONLY) = 4
//   openat2(3, "usr", O_PATH|O_DIRECTORY, in_root|no_magiclinks) = 5
//   mkdirat(5, "bin", 0755)
//   fsopen("tmpfs") = 6
//   fsconfig(6, set_string, "size", "64M")
//   fsmount(6, nosuid|nodev) = 7
//   move_mount(7, 5)
//   mount_setattr(7, rec, set=ro, clear=0)
//   umount_fd(2, 7, detach)
//   pivot_root(".", ".") = -1 EINVAL
//
// Handles. Calls that return an fd return a real, harmless one (/dev/null, read-only,
// close-on-exec) so UniqueFd can close it, but lines show a handle number instead: 3 for
// the first fd the fake returned, 4 for the next, and so on, whatever number the kernel
// picked. An fd the fake never returned is shown as "?N"; AT_FDCWD as "AT_FDCWD"; and
// "/proc/thread-self/fd/N" (or /proc/self/fd/N) paths are rewritten to the handle too, so
// lines are identical from run to run.
//
// Failures. fail_call(n, errno) fails the n-th call (1-based, counting every call that
// can fail: umask cannot, so it is recorded but not counted, and failing "each call in
// turn" for k = 1..call_count() fails every one of them). fail_matching(substring, errno) fails the
// first call whose line (without its result) contains `substring`. A failing call is recorded with
// " = -1 ENAME" appended and returns an Error with the stage the Linux implementation
// uses and the line as its message.
//
// Canned answers. Handles remember the path they were opened with (open's or openat2's
// path, open_tree_clone's path, fsopen's and fsmount's fstype, "pidfd:N" for pidfds).
// fstatat answers by the name it is given, or for "" by its handle's path (default: a
// directory, mode 0755, inode 0); mount_flags, mount_id and read_all answer by the
// handle's path (defaults: no flags, ids 1000, 1001, ... one per call, empty text).
// missing(name) makes fstatat, open and openat2 (without O_CREAT) of exactly that name
// fail with ENOENT until mkdirat, symlinkat or an O_CREAT openat2 creates it.
// stat_answer_in(dir, name, ...) answers for `name` looked up under a handle opened from
// `dir` only (the target's "/" is opened as "/", a new root as "."), so a device source and
// its placeholder of the same name can differ; it beats stat_answer.
//
// The world. Besides the lines, the fake keeps a small model of what the calls changed:
// mounts attached by move_mount (until their handle is detached), names created or removed
// (mkdirat, symlinkat, O_CREAT openat2 against unlinkat, by the opening path of the dir
// handle), per-mount flags (mount_setattr, starting from flags_answer), file contents
// (write_all, starting from read_answer), modes (fchmodat, from the stat answers),
// propagation by path (from propagation_answer, default private), the hostname, which
// root pivot_root made current, and the umask. changes() lists what differs from the
// start, one line each; a rollback that undid everything leaves it empty. The calling
// thread's cwd and joined namespaces are not in it: they belong to the worker thread,
// which is thrown away. open_handles() lists handles whose descriptor is still open.
//
// Not thread-safe: use it from one thread at a time (the worker joins its thread).
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/mount_flags.h"
#include "core/unique_fd.h"
#include "exec/syscalls.h"
#include "fake_syscall_text.h"

namespace rootfsctl::testing {

class FakeSyscalls : public exec::Syscalls {
 public:
  FakeSyscalls() = default;

  // --- scripting ----------------------------------------------------------------------
  /// Fails the n-th call (1-based, umask not counted) with `errno_value`.
  FakeSyscalls& fail_call(int n, int errno_value) {
    failures_.push_back({n, {}, errno_value});
    return *this;
  }
  /// Fails the first call whose line contains `substring` with `errno_value`.
  FakeSyscalls& fail_matching(std::string substring, int errno_value) {
    failures_.push_back({0, std::move(substring), errno_value});
    return *this;
  }
  /// fstatat of `name` (or of a handle opened from `name`) answers `mode` (with type
  /// bits, e.g. S_IFCHR | 0666), `rdev` and `inode`.
  FakeSyscalls& stat_answer(std::string name, mode_t mode, dev_t rdev = 0, ino_t inode = 0) {
    struct stat st {};
    st.st_mode = mode;
    st.st_rdev = rdev;
    st.st_ino = inode;
    stats_[std::move(name)] = st;
    return *this;
  }
  /// Like stat_answer, for `name` under a handle opened from `dir` only: fstatat(dirfd,
  /// name) with such a dirfd, or fstatat(fd, "") of a handle openat2 opened as `name`
  /// under one.
  FakeSyscalls& stat_answer_in(std::string dir, std::string name, mode_t mode, dev_t rdev = 0) {
    struct stat st {};
    st.st_mode = mode;
    st.st_rdev = rdev;
    stats_in_[{std::move(dir), std::move(name)}] = st;
    return *this;
  }
  /// fstatat of `name` (as for stat_answer, which must come first) reports `links` hard
  /// links.
  FakeSyscalls& links_answer(const std::string& name, nlink_t links) {
    stats_[name].st_nlink = links;
    return *this;
  }
  /// fstatat(dirfd, `name`) by name (not of a handle, with "") answers `mode` and
  /// `inode`, beating the other answers: the name leads to another file than the one a
  /// handle holds (a swap in the target between two lookups).
  FakeSyscalls& named_stat_answer(std::string name, mode_t mode, ino_t inode = 0) {
    struct stat st {};
    st.st_mode = mode;
    st.st_ino = inode;
    named_stats_[std::move(name)] = st;
    return *this;
  }
  /// fs_type on a handle opened from `path` answers `magic` (statfs f_type); default 0.
  FakeSyscalls& fs_type_answer(std::string path, std::uint64_t magic) {
    fs_types_[std::move(path)] = magic;
    return *this;
  }
  /// The propagation the world starts with at `path` (set_propagation's argument).
  FakeSyscalls& propagation_answer(std::string path, exec::Propagation propagation) {
    propagation_before_[std::move(path)] = std::string(exec::propagation_name(propagation));
    return *this;
  }
  /// fstatat, open and openat2 of exactly `name` fail with ENOENT until it is created.
  FakeSyscalls& missing(std::string name) {
    missing_.insert(std::move(name));
    return *this;
  }
  /// read_all on a handle opened from `path` answers `text`; several answers for one
  /// path are served in order and the last one repeats.
  FakeSyscalls& read_answer(std::string path, std::string text) {
    reads_[std::move(path)].push_back(std::move(text));
    return *this;
  }
  /// mount_flags on a handle opened from `path` answers `flags`.
  FakeSyscalls& flags_answer(std::string path, MountFlags flags) {
    flags_[std::move(path)] = flags;
    return *this;
  }
  /// mount_id on a handle opened from `path` answers `id`.
  FakeSyscalls& id_answer(std::string path, std::uint64_t id) {
    ids_[std::move(path)] = id;
    return *this;
  }

  // --- inspection ---------------------------------------------------------------------
  const std::vector<std::string>& calls() const { return calls_; }
  /// The recorded lines that contain `substring`.
  std::vector<std::string> calls_matching(std::string_view substring) const {
    std::vector<std::string> out;
    for (const auto& line : calls_) {
      if (line.find(substring) != std::string::npos) out.push_back(line);
    }
    return out;
  }
  /// Calls made so far that could fail (every recorded call but umask).
  int call_count() const { return count_; }
  /// The errors returned for failures scripted with fail_call or fail_matching, in order.
  const std::vector<Error>& injected() const { return injected_; }
  /// What the calls so far changed in the modelled world and is still changed (see the
  /// top of this file), one line each, sorted; empty when everything was undone.
  std::vector<std::string> changes() const {
    std::vector<std::string> out;
    for (const auto& [handle, mount] : attached_) {
      out.push_back("mounted: " + mount.what + " (handle " + std::to_string(handle) + ")");
    }
    for (const auto& what : detached_) out.push_back("detached: " + what);
    for (const auto& [name, count] : created_) {
      if (count > 0) out.push_back("created: " + name);
      if (count < 0) out.push_back("removed: " + name);
    }
    for (const auto& [origin, flags] : attrs_) {
      if (flags != attrs_before_.at(origin)) {
        out.push_back("flags of " + origin + ": " + fake_text::mount_flags_text(flags));
      }
    }
    for (const auto& [origin, text] : contents_) {
      if (text != contents_before_.at(origin))
        out.push_back("content of " + origin + ": " + quote(text));
    }
    for (const auto& [name, mode] : modes_) {
      if (mode != modes_before_.at(name))
        out.push_back("mode of " + name + ": " + fake_text::octal(mode));
    }
    for (const auto& [path, value] : propagation_) {
      if (value != propagation_at_start(path))
        out.push_back("propagation of " + path + ": " + value);
    }
    if (hostname_ && *hostname_ != hostname_before_) out.push_back("hostname: " + *hostname_);
    if (root_ != "/") out.push_back("root: " + root_);
    if (umask_ != kInitialUmask) out.push_back("umask: " + fake_text::octal(umask_));
    std::sort(out.begin(), out.end());
    return out;
  }
  /// Handles (not new_fd's) whose descriptor is still open, as "N (origin)".
  std::vector<std::string> open_handles() const {
    std::vector<std::string> out;
    for (const auto& [real, handle] : handles_) {
      if (handle.external || ::fcntl(real, F_GETFD) == -1) continue;
      out.push_back(std::to_string(handle.number) + " (" + handle.origin + ")");
    }
    return out;
  }
  /// A handle that no call produced (e.g. a Target's namespace fds in a worker test);
  /// recorded nowhere. `origin` keys canned answers as for opened handles.
  UniqueFd new_fd(std::string origin) {
    const int real = make_handle(std::move(origin));
    handles_[real].external = true;
    return UniqueFd(real);
  }
  /// The handle number lines show for the real fd `fd`, or -1.
  int handle_of(int fd) const {
    auto it = handles_.find(fd);
    return it == handles_.end() ? -1 : it->second.number;
  }

  // --- processes and namespaces -------------------------------------------------------
  Result<UniqueFd> pidfd_open(pid_t pid) override {
    return fd_call("pidfd_open(" + std::to_string(pid) + ")", Stage::kOpenNs,
                   "pidfd:" + std::to_string(pid));
  }
  Result<void> pidfd_send_signal(int pidfd, int signal) override {
    return void_call("pidfd_send_signal(" + fd(pidfd) + ", " + std::to_string(signal) + ")",
                     Stage::kOpenNs);
  }
  Result<UniqueFd> open_path(std::string_view path, int flags) override {
    std::string line = "open(" + quote(path) + ", " + fake_text::open_flags(flags) + ")";
    return fd_call(std::move(line), Stage::kOpenNs, std::string(path),
                   !missing_.count(std::string(path)));
  }
  Result<void> setns(int nsfd, int nstype) override {
    return void_call("setns(" + fd(nsfd) + ", " + fake_text::clone_flags(nstype) + ")",
                     Stage::kSetns);
  }
  Result<void> unshare(int flags) override {
    return void_call("unshare(" + fake_text::clone_flags(flags) + ")", Stage::kUnshare);
  }
  mode_t umask(mode_t mask) override {
    record_only("umask(" + fake_text::octal(mask) + ")");
    return std::exchange(umask_, mask);
  }
  Result<void> clear_groups() override { return void_call("setgroups(0, NULL)", Stage::kSetns); }
  Result<void> setresgid(gid_t gid) override {
    const std::string id = std::to_string(gid);
    return void_call("setresgid(" + id + ", " + id + ", " + id + ")", Stage::kSetns);
  }
  Result<void> setresuid(uid_t uid) override {
    const std::string id = std::to_string(uid);
    return void_call("setresuid(" + id + ", " + id + ", " + id + ")", Stage::kSetns);
  }

  // --- paths --------------------------------------------------------------------------
  Result<UniqueFd> openat2(int dirfd, std::string_view path, int flags, mode_t mode,
                           std::uint32_t resolve) override {
    const bool create = (flags & O_CREAT) != 0;
    std::string line =
        "openat2(" + fd(dirfd) + ", " + quote(path) + ", " + fake_text::open_flags(flags);
    if (create) line += ", " + fake_text::octal(mode);
    line += ", " + fake_text::resolve_flags(resolve) + ")";
    const bool exists = create || !missing_.count(std::string(path));
    auto result = fd_call(std::move(line), create ? Stage::kCreate : Stage::kMount,
                          std::string(path), exists);
    if (!result) return result;
    handles_[result->get()].dir_origin = origin(dirfd);
    // A name made in a filesystem fsmount just made (a mask's empty file) is in no one's
    // tree: it goes away with the detached mount.
    if (create && !fresh_.count(handle_of(dirfd))) {
      missing_.erase(std::string(path));
      ++created_[name_in(dirfd, path)];
    }
    return result;
  }
  Result<void> mkdirat(int dirfd, std::string_view name, mode_t mode) override {
    return creating(
        dirfd, name,
        void_call("mkdirat(" + fd(dirfd) + ", " + quote(name) + ", " + fake_text::octal(mode) + ")",
                  Stage::kCreate));
  }
  Result<void> symlinkat(std::string_view target, int dirfd, std::string_view name) override {
    return creating(
        dirfd, name,
        void_call("symlinkat(" + quote(target) + ", " + fd(dirfd) + ", " + quote(name) + ")",
                  Stage::kCreate));
  }
  Result<void> unlinkat(int dirfd, std::string_view name, bool remove_dir) override {
    auto result =
        void_call("unlinkat(" + fd(dirfd) + ", " + quote(name) + (remove_dir ? ", dir)" : ")"),
                  Stage::kCreate);
    if (result) {
      missing_.insert(relative_name(dirfd, name));
      --created_[name_in(dirfd, name)];
    }
    return result;
  }
  Result<struct stat> fstatat(int dirfd, std::string_view name) override {
    const std::string key = name.empty() ? origin(dirfd) : std::string(name);
    auto result = void_call("fstatat(" + fd(dirfd) + ", " + quote(name) + ")", Stage::kRead,
                            !missing_.count(key));
    if (!result) return std::unexpected(result.error());
    const std::string dir = name.empty() ? dir_origin(dirfd) : origin(dirfd);
    struct stat st {};
    st.st_mode = S_IFDIR | 0755;
    if (const struct stat* answer = stat_for(dir, key)) st = *answer;
    if (auto it = named_stats_.find(key); !name.empty() && it != named_stats_.end()) {
      st = it->second;
    }
    return st;
  }
  Result<void> fchmodat(int dirfd, std::string_view name, mode_t mode) override {
    auto result = void_call(
        "fchmodat(" + fd(dirfd) + ", " + quote(name) + ", " + fake_text::octal(mode) + ")",
        Stage::kCreate);
    if (!result) return result;
    const std::string key = name_in(dirfd, name);
    if (!modes_before_.count(key)) {
      const struct stat* st = stat_for(origin(dirfd), std::string(name));
      modes_before_[key] = st ? (st->st_mode & 07777) : 0755;
    }
    modes_[key] = mode & 07777;
    return result;
  }
  Result<void> write_all(int out_fd, std::string_view data) override {
    auto result = void_call("write_all(" + fd(out_fd) + ", " + quote(data) + ")", Stage::kCreate);
    if (result) record_content(origin(out_fd), data);
    return result;
  }
  Result<std::string> read_all(int in_fd, std::size_t limit) override {
    auto result =
        void_call("read_all(" + fd(in_fd) + ", " + std::to_string(limit) + ")", Stage::kRead);
    if (!result) return std::unexpected(result.error());
    auto it = reads_.find(origin(in_fd));
    if (it == reads_.end() || it->second.empty()) return std::string();
    std::string text = it->second.front();
    if (it->second.size() > 1) it->second.pop_front();
    return text.substr(0, limit);
  }
  Result<void> fchdir(int dirfd) override {
    auto result = void_call("fchdir(" + fd(dirfd) + ")", Stage::kChdir);
    if (result) cwd_ = origin(dirfd);
    return result;
  }
  Result<void> chdir(std::string_view path) override {
    auto result = void_call("chdir(" + quote(path) + ")", Stage::kChdir);
    if (result) cwd_ = std::string(path);
    return result;
  }
  Result<void> chroot(std::string_view path) override {
    return void_call("chroot(" + quote(path) + ")", Stage::kChdir);
  }
  Result<void> sethostname(std::string_view name) override {
    auto result = void_call("sethostname(" + quote(name) + ")", Stage::kSethostname);
    if (!result) return result;
    if (!hostname_) {
      // The hostname before: what the canned /proc/sys/kernel/hostname says.
      auto it = reads_.find("kernel/hostname");
      hostname_before_ = it == reads_.end() || it->second.empty() ? "" : it->second.front();
      if (!hostname_before_.empty() && hostname_before_.back() == '\n') hostname_before_.pop_back();
    }
    hostname_ = std::string(name);
    return result;
  }

  // --- mounts -------------------------------------------------------------------------
  Result<UniqueFd> fsopen(std::string_view fstype) override {
    return fd_call("fsopen(" + quote(fstype) + ")", Stage::kMount, std::string(fstype));
  }
  Result<void> fsconfig(int fsfd, exec::FsConfig command, std::string_view key,
                        std::string_view value, int aux) override {
    std::string line = "fsconfig(" + fd(fsfd) + ", ";
    switch (command) {
      case exec::FsConfig::kSetFlag:
        line += "set_flag, " + quote(key);
        break;
      case exec::FsConfig::kSetString:
        line += "set_string, " + quote(key) + ", " + quote(value);
        break;
      case exec::FsConfig::kSetFd:
        line += "set_fd, " + quote(key) + ", " + fd(aux);
        break;
      case exec::FsConfig::kCreate:
        line += "create";
        break;
    }
    return void_call(line + ")", Stage::kMount);
  }
  Result<UniqueFd> fsmount(int fsfd, MountFlags attributes) override {
    auto result =
        fd_call("fsmount(" + fd(fsfd) + ", " + fake_text::mount_flags_text(attributes) + ")",
                Stage::kMount, origin(fsfd));
    if (result) fresh_.insert(handle_of(result->get()));
    return result;
  }
  Result<UniqueFd> open_tree_clone(int dirfd, std::string_view path, bool recursive) override {
    std::string line =
        "open_tree_clone(" + fd(dirfd) + ", " + quote(path) + (recursive ? ", rec)" : ")");
    auto result =
        fd_call(std::move(line), Stage::kMount, path.empty() ? origin(dirfd) : std::string(path));
    if (result) clones_.insert(handle_of(result->get()));
    return result;
  }
  Result<void> move_mount(int from_fd, int to_fd) override {
    auto result = void_call("move_mount(" + fd(from_fd) + ", " + fd(to_fd) + ")", Stage::kMount);
    if (!result) return result;
    // A mount gets an id when attached: the id_answer of where it goes, else a new one.
    auto id = ids_.find(origin(to_fd));
    attached_[handle_of(from_fd)] =
        Attached{origin(from_fd) + " on " + origin(to_fd), origin(to_fd),
                 id == ids_.end() ? next_id_++ : id->second};
    return result;
  }
  Result<void> mount_setattr(int mount_fd, bool recursive, MountFlags set, MountFlags clear,
                             std::optional<exec::Propagation> propagation) override {
    std::string line = "mount_setattr(" + fd(mount_fd) + (recursive ? ", rec" : "") +
                       ", set=" + fake_text::mount_flags_text(set) +
                       ", clear=" + fake_text::mount_flags_text(clear);
    if (propagation) line += ", " + std::string(exec::propagation_name(*propagation));
    auto result = void_call(line + ")", Stage::kMount);
    if (!result) return result;
    // A clone not attached yet is a copy of its own (a readonly-path made read-only
    // before its attach): its flags are not the original's, and it goes away unattached.
    if (clones_.count(handle_of(mount_fd)) && !attached_.count(handle_of(mount_fd))) {
      return result;
    }
    const std::string key = origin(mount_fd);
    if (!attrs_before_.count(key)) {
      auto it = flags_.find(key);
      attrs_before_[key] = it == flags_.end() ? MountFlags{0} : it->second;
      attrs_[key] = attrs_before_[key];
    }
    attrs_[key] = (attrs_[key] & ~clear) | set;
    return result;
  }
  Result<void> mount_setattr_idmap(int mount_fd, bool recursive, int userns_fd) override {
    return void_call("mount_setattr(" + fd(mount_fd) + (recursive ? ", rec" : "") +
                         ", idmap=" + fd(userns_fd) + ")",
                     Stage::kMount);
  }
  // The maps show in the line as the kernel reads them, one "inside outside count" per line
  // joined by "|".
  Result<UniqueFd> user_namespace_with_maps(std::string_view uid_map,
                                            std::string_view gid_map) override {
    auto joined = [](std::string_view map) {
      std::string out(map.substr(0, map.empty() ? 0 : map.size() - 1));
      std::replace(out.begin(), out.end(), '\n', '|');
      return out;
    };
    return fd_call(
        "user_namespace_with_maps(" + quote(joined(uid_map)) + ", " + quote(joined(gid_map)) + ")",
        Stage::kMount, "userns");
  }
  Result<void> move_mount_set_group(int from_fd, int to_fd) override {
    auto result =
        void_call("move_mount_set_group(" + fd(from_fd) + ", " + fd(to_fd) + ")", Stage::kMount);
    // The clone was taken at the start: the peer group (and propagation) of its origin
    // is as it was then.
    if (result) propagation_[origin(to_fd)] = propagation_at_start(origin(to_fd));
    return result;
  }
  Result<void> set_propagation(std::string_view path, exec::Propagation propagation,
                               bool recursive) override {
    auto result = void_call("set_propagation(" + quote(path) + ", " + (recursive ? "r" : "") +
                                std::string(exec::propagation_name(propagation)) + ")",
                            Stage::kMount);
    if (result) propagation_[std::string(path)] = exec::propagation_name(propagation);
    return result;
  }
  Result<MountFlags> mount_flags(int mount_fd) override {
    auto result = void_call("mount_flags(" + fd(mount_fd) + ")", Stage::kMount);
    if (!result) return std::unexpected(result.error());
    auto it = flags_.find(origin(mount_fd));
    return it == flags_.end() ? MountFlags{0} : it->second;
  }
  Result<std::uint64_t> mount_id(int mount_fd) override {
    auto result = void_call("mount_id(" + fd(mount_fd) + ")", Stage::kMount);
    if (!result) return std::unexpected(result.error());
    // The mount's own handle, or a path that leads to where it is attached (on top).
    if (auto held = attached_.find(handle_of(mount_fd)); held != attached_.end()) {
      return held->second.id;
    }
    if (auto on = attached_at(origin(mount_fd)); on != attached_.end()) return on->second.id;
    auto it = ids_.find(origin(mount_fd));
    return it == ids_.end() ? next_id_++ : it->second;
  }
  Result<void> umount(std::string_view path, bool detach) override {
    auto result = void_call("umount(" + quote(path) + (detach ? ", detach)" : ")"), Stage::kUmount);
    if (!result) return result;
    const int real = fake_text::fd_in_path(path);
    auto it = real < 0 ? attached_.end() : attached_.find(handle_of(real));
    if (it == attached_.end() && real >= 0) it = attached_at(origin(real));
    if (it != attached_.end()) {
      attached_.erase(it);
    } else {
      detached_.push_back(real < 0 ? std::string(path) : origin(real));
    }
    return result;
  }
  Result<void> umount_fd(int proc_fd, int mount_fd, bool detach) override {
    auto result =
        void_call("umount_fd(" + fd(proc_fd) + ", " + fd(mount_fd) + (detach ? ", detach)" : ")"),
                  Stage::kUmount);
    if (!result) return result;
    auto it = attached_.find(handle_of(mount_fd));
    if (it == attached_.end()) it = attached_at(origin(mount_fd));
    if (it != attached_.end()) {
      attached_.erase(it);
    } else {
      detached_.push_back(origin(mount_fd));
    }
    return result;
  }

  // --- handles ------------------------------------------------------------------------
  Result<UniqueFd> open_procfs() override {
    return fd_call("open_procfs()", Stage::kOpenNs, "procfs");
  }
  Result<UniqueFd> reopen(int proc_fd, int held, int flags) override {
    auto result = fd_call(
        "reopen(" + fd(proc_fd) + ", " + fd(held) + ", " + fake_text::open_flags(flags) + ")",
        Stage::kCreate, origin(held));
    if (result) handles_[result->get()].dir_origin = dir_origin(held);
    return result;
  }
  Result<std::uint64_t> fs_type(int held) override {
    auto result = void_call("fs_type(" + fd(held) + ")", Stage::kRead);
    if (!result) return std::unexpected(result.error());
    auto it = fs_types_.find(origin(held));
    return it == fs_types_.end() ? std::uint64_t{0} : it->second;
  }
  Result<void> replace_content(int out_fd, std::string_view data) override {
    auto result =
        void_call("replace_content(" + fd(out_fd) + ", " + quote(data) + ")", Stage::kCreate);
    if (result) record_content(origin(out_fd), data);
    return result;
  }

  Result<void> pivot_root(std::string_view new_root, std::string_view put_old) override {
    auto result =
        void_call("pivot_root(" + quote(new_root) + ", " + quote(put_old) + ")", Stage::kPivotRoot);
    // pivot_root(".", ".") makes the cwd the root (the only form the executor uses).
    if (result) root_ = cwd_;
    return result;
  }

 private:
  struct Attached {
    std::string what;  // "what on where"
    std::string on;    // the origin of the mount point's handle
    std::uint64_t id;  // its mount id
  };
  struct Failure {
    int call = 0;           // 1-based call number, or 0 for a substring rule
    std::string substring;  // for fail_matching
    int errno_value = 0;
  };
  struct Handle {
    int number = 0;
    std::string origin;
    std::string dir_origin;  // openat2's: the origin of the dirfd it was opened under
    bool external = false;   // made by new_fd, not by a call
  };

  /// Counts and records the call; returns the errno it must fail with, or 0.
  int begin(const std::string& line) {
    ++count_;
    injecting_ = false;
    for (auto it = failures_.begin(); it != failures_.end(); ++it) {
      const bool hit =
          it->call != 0 ? it->call == count_ : line.find(it->substring) != std::string::npos;
      if (!hit) continue;
      const int errno_value = it->errno_value;
      failures_.erase(it);
      injecting_ = true;
      return errno_value;
    }
    return 0;
  }

  void record_only(std::string line) { calls_.push_back(std::move(line)); }

  /// The world's content of the file opened from `key` is now `data`.
  void record_content(const std::string& key, std::string_view data) {
    if (!contents_before_.count(key)) {
      auto it = reads_.find(key);
      contents_before_[key] = it == reads_.end() || it->second.empty() ? "" : it->second.front();
    }
    contents_[key] = std::string(data);
  }

  Error fail(std::string line, Stage stage, int errno_value) {
    calls_.push_back(line + " = -1 " + std::string(errno_name(errno_value)));
    Error error = make_error(stage, std::move(line), errno_value);
    if (injecting_) injected_.push_back(error);
    return error;
  }

  Result<void> void_call(std::string line, Stage stage, bool exists = true) {
    int errno_value = begin(line);
    if (errno_value == 0 && !exists) errno_value = ENOENT;
    if (errno_value != 0) return std::unexpected(fail(std::move(line), stage, errno_value));
    calls_.push_back(std::move(line));
    return {};
  }

  Result<UniqueFd> fd_call(std::string line, Stage stage, std::string handle_origin,
                           bool exists = true) {
    int errno_value = begin(line);
    if (errno_value == 0 && !exists) errno_value = ENOENT;
    if (errno_value != 0) return std::unexpected(fail(std::move(line), stage, errno_value));
    const int real = make_handle(std::move(handle_origin));
    calls_.push_back(line + " = " + std::to_string(handles_[real].number));
    return UniqueFd(real);
  }

  int make_handle(std::string handle_origin) {
    const int real = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    handles_[real] = Handle{next_handle_++, std::move(handle_origin), {}, false};
    return real;
  }

  Result<void> creating(int dirfd, std::string_view name, Result<void> result) {
    if (!result) return result;
    missing_.erase(std::string(name));
    missing_.erase(relative_name(dirfd, name));
    ++created_[name_in(dirfd, name)];
    return result;
  }

  /// The path openat2 would be given for `name` in `dirfd` from the root: "var/tmp" for
  /// "tmp" in a handle opened as "var", "tmp" in the root ("/" or ".").
  std::string relative_name(int dirfd, std::string_view name) const {
    std::string dir = origin(dirfd);
    if (dir.empty() || dir == "/" || dir == ".") return std::string(name);
    return dir + "/" + std::string(name);
  }

  /// "dir/name": a name under the path its directory handle was opened with.
  std::string name_in(int dirfd, std::string_view name) const {
    std::string dir = origin(dirfd);
    return dir + (dir.ends_with('/') ? "" : "/") + std::string(name);
  }

  /// The canned stat for `name` looked up under a handle opened from `dir`, if any.
  const struct stat* stat_for(const std::string& dir, const std::string& name) const {
    auto in = stats_in_.find({dir, name});
    if (in != stats_in_.end()) return &in->second;
    auto it = stats_.find(name);
    return it == stats_.end() ? nullptr : &it->second;
  }

  /// The mount attached last on the mount point opened as `on`, or end().
  std::map<int, Attached>::iterator attached_at(const std::string& on) {
    for (auto it = attached_.rbegin(); it != attached_.rend(); ++it) {
      if (it->second.on == on) return std::prev(it.base());
    }
    return attached_.end();
  }

  std::string propagation_at_start(const std::string& path) const {
    auto it = propagation_before_.find(path);
    return it == propagation_before_.end() ? "private" : it->second;
  }

  std::string origin(int real) const {
    auto it = handles_.find(real);
    return it == handles_.end() ? std::string() : it->second.origin;
  }
  std::string dir_origin(int real) const {
    auto it = handles_.find(real);
    return it == handles_.end() ? std::string() : it->second.dir_origin;
  }

  std::string fd(int real) const {
    if (real == AT_FDCWD) return "AT_FDCWD";
    const int number = handle_of(real);
    return number >= 0 ? std::to_string(number) : "?" + std::to_string(real);
  }

  /// `path` with a /proc/{thread-self,self}/fd/N prefix naming a handle rewritten.
  std::string stable_path(std::string_view path) const {
    for (std::string_view prefix : {"/proc/thread-self/fd/", "/proc/self/fd/", "thread-self/fd/"}) {
      if (path.substr(0, prefix.size()) != prefix) continue;
      std::string_view rest = path.substr(prefix.size());
      std::size_t digits = 0;
      int real = 0;
      while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') {
        real = real * 10 + (rest[digits++] - '0');
      }
      if (digits == 0 || handle_of(real) < 0) return std::string(path);
      return std::string(prefix) + std::to_string(handle_of(real)) +
             std::string(rest.substr(digits));
    }
    return std::string(path);
  }

  /// A C-style quoted string: \\, \", \n, \t, and other bytes outside printable ASCII
  /// as \xNN, so a line never breaks and is the same on every run.
  std::string quote(std::string_view text) const {
    std::string out = "\"";
    for (char c : stable_path(text)) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '\\' || c == '"') {
        out += '\\';
        out += c;
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\t') {
        out += "\\t";
      } else if (byte < 0x20 || byte >= 0x7f) {
        std::array<char, 5> hex{};
        std::snprintf(hex.data(), hex.size(), "\\x%02x", byte);
        out += hex.data();
      } else {
        out += c;
      }
    }
    return out + "\"";
  }

  std::vector<std::string> calls_;
  int count_ = 0;
  std::vector<Failure> failures_;
  std::map<int, Handle> handles_;  // real fd -> handle
  std::set<int> clones_;           // handles open_tree_clone made
  std::set<int> fresh_;            // handles fsmount made
  int next_handle_ = 3;
  std::map<std::string, struct stat> stats_;
  std::set<std::string> missing_;
  std::map<std::string, std::deque<std::string>> reads_;
  std::map<std::string, MountFlags> flags_;
  std::map<std::string, std::uint64_t> ids_;
  std::map<std::string, std::uint64_t> fs_types_;
  std::map<std::string, struct stat> named_stats_;
  std::uint64_t next_id_ = 1000;
  bool injecting_ = false;  // the call being made fails by a scripted rule
  std::vector<Error> injected_;
  std::map<std::pair<std::string, std::string>, struct stat> stats_in_;
  // The modelled world (changes()).
  std::map<int, Attached> attached_;    // handle -> the mount
  std::vector<std::string> detached_;   // detached mounts the fake did not attach
  std::map<std::string, int> created_;  // "dir/name" -> creations minus removals
  std::map<std::string, MountFlags> attrs_, attrs_before_;
  std::map<std::string, std::string> contents_, contents_before_;
  std::map<std::string, mode_t> modes_, modes_before_;
  std::map<std::string, std::string> propagation_, propagation_before_;
  std::optional<std::string> hostname_;
  std::string hostname_before_;
  std::string cwd_ = "/";
  std::string root_ = "/";  // the origin of the handle that was the cwd at the last pivot
  static constexpr mode_t kInitialUmask = 022;
  mode_t umask_ = kInitialUmask;
};

}  // namespace rootfsctl::testing
