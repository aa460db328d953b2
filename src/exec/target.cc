// Pinning a target process (docs/architecture.md §4): a pid is only a name, and names are recycled.
// The start time read before and after opening everything, plus a pidfd signalled with
// 0 at the end, prove every fd opened in between belongs to one process.
#include "exec/target.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>

#include <charconv>
#include <string>
#include <string_view>

#include "exec/worker.h"
#include "mountinfo/live.h"
#include "mountinfo/mountinfo.h"

namespace rootfsctl::exec {
namespace {

// /proc/N/stat is one line: comm is at most 64 bytes, the numbers a few hundred more.
constexpr std::size_t kStatLimit = 4096;
// Field numbers in proc(5) "/proc/pid/stat", 1-based.
constexpr int kStateField = 3;
constexpr int kStartTimeField = 22;

std::string proc_path(pid_t pid, std::string_view rest) {
  return "/proc/" + std::to_string(pid) + "/" + std::string(rest);
}

Error pin_error(pid_t pid, std::string_view what, int errno_value = ESRCH) {
  return make_error(Stage::kOpenNs, "process " + std::to_string(pid) + " " + std::string(what),
                    errno_value);
}

/// ENOENT and ESRCH from /proc/N/... or pidfd_open mean the process is gone.
bool gone(const Error& error) { return error.errno_value == ENOENT || error.errno_value == ESRCH; }

/// Reads and parses /proc/N/stat; a process that is gone, a zombie or exiting is an error.
Result<ProcStat> live_stat(Syscalls& sys, pid_t pid) {
  auto fd = sys.open_path(proc_path(pid, "stat"), O_RDONLY);
  if (!fd) {
    if (gone(fd.error())) return std::unexpected(pin_error(pid, "does not exist"));
    return std::unexpected(fd.error());
  }
  auto text = sys.read_all(fd->get(), kStatLimit);
  // A process that exits between open and read makes read fail with ESRCH.
  if (!text && gone(text.error())) return std::unexpected(pin_error(pid, "does not exist"));
  if (!text) return std::unexpected(text.error());
  auto stat = parse_proc_stat(*text);
  if (!stat) return std::unexpected(stat.error().wrap(proc_path(pid, "stat")));
  if (stat->state == 'Z') return std::unexpected(pin_error(pid, "is a zombie"));
  if (stat->state == 'X' || stat->state == 'x') {
    return std::unexpected(pin_error(pid, "has exited"));
  }
  return *stat;
}

/// Identity of a namespace file: (device, inode) of its nsfs inode.
struct NsId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const NsId&) const = default;
};

Result<NsId> ns_id(Syscalls& sys, int fd) {
  auto st = sys.fstatat(fd, "");
  if (!st) return std::unexpected(st.error());
  return NsId{st->st_dev, st->st_ino};
}

/// The namespace `path` names (opened, stat'ed, closed), or nothing when unreadable:
/// pid 1's namespaces are refused even to root under some VM inits (ptrace access mode).
std::optional<NsId> ns_id_of_path(Syscalls& sys, std::string_view path) {
  auto fd = sys.open_path(path, O_RDONLY);
  if (!fd) return std::nullopt;
  auto id = ns_id(sys, fd->get());
  if (!id) return std::nullopt;
  return *id;
}

/// The caller's own namespace `path` names; failing to read it is an error.
Result<NsId> own_ns_id(Syscalls& sys, std::string_view path) {
  auto fd = sys.open_path(path, O_RDONLY);
  if (!fd) return std::unexpected(fd.error());
  return ns_id(sys, fd->get());
}

Result<UniqueFd> open_ns(Syscalls& sys, pid_t pid, std::string_view name) {
  auto fd = sys.open_path(proc_path(pid, "ns/" + std::string(name)), O_RDONLY);
  if (!fd && gone(fd.error())) return std::unexpected(pin_error(pid, "has exited"));
  return fd;
}

/// Fills the comparisons with the caller's and pid 1's namespaces.
Result<void> compare_namespaces(Syscalls& sys, Target& target) {
  auto mnt = ns_id(sys, target.mnt_ns.get());
  if (!mnt) return std::unexpected(mnt.error());
  auto user = ns_id(sys, target.user_ns.get());
  if (!user) return std::unexpected(user.error());
  target.mnt_ns_inode = mnt->ino;
  auto own_user = own_ns_id(sys, "/proc/self/ns/user");
  if (!own_user) return std::unexpected(own_user.error());
  auto own_mnt = own_ns_id(sys, "/proc/self/ns/mnt");
  if (!own_mnt) return std::unexpected(own_mnt.error());
  target.other_user_ns = *user != *own_user;
  target.same_mnt_ns_as_caller = *mnt == *own_mnt;
  auto host_mnt = ns_id_of_path(sys, "/proc/1/ns/mnt");
  target.same_mnt_ns_as_host = host_mnt && *host_mnt == *mnt;
  return {};
}

