// The worker through the recording fake: which calls it makes in thread mode, that the
// work runs on another thread, and in helper mode how failures to start or enter the
// helper (rootfsctl-nshelper) and helpers that die are reported. (Real namespaces:
// tests/e2e/exec_plumbing_test.cc.)
#include "exec/worker.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "exec/nshelper_path.h"
#include "fake_syscalls.h"

namespace rootfsctl::exec {
namespace {

using testing::FakeSyscalls;

Target fake_target(FakeSyscalls& sys, bool other_user_ns) {
  Target target;
  target.pid = 42;
  target.mnt_ns = sys.new_fd("/proc/42/ns/mnt");    // handle 3
  target.pid_ns = sys.new_fd("/proc/42/ns/pid");    // handle 4
  target.user_ns = sys.new_fd("/proc/42/ns/user");  // handle 5
  target.other_user_ns = other_user_ns;
  return target;
}

TEST(RunInTarget, ThreadModeEntersTheMountNamespaceOnAnotherThread) {
  FakeSyscalls sys;
  Target target = fake_target(sys, false);
  const auto caller = std::this_thread::get_id();
  bool other_thread = false;
  auto outcome = run_in_target(sys, target, [&](Syscalls& inside) {
    other_thread = std::this_thread::get_id() != caller;
    EXPECT_EQ(&inside, &sys);
    EXPECT_TRUE(inside.mkdirat(AT_FDCWD, "work", 0755));
    ApplyOutcome o;
    o.ops_total = o.ops_done = 1;
    return o;
  });
  ASSERT_TRUE(outcome) << outcome.error().to_string();
  EXPECT_TRUE(other_thread);
  EXPECT_EQ(outcome->ops_done, 1);
  EXPECT_EQ(sys.calls(), (std::vector<std::string>{"unshare(CLONE_FS)", "setns(3, CLONE_NEWNS)",
                                                   "mkdirat(AT_FDCWD, \"work\", 0755)"}));
}

TEST(RunInTarget, ThreadModeReportsTheWorksFailureAsAnOutcome) {
  FakeSyscalls sys;
  Target target = fake_target(sys, false);
  auto outcome = run_in_target(sys, target, [](Syscalls&) {
    ApplyOutcome o;
    o.error = make_error(Stage::kMount, "fsmount", EPERM);
    return o;
  });
  ASSERT_TRUE(outcome);
  ASSERT_TRUE(outcome->error);
  EXPECT_EQ(outcome->error->message, "fsmount");
}

TEST(RunInTarget, ThreadModeFailuresToEnter) {
  for (auto [call, stage, context] :
       {std::tuple{"unshare", Stage::kUnshare, "worker thread: unshare its fs_struct"},
        std::tuple{"setns", Stage::kSetns,
                   "worker thread: enter the mount namespace of process 42"}}) {
    FakeSyscalls sys;
    Target target = fake_target(sys, false);
    sys.fail_matching(call, EPERM);
    bool ran = false;
    auto outcome = run_in_target(sys, target, [&](Syscalls&) {
      ran = true;
      return ApplyOutcome{};
    });
    ASSERT_FALSE(outcome) << call;
    EXPECT_FALSE(ran) << call;
    EXPECT_EQ(outcome.error().stage, stage) << call;
    EXPECT_EQ(outcome.error().errno_value, EPERM) << call;
    EXPECT_EQ(outcome.error().context, std::vector<std::string>{context}) << call;
  }
}

TEST(RunInTarget, ThreadModeKeepsTheCallersIds) {
  // Same user namespace: the caller's ids are already mapped there; nothing to switch.
  FakeSyscalls sys;
  Target target = fake_target(sys, false);
  auto outcome = run_in_target(sys, target, [](Syscalls&) { return ApplyOutcome{}; });
  ASSERT_TRUE(outcome);
  EXPECT_TRUE(sys.calls_matching("setres").empty());
  EXPECT_TRUE(sys.calls_matching("setgroups").empty());
}

// Helper mode. Entering for real needs real namespaces (tests/e2e/exec_plumbing_test.cc;
// the helper's side with the fake: nshelper_test.cc); here, how starting and entering fail.

/// Points the worker at `path` for one test.
struct HelperAt {
  explicit HelperAt(std::string path) { set_nshelper_path(std::move(path)); }
  ~HelperAt() { set_nshelper_path(""); }
};

Result<ApplyOutcome> run_in_helper_mode(bool& ran) {
  FakeSyscalls sys;
  Target target = fake_target(sys, true);  // its namespace fds are /dev/null
  return run_in_target(sys, target, [&](Syscalls&) {
    ran = true;
    return ApplyOutcome{};
  });
}

TEST(RunInTarget, AMissingHelperIsAForkErrorNamingIt) {
  HelperAt helper("/nonexistent/libexec/rootfsctl/rootfsctl-nshelper");
  bool ran = false;
  auto outcome = run_in_helper_mode(ran);
  ASSERT_FALSE(outcome);
  EXPECT_FALSE(ran);
  EXPECT_EQ(outcome.error().stage, Stage::kFork);
  EXPECT_EQ(outcome.error().message,
            "the namespace helper /nonexistent/libexec/rootfsctl/rootfsctl-nshelper is missing");
  EXPECT_EQ(outcome.error().errno_value, ENOENT);
}

TEST(RunInTarget, TheHelperIsFoundBesideTheInstalledProgramOrLibrary) {
  // This test binary is neither: the error names where an installed one would look.
  auto path = nshelper_path();
  ASSERT_FALSE(path);
  EXPECT_NE(path.error().message.find("/libexec/rootfsctl/rootfsctl-nshelper is missing"),
            std::string::npos)
      << path.error().message;
}

TEST(RunInTarget, TheRealHelperReportsWhyItCouldNotEnter) {
  HelperAt helper(ROOTFSCTL_NSHELPER_TEST_PATH);
  bool ran = false;
  auto outcome = run_in_helper_mode(ran);
  ASSERT_FALSE(outcome);
  EXPECT_FALSE(ran);
  EXPECT_EQ(outcome.error().stage, Stage::kSetns);
  EXPECT_EQ(outcome.error().errno_value, EINVAL) << "/dev/null is no user namespace";
  EXPECT_EQ(outcome.error().context,
            std::vector<std::string>{"helper: enter the user namespace of process 42"});
}

TEST(RunInTarget, AHelperThatEndsBeforeEnteringIsAForkError) {
  bool ran = false;
  {
    HelperAt helper("/bin/false");
    auto exited = run_in_helper_mode(ran);
    ASSERT_FALSE(exited);
    EXPECT_EQ(exited.error().stage, Stage::kFork);
    EXPECT_TRUE(exited.error().message.ends_with(" exited with status 1 before entering"))
        << exited.error().message;
  }
  const std::string script = ::testing::TempDir() + "/nshelper-kills-itself";
  {
    UniqueFd file(::open(script.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755));
    const std::string text = "#!/bin/sh\nkill -9 $$\n";
    ASSERT_EQ(::write(file.get(), text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  HelperAt helper(script);
  auto killed = run_in_helper_mode(ran);
  ::unlink(script.c_str());
  ASSERT_FALSE(killed);
  EXPECT_EQ(killed.error().stage, Stage::kFork);
  EXPECT_TRUE(killed.error().message.ends_with(" was killed by signal 9 (SIGKILL) before entering"))
      << killed.error().message;
  EXPECT_FALSE(ran);
}

TEST(RunInTarget, TheHelperRefusesToRunByHand) {
  const std::string command = std::string(ROOTFSCTL_NSHELPER_TEST_PATH) + " 2>/dev/null";
  const int status = std::system(command.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 64) << status;
}

}  // namespace
}  // namespace rootfsctl::exec
