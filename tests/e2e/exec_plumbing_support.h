// Fixtures for the executor plumbing's end-to-end tests (exec_plumbing_test.cc): the test
// process in a private mount namespace, children parked in new namespaces, a caller
// running as an unprivileged user, and snapshots of every thread's namespace, root, cwd
// and umask.
//
// Safety: the test program unshares a private mount namespace before any test runs (and
// makes "/" rprivate), so even a bug that mounts in the caller's namespace cannot reach
// the machine's. Every mount the tests make is inside a parked child's namespace.
#pragma once

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/unique_fd.h"

namespace rootfsctl::e2e {

inline constexpr uid_t kNobody = 65534;
inline constexpr std::string_view kMarkerSource = "plumb-marker";

/// Set once the test process is in its own mount namespace with "/" rprivate.
inline bool& in_private_namespace() {
  static bool value = false;
  return value;
}

class PrivateMountNamespace : public ::testing::Environment {
 public:
  void SetUp() override {
    if (::geteuid() != 0) return;
    // Still single-threaded here, as unshare(CLONE_NEWNS) requires (unshare(2)).
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      std::perror("exec_plumbing: private mount namespace");
      std::abort();  // never run mount tests in the machine's own namespace
    }
    in_private_namespace() = true;
  }
};

// Privilege policy (README "Tests"): root runs everything; otherwise skip, except under
// CI, where a skipped privileged test would hide a broken setup.
#define REQUIRE_ROOT()                                                                 \
  do {                                                                                 \
    if (::geteuid() != 0) {                                                            \
      if (std::getenv("CI") != nullptr) FAIL() << "CI is set but this is not root";    \
      GTEST_SKIP() << "needs root: parks children in new namespaces";                  \
    }                                                                                  \
    ASSERT_TRUE(::rootfsctl::e2e::in_private_namespace()) << "not in a private mount " \
                                                             "namespace";              \
  } while (0)

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string read_link(const std::string& path) {
  std::array<char, 4096> buffer{};
  const ssize_t n = ::readlink(path.c_str(), buffer.data(), buffer.size());
  return n < 0 ? "<" + std::string(std::strerror(errno)) + ">"
               : std::string(buffer.data(), static_cast<std::size_t>(n));
}

/// What the worker must never change for any of the caller's threads.
struct ThreadState {
  std::string mnt_ns, root, cwd, umask;
  bool operator==(const ThreadState&) const = default;
};

inline std::ostream& operator<<(std::ostream& out, const ThreadState& s) {
  return out << "{" << s.mnt_ns << " root=" << s.root << " cwd=" << s.cwd << " umask=" << s.umask
             << "}";
}

/// Every thread of this process, by tid.
inline std::map<std::string, ThreadState> caller_threads() {
  std::map<std::string, ThreadState> threads;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    const std::string task = entry.path().string();
    ThreadState state{read_link(task + "/ns/mnt"), read_link(task + "/root"),
                      read_link(task + "/cwd"), ""};
    std::istringstream status(read_file(task + "/status"));
    for (std::string line; std::getline(status, line);) {
      if (line.starts_with("Umask:")) state.umask = line.substr(6);
    }
    threads[entry.path().filename().string()] = state;
  }
  return threads;
}

/// Threads that idle until destroyed, so "every thread of the caller" means several.
class IdleThreads {
 public:
  explicit IdleThreads(int count) {
    for (int i = 0; i < count; ++i) {
      threads_.emplace_back([this] {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stop_; });
      });
    }
  }
  ~IdleThreads() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& thread : threads_) thread.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

/// A fresh directory under /tmp, searchable by everyone (a rootless child mounts on it).
class TempDir {
 public:
  TempDir() {
    std::string name = "/tmp/exec_plumbing.XXXXXX";
    if (::mkdtemp(name.data()) != nullptr) path_ = name;
    if (!path_.empty()) ::chmod(path_.c_str(), 0755);
  }
  ~TempDir() {
    if (!path_.empty()) std::filesystem::remove_all(path_);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Waits up to 10 s for one message on `fd`; "" on EOF or timeout.
inline std::string read_message(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 10000) <= 0) return "";
  std::array<char, 512> buffer{};
  const ssize_t n = ::read(fd, buffer.data(), buffer.size());
  return n <= 0 ? "" : std::string(buffer.data(), static_cast<std::size_t>(n));
}

inline void send(int fd, std::string_view text) {
  [[maybe_unused]] auto n = ::write(fd, text.data(), text.size());
}

enum class ParkMode {
  kRoot,      // new mount + pid namespaces (clone), owned by the caller's user namespace
  kRootless,  // uid 65534 in its own user + mount namespaces, maps written by the parent
};

