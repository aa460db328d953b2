// Load (issue 6): the library API applying the bundled sandbox 1,000 times in a row, each
// into a fresh parked child, and 32 at once from 32 threads of one process into 32
// children. Before, during and after, the caller's open descriptors, threads and mounts
// must not grow, and every thread of the caller must keep its mount namespace, root, cwd
// and umask. Every apply must succeed and leave its child on the new root.
//
// Safety: as in exec_plumbing_test.cc, the test process runs in a private mount namespace
// of its own (exec_plumbing_support.h), and every mount is made in a parked child's.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <latch>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "exec/executor.h"
#include "exec/syscalls.h"
#include "exec_plumbing_support.h"
#include "layout/profiles.h"
#include "mountinfo/mountinfo.h"

namespace rootfsctl::e2e {
namespace {

[[maybe_unused]] const auto* const kPrivateNamespace =
    ::testing::AddGlobalTestEnvironment(new PrivateMountNamespace);

constexpr int kSequential = 1000;
constexpr int kCheckEvery = 100;
constexpr int kConcurrent = 32;
constexpr int kConcurrentRounds = 4;

std::size_t entries_in(const std::string& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

/// What must not grow in the caller: open descriptors, threads, mounts in its namespace.
struct Resources {
  std::size_t fds = 0, threads = 0, mounts = 0;
  bool operator==(const Resources&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Resources& r) {
  return out << r.fds << " fds, " << r.threads << " threads, " << r.mounts << " mounts";
}

Resources resources() {
  Resources r;
  r.fds = entries_in("/proc/self/fd");
  r.threads = entries_in("/proc/self/task");
  const std::string table = read_file("/proc/self/mountinfo");
  for (char c : table) r.mounts += c == '\n' ? 1 : 0;
  return r;
}

/// Every thread of the caller has `expected` (namespace, root, cwd, umask); returns the
/// ones that do not, "" when all do.
std::string threads_differing_from(const ThreadState& expected) {
  std::string out;
  for (const auto& [tid, state] : caller_threads()) {
    if (!(state == expected))
      out += "thread " + tid + ": " + ::testing::PrintToString(state) + "\n";
  }
  return out;
}

std::string this_tid() { return std::to_string(::syscall(SYS_gettid)); }

/// The namespace, root and cwd of thread `tid` (its umask is the process's, checked by
/// caller_threads()).
ThreadState state_of(const std::string& tid) {
  const std::string task = "/proc/self/task/" + tid;
  return {read_link(task + "/ns/mnt"), read_link(task + "/root"), read_link(task + "/cwd"), ""};
}

ThreadState this_thread_state() { return caller_threads().at(this_tid()); }

layout::Layout sandbox() {
  auto layout = layout::load_profile(std::string(ROOTFSCTL_SOURCE_DIR) + "/manifests/sandbox.yaml");
  EXPECT_TRUE(layout) << layout.error().render();
  return layout ? *layout : layout::Layout{};
}

/// "" when the apply into `pid` succeeded and the child's table shows the new root: a
/// tmpfs at "/", /usr read-only, and the old root (with the child's marker) gone.
std::string apply_and_check(const layout::Layout& layout, pid_t pid) {
  auto result = exec::apply(exec::linux_syscalls(), layout, pid, {});
  if (!result) return "apply: " + result.error().to_string();
  if (!result->outcome) return "apply: not executed (validation errors)";
  const auto& outcome = *result->outcome;
  if (!outcome.ok()) return "apply: " + outcome.error->to_string();
  if (!outcome.committed || outcome.ops_done != outcome.ops_total) return "apply: not committed";
  auto table = mountinfo::parse_mountinfo(read_file("/proc/" + std::to_string(pid) + "/mountinfo"));
  if (!table) return "child's mountinfo: " + table.error().to_string();
  std::string root_type, usr_options;
  for (const auto& entry : table->entries()) {
    if (entry.source == kMarkerSource) return "the old root is still attached";
    if (entry.target == "/") root_type = std::string(entry.fstype);
    if (entry.target == "/usr") usr_options = std::string(entry.options);
  }
  if (root_type != "tmpfs") return "child's root is '" + root_type + "', not the new tmpfs";
  if (!usr_options.starts_with("ro")) return "child's /usr is '" + usr_options + "'";
  return "";
}

class LoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    layout_ = sandbox();
    state_ = this_thread_state();
  }
  /// Every thread now alive has the state the test began with.
  void expect_threads_unchanged(const std::string& when) {
    EXPECT_EQ(threads_differing_from(state_), "") << when;
  }

  layout::Layout layout_;
  ThreadState state_;
};

TEST_F(LoadTest, ThousandSequentialAppliesLeakNothing) {
  REQUIRE_ROOT();
  IdleThreads idlers(2);
  TempDir mark;
  const Resources before = resources();
  const auto start = std::chrono::steady_clock::now();
  int applied = 0;
  for (int i = 1; i <= kSequential; ++i) {
    ParkedChild child(ParkMode::kRoot, mark.path());
    ASSERT_EQ(child.failure(), "");
    const std::string problem = apply_and_check(layout_, child.pid());
    ASSERT_EQ(problem, "") << "apply " << i;
    ++applied;
    if (i % kCheckEvery != 0) continue;
    // The child is still parked (its descriptors are the test's, not rootfsctl's).
    expect_threads_unchanged("after apply " + std::to_string(i));
    Resources now = resources();
    now.fds -= 1;  // the child's parking pipe
    ASSERT_EQ(now, before) << "after apply " << i;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const Resources after = resources();
  EXPECT_EQ(after, before);
  expect_threads_unchanged("after the last apply");
  std::cout << "load: " << applied << " sequential applies of sandbox into fresh children in "
            << seconds << " s (" << 1000 * seconds / applied << " ms each, child included); "
            << "before: " << before << "; after: " << after << "\n";
}

TEST_F(LoadTest, ThirtyTwoConcurrentAppliesFromThirtyTwoThreads) {
  REQUIRE_ROOT();
  TempDir mark;
  const Resources before = resources();
  double seconds = 0;
  for (int round = 1; round <= kConcurrentRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<std::unique_ptr<ParkedChild>> children;
    for (int i = 0; i < kConcurrent; ++i) {
      children.push_back(std::make_unique<ParkedChild>(ParkMode::kRoot, mark.path()));
      ASSERT_EQ(children.back()->failure(), "");
    }
    std::vector<std::string> problems(kConcurrent);
    std::vector<ThreadState> own(kConcurrent);
    std::vector<std::string> tids(kConcurrent);
    std::latch ready(kConcurrent + 1), go(1), done(kConcurrent), checked(1);
    std::vector<std::thread> threads;
    for (int i = 0; i < kConcurrent; ++i) {
      threads.emplace_back([&, i] {
        tids[i] = this_tid();
        ready.arrive_and_wait();
        go.wait();
        problems[i] = apply_and_check(layout_, children[i]->pid());
        own[i] = this_thread_state();
        // Stay alive until the main thread has looked at every thread of the process.
        done.count_down();
        checked.wait();
      });
    }
    ready.arrive_and_wait();
    tids.push_back(this_tid());
    const auto start = std::chrono::steady_clock::now();
    go.count_down();
    // While the applies run, the caller's own threads (not the workers rootfsctl starts,
    // which do enter the children's namespaces) are sampled over and over.
    ThreadState expected = state_;
    expected.umask = "";
    int samples = 0;
    std::string sampled;
    while (!done.try_wait()) {
      for (const auto& tid : tids) {
        ThreadState now = state_of(tid);
        if (!(now == expected))
          sampled += "thread " + tid + ": " + ::testing::PrintToString(now) + "\n";
      }
      ++samples;
    }
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(sampled, "") << "while applying";
    EXPECT_GT(samples, 0);
    // All 32 launching threads are alive and their workers are gone: every thread of the
    // process, the launching ones included, still has the caller's state.
    expect_threads_unchanged("with the launching threads alive");
    EXPECT_EQ(resources().threads, before.threads + kConcurrent) << "worker threads left";
    checked.count_down();
    for (auto& thread : threads) thread.join();
    for (int i = 0; i < kConcurrent; ++i) {
      EXPECT_EQ(problems[i], "") << "thread " << i;
      EXPECT_EQ(own[i], state_) << "thread " << i << " as it saw itself";
    }
    children.clear();
    EXPECT_EQ(resources(), before) << "after round " << round;
    expect_threads_unchanged("after round " + std::to_string(round));
  }
  const Resources after = resources();
  EXPECT_EQ(after, before);
  std::cout << "load: " << kConcurrentRounds << " rounds of " << kConcurrent
            << " concurrent applies (one thread and one child each) in " << seconds
            << " s of applying; before: " << before << "; after: " << after << "\n";
}

}  // namespace
}  // namespace rootfsctl::e2e
