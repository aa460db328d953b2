// The machine as the facts about a target see it (target_facts.h): trees of files,
// namespace identities, the kernel, id maps and mount tables. One
// interface, so that gathering the facts, and with it `exec::apply` as a whole, runs
// against a fake in unit tests (tests/support/fake_machine.h) as the executor runs against
// the recording Syscalls fake; live_machine() is this machine, read through /proc.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "core/error.h"
#include "mountinfo/mountinfo.h"
#include "plan/probe.h"
#include "plan/target_ids.h"

namespace rootfsctl::plan {

/// Which file a path or descriptor is: its device and inode. For a namespace file, the
/// namespace (nsfs gives each its own inode).
struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const FileId&) const = default;
};

class Machine {
 public:
  virtual ~Machine() = default;
  /// A probe of the tree under `root`: "/" for rootfsctl's own, "/proc/N/root" for a
  /// process's, "/proc/self/fd/N" for a directory descriptor's.
  virtual std::unique_ptr<FsProbe> tree(const std::string& root) const = 0;
  /// The file `path` names, symlinks (and /proc's magic links) followed; nullopt when it
  /// cannot be looked at.
  virtual std::optional<FileId> file_id(const std::string& path) const = 0;
  /// The file descriptor `fd` holds.
  virtual std::optional<FileId> fd_id(int fd) const = 0;
  /// The filesystem types the kernel knows (/proc/filesystems); nullopt when unreadable.
  virtual std::optional<std::set<std::string>> filesystems() const = 0;
  /// The kernel's release (uname -r).
  virtual std::optional<std::string> kernel_release() const = 0;
  /// read_target_ids: process `pid`'s id maps when its user namespace is not rootfsctl's.
  virtual std::optional<TargetIds> process_ids(pid_t pid) const = 0;
  /// read_namespace_ids: the maps of user namespace `user_ns_fd` when it is not rootfsctl's.
  virtual std::optional<TargetIds> namespace_ids(int user_ns_fd) const = 0;
  /// The mount table of process `pid`, or rootfsctl's own for 0 (what `verify` compares
  /// bind sources with): listmount(2) where it says what the text says, else the text.
  virtual Result<mountinfo::MountTable> mount_table(pid_t pid) const = 0;
  /// The 64-bit id of the mount namespace file `ns_fd` holds (ioctl NS_GET_MNTNS_ID,
  /// Linux 6.10): what crash recovery keys its log by. Stage open_ns.
  virtual Result<std::uint64_t> mnt_ns_id(int ns_fd) const = 0;
};

/// This machine.
const Machine& live_machine();

}  // namespace rootfsctl::plan
