// The child side of spawn_parked. Only async-signal-safe calls from here on: see
// spawn_child.h.
#include "exec/spawn_child.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sched.h>  // struct clone_args: glibc 2.36 has no clone3 wrapper
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>  // one mount(2) call, in child_main: the seam may allocate
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "exec/spawn.h"

namespace rootfsctl::exec::detail {
namespace {

// The signals pid 1 passes on to the command (spawn.h).
constexpr int kForwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

void write_report(int fd, ChildStep step, int errno_value, int index = 0) {
  ChildReport report{step, errno_value, index};
  // One record is far below PIPE_BUF, so it is written whole or not at all (pipe(7)).
  while (::write(fd, &report, sizeof report) < 0 && errno == EINTR) {
  }
}

[[noreturn]] void fail(const ChildPlan& plan, ChildStep step, int errno_value, int index = 0) {
  write_report(plan.status_fd, step, errno_value, index);
  ::_exit(kChildFailure);
}

void wait_for_release(const ChildPlan& plan) {
  char byte = 0;
  ssize_t n = 0;
  do {
    n = ::read(plan.park_fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  // EOF: the caller aborted, or died before releasing (then PR_SET_PDEATHSIG may not
  // have fired yet). Either way there is nothing to report and no one to report to.
  if (n != 1 || byte != kReleaseByte) ::_exit(kChildFailure);
  ::close(plan.park_fd);
}

// Every descriptor above 2 except the status pipe, which is O_CLOEXEC and so goes at
// exec: whatever the caller had open (its layout file, a terminal's extra fds, a
// journal) stays out of the sandbox. close_range(2), Linux 5.9.
// The /proc descriptor for --uid's nested maps stays too, until switch_ids closes it.
// The descriptors --keep-fd names stay as well. No allocation (after fork): a fixed array,
// insertion-sorted.
void close_inherited_fds(const ChildPlan& plan) {
  constexpr int kMaxKept = 2 + exec::kMaxKeptFds;
  int keep[kMaxKept];
  int count = 0;
  auto add = [&](int fd) {
    if (fd < 3 || count == kMaxKept) return;
    int i = count++;
    for (; i > 0 && keep[i - 1] > fd; --i) keep[i] = keep[i - 1];
    keep[i] = fd;
  };
  add(plan.status_fd);
  add(plan.proc_fd);
  for (int i = 0; i < plan.keep_fd_count; ++i) add(plan.keep_fds[i]);
  unsigned first = 3;
  for (int i = 0; i < count; ++i) {
    const auto kept = static_cast<unsigned>(keep[i]);
    if (kept < first) continue;  // named twice
    if (kept > first && ::close_range(first, kept - 1, 0) != 0) {
      fail(plan, ChildStep::kCloseFds, errno);
    }
    first = kept + 1;
  }
  if (::close_range(first, ~0U, 0) != 0) fail(plan, ChildStep::kCloseFds, errno);
}

// Through the new root's /proc: /proc/sys answers for the namespaces of whoever opens
// it (proc(5)), here the sandbox's own, and only after release are its uid and gid maps
// certain to be written, which the ownership of net.* files depends on.
/// "lo" up in the network namespace this process is in, as bubblewrap does for
/// --unshare-net: RTM_NEWLINK with IFF_UP over a NETLINK_ROUTE socket opened here, so it
/// speaks to this namespace (rtnetlink(7)). Waits for the kernel's acknowledgement.
void bring_up_loopback(const ChildPlan& plan) {
  int sock = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (sock < 0) fail(plan, ChildStep::kLoopback, errno);
  struct {
    nlmsghdr header;
    ifinfomsg info;
  } request{};
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = RTM_NEWLINK;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  request.header.nlmsg_seq = 1;
  request.info.ifi_family = AF_UNSPEC;
  request.info.ifi_index = static_cast<int>(::if_nametoindex("lo"));
  request.info.ifi_flags = IFF_UP;
  request.info.ifi_change = IFF_UP;
  if (request.info.ifi_index == 0) fail(plan, ChildStep::kLoopback, errno);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(sock, &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0) {
    fail(plan, ChildStep::kLoopback, errno);
  }
  struct {
    nlmsghdr header;
    nlmsgerr error;
  } answer{};
  ssize_t got = ::recv(sock, &answer, sizeof answer, 0);
  if (got < 0) fail(plan, ChildStep::kLoopback, errno);
  if (answer.header.nlmsg_type == NLMSG_ERROR && answer.error.error != 0) {
    fail(plan, ChildStep::kLoopback, -answer.error.error);
  }
  ::close(sock);
}

// The command gets only what --cap-add names: a read-only bind stays read-only only if it
// cannot remount it (CAP_SYS_ADMIN), and root of a user namespace holds every capability
// there (user_namespaces(7)). Done last, after the loopback that needs them.
// no_new_privs: no setuid or file capability can give them back at exec (prctl(2)).
void drop_privileges(const ChildPlan& plan) {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(plan, ChildStep::kPrivileges, errno, -1);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
  if (::syscall(SYS_capget, &header, data) != 0) fail(plan, ChildStep::kPrivileges, errno, -1);
  std::uint64_t held = data[0].permitted | (std::uint64_t{data[1].permitted} << 32);
  std::uint64_t keep = plan.keep_capabilities & (plan.keep_all ? held : ~std::uint64_t{0});
  // A capability asked for by name that this process does not hold cannot be kept.
  for (int cap = 0; cap <= plan.last_cap; ++cap) {
    if ((keep >> cap) & 1U && !((held >> cap) & 1U)) fail(plan, ChildStep::kPrivileges, EPERM, cap);
  }
  // The bounding set limits what any later exec can gain; dropping needs CAP_SETPCAP,
  // which goes with the capset below, so it comes first.
  for (int cap = 0; cap <= plan.last_cap; ++cap) {
    if ((keep >> cap) & 1U) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) fail(plan, ChildStep::kPrivileges, errno, cap);
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    fail(plan, ChildStep::kPrivileges, errno, -1);
  }
  for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; ++i) {
    auto word = static_cast<std::uint32_t>(keep >> (32 * i));
    data[i].effective = data[i].permitted = data[i].inheritable = word;
  }
  if (::syscall(SYS_capset, &header, data) != 0) fail(plan, ChildStep::kPrivileges, errno, -1);
  // Ambient too, or exec drops them for any uid but 0 (capabilities(7), "Transformation
  // of capabilities during execve()"); raising one needs it permitted and inheritable.
  for (int cap = 0; cap <= plan.last_cap; ++cap) {
    if (!((keep >> cap) & 1U)) continue;
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
      fail(plan, ChildStep::kPrivileges, errno, cap);
    }
  }
}

/// Writes `text` to `name` under the /proc the child opened before parking, in one
/// write(2), as a map must be written.
bool write_self_file(const ChildPlan& plan, const char* name, const char* text) {
  int fd = ::openat(plan.proc_fd, name, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const auto size = static_cast<ssize_t>(::strlen(text));
  const bool ok = ::write(fd, text, static_cast<std::size_t>(size)) == size;
  ::close(fd);
  return ok;
}

// --uid/--gid. In a user namespace whose only mapped id is 0 (the caller), another id
// can only come from a nested namespace that maps it onto this one's root: bubblewrap's
// way for an unprivileged --uid. The command then holds no capability over the mount
// namespace (owned by the outer one), on top of the drop that follows. Without a user
// namespace this process is the host's root: setgroups, setresgid, setresuid, keeping
// its capabilities across the uid change (PR_SET_KEEPCAPS) for drop_privileges to pick
// what --cap-add keeps. A credential change clears PR_SET_PDEATHSIG (prctl(2)): set again.
void switch_ids(const ChildPlan& plan) {
  if (plan.nested_user_namespace) {
    if (::unshare(CLONE_NEWUSER) != 0) fail(plan, ChildStep::kIds, errno, 0);
    // Through the host's /proc, opened before the layout was applied: the sandbox may
    // have none. A map file answers for the namespace its process is in when opened.
    if (!write_self_file(plan, "thread-self/setgroups", "deny") ||
        !write_self_file(plan, "thread-self/uid_map", plan.uid_map) ||
        !write_self_file(plan, "thread-self/gid_map", plan.gid_map)) {
      fail(plan, ChildStep::kIds, errno, 1);
    }
    ::close(plan.proc_fd);
  } else if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 ||
             ::syscall(SYS_setgroups, 0, nullptr) != 0) {
    fail(plan, ChildStep::kIds, errno, 2);
  }
  // Raw syscalls: glibc's wrappers signal every thread (nptl setxid), not async-safe here.
  if (::syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid) != 0 ||
      ::syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid) != 0) {
    fail(plan, ChildStep::kIds, errno, 2);
  }
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  // What rootfsctl forwards may come as soon as it releases this child, before pid 1 is
  // ready for it: blocked, it waits (a pid namespace's init would drop it unhandled), for
  // supervise()'s sigwaitinfo, or, without a pid namespace, for the command, whose mask
  // exec_command() clears. Blocked signals are never ignored (kernel/signal.c).
  sigset_t forwarded;
  ::sigemptyset(&forwarded);
  for (int sig : kForwarded) ::sigaddset(&forwarded, sig);
  ::sigprocmask(SIG_BLOCK, &forwarded, nullptr);
  if (plan.nested_user_namespace) return;
  // Leaving uid 0 cleared the effective set (KEEPCAPS keeps only the permitted one), and
  // drop_privileges needs CAP_SETPCAP effective to shrink the bounding set.
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
  if (::syscall(SYS_capget, &header, data) != 0) fail(plan, ChildStep::kIds, errno, 2);
  for (auto& word : data) word.effective = word.permitted;
  if (::syscall(SYS_capset, &header, data) != 0) fail(plan, ChildStep::kIds, errno, 2);
}

