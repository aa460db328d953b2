// rootfsctl-nshelper's loop (nshelper_server.h): one request, one call, one answer.
#include "exec/nshelper_server.h"

#include <sched.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "exec/nshelper_protocol.h"

namespace rootfsctl::exec::nshelper {
namespace {

/// A request's arguments. A descriptor argument indexes the descriptors that came with
/// it (negative ones are literal: AT_FDCWD); an index out of range makes the request
/// malformed, as does anything left over or missing, checked before the call is made.
class Args {
 public:
  Args(std::string_view payload, const std::vector<UniqueFd>& fds) : in_(payload), fds_(fds) {}
  int fd() {
    const std::int32_t v = in_.i32();
    if (v < 0) return v;
    if (static_cast<std::size_t>(v) >= fds_.size()) {
      bad_ = true;
      return -1;
    }
    return fds_[static_cast<std::size_t>(v)].get();
  }
  std::int32_t i32() { return in_.i32(); }
  std::uint32_t u32() { return in_.u32(); }
  std::uint64_t u64() { return in_.u64(); }
  bool flag() { return in_.u8() != 0; }
  std::uint8_t u8() { return in_.u8(); }
  std::string_view str() { return in_.str(); }
  /// Every argument read and valid, nothing left over.
  bool ok() const { return !bad_ && in_.done(); }
  void refuse() { bad_ = true; }

