// ProxySyscalls: every call one request to the namespace helper and one answer
// (nshelper_protocol.h for the format, nshelper_server.cc for the other side).
#include "exec/nshelper_proxy.h"

#include <cstring>
#include <vector>

namespace rootfsctl::exec::nshelper {

/// A request being built: the method, its arguments, and the descriptors that go with it.
/// A descriptor argument is its index among them; a negative one (AT_FDCWD, -1) is sent
/// as it is, to mean the same in the helper.
class Call {
 public:
  explicit Call(Method method) : method_(method) { out_.u8(static_cast<std::uint8_t>(method)); }
  Call& fd(int fd) {
    if (fd < 0) {
      out_.i32(fd);
    } else {
      out_.i32(static_cast<std::int32_t>(fds_.size()));
      fds_.push_back(fd);
    }
    return *this;
  }
  Call& i32(std::int32_t v) { return out_.i32(v), *this; }
  Call& u32(std::uint32_t v) { return out_.u32(v), *this; }
  Call& u64(std::uint64_t v) { return out_.u64(v), *this; }
  Call& flag(bool v) { return out_.u8(v ? 1 : 0), *this; }
  Call& str(std::string_view s) { return out_.str(s), *this; }
  Method method() const { return method_; }
  const std::string& payload() const { return out_.bytes(); }
  const std::vector<int>& fds() const { return fds_; }

