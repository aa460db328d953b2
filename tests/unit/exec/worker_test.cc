// The worker through the recording fake: which calls it makes in which mode, that the
// work runs on another thread or in another process, and how failures to get there and
// helpers that die are reported. (Real namespaces: tests/e2e/exec_plumbing_test.cc.)
#include "exec/worker.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

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

TEST(RunInTarget, ForkedModeHandsTheOutcomeBackOverAPipe) {
  FakeSyscalls sys;
  Target target = fake_target(sys, true);
  const pid_t caller = ::getpid();
  auto outcome = run_in_target(sys, target, [&](Syscalls& inside) {
    ApplyOutcome o;
    // Recorded in the helper's copy of the fake, which the caller never sees.
    auto calls = static_cast<FakeSyscalls&>(inside).calls();
    o.verify_mismatches = calls;
    o.failed_target = ::getpid() != caller ? "in a helper" : "in the caller";
    o.error = make_error(Stage::kCreate, "mkdirat caf\xe9", EEXIST);
    o.error->context = {"op 2/3 mkdir /caf\xe9"};
    o.elapsed_ms = 1.0 / 3.0;
    o.rolled_back = true;
    return o;
  });
  ASSERT_TRUE(outcome) << outcome.error().to_string();
  EXPECT_EQ(outcome->failed_target, "in a helper");
  // Groups dropped before entering, ids switched to the namespace's root after (issue 17).
  EXPECT_EQ(outcome->verify_mismatches,
            (std::vector<std::string>{"setgroups(0, NULL)", "setns(5, CLONE_NEWUSER)",
                                      "setns(3, CLONE_NEWNS)", "setresgid(0, 0, 0)",
                                      "setresuid(0, 0, 0)"}));
  ASSERT_TRUE(outcome->error);
  EXPECT_EQ(outcome->error->message, "mkdirat caf\xe9");
  EXPECT_EQ(outcome->error->context, std::vector<std::string>{"op 2/3 mkdir /caf\xe9"});
  EXPECT_EQ(outcome->elapsed_ms, 1.0 / 3.0);
  EXPECT_TRUE(sys.calls().empty());
}

TEST(RunInTarget, ForkedModeWorksFromAMultithreadedCaller) {
  FakeSyscalls sys;
  Target target = fake_target(sys, true);
  std::atomic<bool> stop = false;
  std::thread busy([&] {
    while (!stop) std::this_thread::yield();
  });
  auto outcome = run_in_target(sys, target, [](Syscalls&) {
    ApplyOutcome o;
    o.ops_done = 5;
    return o;
  });
  stop = true;
  busy.join();
  ASSERT_TRUE(outcome) << outcome.error().to_string();
  EXPECT_EQ(outcome->ops_done, 5);
}

TEST(RunInTarget, ForkedModeFailuresToEnter) {
  for (auto [call, context] :
       {std::pair{"setgroups", "helper: drop the supplementary groups"},
        std::pair{"CLONE_NEWUSER", "helper: enter the user namespace of process 42"},
        std::pair{"CLONE_NEWNS", "helper: enter the mount namespace of process 42"},
        std::pair{"setresgid", "helper: act as root of the user namespace of process 42"},
        std::pair{"setresuid", "helper: act as root of the user namespace of process 42"}}) {
    FakeSyscalls sys;
    Target target = fake_target(sys, true);
    // EPERM from setgroups is a caller's own groups it may keep (below): EINVAL here.
    sys.fail_matching(call, EINVAL);
    auto outcome = run_in_target(sys, target, [](Syscalls&) {
      ApplyOutcome o;
      o.failed_target = "the work ran";
      return o;
    });
    ASSERT_FALSE(outcome) << call;
    EXPECT_EQ(outcome.error().stage, Stage::kSetns) << call;
    EXPECT_EQ(outcome.error().errno_value, EINVAL) << call;
    EXPECT_EQ(outcome.error().context, std::vector<std::string>{context}) << call;
  }
}

TEST(RunInTarget, ForkedModeKeepsGroupsACallerCannotDrop) {
  // A rootless caller (no CAP_SETGID) entering its own user namespace: its groups are its
  // own, so setgroups' EPERM does not stop it.
  FakeSyscalls sys;
  Target target = fake_target(sys, true);
  sys.fail_matching("setgroups", EPERM);
  auto outcome = run_in_target(sys, target, [](Syscalls& inside) {
    ApplyOutcome o;
    o.verify_mismatches = static_cast<FakeSyscalls&>(inside).calls();
    return o;
  });
  ASSERT_TRUE(outcome) << outcome.error().to_string();
  EXPECT_EQ(outcome->verify_mismatches,
            (std::vector<std::string>{"setgroups(0, NULL) = -1 EPERM", "setns(5, CLONE_NEWUSER)",
                                      "setns(3, CLONE_NEWNS)", "setresgid(0, 0, 0)",
                                      "setresuid(0, 0, 0)"}));
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

TEST(RunInTarget, AHelperThatDiesWithoutReportingIsAForkError) {
  FakeSyscalls sys;
  Target target = fake_target(sys, true);
  auto exited = run_in_target(sys, target, [](Syscalls&) -> ApplyOutcome { ::_exit(7); });
  ASSERT_FALSE(exited);
  EXPECT_EQ(exited.error().stage, Stage::kFork);
  EXPECT_TRUE(exited.error().message.ends_with(" exited with status 7 without a report"))
      << exited.error().message;

  auto killed = run_in_target(sys, target, [](Syscalls&) -> ApplyOutcome {
    ::raise(SIGKILL);
    return {};
  });
  ASSERT_FALSE(killed);
  EXPECT_EQ(killed.error().stage, Stage::kFork);
  EXPECT_TRUE(
      killed.error().message.ends_with(" was killed by signal 9 (SIGKILL) without a report"))
      << killed.error().message;
}

}  // namespace
}  // namespace rootfsctl::exec
