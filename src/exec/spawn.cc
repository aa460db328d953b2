// spawn_parked and ParkedChild: the caller's side of `run`'s child. The child's side,
// from clone3 to exec, is spawn_child.cc.
#include "exec/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <iterator>
#include <optional>
#include <string_view>

#include "exec/spawn_child.h"

namespace rootfsctl::exec {
namespace {

using detail::ChildReport;
using detail::ChildStep;

struct NamespaceFlag {
  std::string_view name;
  std::uint64_t flag;
};

constexpr std::array<NamespaceFlag, 8> kNamespaceFlags{{
    {"mount", CLONE_NEWNS},
    {"pid", CLONE_NEWPID},
    {"user", CLONE_NEWUSER},
    {"uts", CLONE_NEWUTS},
    {"ipc", CLONE_NEWIPC},
    {"net", CLONE_NEWNET},
    {"cgroup", CLONE_NEWCGROUP},
    {"time", CLONE_NEWTIME},
}};

// The signals wait() passes on to the child (spawn.h).
constexpr std::array kForwarded{SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

// The pidfd the forwarding handler signals; -1 when no wait() is running. A lock-free
// atomic is what a signal handler may read (signal-safety(7)).
std::atomic<int> g_forward_pidfd{-1};
static_assert(std::atomic<int>::is_always_lock_free);

void forward_signal(int sig, siginfo_t* info, void* /*context*/) {
  int saved_errno = errno;
  int pidfd = g_forward_pidfd.load();
  if (pidfd >= 0 && should_forward(sig, info->si_code)) {
    ::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0);
  }
  errno = saved_errno;
}

// Installs forward_signal for kForwarded while it lives, then puts the old actions back.
// A signal the caller ignores stays ignored (nohup(1) sets SIGHUP to SIG_IGN, a shell
// does so for SIGINT and SIGQUIT in background jobs); the child inherited that anyway.
class SignalForwarder {
 public:
  explicit SignalForwarder(int pidfd) {
    g_forward_pidfd.store(pidfd);
    struct sigaction action {};
    action.sa_sigaction = forward_signal;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    ::sigemptyset(&action.sa_mask);
    for (std::size_t i = 0; i < kForwarded.size(); ++i) {
      struct sigaction old {};
      ::sigaction(kForwarded[i], nullptr, &old);
      if (old.sa_handler == SIG_IGN) continue;
      installed_[i] = ::sigaction(kForwarded[i], &action, &saved_[i]) == 0;
    }
  }
  ~SignalForwarder() {
    for (std::size_t i = 0; i < kForwarded.size(); ++i) {
      if (installed_[i]) ::sigaction(kForwarded[i], &saved_[i], nullptr);
    }
    g_forward_pidfd.store(-1);
  }
  SignalForwarder(const SignalForwarder&) = delete;
  SignalForwarder& operator=(const SignalForwarder&) = delete;

