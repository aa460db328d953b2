// A live target process, pinned: its pidfd and the namespace files the executor enters,
// all opened while the pid provably named the same process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/unique_fd.h"
#include "exec/syscalls.h"
#include "mountinfo/mountinfo.h"
#include "plan/target_facts.h"

namespace rootfsctl::exec {

/// A target named by namespace files rather than a process (`--ns mnt=FILE,pid=FILE`):
/// a mount namespace pinned by a bind mount of its ns file (`unshare --mount=FILE`), with
/// no process in it yet. `mnt` is required; the others say which namespaces the target's
/// proc, mqueue, sysfs, cgroup2, sysctls and hostname belong to, and a kind not given
/// cannot be used (validation refuses what needs it). `user`, when given, must be the
/// user namespace that owns the mount namespace (which is what rootfsctl enters anyway).
struct NamespaceFiles {
  std::string mnt, pid, user, ipc, uts, net, cgroup;

  /// The file given for a kind ("mnt", "pid", ...); empty when none.
  std::string_view file(std::string_view kind) const;
  /// Sets the file of `kind`; false for an unknown kind.
  bool set(std::string_view kind, std::string path);
};

/// Parses `--ns` values: each "KIND=FILE[,KIND=FILE...]", several values adding up. A kind
/// given twice, an unknown kind, an empty file or no `mnt` is a usage error.
Result<NamespaceFiles> parse_namespace_files(const std::vector<std::string>& values);

/// What a command names as its target: a process, or namespace files.
struct TargetName {
  pid_t pid = 0;
  std::optional<NamespaceFiles> ns;

  /// "process 42" or "mount namespace /run/x/mnt".
  std::string describe() const;
  /// The command-line option naming it again: "--pid 42", "--ns mnt=/run/x/mnt,pid=...".
  std::string option() const;
};

struct Target {
  /// "process 42" or "mount namespace /run/x/mnt", for messages.
  std::string name;
  pid_t pid = 0;                 // 0: a namespace-file target, no process
  std::uint64_t start_time = 0;  // /proc/N/stat field 22, in clock ticks since boot
  UniqueFd pidfd;
  UniqueFd mnt_ns;   // /proc/N/ns/mnt
  UniqueFd pid_ns;   // /proc/N/ns/pid (proc is mounted for this pid namespace)
  UniqueFd user_ns;  // /proc/N/ns/user; for namespace files, the mount namespace's owner
  // Namespace-file targets only: the ipc, uts, net and cgroup namespaces given (the
  // executor enters a process's through its pidfd), and the mount namespace's root
  // directory (O_PATH), where a process target is seen through /proc/N/root.
  UniqueFd ipc_ns, uts_ns, net_ns, cgroup_ns;
  UniqueFd root;
  std::uint64_t mnt_ns_inode = 0;
  bool other_user_ns = false;  // lives in a user namespace other than the caller's
  bool same_mnt_ns_as_caller = false;
  bool same_mnt_ns_as_host = false;  // pid 1's; false when pid 1's cannot be read
};

/// Pins `pid`: reads its start time, opens a pidfd, opens its namespace files, then reads
/// the start time again and signals the pidfd with 0, so a pid recycled at any point in
/// between is refused (Stage::kOpenNs, ESRCH) rather than entered. A zombie or a vanished
/// process is a clean error naming the pid.
Result<Target> pin_target(Syscalls& sys, pid_t pid);

/// Pins a target named by namespace files: each file is opened once (O_RDONLY, no
/// following a final symlink) and must be a namespace of its kind (NS_GET_NSTYPE); the
/// user namespace is the mount namespace's owner (NS_GET_USERNS), and a `user` file that
/// names another is refused. The mount namespace's root is opened from a thread that
/// entered it. Errors are Stage::kOpenNs naming the file.
Result<Target> pin_namespace_files(Syscalls& sys, const NamespaceFiles& files);

/// The mount table of a pinned target: a process's as `mounts --pid` reads it (`machine`'s
/// mount_table), a namespace's from inside (read_namespace_mountinfo).
Result<mountinfo::MountTable> read_target_table(
    Syscalls& sys, const Target& target, int proc_fd,
    const plan::Machine& machine = plan::live_machine());

/// Pins `name` and reads its table (read_target_table through a procfs of rootfsctl's).
Result<mountinfo::MountTable> read_table_of(Syscalls& sys, const TargetName& name);

/// A namespace-file target as validation's facts take it (plan::namespace_target_facts):
/// its descriptors, which stay the target's.
plan::NamespaceTargetView namespace_view(const Target& target);

/// pin_target or pin_namespace_files, as `name` says.
Result<Target> pin(Syscalls& sys, const TargetName& name);

/// The mount table of a namespace-file target as mountinfo text, read by a thread that
/// entered its mount namespace through rootfsctl's own procfs (`proc_fd`, thread-self):
/// relative to the namespace's root, as a process there would read it.
Result<std::string> read_namespace_mountinfo(Syscalls& sys, const Target& target, int proc_fd);

/// Field 22 of /proc/<pid>/stat (start time) and field 3 (state), parsed after the
/// last ')' so a hostile comm cannot shift fields. Pure, for tests.
struct ProcStat {
  char state = '?';
  std::uint64_t start_time = 0;
};
Result<ProcStat> parse_proc_stat(std::string_view text);

}  // namespace rootfsctl::exec