[[noreturn]] void exec_command(const ChildPlan& plan) {
  // The command starts with no signal blocked, whatever the caller or pid 1 blocked.
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // execvp searches the PATH of environ, and passes environ on: the command's own
  // environment decides both (a plain store, no allocation). The search is inside the new
  // root, since the root was switched already.
  if (plan.envp != nullptr) environ = plan.envp;
  ::execvp(plan.argv[0], plan.argv);
  int error = errno;
  write_report(plan.status_fd, ChildStep::kExec, error);
  ::_exit(exec_failure_status(error));
}

// pid 1 of the new pid namespace: runs the command as its child, passes signals on and
// reaps everything that exits, orphans included, until the command itself exits. Then it
// exits with the command's status, and the kernel kills whatever the command left
// behind, as it does when any pid namespace's init exits (pid_namespaces(7)). That is
// what tini and docker --init do; waiting for the orphans instead would let a stray
// background process hold `run` open.
[[noreturn]] void supervise(const ChildPlan& plan) {
  ::prctl(PR_SET_NAME, "rootfsctl-init", 0, 0, 0);
  // pid 1 of a namespace receives only the signals it handles or blocks; blocked ones
  // are queued for sigwaitinfo(2) (pid_namespaces(7), kernel/signal.c sig_ignored).
  // Blocked before the fork, so a SIGCHLD cannot come too early to be seen.
  sigset_t set;
  ::sigemptyset(&set);
  for (int sig : kForwarded) ::sigaddset(&set, sig);
  ::sigaddset(&set, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);

  // vfork(2), as posix_spawn(3) does: the command's process shares this memory until its
  // exec, so no page tables are copied (this process is a copy of rootfsctl, megabytes
  // of mapped binary; a fork here took 0.55 ms of a 12 ms `run`). While it runs here,
  // the command's process only resets its signal mask, execs, or reports and _exits;
  // this process waits meanwhile.
  pid_t command = ::vfork();
  if (command < 0) fail(plan, ChildStep::kFork, errno);
  if (command == 0) exec_command(plan);
  // This copy of the status pipe stays: after vfork returns, the command has exec'd or
  // reported why not, and when it exits its raw status goes there (kExited). pid 1 exits
  // with 128+N when signal N killed it; the caller needs to tell that from `exit 130`,
  // to die of the same SIGINT as a shell expects of it.

  for (;;) {
    siginfo_t info{};
    int sig = ::sigwaitinfo(&set, &info);
    if (sig < 0) continue;  // EINTR
    if (sig != SIGCHLD) {
      if (should_forward(sig, info.si_code)) ::kill(command, sig);
      continue;
    }
    // SIGCHLDs coalesce: reap everything that has exited, not one child per signal.
    int status = 0;
    pid_t pid = 0;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid == command) {
        write_report(plan.status_fd, ChildStep::kExited, 0, status);
        ::_exit(shell_status(status));
      }
    }
  }
}

}  // namespace

