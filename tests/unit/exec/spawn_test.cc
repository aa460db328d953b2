// The spawner's pure decisions (argv split, status mapping, signal forwarding, namespace
// flags), then whole spawns in a user namespace without a layout applied: the child
// parks, is released and runs the command in a private copy of this tree. The latter
// need user namespaces and skip where the kernel or a seccomp filter refuses them.
#include "exec/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace rootfsctl::exec {
namespace {

CommandLine split(std::vector<std::string> args) {
  static std::vector<std::string> storage;
  storage = std::move(args);
  static std::vector<char*> argv;
  argv.clear();
  for (auto& arg : storage) argv.push_back(arg.data());
  return split_command_line(static_cast<int>(argv.size()), argv.data());
}

std::vector<std::string> own(const CommandLine& line) { return {line.own.begin(), line.own.end()}; }

TEST(SplitCommandLine, OptionsBeforeTheFirstDoubleDashCommandAfter) {
  auto line = split({"run", "sandbox", "--set", "usr=/usr", "--", "ls", "-l", "/"});
  EXPECT_TRUE(line.has_separator);
  EXPECT_EQ(own(line), (std::vector<std::string>{"run", "sandbox", "--set", "usr=/usr"}));
  EXPECT_EQ(line.command, (std::vector<std::string>{"ls", "-l", "/"}));
}

TEST(SplitCommandLine, EverythingAfterTheFirstDoubleDashIsVerbatim) {
  auto line = split({"run", "--", "sh", "--", "--help", "-c"});
  EXPECT_EQ(own(line), (std::vector<std::string>{"run"}));
  EXPECT_EQ(line.command, (std::vector<std::string>{"sh", "--", "--help", "-c"}));
}

TEST(SplitCommandLine, WithoutSeparatorOrCommand) {
  auto none = split({"run", "sandbox", "ls"});
  EXPECT_FALSE(none.has_separator);
  EXPECT_EQ(own(none), (std::vector<std::string>{"run", "sandbox", "ls"}));
  EXPECT_TRUE(none.command.empty());
  auto empty = split({"run", "--"});
  EXPECT_TRUE(empty.has_separator);
  EXPECT_TRUE(empty.command.empty());
}

TEST(SplitCommandLine, ProgramNameIsNeverTheSeparator) {
  auto line = split({"--", "--", "x"});
  EXPECT_EQ(own(line), (std::vector<std::string>{"--"}));
  EXPECT_EQ(line.command, (std::vector<std::string>{"x"}));
}

TEST(ShellStatus, ExitCodesAndSignals) {
  EXPECT_EQ(shell_status(W_EXITCODE(0, 0)), 0);
  EXPECT_EQ(shell_status(W_EXITCODE(7, 0)), 7);
  EXPECT_EQ(shell_status(W_EXITCODE(255, 0)), 255);
  EXPECT_EQ(shell_status(W_EXITCODE(0, SIGTERM)), 143);
  EXPECT_EQ(shell_status(W_EXITCODE(0, SIGKILL)), 137);
  EXPECT_EQ(shell_status(W_EXITCODE(0, SIGINT) | WCOREFLAG), 130);
}

TEST(ExecFailureStatus, NotFoundIs127AnythingElse126) {
  EXPECT_EQ(exec_failure_status(ENOENT), 127);
  EXPECT_EQ(exec_failure_status(EACCES), 126);
  EXPECT_EQ(exec_failure_status(ENOEXEC), 126);
  EXPECT_EQ(exec_failure_status(ENOTDIR), 126);
  EXPECT_EQ(exec_failure_status(EPERM), 126);
}

TEST(ShouldForward, KeyboardSignalsFromTheKernelAreNotForwardedTwice) {
  EXPECT_FALSE(should_forward(SIGINT, SI_KERNEL));
  EXPECT_FALSE(should_forward(SIGQUIT, SI_KERNEL));
  EXPECT_TRUE(should_forward(SIGINT, SI_USER));
  EXPECT_TRUE(should_forward(SIGQUIT, SI_QUEUE));
  EXPECT_TRUE(should_forward(SIGTERM, SI_USER));
  // A hangup reaches only the session leader (tty_signal_session_leader): pass it on.
  EXPECT_TRUE(should_forward(SIGHUP, SI_KERNEL));
  EXPECT_TRUE(should_forward(SIGTERM, SI_KERNEL));
}

TEST(CloneFlags, MountAlwaysUserWhenAsked) {
  EXPECT_EQ(clone_flags({}, false).value(), std::uint64_t{CLONE_NEWNS});
  EXPECT_EQ(clone_flags({"mount", "pid", "ipc"}, false).value(),
            std::uint64_t{CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC});
  EXPECT_EQ(clone_flags({"pid"}, true).value(),
            std::uint64_t{CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUSER});
  EXPECT_EQ(clone_flags({"user", "uts", "net", "cgroup", "time"}, false).value(),
            std::uint64_t{CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWUTS | CLONE_NEWNET |
                          CLONE_NEWCGROUP | CLONE_NEWTIME});
}

TEST(CloneFlags, UnknownNameIsAUsageError) {
  auto flags = clone_flags({"pid", "netns"}, false);
  ASSERT_FALSE(flags);
  EXPECT_EQ(flags.error().stage, Stage::kUsage);
  EXPECT_EQ(flags.error().message, "unknown namespace 'netns'");
  EXPECT_EQ(flags.error().hint, "one of: mount, pid, user, uts, ipc, net, cgroup, time");
}

TEST(SpawnParked, RefusesWhatCannotWork) {
  auto empty = spawn_parked({}, {});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message, "no command to run");
}

