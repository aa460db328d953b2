// Entering a target's namespaces without the caller ever changing (docs/architecture.md §4): a
// thread with its own fs_struct for a target in the caller's user namespace, an exec'd helper
// process (rootfsctl-nshelper) that performs the work's syscalls for one in another.
#include "exec/worker.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>

#include "exec/nshelper_path.h"
#include "exec/nshelper_proxy.h"

namespace rootfsctl::exec {
namespace {

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

/// posix_spawn's file actions and attributes, destroyed with it.
struct SpawnSetup {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attributes{};
  SpawnSetup() {
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawnattr_init(&attributes);
  }
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attributes);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

/// Starts the helper with posix_spawn: glibc's is a clone(CLONE_VM | CLONE_VFORK) and exec
/// with no caller code in between, safe from a multithreaded caller. Its socket is
/// dup2()ed onto fd 3, which clears close-on-exec on that copy only (every other fd of the
/// caller stays behind); every signal is unblocked and default, whatever the caller (Go's
/// runtime handles them all) had.
Result<pid_t> spawn_helper(const std::string& path, int sock) {
  // From above 3, so the dup2 is a real copy even if `sock` were 3.
  UniqueFd high(::fcntl(sock, F_DUPFD_CLOEXEC, 10));
  if (!high) return std::unexpected(make_error(Stage::kFork, "dup the helper's socket", errno));
  SpawnSetup setup;
  ::posix_spawn_file_actions_adddup2(&setup.actions, high.get(), nshelper::kSocketFd);
  sigset_t none;
  sigset_t all;
  ::sigemptyset(&none);
  ::sigfillset(&all);
  ::posix_spawnattr_setsigmask(&setup.attributes, &none);
  ::posix_spawnattr_setsigdefault(&setup.attributes, &all);
  ::posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::string program = path;
  std::string caller = std::to_string(::getpid());
  std::array<char*, 3> argv{program.data(), caller.data(), nullptr};
  pid_t child = -1;
  const int rc =
      ::posix_spawn(&child, path.c_str(), &setup.actions, &setup.attributes, argv.data(), environ);
  if (rc != 0) {
    return std::unexpected(make_error(Stage::kFork, "start the namespace helper " + path, rc));
  }
  return child;
}

/// Why entering failed: the helper's own error (stage setns, as the kernel said it), or,
/// when it never answered, how it ended.
Error enter_failure(const nshelper::ProxySyscalls& proxy, Error error, pid_t child) {
  auto status = reap(child);
  if (!proxy.broken() || !status) return error;
  Error ended = make_error(Stage::kFork, "namespace helper " + std::to_string(child) + " " +
                                             describe_status(*status) + " before entering");
  ended.hint = error.message;
  return ended;
}

/// Another user namespace: the helper process enters it (only a single-threaded process
/// may, setns(2)), and the work runs here, on the calling thread, with every syscall
/// performed by the helper. The helper's exit follows from closing the socket (EOF), or
/// from this thread's death (PR_SET_PDEATHSIG), so --fail-at K:kill takes it along too.
Result<ApplyOutcome> run_in_helper(const Target& target, const NamespaceWork& work) {
  auto path = nshelper_path();
  if (!path) return std::unexpected(path.error());
  std::array<int, 2> pair{};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair.data()) != 0) {
    return std::unexpected(make_error(Stage::kFork, "socketpair for the helper", errno));
  }
  UniqueFd ours(pair[0]);
  UniqueFd theirs(pair[1]);
  auto child = spawn_helper(*path, theirs.get());
  theirs.reset();
  if (!child) return std::unexpected(child.error());
  nshelper::ProxySyscalls proxy(ours.get());
  if (auto entered = proxy.enter(target.user_ns.get(), target.mnt_ns.get(), pid_text(target));
      !entered) {
    ours.reset();
    return std::unexpected(enter_failure(proxy, entered.error(), *child));
  }
  ApplyOutcome outcome = work(proxy);
  ours.reset();  // the helper's end of stream: it exits
  if (auto status = reap(*child); !status) return std::unexpected(status.error());
  return outcome;
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
  if (target.other_user_ns) return run_in_helper(target, work);
  return run_on_thread(sys, target, work);
}

}  // namespace rootfsctl::exec
