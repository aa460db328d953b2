// `rootfsctl run`: a child spawned in new namespaces, parked on a pipe until its root is
// assembled, then released to exec the command in the new root with cwd "/".
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "core/unique_fd.h"

namespace rootfsctl::exec {

struct SpawnOptions {
  /// Namespaces the child gets ("mount" is implied; "pid" by default via the layout):
  /// any of mount, pid, user, uts, ipc, net, cgroup.
  std::vector<std::string> namespaces;
  /// Add a user namespace mapping the caller's uid/gid to 0 (set automatically when not
  /// root, so `run` works unprivileged).
  bool user_namespace = false;
  std::string hostname;  // set inside a uts namespace before release, when not empty
};

/// A parked child. Its pid is what `apply` targets; release() lets it exec.
class ParkedChild {
 public:
  ParkedChild() = default;
  ParkedChild(ParkedChild&&) noexcept = default;
  ParkedChild& operator=(ParkedChild&&) noexcept = default;
  ~ParkedChild();  // kills and reaps a child never released

  pid_t pid() const { return pid_; }
  /// Lets the child chdir("/") and exec the command. After this, wait() for it.
  Result<void> release();
  /// Kills the child (SIGKILL) and reaps it; used when the apply failed.
  void abort();
  /// Waits for the command while forwarding SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and
  /// SIGUSR2 to it; returns its exit status as a shell would (128+N for a signal), 126 if
  /// it could not be executed, 127 if not found.
  Result<int> wait();

 private:
  friend Result<ParkedChild> spawn_parked(const SpawnOptions&, const std::vector<std::string>&);
  pid_t pid_ = -1;
  UniqueFd release_fd_;  // write end of the parking pipe
  UniqueFd status_fd_;   // read end: exec errors reported by the child
  UniqueFd pidfd_;
};

/// Spawns `argv` parked in new namespaces. Inside, the child is pid 1 of its pid namespace
/// when it has one: it runs the command as its own child and reaps every orphan, exiting
/// with the command's status. No fd of the caller's leaks into the command.
Result<ParkedChild> spawn_parked(const SpawnOptions& options, const std::vector<std::string>& argv);

}  // namespace rootfsctl::exec