 private:
  std::array<struct sigaction, kForwarded.size()> saved_{};
  std::array<bool, kForwarded.size()> installed_{};
};

// From release() until wait() has its forwarder in place, the forwarded signals stay
// blocked in the calling thread: the command may already run then, and a SIGTERM or SIGINT
// in that window would kill rootfsctl (and, through PDEATHSIG, the sandbox) instead of
// reaching the command. wait() unblocks them once it forwards, so they are passed on late,
// not lost. Per thread, as the signal mask is: release() and wait() run on one thread.
thread_local bool t_blocked_since_release = false;
thread_local sigset_t t_mask_before_release;

void block_forwarded() {
  sigset_t set;
  ::sigemptyset(&set);
  for (int sig : kForwarded) ::sigaddset(&set, sig);
  t_blocked_since_release = ::pthread_sigmask(SIG_BLOCK, &set, &t_mask_before_release) == 0;
}

void unblock_forwarded() {
  if (!t_blocked_since_release) return;
  ::pthread_sigmask(SIG_SETMASK, &t_mask_before_release, nullptr);
  t_blocked_since_release = false;
}

/// One report from the child, or nullopt at EOF (the child exec'd or exited).
std::optional<ChildReport> read_report(int fd) {
  ChildReport report;
  ssize_t n = 0;
  do {
    n = ::read(fd, &report, sizeof report);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof report)) return std::nullopt;
  return report;
}

Error report_error(const ChildReport& report, const SpawnOptions& options) {
  int e = report.errno_value;
  switch (report.step) {
    case ChildStep::kPropagation:
      return make_error(Stage::kMount, "child: make / rprivate in its mount namespace", e);
    case ChildStep::kCloseFds:
      return make_error(Stage::kFork, "child: close inherited file descriptors", e);
    case ChildStep::kLoopback:
      return make_error(Stage::kFork, "child: bring up lo in its network namespace (netlink)", e);
    case ChildStep::kChdir:
      return make_error(Stage::kChdir, "child: chdir " + options.cwd + " in the new root", e);
    case ChildStep::kFork:
      return make_error(Stage::kFork, "child: create the command's process", e);
    case ChildStep::kPrivileges: {
      auto name = capability_name(report.index);
      return make_error(Stage::kFork,
                        name.empty() ? std::string("child: drop privileges before the command")
                                     : "child: drop privileges: keep or drop " + std::string(name),
                        e);
    }
    case ChildStep::kIds: {
      const char* what[] = {"create the user namespace of --uid/--gid",
                            "map --uid/--gid in the nested user namespace", "become --uid/--gid"};
      const std::string ids = " (uid " + std::to_string(options.uid.value_or(0)) + ", gid " +
                              std::to_string(options.gid.value_or(0)) + ")";
      return make_error(Stage::kFork,
                        std::string("child: ") + what[std::clamp(report.index, 0, 2)] + ids, e);
    }
    case ChildStep::kSession:
      return make_error(Stage::kFork, "child: setsid for --new-session", e);
    case ChildStep::kParked:
    case ChildStep::kExec:
    case ChildStep::kExited:
      break;
  }
  return make_error(Stage::kInternal, "child: unexpected report", e);
}

/// Reaps the child behind `pidfd`, retrying EINTR. Returns waitid(2)'s result.
int reap(int pidfd, siginfo_t& info) {
  int rc = 0;
  do {
    rc = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, WEXITED);
  } while (rc < 0 && errno == EINTR);
  return rc;
}

int shell_status(const siginfo_t& info) {
  return info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
}

Result<void> write_proc_file(pid_t pid, const char* name, const std::string& text) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return std::unexpected(make_error(Stage::kUnshare, "open " + path, errno));
  // A map must arrive in a single write(2) (user_namespaces(7)).
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return std::unexpected(make_error(
        Stage::kUnshare, "write '" + text.substr(0, text.size() - 1) + "' to " + path, errno));
  }
  return {};
}

// The caller's uid and gid become 0 inside, and nothing else is mapped. setgroups must be
// denied before an unprivileged gid_map write is allowed (user_namespaces(7), Linux 3.19).
Result<void> write_id_maps(pid_t pid) {
  if (auto r = write_proc_file(pid, "setgroups", "deny\n"); !r) return r;
  if (auto r = write_proc_file(pid, "uid_map", "0 " + std::to_string(::geteuid()) + " 1\n"); !r) {
    return r;
  }
  return write_proc_file(pid, "gid_map", "0 " + std::to_string(::getegid()) + " 1\n");
}

Error clone_error(int e, bool user_namespace) {
  Error error = make_error(Stage::kFork, "clone3 the child in new namespaces", e);
  if (user_namespace && (e == EPERM || e == EACCES || e == ENOSPC)) {
    error.hint =
        "user namespaces may be disabled or exhausted here: see sysctl "
        "user.max_user_namespaces (and kernel.unprivileged_userns_clone where it exists)";
  } else if (e == EPERM) {
    error.hint = "creating namespaces needs root (CAP_SYS_ADMIN) or a user namespace";
  }
  return error;
}

}  // namespace