 private:
  Method method_;
  Writer out_;
  std::vector<int> fds_;
};

/// An ok answer: the value's bytes after the status, and any descriptors.
struct Answer {
  Method method;
  std::string payload;
  std::vector<UniqueFd> fds;
  Reader value() const { return Reader(std::string_view(payload).substr(1)); }
};

namespace {

Error malformed(Method method) {
  return make_error(Stage::kFork,
                    "namespace helper: a malformed answer to " + std::string(method_name(method)));
}

}  // namespace

Error ProxySyscalls::fail(Error error) {
  broken_ = error;
  return error;
}

Result<Answer> ProxySyscalls::exchange(const Call& call) {
  if (broken_) return std::unexpected(*broken_);
  if (auto sent = send_message(sock_, call.payload(), call.fds()); !sent) {
    return std::unexpected(fail(sent.error()));
  }
  auto received = receive_message(sock_);
  if (!received) return std::unexpected(fail(received.error()));
  if (!*received) {
    return std::unexpected(
        fail(make_error(Stage::kFork, "namespace helper: gone before answering " +
                                          std::string(method_name(call.method())))));
  }
  Answer answer{call.method(), std::move((*received)->payload), std::move((*received)->fds)};
  Reader in(answer.payload);
  const auto status = static_cast<Status>(in.u8());
  if (in.failed()) return std::unexpected(fail(malformed(call.method())));
  if (status == Status::kOk) return answer;
  auto error = status == Status::kError ? get_error(in) : std::nullopt;
  if (!error || !in.done() || !answer.fds.empty()) {
    return std::unexpected(fail(malformed(call.method())));
  }
  return std::unexpected(*error);
}

Result<void> ProxySyscalls::as_void(Result<Answer> answer) {
  if (!answer) return std::unexpected(answer.error());
  if (!answer->value().done() || !answer->fds.empty()) {
    return std::unexpected(fail(malformed(answer->method)));
  }
  return {};
}

Result<UniqueFd> ProxySyscalls::as_fd(Result<Answer> answer) {
  if (!answer) return std::unexpected(answer.error());
  if (!answer->value().done() || answer->fds.size() != 1) {
    return std::unexpected(fail(malformed(answer->method)));
  }
  return std::move(answer->fds.front());
}

Result<std::uint64_t> ProxySyscalls::as_u64(Result<Answer> answer) {
  if (!answer) return std::unexpected(answer.error());
  Reader in = answer->value();
  const std::uint64_t value = in.u64();
  if (!in.done() || !answer->fds.empty()) return std::unexpected(fail(malformed(answer->method)));
  return value;
}

Result<std::string> ProxySyscalls::as_string(Result<Answer> answer) {
  if (!answer) return std::unexpected(answer.error());
  Reader in = answer->value();
  std::string value(in.str());
  if (!in.done() || !answer->fds.empty()) return std::unexpected(fail(malformed(answer->method)));
  return value;
}

Result<void> ProxySyscalls::enter(int user_ns, int mnt_ns, std::string_view who) {
  return as_void(exchange(Call(Method::kEnter).fd(user_ns).fd(mnt_ns).str(who)));
}

Result<UniqueFd> ProxySyscalls::pidfd_open(pid_t pid) {
  return as_fd(exchange(Call(Method::kPidfdOpen).i32(pid)));
}

Result<void> ProxySyscalls::pidfd_send_signal(int pidfd, int signal) {
  return as_void(exchange(Call(Method::kPidfdSendSignal).fd(pidfd).i32(signal)));
}

Result<UniqueFd> ProxySyscalls::open_path(std::string_view path, int flags) {
  return as_fd(exchange(Call(Method::kOpenPath).str(path).i32(flags)));
}

Result<void> ProxySyscalls::setns(int fd, int nstype) {
  return as_void(exchange(Call(Method::kSetns).fd(fd).i32(nstype)));
}

Result<void> ProxySyscalls::unshare(int flags) {
  return as_void(exchange(Call(Method::kUnshare).i32(flags)));
}

/// umask cannot fail in the interface; with the helper gone, every later call fails
/// anyway, so the mask asked for is as good an answer as any.
mode_t ProxySyscalls::umask(mode_t mask) {
  auto old = as_u64(exchange(Call(Method::kUmask).u32(mask)));
  return old ? static_cast<mode_t>(*old) : mask;
}

Result<void> ProxySyscalls::clear_groups() { return as_void(exchange(Call(Method::kClearGroups))); }

Result<void> ProxySyscalls::setresgid(gid_t gid) {
  return as_void(exchange(Call(Method::kSetresgid).u32(gid)));
}

Result<void> ProxySyscalls::setresuid(uid_t uid) {
  return as_void(exchange(Call(Method::kSetresuid).u32(uid)));
}

Result<UniqueFd> ProxySyscalls::openat2(int dirfd, std::string_view path, int flags, mode_t mode,
                                        std::uint32_t resolve) {
  return as_fd(
      exchange(Call(Method::kOpenat2).fd(dirfd).str(path).i32(flags).u32(mode).u32(resolve)));
}

Result<void> ProxySyscalls::mkdirat(int dirfd, std::string_view name, mode_t mode) {
  return as_void(exchange(Call(Method::kMkdirat).fd(dirfd).str(name).u32(mode)));
}

Result<void> ProxySyscalls::symlinkat(std::string_view target, int dirfd, std::string_view name) {
  return as_void(exchange(Call(Method::kSymlinkat).str(target).fd(dirfd).str(name)));
}

Result<void> ProxySyscalls::unlinkat(int dirfd, std::string_view name, bool remove_dir) {
  return as_void(exchange(Call(Method::kUnlinkat).fd(dirfd).str(name).flag(remove_dir)));
}

/// struct stat as the helper's bytes: both ends are one build for one machine.
Result<struct stat> ProxySyscalls::fstatat(int dirfd, std::string_view name) {
  auto bytes = as_string(exchange(Call(Method::kFstatat).fd(dirfd).str(name)));
  if (!bytes) return std::unexpected(bytes.error());
  struct stat st {};
  if (bytes->size() != sizeof st) return std::unexpected(fail(malformed(Method::kFstatat)));
  std::memcpy(&st, bytes->data(), sizeof st);
  return st;
}

Result<void> ProxySyscalls::fchmodat(int dirfd, std::string_view name, mode_t mode) {
  return as_void(exchange(Call(Method::kFchmodat).fd(dirfd).str(name).u32(mode)));
}

Result<void> ProxySyscalls::write_all(int fd, std::string_view data) {
  return as_void(exchange(Call(Method::kWriteAll).fd(fd).str(data)));
}

Result<std::string> ProxySyscalls::read_all(int fd, std::size_t limit) {
  return as_string(exchange(Call(Method::kReadAll).fd(fd).u64(limit)));
}

Result<void> ProxySyscalls::fchdir(int fd) {
  return as_void(exchange(Call(Method::kFchdir).fd(fd)));
}

Result<void> ProxySyscalls::chdir(std::string_view path) {
  return as_void(exchange(Call(Method::kChdir).str(path)));
}

Result<void> ProxySyscalls::chroot(std::string_view path) {
  return as_void(exchange(Call(Method::kChroot).str(path)));
}

Result<void> ProxySyscalls::sethostname(std::string_view name) {
  return as_void(exchange(Call(Method::kSethostname).str(name)));
}

Result<UniqueFd> ProxySyscalls::fsopen(std::string_view fstype) {
  return as_fd(exchange(Call(Method::kFsopen).str(fstype)));
}

/// `aux` is a descriptor only for kSetFd; otherwise it is sent as the number it is.
Result<void> ProxySyscalls::fsconfig(int fsfd, FsConfig command, std::string_view key,
                                     std::string_view value, int aux) {
  Call call(Method::kFsconfig);
  call.fd(fsfd).u32(static_cast<std::uint32_t>(command)).str(key).str(value);
  if (command == FsConfig::kSetFd) {
    call.fd(aux);
  } else {
    call.i32(aux);
  }
  return as_void(exchange(call));
}

Result<UniqueFd> ProxySyscalls::fsmount(int fsfd, MountFlags attributes) {
  return as_fd(exchange(Call(Method::kFsmount).fd(fsfd).u32(attributes)));
}

Result<UniqueFd> ProxySyscalls::open_tree_clone(int dirfd, std::string_view path, bool recursive) {
  return as_fd(exchange(Call(Method::kOpenTreeClone).fd(dirfd).str(path).flag(recursive)));
}

Result<void> ProxySyscalls::move_mount(int from_fd, int to_fd) {
  return as_void(exchange(Call(Method::kMoveMount).fd(from_fd).fd(to_fd)));
}

Result<void> ProxySyscalls::move_mount_set_group(int from_fd, int to_fd) {
  return as_void(exchange(Call(Method::kMoveMountSetGroup).fd(from_fd).fd(to_fd)));
}

/// The propagation as 0 (unchanged) or 1 + its value.
Result<void> ProxySyscalls::mount_setattr(int fd, bool recursive, MountFlags set, MountFlags clear,
                                          std::optional<Propagation> propagation) {
  const std::uint32_t change = propagation ? 1 + static_cast<std::uint32_t>(*propagation) : 0;
  return as_void(
      exchange(Call(Method::kMountSetattr).fd(fd).flag(recursive).u32(set).u32(clear).u32(change)));
}

Result<void> ProxySyscalls::mount_setattr_idmap(int fd, bool recursive, int userns_fd) {
  return as_void(exchange(Call(Method::kMountSetattrIdmap).fd(fd).flag(recursive).fd(userns_fd)));
}

Result<UniqueFd> ProxySyscalls::user_namespace_with_maps(std::string_view uid_map,
                                                         std::string_view gid_map) {
  return as_fd(exchange(Call(Method::kUserNamespaceWithMaps).str(uid_map).str(gid_map)));
}

Result<void> ProxySyscalls::set_propagation(std::string_view path, Propagation propagation,
                                            bool recursive) {
  return as_void(exchange(Call(Method::kSetPropagation)
                              .str(path)
                              .u32(static_cast<std::uint32_t>(propagation))
                              .flag(recursive)));
}

Result<MountFlags> ProxySyscalls::mount_flags(int fd) {
  auto flags = as_u64(exchange(Call(Method::kMountFlags).fd(fd)));
  if (!flags) return std::unexpected(flags.error());
  return static_cast<MountFlags>(*flags);
}

Result<std::uint64_t> ProxySyscalls::mount_id(int fd) {
  return as_u64(exchange(Call(Method::kMountId).fd(fd)));
}

Result<void> ProxySyscalls::umount(std::string_view path, bool detach) {
  return as_void(exchange(Call(Method::kUmount).str(path).flag(detach)));
}

Result<void> ProxySyscalls::umount_fd(int proc_fd, int fd, bool detach) {
  return as_void(exchange(Call(Method::kUmountFd).fd(proc_fd).fd(fd).flag(detach)));
}

Result<UniqueFd> ProxySyscalls::open_procfs() { return as_fd(exchange(Call(Method::kOpenProcfs))); }

Result<UniqueFd> ProxySyscalls::reopen(int proc_fd, int fd, int flags) {
  return as_fd(exchange(Call(Method::kReopen).fd(proc_fd).fd(fd).i32(flags)));
}

Result<std::uint64_t> ProxySyscalls::fs_type(int fd) {
  return as_u64(exchange(Call(Method::kFsType).fd(fd)));
}

Result<void> ProxySyscalls::replace_content(int fd, std::string_view data) {
  return as_void(exchange(Call(Method::kReplaceContent).fd(fd).str(data)));
}

Result<void> ProxySyscalls::pivot_root(std::string_view new_root, std::string_view put_old) {
  return as_void(exchange(Call(Method::kPivotRoot).str(new_root).str(put_old)));
}

}  // namespace rootfsctl::exec::nshelper
