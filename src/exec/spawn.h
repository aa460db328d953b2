// `rootfsctl run`: a child spawned in new namespaces, parked on a pipe until its root is
// assembled, then released to exec the command in the new root with cwd "/".
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/unique_fd.h"
#include "exec/capabilities.h"

namespace rootfsctl::exec {

struct SpawnOptions {
  /// Namespaces the child gets ("mount" is implied; "pid" by default via the layout):
  /// any of mount, pid, user, uts, ipc, net, cgroup.
  std::vector<std::string> namespaces;
  /// Add a user namespace mapping the caller's uid/gid to 0 (set automatically when not
  /// root, so `run` works unprivileged).
  bool user_namespace = false;
  /// What the command keeps (bounding, permitted, effective, inheritable and ambient);
  /// everything else is dropped, and no_new_privs set, right before the command starts.
  CapabilitySet keep_capabilities = 0;
  /// --cap-add ALL: keep whatever the child holds, rather than fail on what it lacks.
  bool keep_all_capabilities = false;
  /// The command's working directory inside the new root (relative: to "/").
  std::string cwd = "/";
  /// The command's environment, "NAME=VALUE" each; nullopt: the caller's own. PATH from
  /// it (or execvp(3)'s default) finds the command.
  std::optional<std::vector<std::string>> environment;
  /// The command's uid and gid inside; nullopt: what the child is (root of its user
  /// namespace, or the caller's ids without one). With a user namespace, ids other than
  /// 0 come from a second user namespace nested in the first, mapping them to its root,
  /// as unprivileged bubblewrap does: the outer one keeps root for the apply, the command
  /// gets only the ids asked for. Without one, setresgid/setresuid (root only).
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  /// setsid(2) before the command: no controlling terminal, so it cannot push input
  /// into the caller's terminal (TIOCSTI, CVE-2017-5226).
  bool new_session = false;
  /// Descriptors above 2 that reach the command (--keep-fd), sorted, at most kMaxKeptFds;
  /// every other one is closed before it runs.
  std::vector<int> keep_fds;
};

/// At most this many --keep-fd descriptors.
inline constexpr int kMaxKeptFds = 64;

/// The clone(2) CLONE_NEW* flags for `namespaces` (mount, pid, user, uts, ipc, net,
/// cgroup, time): CLONE_NEWNS always, CLONE_NEWUSER also when `user_namespace`. An
/// unknown name is a Stage::kUsage error naming it.
Result<std::uint64_t> clone_flags(const std::vector<std::string>& namespaces, bool user_namespace);

/// A waitpid(2) status as a shell reports it: the exit code, or 128+N for signal N.
int shell_status(int wait_status);

/// The status of a command that could not be executed, from execvp(3)'s errno, as shells
/// report it: 127 when it was not found (ENOENT), else 126 (EACCES, ENOEXEC, ENOTDIR...).
int exec_failure_status(int errno_value);

/// Whether a supervisor passes signal `sig`, received with siginfo `si_code`, on to the
/// command. Not SIGINT or SIGQUIT from the kernel (SI_KERNEL): those come from the
/// terminal (termios(3) ISIG), which sends them to the whole foreground process group,
/// the command included, so forwarding would deliver them twice.
bool should_forward(int sig, int si_code);

/// `run`'s argv split at its first "--": rootfsctl's own part (argv[0] and the options,
/// for cxxopts) and the command after it, verbatim. Everything after "--" belongs to the
/// command, even another "--" or something that looks like an option.
struct CommandLine {
  std::vector<char*> own;
  std::vector<std::string> command;
  bool has_separator = false;  // a "--" was there (the command may still be empty)
};
CommandLine split_command_line(int argc, char** argv);

/// A parked child. Its pid is what `apply` targets; release() lets it exec.
class ParkedChild {
 public:
  ParkedChild() = default;
  ParkedChild(ParkedChild&&) noexcept = default;
  ParkedChild& operator=(ParkedChild&&) noexcept = default;
  ~ParkedChild();  // kills and reaps a child never released (or never waited for)

  pid_t pid() const { return pid_; }
  /// Lets the child chdir to `cwd` and exec the command. After this, wait() for it.
  Result<void> release();
  /// Kills the child (SIGKILL) and reaps it; used when the apply failed.
  void abort();
  /// Waits for the command while forwarding SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and
  /// SIGUSR2 to it; returns its exit status as a shell would (128+N for a signal), 126 if
  /// it could not be executed, 127 if not found.
  Result<int> wait();
  /// After wait(): the errno execvp(3) failed with in the child, 0 if the command ran.
  int exec_errno() const { return exec_errno_; }
  /// After wait(): the signal that killed the command, 0 if it exited (or never ran). In a
  /// pid namespace pid 1 reports it, since its own exit status 128+N cannot tell.
  int term_signal() const { return term_signal_; }

 private:
  friend Result<ParkedChild> spawn_parked(const SpawnOptions&, const std::vector<std::string>&);
  pid_t pid_ = -1;
  UniqueFd release_fd_;  // write end of the parking pipe
  UniqueFd status_fd_;   // read end: exec errors reported by the child
  UniqueFd pidfd_;
  int exec_errno_ = 0;
  int term_signal_ = 0;
  SpawnOptions options_;  // what it was spawned with, for the child's error reports
};

/// Spawns `argv` parked in new namespaces. Inside, the child is pid 1 of its pid namespace
/// when it has one: it runs the command as its own child and reaps every orphan, exiting
/// with the command's status. No fd of the caller's leaks into the command.
///
/// The child dies with the thread that spawned it (PR_SET_PDEATHSIG): a sandbox never
/// outlives the rootfsctl that set it up. The caller must not ignore SIGCHLD (SIG_IGN or
/// SA_NOCLDWAIT), or the kernel reaps the child and wait() cannot give its status. When this
/// returns, the child is parked: its
/// "/" is already rprivate and, with a user namespace, its uid and gid maps are written.
Result<ParkedChild> spawn_parked(const SpawnOptions& options, const std::vector<std::string>& argv);

}  // namespace rootfsctl::exec