Result<std::uint64_t> clone_flags(const std::vector<std::string>& namespaces, bool user_namespace) {
  std::uint64_t flags = CLONE_NEWNS;
  if (user_namespace) flags |= CLONE_NEWUSER;
  for (const auto& name : namespaces) {
    bool known = false;
    for (const auto& entry : kNamespaceFlags) {
      if (entry.name != name) continue;
      flags |= entry.flag;
      known = true;
    }
    if (!known) {
      Error error = make_error(Stage::kUsage, "unknown namespace '" + name + "'");
      error.hint = "one of: mount, pid, user, uts, ipc, net, cgroup, time";
      return std::unexpected(error);
    }
  }
  return flags;
}

int shell_status(int wait_status) {
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return WEXITSTATUS(wait_status);
}

int exec_failure_status(int errno_value) { return errno_value == ENOENT ? 127 : 126; }

bool should_forward(int sig, int si_code) {
  return !(si_code == SI_KERNEL && (sig == SIGINT || sig == SIGQUIT));
}

CommandLine split_command_line(int argc, char** argv) {
  CommandLine line;
  for (int i = 0; i < argc; ++i) {
    if (line.has_separator) {
      line.command.emplace_back(argv[i]);
    } else if (i > 0 && std::string_view(argv[i]) == "--") {
      line.has_separator = true;
    } else {
      line.own.push_back(argv[i]);
    }
  }
  return line;
}

ParkedChild::~ParkedChild() { abort(); }

