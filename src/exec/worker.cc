// Entering a target's namespaces without the caller ever changing (docs/architecture.md §4): a
// thread with its own fs_struct for a target in the caller's user namespace, a forked helper for
// one in another user namespace.
#include "exec/worker.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>

namespace rootfsctl::exec {
namespace {

// The helper's report: one tag byte, then outcome JSON. 'O': the work's outcome. 'E':
// entering failed, the outcome's error says why.
constexpr char kOutcomeTag = 'O';
constexpr char kEnterErrorTag = 'E';
// An outcome is a few kilobytes; anything near this is a runaway helper.
constexpr std::size_t kMaxReport = 64u << 20;
// Exit code of a helper whose parent died before it started (PR_SET_PDEATHSIG race).
constexpr int kOrphanedExit = 125;

std::string pid_text(const Target& target) {
  return target.name.empty() ? "process " + std::to_string(target.pid) : target.name;
}

/// setns(CLONE_NEWNS) on this thread. The thread must have its own fs_struct first:
/// setns(2) refuses a mount namespace change while CLONE_FS is shared (EINVAL), and the
/// unshare is also what keeps the new root, cwd and umask away from the caller's threads.
Result<void> enter_mount_ns_on_thread(Syscalls& sys, const Target& target) {
  if (auto own_fs = sys.unshare(CLONE_FS); !own_fs) {
    return std::unexpected(own_fs.error().wrap("worker thread: unshare its fs_struct"));
  }
  if (auto entered = sys.setns(target.mnt_ns.get(), CLONE_NEWNS); !entered) {
    return std::unexpected(
        entered.error().wrap("worker thread: enter the mount namespace of " + pid_text(target)));
  }
  return {};
}

Result<ApplyOutcome> run_on_thread(Syscalls& sys, const Target& target, const NamespaceWork& work) {
  Result<ApplyOutcome> result =
      std::unexpected(make_error(Stage::kThread, "worker thread ended without a result"));
  try {
    std::thread worker([&] {
      if (auto entered = enter_mount_ns_on_thread(sys, target); !entered) {
        result = std::unexpected(entered.error());
        return;
      }
      result = work(sys);
      // The thread's namespace, root and cwd end with it: nothing to restore.
    });
    worker.join();
  } catch (const std::system_error& e) {
    return std::unexpected(make_error(Stage::kThread, "start the worker thread", e.code().value()));
  }
  return result;
}

/// Writes all of `data` with plain write(2): the helper's pipe is not the seam's business
/// (a fake's write_all would swallow the report).
bool write_report(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
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

/// setns into the user namespace, then the mount namespace, then become that namespace's
/// root. Only a single-threaded process may join a user namespace (setns(2), EINVAL
/// otherwise) — hence the fork; once in, the helper holds every capability of that
/// namespace, which the mount namespace it owns requires (CAP_SYS_ADMIN there,
/// CAP_SYS_CHROOT in the caller's, setns(2)). Its ids stay the caller's, though, and the
/// host's root is unmapped in a container's namespace: a file created with an unmapped
/// fsuid fails with EOVERFLOW (issue 17). So, as nsenter -U and runc do, the helper then
/// takes uid and gid 0 of the target's namespace; gid first, while it may still change it.
Result<void> enter_user_and_mount_ns(Syscalls& sys, const Target& target) {
  if (auto groups = drop_groups(sys); !groups) return groups;
  if (auto user = sys.setns(target.user_ns.get(), CLONE_NEWUSER); !user) {
    return std::unexpected(
        user.error().wrap("helper: enter the user namespace of " + pid_text(target)));
  }
  if (auto mnt = sys.setns(target.mnt_ns.get(), CLONE_NEWNS); !mnt) {
    return std::unexpected(
        mnt.error().wrap("helper: enter the mount namespace of " + pid_text(target)));
  }
  const std::string as_root = "helper: act as root of the user namespace of " + pid_text(target);
  if (auto gid = sys.setresgid(0); !gid) return std::unexpected(gid.error().wrap(as_root));
  if (auto uid = sys.setresuid(0); !uid) return std::unexpected(uid.error().wrap(as_root));
  return {};
}

/// The forked helper: enter, work, report, _exit. _exit, not exit: the caller's atexit
/// handlers and stdio buffers belong to the caller (a copy flushed here would print twice).
[[noreturn]] void helper_main(Syscalls& sys, const Target& target, const NamespaceWork& work,
                              int report_fd, pid_t parent) {
  // Die with the caller rather than run on unsupervised (prctl(2): PR_SET_PDEATHSIG; the
  // getppid check closes the race with a parent that died before the prctl).
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(kOrphanedExit);
  std::string report;
  if (auto entered = enter_user_and_mount_ns(sys, target); !entered) {
    ApplyOutcome failed;
    failed.error = entered.error();
    report = kEnterErrorTag + outcome_to_json(failed);
  } else {
    report = kOutcomeTag + outcome_to_json(work(sys));
  }
  ::_exit(write_report(report_fd, report) ? 0 : 1);
}

Result<std::string> read_report(int fd) {
  std::string report;
  std::array<char, 65536> buffer{};
  while (true) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      return std::unexpected(make_error(Stage::kFork, "read the helper's report", err));
    }
    if (n == 0) return report;
    report.append(buffer.data(), static_cast<std::size_t>(n));
    if (report.size() > kMaxReport) {
      return std::unexpected(make_error(Stage::kFork, "the helper's report is too large"));
    }
  }
}

Result<int> reap(pid_t child) {
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno == EINTR) continue;
    const int err = errno;
    return std::unexpected(
        make_error(Stage::kFork, "waitpid helper " + std::to_string(child), err));
  }
  return status;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = ::sigabbrev_np(WTERMSIG(status));
    return "was killed by signal " + std::to_string(WTERMSIG(status)) +
           (name ? std::string(" (SIG") + name + ")" : std::string());
  }
  return "ended with wait status " + std::to_string(status);
}

