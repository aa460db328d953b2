// A live target process, pinned: its pidfd and the namespace files the executor enters,
// all opened while the pid provably named the same process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/unique_fd.h"
#include "exec/syscalls.h"

namespace rootfsctl::exec {

struct Target {
  pid_t pid = 0;
  std::uint64_t start_time = 0;  // /proc/N/stat field 22, in clock ticks since boot
  UniqueFd pidfd;
  UniqueFd mnt_ns;   // /proc/N/ns/mnt
  UniqueFd pid_ns;   // /proc/N/ns/pid (proc is mounted for this pid namespace)
  UniqueFd user_ns;  // /proc/N/ns/user
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

/// Field 22 of /proc/<pid>/stat (start time) and field 3 (state), parsed after the
/// last ')' so a hostile comm cannot shift fields. Pure, for tests.
struct ProcStat {
  char state = '?';
  std::uint64_t start_time = 0;
};
Result<ProcStat> parse_proc_stat(std::string_view text);

}  // namespace rootfsctl::exec