long clone3_fork(std::uint64_t flags, int* pidfd) {
  clone_args args{};
  args.flags = flags | (pidfd != nullptr ? CLONE_PIDFD : 0);
  args.pidfd = reinterpret_cast<std::uintptr_t>(pidfd);
  args.exit_signal = SIGCHLD;
  // No stack: the child runs on a copy of this one, as after fork(2) (clone(2), clone3).
  return ::syscall(SYS_clone3, &args, sizeof args);
}

void child_main(const ChildPlan& given) {
  ChildPlan plan = given;  // a plain copy, no allocation: the child fills in proc_fd
  ::close(plan.parent_park_fd);
  ::close(plan.parent_status_fd);
  // The sandbox does not outlive the caller (prctl(2)); a pid namespace's init killed
  // takes the whole namespace with it.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  // An ignored SIGCHLD (SIG_IGN survives exec, so a caller can inherit it) makes the
  // kernel reap children itself (wait(2) NOTES): pid 1 would never learn the command's
  // status, and the command could not wait for its own children.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGCHLD, &dfl, nullptr);
  // Nothing mounted here may reach the host. A mount namespace created by a privileged
  // caller keeps the caller's shared mounts in their peer groups (mount_namespaces(7)),
  // so the first thing is to leave them. A plain mount(2) rather than the syscall seam:
  // this copy of the process may not allocate (spawn_child.h), and the seam's errors do.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    fail(plan, ChildStep::kPropagation, errno);
  }
  // --uid in a user namespace: the nested namespace's maps are written after release,
  // when the sandbox may have no /proc of its own; this one stays reachable by its fd.
  if (plan.switch_ids && plan.nested_user_namespace) {
    plan.proc_fd = ::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (plan.proc_fd < 0) fail(plan, ChildStep::kIds, errno, 1);
  }
  write_report(plan.status_fd, ChildStep::kParked, 0);
  wait_for_release(plan);
  close_inherited_fds(plan);
  // pivot_root(2) moved this process's root and cwd into the new root; "/" is its top,
  // and a relative --chdir starts there.
  if (::chdir("/") != 0 || ::chdir(plan.cwd) != 0) fail(plan, ChildStep::kChdir, errno);
  if (plan.loopback) bring_up_loopback(plan);
  if (plan.new_session && ::setsid() < 0) fail(plan, ChildStep::kSession, errno);
  // Before the init's vfork, so pid 1 keeps no more than the command does.
  if (plan.switch_ids) switch_ids(plan);
  drop_privileges(plan);
  if (!plan.pid_namespace) exec_command(plan);
  supervise(plan);
}

}  // namespace rootfsctl::exec::detail