/// A namespace kind: its name in `--ns`, the clone flag of its ns file (setns(2),
/// NS_GET_NSTYPE), and where NamespaceFiles keeps its file.
struct Kind {
  std::string_view name;
  int clone_flag;
  std::string NamespaceFiles::*file;
};
constexpr Kind kKinds[] = {
    {"mnt", CLONE_NEWNS, &NamespaceFiles::mnt},
    {"pid", CLONE_NEWPID, &NamespaceFiles::pid},
    {"user", CLONE_NEWUSER, &NamespaceFiles::user},
    {"ipc", CLONE_NEWIPC, &NamespaceFiles::ipc},
    {"uts", CLONE_NEWUTS, &NamespaceFiles::uts},
    {"net", CLONE_NEWNET, &NamespaceFiles::net},
    {"cgroup", CLONE_NEWCGROUP, &NamespaceFiles::cgroup},
};

const Kind* kind_of(std::string_view name) {
  for (const auto& kind : kKinds) {
    if (kind.name == name) return &kind;
  }
  return nullptr;
}

int clone_flag_of(std::string_view name) {
  const Kind* kind = kind_of(name);
  return kind ? kind->clone_flag : 0;
}

Error ns_file_error(std::string_view kind, std::string_view file, std::string_view what,
                    int errno_value) {
  return make_error(Stage::kOpenNs,
                    std::string(kind) + "=" + std::string(file) + ": " + std::string(what),
                    errno_value);
}

/// Opens `file` once and proves it is a namespace of `kind`: NS_GET_NSTYPE answers only
/// for nsfs files (ENOTTY otherwise), with the kind they are.
Result<UniqueFd> open_ns_file(Syscalls& sys, std::string_view kind, const std::string& file) {
  auto fd = sys.open_path(file, O_RDONLY);
  if (!fd) return std::unexpected(fd.error().wrap(std::string(kind) + "=" + file));
  const int type = ::ioctl(fd->get(), NS_GET_NSTYPE);
  if (type < 0) {
    const int err = errno;
    return std::unexpected(ns_file_error(
        kind, file, err == ENOTTY ? "is not a namespace file" : "NS_GET_NSTYPE", err));
  }
  if (type != clone_flag_of(kind)) {
    return std::unexpected(ns_file_error(
        kind, file, "is a namespace of another kind than " + std::string(kind), EINVAL));
  }
  return fd;
}

/// The user namespace owning mount namespace `mnt_ns` (NS_GET_USERNS); when `user_file`
/// names one too, it must be that one.
Result<UniqueFd> owning_user_ns(Syscalls& sys, const NamespaceFiles& files, int mnt_ns) {
  UniqueFd owner(::ioctl(mnt_ns, NS_GET_USERNS));
  if (!owner) {
    return std::unexpected(
        ns_file_error("mnt", files.mnt, "NS_GET_USERNS (its owning user namespace)", errno));
  }
  if (files.user.empty()) return owner;
  auto given = open_ns_file(sys, "user", files.user);
  if (!given) return std::unexpected(given.error());
  auto a = ns_id(sys, owner.get());
  auto b = ns_id(sys, given->get());
  if (!a || !b) return std::unexpected(!a ? a.error() : b.error());
  if (*a != *b) {
    return std::unexpected(ns_file_error(
        "user", files.user, "is not the user namespace that owns the mount namespace " + files.mnt,
        EINVAL));
  }
  return owner;
}

}  // namespace

std::string_view NamespaceFiles::file(std::string_view kind) const {
  if (kind == "mnt") return mnt;
  if (kind == "pid") return pid;
  if (kind == "user") return user;
  if (kind == "ipc") return ipc;
  if (kind == "uts") return uts;
  if (kind == "net") return net;
  if (kind == "cgroup") return cgroup;
  return {};
}

bool NamespaceFiles::set(std::string_view kind, std::string path) {
  std::string* slot = kind == "mnt"      ? &mnt
                      : kind == "pid"    ? &pid
                      : kind == "user"   ? &user
                      : kind == "ipc"    ? &ipc
                      : kind == "uts"    ? &uts
                      : kind == "net"    ? &net
                      : kind == "cgroup" ? &cgroup
                                         : nullptr;
  if (slot == nullptr) return false;
  *slot = std::move(path);
  return true;
}