Result<void> ParkedChild::release() {
  if (!release_fd_) {
    return std::unexpected(make_error(Stage::kInternal, "release: no parked child"));
  }
  block_forwarded();
  char byte = detail::kReleaseByte;
  ssize_t n = 0;
  do {
    // A socket, so a child that died already is EPIPE here rather than a SIGPIPE.
    n = ::send(release_fd_.get(), &byte, 1, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  int e = errno;
  release_fd_.reset();
  if (n != 1) {
    unblock_forwarded();
    return std::unexpected(
        make_error(Stage::kFork, "release child " + std::to_string(pid_) + " (it has exited)", e));
  }
  return {};
}

void ParkedChild::abort() {
  if (!pidfd_) return;
  release_fd_.reset();
  // SIGKILL to pid 1 of a pid namespace kills everything in it.
  ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
  siginfo_t info{};
  reap(pidfd_.get(), info);
  pidfd_.reset();
  status_fd_.reset();
  pid_ = -1;
  unblock_forwarded();
}

Result<int> ParkedChild::wait() {
  if (!pidfd_) return std::unexpected(make_error(Stage::kInternal, "wait: no child"));
  if (release_fd_) {
    return std::unexpected(make_error(Stage::kInternal, "wait: the child was not released"));
  }
  std::optional<ChildReport> report;
  siginfo_t info{};
  int rc = 0;
  int e = 0;
  {
    SignalForwarder forwarder(pidfd_.get());
    unblock_forwarded();  // what came since release() is forwarded now
    // Why the exec failed; else, from pid 1, how the command ended (kExited), or EOF when
    // the command itself was the child (the pipe is O_CLOEXEC) or pid 1 was killed.
    report = read_report(status_fd_.get());
    rc = reap(pidfd_.get(), info);
    e = errno;
  }
  pidfd_.reset();
  status_fd_.reset();
  pid_t pid = std::exchange(pid_, -1);
  if (rc < 0) {
    Error error = make_error(Stage::kFork, "wait for child " + std::to_string(pid), e);
    if (e == ECHILD) error.hint = "SIGCHLD is ignored in this process, so the kernel reaped it";
    return std::unexpected(error);
  }
  if (report && report->step == ChildStep::kExec) {
    exec_errno_ = report->errno_value;
    return exec_failure_status(exec_errno_);
  }
  if (report && report->step == ChildStep::kExited) {
    if (WIFSIGNALED(report->index)) term_signal_ = WTERMSIG(report->index);
    return shell_status(report->index);
  }
  if (report) return std::unexpected(report_error(*report, options_));
  if (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED) term_signal_ = info.si_status;
  return shell_status(info);
}

Result<ParkedChild> spawn_parked(const SpawnOptions& options,
                                 const std::vector<std::string>& argv) {
  if (argv.empty() || argv.front().empty()) {
    return std::unexpected(make_error(Stage::kUsage, "no command to run"));
  }
  auto flags = clone_flags(options.namespaces, options.user_namespace);
  if (!flags) return std::unexpected(flags.error());
  // What the child reads, laid out before clone3 so that it need not allocate.
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  if (options.environment) {
    for (const auto& entry : *options.environment) envp.push_back(const_cast<char*>(entry.c_str()));
    envp.push_back(nullptr);
  }

  int park[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, park) != 0) {
    return std::unexpected(make_error(Stage::kFork, "socketpair for the parking channel", errno));
  }
  UniqueFd park_parent(park[0]), park_child(park[1]);
  int status[2];
  if (::pipe2(status, O_CLOEXEC) != 0) {
    return std::unexpected(make_error(Stage::kFork, "pipe for the child's reports", errno));
  }
  UniqueFd status_read(status[0]), status_write(status[1]);

  detail::ChildPlan plan;
  plan.argv = args.data();
  plan.envp = options.environment ? envp.data() : nullptr;
  plan.cwd = options.cwd.empty() ? "/" : options.cwd.c_str();
  plan.pid_namespace = (*flags & CLONE_NEWPID) != 0;
  plan.loopback = (*flags & CLONE_NEWNET) != 0;
  plan.last_cap = last_cap();
  plan.keep_capabilities = options.keep_capabilities & all_capabilities(plan.last_cap);
  plan.keep_all = options.keep_all_capabilities;
  // --uid/--gid: the ids the child holds until then are 0 with a user namespace (the
  // caller mapped to root) and the caller's own without.
  const uid_t uid = options.uid.value_or(options.user_namespace ? 0 : ::geteuid());
  const gid_t gid = options.gid.value_or(options.user_namespace ? 0 : ::getegid());
  const std::string uid_map = std::to_string(uid) + " 0 1\n";
  const std::string gid_map = std::to_string(gid) + " 0 1\n";
  plan.switch_ids =
      options.user_namespace ? (uid != 0 || gid != 0) : (uid != ::geteuid() || gid != ::getegid());
  plan.nested_user_namespace = options.user_namespace;
  plan.uid_map = uid_map.c_str();
  plan.gid_map = gid_map.c_str();
  plan.uid = uid;
  plan.gid = gid;
  plan.new_session = options.new_session;
  plan.keep_fds = options.keep_fds.data();
  plan.keep_fd_count = static_cast<int>(options.keep_fds.size());
  plan.park_fd = park_child.get();
  plan.status_fd = status_write.get();
  plan.parent_park_fd = park_parent.get();
  plan.parent_status_fd = status_read.get();

  int pidfd = -1;
  long pid = detail::clone3_fork(*flags, &pidfd);
  if (pid == 0) detail::child_main(plan);
  if (pid < 0) return std::unexpected(clone_error(errno, options.user_namespace));

  ParkedChild child;
  child.pid_ = static_cast<pid_t>(pid);
  child.pidfd_.reset(pidfd);
  child.release_fd_ = std::move(park_parent);
  child.status_fd_ = std::move(status_read);
  child.options_ = options;
  // The child's ends: with them closed here, EOF means the child is gone or has exec'd.
  park_child.reset();
  status_write.reset();
  // From here on, an early return kills and reaps the child (~ParkedChild).
  if (options.user_namespace) {
    if (auto mapped = write_id_maps(child.pid_); !mapped) {
      return std::unexpected(mapped.error().wrap("map ids for child " + std::to_string(pid)));
    }
  }
  auto report = read_report(child.status_fd_.get());
  if (!report) {
    return std::unexpected(
        make_error(Stage::kFork, "child " + std::to_string(pid) + " exited before parking"));
  }
  if (report->step != ChildStep::kParked) {
    return std::unexpected(report_error(*report, options));
  }
  return child;
}

}  // namespace rootfsctl::exec