/// The helper's outcome, from its report and how it ended.
Result<ApplyOutcome> decode_report(std::string_view report, int status, pid_t child) {
  const std::string helper = "helper " + std::to_string(child);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || report.empty()) {
    return std::unexpected(make_error(
        Stage::kFork,
        helper + " " + describe_status(status) + (report.empty() ? " without a report" : "")));
  }
  auto outcome = outcome_from_json(report.substr(1));
  if (!outcome || (report[0] != kOutcomeTag && report[0] != kEnterErrorTag)) {
    Error error = make_error(Stage::kFork, helper + " sent a malformed report");
    if (!outcome) error.hint = outcome.error().message;
    return std::unexpected(error);
  }
  if (report[0] == kEnterErrorTag) {
    if (!outcome->error) {
      return std::unexpected(make_error(Stage::kFork, helper + " failed without an error"));
    }
    return std::unexpected(*outcome->error);
  }
  return outcome;
}

/// fork(2) with every signal blocked, and the helper keeps them blocked: a caller's
/// handlers must not run in it. The helper is a copy of one thread of a process that may
/// have many (a Go program always has), and a handler written for that process (Go's
/// runtime installs one for every signal) would run without the threads and locks it
/// expects. SIGKILL, which PR_SET_PDEATHSIG and --fail-at K:kill send, cannot be blocked.
/// The parent's mask is restored after the fork, errno kept for the caller.
pid_t fork_with_signals_blocked() {
  sigset_t all;
  sigset_t saved;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &saved);
  const pid_t child = ::fork();
  if (child != 0) {
    const int err = errno;
    ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
    errno = err;
  }
  return child;
}

Result<ApplyOutcome> run_in_helper(Syscalls& sys, const Target& target, const NamespaceWork& work) {
  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    const int err = errno;
    return std::unexpected(make_error(Stage::kFork, "pipe for the helper's report", err));
  }
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  const pid_t parent = ::getpid();
  const pid_t child = fork_with_signals_blocked();
  if (child < 0) {
    const int err = errno;
    return std::unexpected(make_error(Stage::kFork, "fork the helper", err));
  }
  if (child == 0) {
    read_end.reset();
    helper_main(sys, target, work, write_end.get(), parent);
  }
  // Closed here so the read below sees EOF when the helper is done.
  write_end.reset();
  auto report = read_report(read_end.get());
  auto status = reap(child);
  if (!status) return std::unexpected(status.error());
  if (!report) return std::unexpected(report.error());
  return decode_report(*report, *status, child);
}

}  // namespace

Result<void> look_inside(Syscalls& sys, const Target& target,
                         const std::function<Result<void>(Syscalls& sys)>& look) {
  Result<void> result;
  try {
    std::thread worker([&] {
      result = enter_mount_ns_on_thread(sys, target);
      if (result) result = look(sys);
    });
    worker.join();
  } catch (const std::system_error& e) {
    return std::unexpected(make_error(Stage::kThread, "start the worker thread", e.code().value()));
  }
  return result;
}

Result<ApplyOutcome> run_in_target(Syscalls& sys, const Target& target, const NamespaceWork& work) {
  if (target.other_user_ns) return run_in_helper(sys, target, work);
  return run_on_thread(sys, target, work);
}

}  // namespace rootfsctl::exec