Result<NamespaceFiles> parse_namespace_files(const std::vector<std::string>& values) {
  auto usage = [](std::string message) {
    Error error = make_error(Stage::kUsage, "--ns: " + std::move(message));
    error.hint =
        "give --ns mnt=FILE, optionally with pid=, user=, ipc=, uts=, net=, cgroup= "
        "files: --ns mnt=/run/ns/mnt,pid=/run/ns/pid";
    return std::unexpected(error);
  };
  NamespaceFiles files;
  for (const auto& value : values) {
    std::string_view rest = value;
    while (true) {
      const auto comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      const auto eq = item.find('=');
      if (eq == std::string_view::npos || eq + 1 == item.size()) {
        return usage("'" + std::string(item) + "' is not KIND=FILE");
      }
      const std::string_view kind = item.substr(0, eq);
      if (!files.file(kind).empty()) return usage(std::string(kind) + "= is given twice");
      if (!files.set(kind, std::string(item.substr(eq + 1)))) {
        return usage("unknown namespace kind '" + std::string(kind) +
                     "' (mnt, pid, user, ipc, uts, net or cgroup)");
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  if (files.mnt.empty()) return usage("mnt=FILE is required: the mount namespace to assemble");
  return files;
}

std::string TargetName::describe() const {
  return ns ? "mount namespace " + ns->mnt : "process " + std::to_string(pid);
}

std::string TargetName::option() const {
  if (!ns) return "--pid " + std::to_string(pid);
  std::string out = "--ns ";
  for (const auto& kind : kKinds) {
    const std::string& file = (*ns).*kind.file;
    if (file.empty()) continue;
    out += (out.size() > 5 ? "," : "") + std::string(kind.name) + "=" + file;
  }
  return out;
}

Result<mountinfo::MountTable> read_target_table(Syscalls& sys, const Target& target, int proc_fd,
                                                const plan::Machine& machine) {
  if (target.pid > 0) return machine.mount_table(target.pid);
  auto text = read_namespace_mountinfo(sys, target, proc_fd);
  if (!text) return std::unexpected(text.error());
  return mountinfo::parse_mountinfo(*text);
}

Result<mountinfo::MountTable> read_table_of(Syscalls& sys, const TargetName& name) {
  auto target = pin(sys, name);
  if (!target) return std::unexpected(target.error());
  auto proc = sys.open_procfs();
  if (!proc) return std::unexpected(proc.error());
  return read_target_table(sys, *target, proc->get());
}

plan::NamespaceTargetView namespace_view(const Target& target) {
  plan::NamespaceTargetView view;
  view.root_fd = target.root.get();
  view.mnt_fd = target.mnt_ns.get();
  view.user_fd = target.user_ns.get();
  for (auto [kind, fd] : {std::pair{"pid", &target.pid_ns}, std::pair{"ipc", &target.ipc_ns},
                          std::pair{"uts", &target.uts_ns}, std::pair{"net", &target.net_ns},
                          std::pair{"cgroup", &target.cgroup_ns}}) {
    if (*fd) view.given[kind] = fd->get();
  }
  return view;
}

Result<Target> pin_namespace_files(Syscalls& sys, const NamespaceFiles& files) {
  Target target;
  target.name = "mount namespace " + files.mnt;
  auto mnt = open_ns_file(sys, "mnt", files.mnt);
  if (!mnt) return std::unexpected(mnt.error());
  target.mnt_ns = std::move(*mnt);
  auto owner = owning_user_ns(sys, files, target.mnt_ns.get());
  if (!owner) return std::unexpected(owner.error());
  target.user_ns = std::move(*owner);
  for (auto [kind, slot] : {std::pair{"pid", &target.pid_ns}, std::pair{"ipc", &target.ipc_ns},
                            std::pair{"uts", &target.uts_ns}, std::pair{"net", &target.net_ns},
                            std::pair{"cgroup", &target.cgroup_ns}}) {
    if (files.file(kind).empty()) continue;
    auto fd = open_ns_file(sys, kind, std::string(files.file(kind)));
    if (!fd) return std::unexpected(fd.error());
    *slot = std::move(*fd);
  }
  if (auto compared = compare_namespaces(sys, target); !compared) {
    return std::unexpected(compared.error());
  }
  // Its root: what `/` is for a process that enters it (setns(2) sets root and cwd there).
  auto looked = look_inside(sys, target, [&](Syscalls& inside) -> Result<void> {
    auto root = inside.open_path("/", O_PATH | O_DIRECTORY);
    if (!root) return std::unexpected(root.error());
    target.root = std::move(*root);
    return {};
  });
  if (!looked) return std::unexpected(looked.error().wrap("open the root of " + target.name));
  return target;
}

Result<Target> pin(Syscalls& sys, const TargetName& name) {
  return name.ns ? pin_namespace_files(sys, *name.ns) : pin_target(sys, name.pid);
}

Result<std::string> read_namespace_mountinfo(Syscalls& sys, const Target& target, int proc_fd) {
  std::string text;
  auto looked = look_inside(sys, target, [&](Syscalls& inside) -> Result<void> {
    auto fd = inside.openat2(proc_fd, "thread-self/mountinfo", O_RDONLY, 0,
                             kResolveBeneath | kResolveNoMagicLinks);
    if (!fd) return std::unexpected(fd.error());
    auto read = inside.read_all(fd->get(), mountinfo::kMaxMountinfoBytes);
    if (!read) return std::unexpected(read.error());
    text = std::move(*read);
    return {};
  });
  if (!looked)
    return std::unexpected(looked.error().wrap("read the mount table of " + target.name));
  return text;
}

Result<ProcStat> parse_proc_stat(std::string_view text) {
  // comm (field 2) is in parentheses and may itself hold ") ", spaces or newlines; the
  // last ')' is the real end (proc(5); what procps does too).
  const auto close = text.rfind(')');
  if (close == std::string_view::npos) {
    return std::unexpected(make_error(Stage::kParse, "malformed stat: no ')' after comm"));
  }
  std::string_view rest = text.substr(close + 1);
  ProcStat stat;
  int field = kStateField;
  while (field <= kStartTimeField) {
    const auto begin = rest.find_first_not_of(' ');
    if (begin == std::string_view::npos) break;
    rest.remove_prefix(begin);
    const auto end = std::min(rest.find(' '), rest.size());
    const std::string_view token = rest.substr(0, end);
    if (field == kStateField) {
      if (token.size() != 1) break;
      stat.state = token[0];
    } else if (field == kStartTimeField) {
      const auto trimmed = token.substr(0, std::min(token.find('\n'), token.size()));
      auto [ptr, ec] =
          std::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), stat.start_time);
      if (ec != std::errc{} || ptr != trimmed.data() + trimmed.size()) break;
      return stat;
    }
    rest.remove_prefix(end);
    ++field;
  }
  return std::unexpected(make_error(
      Stage::kParse, "malformed stat: field " + std::to_string(field) + " missing or invalid"));
}

Result<Target> pin_target(Syscalls& sys, pid_t pid) {
  if (pid <= 0) {
    return std::unexpected(
        make_error(Stage::kOpenNs, "invalid pid " + std::to_string(pid), EINVAL));
  }
  Target target;
  target.pid = pid;
  target.name = "process " + std::to_string(pid);
  auto before = live_stat(sys, pid);
  if (!before) return std::unexpected(before.error());
  target.start_time = before->start_time;

  auto pidfd = sys.pidfd_open(pid);
  if (!pidfd && gone(pidfd.error())) return std::unexpected(pin_error(pid, "does not exist"));
  // pidfd_open(2) refuses a thread that is not its group's leader with EINVAL.
  if (!pidfd && pidfd.error().errno_value == EINVAL) {
    return std::unexpected(pin_error(pid, "is not a process (a thread id?)", EINVAL));
  }
  if (!pidfd) return std::unexpected(pidfd.error());
  target.pidfd = std::move(*pidfd);

  for (auto [name, slot] : {std::pair{"mnt", &target.mnt_ns}, std::pair{"pid", &target.pid_ns},
                            std::pair{"user", &target.user_ns}}) {
    auto fd = open_ns(sys, pid, name);
    if (!fd) return std::unexpected(fd.error());
    *slot = std::move(*fd);
  }

  // Everything is open: prove it was all one process. A recycled pid has a new start
  // time; a process that died after the second read fails the pidfd signal (the pidfd
  // names the process it was opened for, never a successor: pidfd_open(2)).
  auto after = live_stat(sys, pid);
  if (!after && after.error().message.ends_with("does not exist")) {
    return std::unexpected(pin_error(pid, "has exited"));
  }
  if (!after) return std::unexpected(after.error());
  if (after->start_time != target.start_time) {
    return std::unexpected(pin_error(pid, "was replaced while being pinned"));
  }
  if (auto alive = sys.pidfd_send_signal(target.pidfd.get(), 0); !alive) {
    if (gone(alive.error())) return std::unexpected(pin_error(pid, "has exited"));
    return std::unexpected(alive.error());
  }

  if (auto compared = compare_namespaces(sys, target); !compared) {
    return std::unexpected(compared.error());
  }
  return target;
}

}  // namespace rootfsctl::exec
