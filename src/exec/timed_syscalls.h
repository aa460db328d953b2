// A Syscalls decorator that counts the calls going through the seam and the wall time
// spent inside them, so an apply can say how much of its time the kernel work takes
// (issue 7: "apply --pid: the time and the share spent in syscalls"). Two steady_clock
// reads per call (vDSO, tens of nanoseconds) against calls of microseconds.
#pragma once

#include <chrono>
#include <type_traits>
#include <utility>

#include "exec/syscalls.h"

namespace rootfsctl::exec::detail {

class TimedSyscalls final : public Syscalls {
 public:
  explicit TimedSyscalls(Syscalls& inner) : inner_(inner) {}

  int calls() const { return calls_; }
  double milliseconds() const { return std::chrono::duration<double, std::milli>(spent_).count(); }

  Result<UniqueFd> pidfd_open(pid_t pid) override {
    return timed([&] { return inner_.pidfd_open(pid); });
  }
  Result<void> pidfd_send_signal(int pidfd, int signal) override {
    return timed([&] { return inner_.pidfd_send_signal(pidfd, signal); });
  }
  Result<UniqueFd> open_path(std::string_view path, int flags) override {
    return timed([&] { return inner_.open_path(path, flags); });
  }
  Result<void> setns(int fd, int nstype) override {
    return timed([&] { return inner_.setns(fd, nstype); });
  }
  Result<void> unshare(int flags) override {
    return timed([&] { return inner_.unshare(flags); });
  }
  mode_t umask(mode_t mask) override {
    return timed([&] { return inner_.umask(mask); });
  }
  Result<void> clear_groups() override {
    return timed([&] { return inner_.clear_groups(); });
  }
  Result<void> setresgid(gid_t gid) override {
    return timed([&] { return inner_.setresgid(gid); });
  }
  Result<void> setresuid(uid_t uid) override {
    return timed([&] { return inner_.setresuid(uid); });
  }
  Result<UniqueFd> openat2(int dirfd, std::string_view path, int flags, mode_t mode,
                           std::uint32_t resolve) override {
    return timed([&] { return inner_.openat2(dirfd, path, flags, mode, resolve); });
  }
  Result<void> mkdirat(int dirfd, std::string_view name, mode_t mode) override {
    return timed([&] { return inner_.mkdirat(dirfd, name, mode); });
  }
  Result<void> symlinkat(std::string_view target, int dirfd, std::string_view name) override {
    return timed([&] { return inner_.symlinkat(target, dirfd, name); });
  }
  Result<void> unlinkat(int dirfd, std::string_view name, bool remove_dir) override {
    return timed([&] { return inner_.unlinkat(dirfd, name, remove_dir); });
  }
  Result<struct stat> fstatat(int dirfd, std::string_view name) override {
    return timed([&] { return inner_.fstatat(dirfd, name); });
  }
  Result<void> fchmodat(int dirfd, std::string_view name, mode_t mode) override {
    return timed([&] { return inner_.fchmodat(dirfd, name, mode); });
  }
  Result<void> write_all(int fd, std::string_view data) override {
    return timed([&] { return inner_.write_all(fd, data); });
  }
  Result<std::string> read_all(int fd, std::size_t limit) override {
    return timed([&] { return inner_.read_all(fd, limit); });
  }
  Result<void> fchdir(int fd) override {
    return timed([&] { return inner_.fchdir(fd); });
  }
  Result<void> chdir(std::string_view path) override {
    return timed([&] { return inner_.chdir(path); });
  }
  Result<void> chroot(std::string_view path) override {
    return timed([&] { return inner_.chroot(path); });
  }
  Result<void> sethostname(std::string_view name) override {
    return timed([&] { return inner_.sethostname(name); });
  }
  Result<UniqueFd> fsopen(std::string_view fstype) override {
    return timed([&] { return inner_.fsopen(fstype); });
  }
  Result<void> fsconfig(int fsfd, FsConfig command, std::string_view key, std::string_view value,
                        int aux) override {
    return timed([&] { return inner_.fsconfig(fsfd, command, key, value, aux); });
  }
  Result<UniqueFd> fsmount(int fsfd, MountFlags attributes) override {
    return timed([&] { return inner_.fsmount(fsfd, attributes); });
  }
  Result<UniqueFd> open_tree_clone(int dirfd, std::string_view path, bool recursive) override {
    return timed([&] { return inner_.open_tree_clone(dirfd, path, recursive); });
  }
  Result<void> move_mount(int from_fd, int to_fd) override {
    return timed([&] { return inner_.move_mount(from_fd, to_fd); });
  }
  Result<void> mount_setattr(int fd, bool recursive, MountFlags set, MountFlags clear,
                             std::optional<Propagation> propagation) override {
    return timed([&] { return inner_.mount_setattr(fd, recursive, set, clear, propagation); });
  }
  Result<void> set_propagation(std::string_view path, Propagation propagation,
                               bool recursive) override {
    return timed([&] { return inner_.set_propagation(path, propagation, recursive); });
  }
  Result<MountFlags> mount_flags(int fd) override {
    return timed([&] { return inner_.mount_flags(fd); });
  }
  Result<void> mount_setattr_idmap(int fd, bool recursive, int userns_fd) override {
    return timed([&] { return inner_.mount_setattr_idmap(fd, recursive, userns_fd); });
  }
  Result<UniqueFd> user_namespace_with_maps(std::string_view uid_map,
                                            std::string_view gid_map) override {
    return timed([&] { return inner_.user_namespace_with_maps(uid_map, gid_map); });
  }
  Result<void> move_mount_set_group(int from_fd, int to_fd) override {
    return timed([&] { return inner_.move_mount_set_group(from_fd, to_fd); });
  }
  Result<void> umount_fd(int proc_fd, int fd, bool detach) override {
    return timed([&] { return inner_.umount_fd(proc_fd, fd, detach); });
  }
  Result<UniqueFd> open_procfs() override {
    return timed([&] { return inner_.open_procfs(); });
  }
  Result<UniqueFd> reopen(int proc_fd, int fd, int flags) override {
    return timed([&] { return inner_.reopen(proc_fd, fd, flags); });
  }
  Result<std::uint64_t> fs_type(int fd) override {
    return timed([&] { return inner_.fs_type(fd); });
  }
  Result<void> replace_content(int fd, std::string_view data) override {
    return timed([&] { return inner_.replace_content(fd, data); });
  }
  Result<std::uint64_t> mount_id(int fd) override {
    return timed([&] { return inner_.mount_id(fd); });
  }
  Result<void> umount(std::string_view path, bool detach) override {
    return timed([&] { return inner_.umount(path, detach); });
  }
  Result<void> pivot_root(std::string_view new_root, std::string_view put_old) override {
    return timed([&] { return inner_.pivot_root(new_root, put_old); });
  }

 private:
  template <typename Call>
  std::invoke_result_t<Call> timed(Call call) {
    auto start = std::chrono::steady_clock::now();
    auto result = call();
    spent_ += std::chrono::steady_clock::now() - start;
    ++calls_;
    return result;
  }

  Syscalls& inner_;
  int calls_ = 0;
  std::chrono::steady_clock::duration spent_{};
};

}  // namespace rootfsctl::exec::detail
