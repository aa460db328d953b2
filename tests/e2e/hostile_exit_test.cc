// The hostile suite's targets that die or are replaced while rootfsctl works in them
// (issue 6), through the library's whole pipeline (exec::apply) with a progress callback
// that strikes when op K starts:
// - the target is killed at every op of the bundled sandbox plan in turn;
// - the target is killed and its pid handed to another process (ns_last_pid, in a pid
//   namespace of the test's own) in the middle of the apply.
// Whatever happens to the target, the apply ends, rolls back cleanly or finishes in the
// namespace it pinned (never in the process that inherited the pid), and the caller's
// table, namespace, root and cwd stay as they were. The test process runs in a private
// mount namespace (exec_plumbing_support.h), so even a regression cannot reach the host's.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "exec/executor.h"
#include "exec/syscalls.h"
#include "exec_plumbing_support.h"
#include "layout/profiles.h"

namespace rootfsctl::e2e {
namespace {

[[maybe_unused]] const auto* const kPrivateNamespace =
    ::testing::AddGlobalTestEnvironment(new PrivateMountNamespace);

/// runc binds its own binary onto a file runc.XXXXXX in its state directory while it starts
/// a container, in the host's namespace when a parallel test runs runc; the bind is gone
/// within milliseconds (tests/e2e/support.py's is_runc_self_bind says the same).
bool is_runc_self_bind(std::string_view line) {
  std::istringstream fields{std::string(line.substr(0, line.find(" - ")))};
  std::string id, parent, device, root, target;
  if (!(fields >> id >> parent >> device >> root >> target)) return false;
  const std::string name = target.substr(target.rfind('/') + 1);
  return root.ends_with("/runc") && name.size() == 11 && name.starts_with("runc.") &&
         std::all_of(name.begin() + 5, name.end(), [](char c) { return std::isalnum(c) != 0; });
}

/// The mount table of the host, as the process that started this test sees it (this
/// process itself runs in a private copy), less runc's passing binds of itself.
std::string host_table() {
  std::istringstream text(read_file("/proc/" + std::to_string(::getppid()) + "/mountinfo"));
  std::string out;
  for (std::string line; std::getline(text, line);) {
    if (!is_runc_self_bind(line)) out += line + "\n";
  }
  return out;
}

/// A directory outside every new root, with a file in it; what() lists both, with content.
class Marker {
 public:
  Marker() { std::ofstream(dir_.path() + "/keep") << "marker\n"; }
  std::string what() const {
    std::string out;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
      out += entry.path().filename().string() + "=" + read_file(entry.path().string()) + ";";
    }
    return out;
  }

 private:
  TempDir dir_;
};

/// How an apply whose target was struck ended: "committed", "rolled back", or what is
/// wrong with it ("incomplete rollback: ...", "failed without a rollback: ...").
std::string ending(const exec::ApplyOutcome& outcome) {
  if (outcome.ok()) return "committed";
  if (!outcome.left.empty() || !outcome.rollback_clean) {
    return "incomplete rollback: " + outcome.error->to_string();
  }
  if (!outcome.rolled_back && !outcome.committed) {
    return "failed without a rollback: " + outcome.error->to_string();
  }
  return outcome.committed ? "failed after the commit point" : "rolled back";
}

/// Kills `pid` with SIGKILL and waits until it is a zombie, without reaping it: the pid
/// stays ours, so the ParkedChild that owns it cannot signal a stranger later.
void kill_and_wait_zombie(pid_t pid) {
  ::kill(pid, SIGKILL);
  siginfo_t info{};
  ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT);
}

TEST(HostileTarget, KilledWhenEachOpStarts) {
  REQUIRE_ROOT();
  auto layout = layout::load_profile("sandbox");
  ASSERT_TRUE(layout) << layout.error().to_string();
  const std::string table_before = read_file("/proc/self/mountinfo");
  const std::string host_before = host_table();
  const auto threads_before = caller_threads();
  Marker marker;
  const std::string marker_before = marker.what();
  ASSERT_EQ(marker_before, "keep=marker\n;");
  std::map<std::string, int> endings;
  int total = 1;
  for (int k = 1; k <= total; ++k) {
    SCOPED_TRACE("target killed when op " + std::to_string(k) + " starts");
    TempDir mark;
    ParkedChild child(ParkMode::kRoot, mark.path());
    ASSERT_EQ(child.failure(), "");
    bool killed = false;
    exec::ApplyOptions options;
    options.exec.progress = [&](const plan::Op& op, std::string_view status) {
      if (op.index != k || status != "run" || killed) return;
      kill_and_wait_zombie(child.pid());
      killed = true;
    };
    auto result = exec::apply(exec::linux_syscalls(), *layout, child.pid(), options);
    ASSERT_TRUE(result) << result.error().to_string();
    ASSERT_TRUE(result->outcome) << "validation refused the sandbox";
    total = result->outcome->ops_total;
    EXPECT_TRUE(killed);
    const std::string how = ending(*result->outcome);
    EXPECT_TRUE(how == "committed" || how == "rolled back") << how;
    ++endings[how];
    EXPECT_EQ(read_file("/proc/self/mountinfo"), table_before);
    EXPECT_EQ(host_table(), host_before);
    EXPECT_EQ(marker.what(), marker_before);
    EXPECT_EQ(caller_threads(), threads_before);
  }
  EXPECT_GT(total, 30);
  for (const auto& [how, count] : endings) {
    std::cout << "target killed at op K: " << how << " " << count << " of " << total << "\n";
  }
}