// --- whole spawns ---------------------------------------------------------------------

class SpawnProcess : public ::testing::Test {
 protected:
  // The command's PATH is the caller's. A directory on it that the caller cannot search
  // (root's own, when the tests run as nobody) makes execvp(3) answer EACCES rather than
  // ENOENT, so the not-found cases get a PATH of public directories only.
  void SetUp() override {
    if (const char* path = std::getenv("PATH")) saved_path_ = path;
    ::setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
  }
  void TearDown() override { ::setenv("PATH", saved_path_.c_str(), 1); }

  /// Spawns in a user namespace (so this runs unprivileged too), or skips the test when
  /// the machine refuses one.
  std::optional<ParkedChild> spawn(std::vector<std::string> argv,
                                   std::vector<std::string> namespaces = {"pid"}) {
    SpawnOptions options;
    options.namespaces = std::move(namespaces);
    options.user_namespace = true;
    auto child = spawn_parked(options, argv);
    if (!child && child.error().stage == Stage::kFork &&
        (child.error().errno_value == EPERM || child.error().errno_value == ENOSPC ||
         child.error().errno_value == EINVAL)) {
      skip_reason_ = "user namespaces unavailable: " + child.error().to_string();
      return std::nullopt;
    }
    EXPECT_TRUE(child) << child.error().to_string();
    if (!child) return std::nullopt;
    return std::move(*child);
  }

  /// Spawns, releases and waits; -1 when skipped or failed.
  int run(std::vector<std::string> argv, std::vector<std::string> namespaces = {"pid"}) {
    auto child = spawn(std::move(argv), std::move(namespaces));
    if (!child) return -1;
    EXPECT_TRUE(child->release());
    auto status = child->wait();
    EXPECT_TRUE(status) << status.error().to_string();
    return status.value_or(-1);
  }

  std::string skip_reason_;
  std::string saved_path_;
};

#define SKIP_IF_NO_USERNS()                                  \
  do {                                                       \
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_; \
  } while (0)

TEST_F(SpawnProcess, StatusOfTheCommand) {
  int ok = run({"true"});
  SKIP_IF_NO_USERNS();
  EXPECT_EQ(ok, 0);
  EXPECT_EQ(run({"sh", "-c", "exit 7"}), 7);
  EXPECT_EQ(run({"sh", "-c", "kill -9 $$"}), 137);
  // Without a pid namespace the child becomes the command itself.
  EXPECT_EQ(run({"sh", "-c", "exit 9"}, {}), 9);
  EXPECT_EQ(run({"sh", "-c", "kill -TERM $$"}, {}), 143);
}