 private:
  Reader in_;
  const std::vector<UniqueFd>& fds_;
  bool bad_ = false;
};

/// An answer to send, and the descriptors that go with it.
struct Reply {
  std::string payload;
  std::vector<UniqueFd> fds;
};
using MaybeReply = std::optional<Reply>;  // nullopt: the request was malformed

Reply error_reply(const Error& error) {
  Writer out;
  out.u8(static_cast<std::uint8_t>(Status::kError));
  put_error(out, error);
  return {out.take(), {}};
}

Writer ok_writer() {
  Writer out;
  out.u8(static_cast<std::uint8_t>(Status::kOk));
  return out;
}

Reply reply(const Result<void>& result) {
  return result ? Reply{ok_writer().take(), {}} : error_reply(result.error());
}

Reply reply(Result<UniqueFd> result) {
  if (!result) return error_reply(result.error());
  Reply out{ok_writer().take(), {}};
  out.fds.push_back(std::move(*result));
  return out;
}

Reply reply_u64(const Result<std::uint64_t>& result) {
  return result ? Reply{ok_writer().u64(*result).take(), {}} : error_reply(result.error());
}

Reply reply(const Result<std::string>& result) {
  return result ? Reply{ok_writer().str(*result).take(), {}} : error_reply(result.error());
}

Reply reply(const Result<struct stat>& result) {
  if (!result) return error_reply(result.error());
  std::string bytes(sizeof(struct stat), '\0');
  std::memcpy(bytes.data(), &*result, sizeof(struct stat));
  return {ok_writer().str(bytes).take(), {}};
}

// The calls, in the interface's groups; each decodes its arguments in order, checks them,
// then makes the call.
MaybeReply files(Syscalls& sys, Method method, Args& a);
MaybeReply mounts(Syscalls& sys, Method method, Args& a);
MaybeReply handles(Syscalls& sys, Method method, Args& a);

MaybeReply paths(Syscalls& sys, Method method, Args& a);

MaybeReply processes(Syscalls& sys, Method method, Args& a) {
  switch (method) {
    case Method::kPidfdOpen: {
      const pid_t pid = a.i32();
      return a.ok() ? MaybeReply(reply(sys.pidfd_open(pid))) : std::nullopt;
    }
    case Method::kPidfdSendSignal: {
      const int pidfd = a.fd();
      const int signal = a.i32();
      return a.ok() ? MaybeReply(reply(sys.pidfd_send_signal(pidfd, signal))) : std::nullopt;
    }
    case Method::kOpenPath: {
      const auto path = a.str();
      const int flags = a.i32();
      return a.ok() ? MaybeReply(reply(sys.open_path(path, flags))) : std::nullopt;
    }
    case Method::kSetns: {
      const int fd = a.fd();
      const int nstype = a.i32();
      return a.ok() ? MaybeReply(reply(sys.setns(fd, nstype))) : std::nullopt;
    }
    case Method::kUnshare: {
      const int flags = a.i32();
      return a.ok() ? MaybeReply(reply(sys.unshare(flags))) : std::nullopt;
    }
    case Method::kUmask: {
      const mode_t mask = a.u32();
      return a.ok() ? MaybeReply(reply_u64(sys.umask(mask))) : std::nullopt;
    }
    case Method::kClearGroups:
      return a.ok() ? MaybeReply(reply(sys.clear_groups())) : std::nullopt;
    case Method::kSetresgid: {
      const gid_t gid = a.u32();
      return a.ok() ? MaybeReply(reply(sys.setresgid(gid))) : std::nullopt;
    }
    case Method::kSetresuid: {
      const uid_t uid = a.u32();
      return a.ok() ? MaybeReply(reply(sys.setresuid(uid))) : std::nullopt;
    }
    default:
      return paths(sys, method, a);
  }
}

MaybeReply paths(Syscalls& sys, Method method, Args& a) {
  switch (method) {
    case Method::kOpenat2: {
      const int dirfd = a.fd();
      const auto path = a.str();
      const int flags = a.i32();
      const mode_t mode = a.u32();
      const std::uint32_t resolve = a.u32();
      return a.ok() ? MaybeReply(reply(sys.openat2(dirfd, path, flags, mode, resolve)))
                    : std::nullopt;
    }
    case Method::kMkdirat: {
      const int dirfd = a.fd();
      const auto name = a.str();
      const mode_t mode = a.u32();
      return a.ok() ? MaybeReply(reply(sys.mkdirat(dirfd, name, mode))) : std::nullopt;
    }
    case Method::kSymlinkat: {
      const auto target = a.str();
      const int dirfd = a.fd();
      const auto name = a.str();
      return a.ok() ? MaybeReply(reply(sys.symlinkat(target, dirfd, name))) : std::nullopt;
    }
    case Method::kUnlinkat: {
      const int dirfd = a.fd();
      const auto name = a.str();
      const bool remove_dir = a.flag();
      return a.ok() ? MaybeReply(reply(sys.unlinkat(dirfd, name, remove_dir))) : std::nullopt;
    }
    case Method::kFstatat: {
      const int dirfd = a.fd();
      const auto name = a.str();
      return a.ok() ? MaybeReply(reply(sys.fstatat(dirfd, name))) : std::nullopt;
    }
    case Method::kFchmodat: {
      const int dirfd = a.fd();
      const auto name = a.str();
      const mode_t mode = a.u32();
      return a.ok() ? MaybeReply(reply(sys.fchmodat(dirfd, name, mode))) : std::nullopt;
    }
    default:
      return files(sys, method, a);
  }
}

MaybeReply files(Syscalls& sys, Method method, Args& a) {
  switch (method) {
    case Method::kWriteAll: {
      const int fd = a.fd();
      const auto data = a.str();
      return a.ok() ? MaybeReply(reply(sys.write_all(fd, data))) : std::nullopt;
    }
    case Method::kReadAll: {
      const int fd = a.fd();
      // The answer must fit in a message: the largest read the seam makes does.
      const auto limit = std::min<std::uint64_t>(a.u64(), kMaxPayload - 64);
      return a.ok() ? MaybeReply(reply(sys.read_all(fd, limit))) : std::nullopt;
    }
    case Method::kFchdir: {
      const int fd = a.fd();
      return a.ok() ? MaybeReply(reply(sys.fchdir(fd))) : std::nullopt;
    }
    case Method::kChdir: {
      const auto path = a.str();
      return a.ok() ? MaybeReply(reply(sys.chdir(path))) : std::nullopt;
    }
    case Method::kChroot: {
      const auto path = a.str();
      return a.ok() ? MaybeReply(reply(sys.chroot(path))) : std::nullopt;
    }
    case Method::kSethostname: {
      const auto name = a.str();
      return a.ok() ? MaybeReply(reply(sys.sethostname(name))) : std::nullopt;
    }
    default:
      return mounts(sys, method, a);
  }
}

std::optional<Propagation> propagation_arg(Args& a) {
  const std::uint32_t value = a.u32();
  if (value > static_cast<std::uint32_t>(Propagation::kUnbindable)) a.refuse();
  return static_cast<Propagation>(value);
}

Result<void> fsconfig_call(Syscalls& sys, Args& a, bool& ok) {
  const int fsfd = a.fd();
  const std::uint32_t command = a.u32();
  const auto key = a.str();
  const auto value = a.str();
  const int aux = command == static_cast<std::uint32_t>(FsConfig::kSetFd) ? a.fd() : a.i32();
  if (command > static_cast<std::uint32_t>(FsConfig::kCreate)) a.refuse();
  ok = a.ok();
  if (!ok) return {};
  return sys.fsconfig(fsfd, static_cast<FsConfig>(command), key, value, aux);
}

MaybeReply mount_setattr_call(Syscalls& sys, Args& a) {
  const int fd = a.fd();
  const bool recursive = a.flag();
  const MountFlags set = a.u32();
  const MountFlags clear = a.u32();
  const std::uint32_t change = a.u32();
  if (change > 1 + static_cast<std::uint32_t>(Propagation::kUnbindable)) a.refuse();
  if (!a.ok()) return std::nullopt;
  std::optional<Propagation> propagation;
  if (change > 0) propagation = static_cast<Propagation>(change - 1);
  return reply(sys.mount_setattr(fd, recursive, set, clear, propagation));
}

MaybeReply mounts(Syscalls& sys, Method method, Args& a) {
  switch (method) {
    case Method::kFsopen: {
      const auto fstype = a.str();
      return a.ok() ? MaybeReply(reply(sys.fsopen(fstype))) : std::nullopt;
    }
    case Method::kFsconfig: {
      bool ok = false;
      auto done = fsconfig_call(sys, a, ok);
      return ok ? MaybeReply(reply(done)) : std::nullopt;
    }
    case Method::kFsmount: {
      const int fsfd = a.fd();
      const MountFlags attributes = a.u32();
      return a.ok() ? MaybeReply(reply(sys.fsmount(fsfd, attributes))) : std::nullopt;
    }
    case Method::kOpenTreeClone: {
      const int dirfd = a.fd();
      const auto path = a.str();
      const bool recursive = a.flag();
      return a.ok() ? MaybeReply(reply(sys.open_tree_clone(dirfd, path, recursive))) : std::nullopt;
    }
    case Method::kMoveMount:
    case Method::kMoveMountSetGroup: {
      const int from = a.fd();
      const int to = a.fd();
      if (!a.ok()) return std::nullopt;
      return reply(method == Method::kMoveMount ? sys.move_mount(from, to)
                                                : sys.move_mount_set_group(from, to));
    }
    case Method::kMountSetattr:
      return mount_setattr_call(sys, a);
    case Method::kMountSetattrIdmap: {
      const int fd = a.fd();
      const bool recursive = a.flag();
      const int userns = a.fd();
      return a.ok() ? MaybeReply(reply(sys.mount_setattr_idmap(fd, recursive, userns)))
                    : std::nullopt;
    }
    case Method::kUserNamespaceWithMaps: {
      const auto uid_map = a.str();
      const auto gid_map = a.str();
      return a.ok() ? MaybeReply(reply(sys.user_namespace_with_maps(uid_map, gid_map)))
                    : std::nullopt;
    }
    default:
      return handles(sys, method, a);
  }
}

MaybeReply handles(Syscalls& sys, Method method, Args& a) {
  switch (method) {
    case Method::kSetPropagation: {
      const auto path = a.str();
      const auto propagation = propagation_arg(a);
      const bool recursive = a.flag();
      return a.ok() ? MaybeReply(reply(sys.set_propagation(path, *propagation, recursive)))
                    : std::nullopt;
    }
    case Method::kMountFlags: {
      const int fd = a.fd();
      if (!a.ok()) return std::nullopt;
      auto flags = sys.mount_flags(fd);
      return flags ? reply_u64(*flags) : error_reply(flags.error());
    }
    case Method::kMountId:
    case Method::kFsType: {
      const int fd = a.fd();
      if (!a.ok()) return std::nullopt;
      return reply_u64(method == Method::kMountId ? sys.mount_id(fd) : sys.fs_type(fd));
    }
    case Method::kUmount: {
      const auto path = a.str();
      const bool detach = a.flag();
      return a.ok() ? MaybeReply(reply(sys.umount(path, detach))) : std::nullopt;
    }
    case Method::kUmountFd: {
      const int proc_fd = a.fd();
      const int fd = a.fd();
      const bool detach = a.flag();
      return a.ok() ? MaybeReply(reply(sys.umount_fd(proc_fd, fd, detach))) : std::nullopt;
    }
    case Method::kOpenProcfs:
      return a.ok() ? MaybeReply(reply(sys.open_procfs())) : std::nullopt;
    case Method::kReopen: {
      const int proc_fd = a.fd();
      const int fd = a.fd();
      const int flags = a.i32();
      return a.ok() ? MaybeReply(reply(sys.reopen(proc_fd, fd, flags))) : std::nullopt;
    }
    case Method::kReplaceContent: {
      const int fd = a.fd();
      const auto data = a.str();
      return a.ok() ? MaybeReply(reply(sys.replace_content(fd, data))) : std::nullopt;
    }
    case Method::kPivotRoot: {
      const auto new_root = a.str();
      const auto put_old = a.str();
      return a.ok() ? MaybeReply(reply(sys.pivot_root(new_root, put_old))) : std::nullopt;
    }
    default:
      return std::nullopt;  // kEnter after entering, or no method at all
  }
}

/// Drops the caller's supplementary groups before entering: unmapped in the target's user
/// namespace, they would still grant the host's group permissions there, and setgroups(2)
/// may be denied inside (/proc/N/setgroups "deny", as a runtime leaves it). A caller
/// without CAP_SETGID (rootless, applying to its own user namespace) cannot drop them and
/// gains nothing by it: they are its own groups, so EPERM leaves them.
Result<void> drop_groups(Syscalls& sys) {
  auto dropped = sys.clear_groups();
  if (dropped || dropped.error().errno_value == EPERM) return {};
  return std::unexpected(dropped.error().wrap("helper: drop the supplementary groups"));
}

/// The first request: kEnter with the two namespace fds and the target's name; nullopt
/// when it is anything else.
std::optional<Result<void>> enter_request(Syscalls& sys, const Message& message) {
  Args a(message.payload, message.fds);
  const auto method = static_cast<Method>(a.u8());
  const int user_ns = a.fd();
  const int mnt_ns = a.fd();
  const auto who = a.str();
  if (method != Method::kEnter || !a.ok()) return std::nullopt;
  return enter_user_and_mount_ns(sys, user_ns, mnt_ns, who);
}

/// A call after entering: its answer, or nullopt when the request is malformed (kEnter
/// again included: it falls through every group).
MaybeReply call_request(Syscalls& sys, const Message& message) {
  Args a(message.payload, message.fds);
  const std::uint8_t method = a.u8();
  if (method == 0 || method > static_cast<std::uint8_t>(Method::kLast)) return std::nullopt;
  return processes(sys, static_cast<Method>(method), a);
}

Result<void> send_reply(int sock, const Reply& reply) {
  std::vector<int> fds;
  for (const auto& fd : reply.fds) fds.push_back(fd.get());
  return send_message(sock, reply.payload, fds);
}

}  // namespace

/// setns into the user namespace, then the mount namespace, then become that namespace's
/// root. Only a single-threaded process may join a user namespace (setns(2), EINVAL
/// otherwise) — hence a helper process; once in, it holds every capability of that
/// namespace, which the mount namespace it owns requires (CAP_SYS_ADMIN there,
/// CAP_SYS_CHROOT in the caller's, setns(2)). Its ids stay the caller's, though, and the
/// host's root is unmapped in a container's namespace: a file created with an unmapped
/// fsuid fails with EOVERFLOW (issue 17). So, as nsenter -U and runc do, the helper then
/// takes uid and gid 0 of the target's namespace; gid first, while it may still change it.
Result<void> enter_user_and_mount_ns(Syscalls& sys, int user_ns, int mnt_ns, std::string_view who) {
  if (auto groups = drop_groups(sys); !groups) return groups;
  const std::string target(who);
  if (auto user = sys.setns(user_ns, CLONE_NEWUSER); !user) {
    return std::unexpected(user.error().wrap("helper: enter the user namespace of " + target));
  }
  if (auto mnt = sys.setns(mnt_ns, CLONE_NEWNS); !mnt) {
    return std::unexpected(mnt.error().wrap("helper: enter the mount namespace of " + target));
  }
  const std::string as_root = "helper: act as root of the user namespace of " + target;
  if (auto gid = sys.setresgid(0); !gid) return std::unexpected(gid.error().wrap(as_root));
  if (auto uid = sys.setresuid(0); !uid) return std::unexpected(uid.error().wrap(as_root));
  return {};
}

int serve(Syscalls& sys, int sock) {
  {
    auto first = receive_message(sock);
    if (!first || !*first) return kProtocolError;
    auto entered = enter_request(sys, **first);
    if (!entered || !send_reply(sock, reply(*entered))) return kProtocolError;
    if (!*entered) return kEnterFailed;
  }  // the namespace fds are closed here: the helper is inside now
  while (true) {
    auto request = receive_message(sock);
    if (!request) return kProtocolError;
    if (!*request) return kServedToTheEnd;
    auto answer = call_request(sys, **request);
    if (!answer || !send_reply(sock, *answer)) return kProtocolError;
  }
}

}  // namespace rootfsctl::exec::nshelper