/// A child parked on a pipe, as a container engine parks one: in new namespaces, with
/// "/" rprivate and a tmpfs named "plumb-marker" mounted on `mark` in its namespace only.
class ParkedChild {
 public:
  ParkedChild(ParkMode mode, const std::string& mark);
  ~ParkedChild() {
    release_.reset();  // EOF on the parking pipe: the child exits on its own
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  ParkedChild(const ParkedChild&) = delete;
  ParkedChild& operator=(const ParkedChild&) = delete;

  pid_t pid() const { return pid_; }
  /// "" when the child is parked, else what went wrong.
  const std::string& failure() const { return failure_; }

 private:
  pid_t pid_ = -1;
  UniqueFd release_;  // write end of the parking pipe
  std::string failure_;
};

/// The child's side: every step reports failure as "step: strerror" and exits.
[[noreturn]] inline void parked_main(ParkMode mode, const char* mark, int ready, int mapped,
                                     int release) {
  auto fail = [ready](const char* step) {
    std::string text = std::string(step) + ": " + std::strerror(errno);
    send(ready, text);
    ::_exit(1);
  };
  if (mode == ParkMode::kRootless) {
    if (::setgroups(0, nullptr) != 0) fail("setgroups");
    if (::setresgid(kNobody, kNobody, kNobody) != 0) fail("setresgid");
    if (::setresuid(kNobody, kNobody, kNobody) != 0) fail("setresuid");
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) fail("unshare user+mount");
    // A uid change leaves the process non-dumpable, and /proc/N/ns of a non-dumpable
    // process is root's only (proc(5), ptrace access mode): the rootless caller pins us.
    if (::prctl(PR_SET_DUMPABLE, 1) != 0) fail("PR_SET_DUMPABLE");
    send(ready, "u");
    char byte = 0;
    if (::read(mapped, &byte, 1) != 1) fail("wait for the id maps");
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail("rprivate /");
  if (::mount(kMarkerSource.data(), mark, "tmpfs", 0, "size=4m,mode=0755") != 0) {
    fail("mount marker tmpfs");
  }
  send(ready, "r");
  char byte = 0;
  while (::read(release, &byte, 1) > 0) {
  }
  ::_exit(0);
}

inline ParkedChild::ParkedChild(ParkMode mode, const std::string& mark) {
  std::array<int, 2> ready{}, mapped{}, release{};
  if (::pipe2(ready.data(), O_CLOEXEC) != 0 || ::pipe2(mapped.data(), O_CLOEXEC) != 0 ||
      ::pipe2(release.data(), O_CLOEXEC) != 0) {
    failure_ = "pipe2";
    return;
  }
  UniqueFd ready_read(ready[0]), ready_write(ready[1]), mapped_read(mapped[0]),
      mapped_write(mapped[1]), release_read(release[0]), release_write(release[1]);
  // A raw clone puts the child itself in the new pid namespace (unshare(CLONE_NEWPID)
  // would only move its children). The child then makes only raw syscalls and _exits,
  // since glibc's per-thread state still names the parent.
  const long child = mode == ParkMode::kRoot
                         ? ::syscall(SYS_clone, CLONE_NEWNS | CLONE_NEWPID | SIGCHLD, nullptr,
                                     nullptr, nullptr, nullptr)
                         : ::fork();
  if (child < 0) {
    failure_ = "clone: " + std::string(std::strerror(errno));
    return;
  }
  if (child == 0) {
    parked_main(mode, mark.c_str(), ready[1], mapped[0], release[0]);
  }
  pid_ = static_cast<pid_t>(child);
  ready_write.reset();
  mapped_read.reset();
  release_read.reset();
  if (mode == ParkMode::kRootless) {
    std::string message = read_message(ready_read.get());
    if (message != "u") {
      failure_ = "parked child: " + message;
      return;
    }
    const std::string proc = "/proc/" + std::to_string(pid_);
    std::ofstream(proc + "/uid_map") << "0 " << kNobody << " 1\n";
    std::ofstream(proc + "/setgroups") << "deny";
    std::ofstream(proc + "/gid_map") << "0 " << kNobody << " 1\n";
    send(mapped_write.get(), "m");
  }
  std::string message = read_message(ready_read.get());
  if (message != "r") failure_ = "parked child: " + (message.empty() ? "no answer" : message);
  release_ = std::move(release_write);
}

/// Runs `body` in a forked child that first drops to uid/gid 65534 with no groups (no
/// capabilities left); returns what `body` returned ("" for success) or how it died.
inline std::string as_nobody(const std::function<std::string()>& body) {
  std::array<int, 2> report{};
  if (::pipe2(report.data(), O_CLOEXEC) != 0) return "pipe2 failed";
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(report[0]);
    std::string result;
    if (::setgroups(0, nullptr) != 0 || ::setresgid(kNobody, kNobody, kNobody) != 0 ||
        ::setresuid(kNobody, kNobody, kNobody) != 0) {
      result = "could not become uid 65534";
    } else {
      result = body();
    }
    send(report[1], result.empty() ? "ok" : result);
    ::_exit(0);
  }
  ::close(report[1]);
  UniqueFd report_read(report[0]);
  std::string result;
  std::array<char, 4096> buffer{};
  for (ssize_t n; (n = ::read(report_read.get(), buffer.data(), buffer.size())) > 0;) {
    result.append(buffer.data(), static_cast<std::size_t>(n));
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return "caller child died, wait status " + std::to_string(status) + ": " + result;
  }
  return result == "ok" ? "" : result;
}

}  // namespace rootfsctl::e2e