TEST_F(SpawnProcess, NotFoundAndNotExecutable) {
  auto missing = spawn({"/nonexistent/rootfsctl-test-command"});
  SKIP_IF_NO_USERNS();
  ASSERT_TRUE(missing);
  ASSERT_TRUE(missing->release());
  EXPECT_EQ(missing->wait().value(), 127);
  EXPECT_EQ(missing->exec_errno(), ENOENT);
  EXPECT_EQ(run({"rootfsctl-no-such-command-on-path"}), 127);
  EXPECT_EQ(run({"rootfsctl-no-such-command-on-path"}, {}), 127);

  char path[] = "/tmp/rootfsctl-spawn-test-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  ::chmod(path, 0644);
  auto plain = spawn({path});
  ASSERT_TRUE(plain);
  ASSERT_TRUE(plain->release());
  EXPECT_EQ(plain->wait().value(), 126);
  EXPECT_EQ(plain->exec_errno(), EACCES);
  ::unlink(path);
}

TEST_F(SpawnProcess, PidOneIsTheInitAndCwdIsRoot) {
  int status = run({"sh", "-c", "test $$ = 2 && test \"$(pwd)\" = /"});
  SKIP_IF_NO_USERNS();
  EXPECT_EQ(status, 0);
}

TEST_F(SpawnProcess, NoDescriptorOfTheCallerLeaks) {
  // Not O_CLOEXEC, at a number past anything the test itself holds.
  int fd = ::open("/", O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::dup2(fd, 77), 77);
  ::close(fd);
  // The shell lists its own fds: 0 1 2, plus 255 or 10 for bash/dash scripts at most;
  // 77 must not be there, nor the spawner's pipe and socket.
  int status = run({"sh", "-c", "test ! -e /proc/self/fd/77 && test ! -e /proc/self/fd/3"});
  ::close(77);
  SKIP_IF_NO_USERNS();
  EXPECT_EQ(status, 0);
  EXPECT_EQ(run({"sh", "-c", "test ! -e /proc/self/fd/77 && test ! -e /proc/self/fd/3"}, {}), 0);
}

TEST_F(SpawnProcess, InitPassesSignalsOnAndExitsWithTheCommand) {
  auto child = spawn({"sleep", "30"});
  SKIP_IF_NO_USERNS();
  ASSERT_TRUE(child);
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, child->pid(), 0)));
  ASSERT_TRUE(pidfd);
  ASSERT_TRUE(child->release());
  // pid 1 drops SIGTERM until it blocks it, so keep sending until the command dies.
  std::atomic<bool> done{false};
  std::thread sender([&] {
    while (!done) {
      ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGTERM, nullptr, 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  auto start = std::chrono::steady_clock::now();
  auto status = child->wait();
  done = true;
  sender.join();
  EXPECT_EQ(status.value_or(-1), 143);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(SpawnProcess, OrphansDoNotHoldRunOpen) {
  auto start = std::chrono::steady_clock::now();
  int status = run({"sh", "-c", "sleep 30 & exec true"});
  SKIP_IF_NO_USERNS();
  EXPECT_EQ(status, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(SpawnProcess, OrphansAreReapedWhileTheCommandRuns) {
  // The inner shell exits at once; its sleep is reparented to pid 1, which must reap it
  // when it exits. A zombie stays on its parent's children list (proc(5)
  // /proc/PID/task/TID/children) until reaped, so a moment later pid 1 has one child left:
  // the command.
  auto child = spawn({"sh", "-c", "sh -c 'sleep 0.1 &'; sleep 1"});
  SKIP_IF_NO_USERNS();
  ASSERT_TRUE(child);
  ASSERT_TRUE(child->release());
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  std::string pid = std::to_string(child->pid());
  std::ifstream children("/proc/" + pid + "/task/" + pid + "/children");
  std::vector<std::string> listed;
  for (std::string word; children >> word;) listed.push_back(word);
  EXPECT_EQ(listed.size(), 1u) << "children of pid 1: " << ::testing::PrintToString(listed);
  EXPECT_EQ(child->wait().value_or(-1), 0);
}

TEST_F(SpawnProcess, UnreleasedChildIsKilledAndReaped) {
  pid_t pid = 0;
  {
    auto child = spawn({"true"});
    SKIP_IF_NO_USERNS();
    ASSERT_TRUE(child);
    pid = child->pid();
    EXPECT_EQ(::kill(pid, 0), 0);
  }
  errno = 0;
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  auto child = spawn({"true"});
  ASSERT_TRUE(child);
  child->abort();
  EXPECT_EQ(child->pid(), -1);
  EXPECT_FALSE(child->release());
}

}  // namespace
}  // namespace rootfsctl::exec
