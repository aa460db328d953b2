// The caller's side of the namespace helper (docs/architecture.md §4): a Syscalls whose
// every call is performed by rootfsctl-nshelper, the process inside the target's user and
// mount namespaces. Descriptors in arguments travel as SCM_RIGHTS, so the helper works on
// its own copies of them; descriptors in answers come back the same way.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "exec/nshelper_protocol.h"
#include "exec/syscalls.h"

namespace rootfsctl::exec::nshelper {

class Call;
struct Answer;

class ProxySyscalls final : public Syscalls {
 public:
  /// Talks over `sock`, which the caller keeps open for the proxy's lifetime.
  explicit ProxySyscalls(int sock) : sock_(sock) {}

  /// The first request: the helper enters the namespaces `user_ns` and `mnt_ns` and
  /// becomes their root; `who` names the target in its errors ("process 42"). The
  /// helper's own error (stage setns) when it could not, a kFork error when it did not
  /// answer.
  Result<void> enter(int user_ns, int mnt_ns, std::string_view who);
  /// Set once the helper is gone or spoke nonsense: every later call fails with it.
  const std::optional<Error>& broken() const { return broken_; }

  Result<UniqueFd> pidfd_open(pid_t pid) override;
  Result<void> pidfd_send_signal(int pidfd, int signal) override;
  Result<UniqueFd> open_path(std::string_view path, int flags) override;
  Result<void> setns(int fd, int nstype) override;
  Result<void> unshare(int flags) override;
  mode_t umask(mode_t mask) override;
  Result<void> clear_groups() override;
  Result<void> setresgid(gid_t gid) override;
  Result<void> setresuid(uid_t uid) override;
  Result<UniqueFd> openat2(int dirfd, std::string_view path, int flags, mode_t mode,
                           std::uint32_t resolve) override;
  Result<void> mkdirat(int dirfd, std::string_view name, mode_t mode) override;
  Result<void> symlinkat(std::string_view target, int dirfd, std::string_view name) override;
  Result<void> unlinkat(int dirfd, std::string_view name, bool remove_dir) override;
  Result<struct stat> fstatat(int dirfd, std::string_view name) override;
  Result<void> fchmodat(int dirfd, std::string_view name, mode_t mode) override;
  Result<void> write_all(int fd, std::string_view data) override;
  Result<std::string> read_all(int fd, std::size_t limit) override;
  Result<void> fchdir(int fd) override;
  Result<void> chdir(std::string_view path) override;
  Result<void> chroot(std::string_view path) override;
  Result<void> sethostname(std::string_view name) override;
  Result<UniqueFd> fsopen(std::string_view fstype) override;
  Result<void> fsconfig(int fsfd, FsConfig command, std::string_view key, std::string_view value,
                        int aux) override;
  Result<UniqueFd> fsmount(int fsfd, MountFlags attributes) override;
  Result<UniqueFd> open_tree_clone(int dirfd, std::string_view path, bool recursive) override;
  Result<void> move_mount(int from_fd, int to_fd) override;
  Result<void> move_mount_set_group(int from_fd, int to_fd) override;
  Result<void> mount_setattr(int fd, bool recursive, MountFlags set, MountFlags clear,
                             std::optional<Propagation> propagation) override;
  Result<void> mount_setattr_idmap(int fd, bool recursive, int userns_fd) override;
  Result<UniqueFd> user_namespace_with_maps(std::string_view uid_map,
                                            std::string_view gid_map) override;
  Result<void> set_propagation(std::string_view path, Propagation propagation,
                               bool recursive) override;
  Result<MountFlags> mount_flags(int fd) override;
  Result<std::uint64_t> mount_id(int fd) override;
  Result<void> umount(std::string_view path, bool detach) override;
  Result<void> umount_fd(int proc_fd, int fd, bool detach) override;
  Result<UniqueFd> open_procfs() override;
  Result<UniqueFd> reopen(int proc_fd, int fd, int flags) override;
  Result<std::uint64_t> fs_type(int fd) override;
  Result<void> replace_content(int fd, std::string_view data) override;
  Result<void> pivot_root(std::string_view new_root, std::string_view put_old) override;

 private:
  /// One round trip: the answer when the helper said ok, its Error when it said no.
  Result<Answer> exchange(const Call& call);
  Error fail(Error error);
  Result<void> as_void(Result<Answer> answer);
  Result<UniqueFd> as_fd(Result<Answer> answer);
  Result<std::uint64_t> as_u64(Result<Answer> answer);
  Result<std::string> as_string(Result<Answer> answer);

  int sock_;
  std::optional<Error> broken_;
};

}  // namespace rootfsctl::exec::nshelper