/// Runs `body` as pid 1 of a new pid namespace, in a mount namespace of its own with a
/// /proc of that pid namespace; returns what `body` returned ("" for success).
std::string in_new_pid_namespace(const std::function<std::string()>& body) {
  std::array<int, 2> report{};
  if (::pipe2(report.data(), O_CLOEXEC) != 0) return "pipe2 failed";
  const pid_t outer = ::fork();
  if (outer == 0) {
    ::close(report[0]);
    // unshare(CLONE_NEWPID) moves only the children that follow into the new namespace.
    if (::unshare(CLONE_NEWPID | CLONE_NEWNS) != 0) {
      send(report[1], std::string("unshare: ") + std::strerror(errno));
      ::_exit(1);
    }
    const pid_t init = ::fork();
    if (init == 0) {
      std::string result;
      if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
          ::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
        result = std::string("mount proc: ") + std::strerror(errno);
      } else {
        result = body();
      }
      send(report[1], result.empty() ? "ok" : result);
      ::_exit(0);
    }
    int status = 0;
    ::waitpid(init, &status, 0);
    ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
  }
  ::close(report[1]);
  UniqueFd report_read(report[0]);
  std::string result;
  std::array<char, 4096> buffer{};
  for (ssize_t n; (n = ::read(report_read.get(), buffer.data(), buffer.size())) > 0;) {
    result.append(buffer.data(), static_cast<std::size_t>(n));
  }
  int status = 0;
  ::waitpid(outer, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return "pid namespace init died, wait status " + std::to_string(status) + ": " + result;
  }
  return result == "ok" ? "" : result;
}

/// A child that joins the mount namespace `mnt_ns` and waits until the returned fd is
/// closed. The progress callback runs on the worker thread, inside the target's mount
/// namespace, and a fork inherits that: the successor must leave it for rootfsctl's.
std::pair<pid_t, UniqueFd> waiting_child(int mnt_ns) {
  std::array<int, 2> ready{}, wait{};
  if (::pipe2(ready.data(), O_CLOEXEC) != 0 || ::pipe2(wait.data(), O_CLOEXEC) != 0) {
    return {-1, UniqueFd()};
  }
  const pid_t child = ::fork();
  if (child == 0) {
    if (::setns(mnt_ns, CLONE_NEWNS) != 0) ::_exit(1);
    send(ready[1], "r");
    char byte = 0;
    while (::read(wait[0], &byte, 1) > 0) {
    }
    ::_exit(0);
  }
  ::close(ready[1]);
  ::close(wait[0]);
  UniqueFd ready_read(ready[0]);
  if (read_message(ready_read.get()) != "r") return {-1, UniqueFd(wait[1])};
  return {child, UniqueFd(wait[1])};
}

/// The recycling scenario, run as pid 1 of a fresh pid namespace: "" or what went wrong.
std::string recycled_pid_scenario(const layout::Layout& layout) {
  TempDir mark;
  ParkedChild target(ParkMode::kRoot, mark.path());
  if (!target.failure().empty()) return "park: " + target.failure();
  const pid_t pid = target.pid();
  const std::string table_before = read_file("/proc/self/mountinfo");
  UniqueFd own_mnt_ns(::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC));
  pid_t successor = -1;
  int struck_at = 0;
  UniqueFd release;
  exec::ApplyOptions options;
  // When the first bind starts (the new root is mounted, most of the plan to come): the
  // target dies, is reaped, and its pid goes to a process in this namespace.
  options.exec.progress = [&](const plan::Op& op, std::string_view status) {
    if (op.kind != plan::OpKind::kBind || status != "run" || successor > 0) return;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    std::ofstream("/proc/sys/kernel/ns_last_pid") << pid - 1;
    std::tie(successor, release) = waiting_child(own_mnt_ns.get());
    struck_at = op.index;
  };
  auto result = exec::apply(exec::linux_syscalls(), layout, pid, options);
  if (!result) return "apply: " + result.error().to_string();
  if (!result->outcome) return "validation refused the sandbox";
  if (successor != pid) {
    return "the pid was not reused: " + std::to_string(pid) + " -> " + std::to_string(successor);
  }
  const std::string how = ending(*result->outcome);
  if (how != "committed" && how != "rolled back") return how;
  std::cout << "pid " << pid << " recycled when op " << struck_at << " started: " << how
            << std::endl;  // flushed: this process ends with _exit
  if (read_file("/proc/self/mountinfo") != table_before) {
    return "the apply reached the namespace of the process that inherited the pid";
  }
  // Asked again, the pid now names the successor, in rootfsctl's namespace: refused.
  auto again = exec::apply(exec::linux_syscalls(), layout, pid, {});
  if (!again) return "second apply: " + again.error().to_string();
  if (again->outcome) return "the second apply ran in the successor's namespace";
  bool refused = false;
  for (const auto& d : again->diagnostics) refused = refused || d.code == "same-namespace";
  if (!refused) return "the second apply was not refused as same-namespace";
  if (read_file("/proc/self/mountinfo") != table_before) return "the second apply changed it";
  return "";
}

TEST(HostileTarget, PidRecycledMidApply) {
  REQUIRE_ROOT();
  auto layout = layout::load_profile("sandbox");
  ASSERT_TRUE(layout) << layout.error().to_string();
  const std::string table_before = read_file("/proc/self/mountinfo");
  const std::string host_before = host_table();
  Marker marker;
  const std::string marker_before = marker.what();
  EXPECT_EQ(in_new_pid_namespace([&] { return recycled_pid_scenario(*layout); }), "");
  EXPECT_EQ(read_file("/proc/self/mountinfo"), table_before);
  EXPECT_EQ(host_table(), host_before);
  EXPECT_EQ(marker.what(), marker_before);
}

}  // namespace
}  // namespace rootfsctl::e2e
