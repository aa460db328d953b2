// The child side of spawn_parked (spawn.cc): what runs between clone3(2) and exec.
//
// It runs in a copy of the caller's memory made by a raw clone3 (no glibc fork handlers),
// so it makes only async-signal-safe calls (signal-safety(7)): no allocation, no locks,
// no stdio; everything it needs is prepared by the parent in a ChildPlan beforehand.
#pragma once

#include <cstdint>

namespace rootfsctl::exec::detail {

/// What the child reports over the status pipe, one fixed-size record per message.
enum class ChildStep : std::int32_t {
  kParked = 1,   // set up and waiting for release (errno 0)
  kPropagation,  // making "/" rprivate failed
  kCloseFds,     // close_range(2) failed
  kChdir,        // chdir to the command's directory failed
  kLoopback,     // bringing up "lo" in the new network namespace failed
  kPrivileges,   // no_new_privs or dropping capability `index` (-1: capset) failed
  kIds,          // becoming --uid/--gid failed (`index`: 0 userns, 1 maps, 2 setres*id)
  kSession,      // setsid(2) failed
  kFork,         // the init could not create the command's process
  kExec,         // execvp(3) failed; errno says why
  kExited,       // pid 1's command is gone; `index` is its waitpid(2) status
};

struct ChildReport {
  ChildStep step = ChildStep::kParked;
  std::int32_t errno_value = 0;
  std::int32_t index = 0;  // which capability, for kPrivileges;
                           // the wait status, for kExited
};

/// The byte release() sends; anything else (or EOF) makes the child exit 125.
inline constexpr char kReleaseByte = 'R';
/// The child's own failures exit with this, as `run` does.
inline constexpr int kChildFailure = 125;

/// Everything the child needs, prepared before clone3 so it allocates nothing.
struct ChildPlan {
  char* const* argv = nullptr;  // NULL-terminated, argv[0] searched on PATH
  char** envp = nullptr;        // NULL-terminated; NULL: keep this process's environ
  const char* cwd = "/";        // the command's working directory in the new root
  bool pid_namespace = false;   // be pid 1: supervise the command instead of becoming it
  bool loopback = false;        // a new network namespace: bring "lo" up before the command
  int park_fd = -1;             // child's end of the parking socket
  int status_fd = -1;           // write end of the status pipe (O_CLOEXEC)
  int parent_park_fd = -1;      // the parent's ends, closed first thing
  int parent_status_fd = -1;

  // --uid/--gid (spawn.h SpawnOptions::uid): a nested user namespace whose maps are
  // these texts ("U 0 1\n"), or setresgid/setresuid to these ids.
  bool switch_ids = false;
  bool nested_user_namespace = false;
  const char* uid_map = nullptr;
  const char* gid_map = nullptr;
  unsigned uid = 0;
  unsigned gid = 0;
  bool new_session = false;       // setsid(2) before the command
  const int* keep_fds = nullptr;  // sorted descriptors above 2 the command gets (--keep-fd)
  int keep_fd_count = 0;
  int proc_fd = -1;  // the host's /proc, opened before parking, for the nested maps

  std::uint64_t keep_capabilities = 0;  // bit N: the command keeps capability N
  bool keep_all = false;                // --cap-add ALL: whatever of them the child holds
  int last_cap = 0;                     // /proc/sys/kernel/cap_last_cap, read beforehand
};

/// The child: set up, park, and after release exec the command (or supervise it as pid
/// 1). Never returns.
[[noreturn]] void child_main(const ChildPlan& plan);

/// clone3(2) with `flags` | CLONE_PIDFD, fork-like (no new stack), exit signal SIGCHLD.
/// Returns the pid in the parent (with the pidfd in `*pidfd`), 0 in the child, -1 with
/// errno on failure.
long clone3_fork(std::uint64_t flags, int* pidfd);

}  // namespace rootfsctl::exec::detail
