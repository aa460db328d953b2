// Live mount tables through listmount(2)/statmount(2), with /proc/N/mountinfo as the
// fallback. The kernel calls go through MountApi, so tests can stand in for a kernel that
// lacks them or lacks a field, and the conversion is tested without privileges.
//
// What the reader promises: the table it returns equals, entry by entry and field by
// field, the one parse_mountinfo() makes of /proc/N/mountinfo read at the same moment.
// Where it cannot be sure of that, it does not guess: it reads the text instead. It uses
// listmount only when
// - the kernel has listmount, statmount with a namespace id (6.11+) and statmount's
//   supported_mask (6.15+) saying it can report every field mountinfo has (statmount
//   leaves a string's mask bit clear when the string is empty, so without that mask an
//   empty source could not be told from a kernel that cannot report sources);
// - the target's root directory is the root of the mount listmount lists as the root
//   (mountinfo paths are relative to the target's root, listmount's to the namespace's
//   for another namespace and to ours for our own: a chrooted target reads as text);
// - for another namespace, every slave's master peer group is visible in it: statmount
//   computes propagate_from against the caller's root, which is in our namespace, and
//   mountinfo against the target's, so only then do both agree (neither prints it).
// One field statmount cannot report: the superblock flag "mand" (mountinfo's super
// options show ",mand" when a filesystem was mounted with it). Linux has ignored it since
// 5.15, when mandatory locking was removed, and nothing in rootfsctl reads it; a table
// read through listmount never shows it.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "mountinfo/listmount_abi.h"
#include "mountinfo/mountinfo.h"

namespace rootfsctl::mountinfo {

/// The mount a process's root directory is on (statx of /proc/N/root).
struct RootMount {
  std::uint64_t mnt_id = 0;    // unique 64-bit mount id
  bool is_mount_root = false;  // the directory is that mount's root, not a subdirectory
};

/// The kernel interfaces the listmount reader uses. Paths are /proc paths the reader
/// builds: "/proc/self/ns/mnt", "/proc/42/root", "/proc/thread-self/ns/mnt".
class MountApi {
 public:
  virtual ~MountApi() = default;

  /// listmount(2): fills `ids`, returns how many, or -errno.
  virtual long listmount(const kernel::MntIdReq& req, std::uint64_t* ids, std::size_t count) = 0;
  /// statmount(2) into `buf` of `size` bytes: 0, or -errno (-EOVERFLOW: buffer too small).
  virtual long statmount(const kernel::MntIdReq& req, kernel::Statmount* buf, std::size_t size) = 0;
  /// NS_GET_MNTNS_ID of a mount namespace file.
  virtual Result<std::uint64_t> mount_ns_id(const std::string& ns_file) = 0;
  /// The mount a /proc/N/root link leads to.
  virtual Result<RootMount> root_mount(const std::string& root_link) = 0;
  /// The fallback: /proc/N/mountinfo (pid 0: this process), parsed.
  virtual Result<MountTable> read_mountinfo(pid_t pid) = 0;

  /// Why this kernel cannot serve listmount reads, once a probe found out (nullptr while
  /// it may). Kept per API object, so each process (and each fake) probes once; library
  /// callers read tables from several threads at once, hence the atomic.
  const char* kernel_unsupported() const { return kernel_unsupported_.load(); }
  void set_kernel_unsupported(const char* reason) { kernel_unsupported_.store(reason); }

 private:
  std::atomic<const char*> kernel_unsupported_{nullptr};
};

/// The real kernel (the only implementation that makes these syscalls).
MountApi& linux_mount_api();

/// How read_live_table got its table.
enum class LiveSource { kListmount, kMountinfoText };

struct LiveReadReport {
  LiveSource source = LiveSource::kMountinfoText;
  /// Why listmount was not used: "" when it was.
  std::string fallback_reason;
};

/// The live mount table of `pid` (0: this process) through listmount/statmount; fails,
/// with the reason in the message and errno ENOTSUP when the answer might differ from
/// mountinfo's (see above) or the kernel's errno when a call failed.
Result<MountTable> read_listmount_table(MountApi& api, pid_t pid);

/// read_listmount_table, or the mountinfo text whenever that fails.
Result<MountTable> read_live_table(MountApi& api, pid_t pid, LiveReadReport* report = nullptr);

}  // namespace rootfsctl::mountinfo
