// Pinning: /proc/N/stat parsing against hostile names, and pin_target's checks through
// the recording fake (plus one real pin of this very process, which needs no privilege).
#include "exec/target.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fake_syscalls.h"

namespace rootfsctl::exec {
namespace {

using testing::FakeSyscalls;

/// A /proc/42/stat line as the kernel writes it, with fields 3 and 22 chosen.
std::string stat_line(std::string_view comm, char state, std::string_view start_time) {
  return "42 (" + std::string(comm) + ") " + state +
         " 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 " + std::string(start_time) +
         " 2113536 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
}

TEST(ParseProcStat, StateAndStartTime) {
  auto stat = parse_proc_stat(stat_line("bash", 'S', "987654"));
  ASSERT_TRUE(stat) << stat.error().to_string();
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->start_time, 987654u);
}

TEST(ParseProcStat, HostileCommCannotShiftFields) {
  // A process may name itself anything (prctl PR_SET_NAME): parentheses, ") Z ", digits.
  for (const std::string comm : {") Z 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19", "a b", ")",
                                 "((", ") ", "x) R (", "1 (2) 3", ""}) {
    auto stat = parse_proc_stat(stat_line(comm, 'S', "555"));
    ASSERT_TRUE(stat) << "comm '" << comm << "': " << stat.error().to_string();
    EXPECT_EQ(stat->state, 'S') << comm;
    EXPECT_EQ(stat->start_time, 555u) << comm;
  }
}

TEST(ParseProcStat, StartTimeAtTheEndOfTheText) {
  auto stat = parse_proc_stat("7 (sh) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 123\n");
  ASSERT_TRUE(stat) << stat.error().to_string();
  EXPECT_EQ(stat->state, 'R');
  EXPECT_EQ(stat->start_time, 123u);
}

TEST(ParseProcStat, RefusesMalformedText) {
  for (const std::string& text : std::vector<std::string>{
           "", "42 bash S 1", "42 (bash)", "42 (bash) S 1 2 3",
           "42 (bash) SS" + std::string(60, ' '),
           "42 (bash) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12x4 9",
           "42 (bash) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 -5 9"}) {
    auto stat = parse_proc_stat(text);
    EXPECT_FALSE(stat) << text;
    if (!stat) {
      EXPECT_EQ(stat.error().stage, Stage::kParse) << text;
    }
  }
}

TEST(ParseProcStat, ThisProcess) {
  std::ifstream in("/proc/self/stat");
  std::stringstream text;
  text << in.rdbuf();
  auto stat = parse_proc_stat(text.str());
  ASSERT_TRUE(stat) << stat.error().to_string();
  EXPECT_EQ(stat->state, 'R');
  EXPECT_GT(stat->start_time, 0u);
}

/// A fake that answers for a live process 42 in its own namespaces.
FakeSyscalls live_process() {
  FakeSyscalls sys;
  sys.read_answer("/proc/42/stat", stat_line("sleep", 'S', "1000"));
  sys.stat_answer("/proc/42/ns/mnt", S_IFREG | 0444, 0, 100);
  sys.stat_answer("/proc/42/ns/user", S_IFREG | 0444, 0, 200);
  sys.stat_answer("/proc/self/ns/mnt", S_IFREG | 0444, 0, 101);
  sys.stat_answer("/proc/self/ns/user", S_IFREG | 0444, 0, 300);
  sys.stat_answer("/proc/1/ns/mnt", S_IFREG | 0444, 0, 102);
  return sys;
}

TEST(PinTarget, OpensEverythingBetweenTwoStartTimeReads) {
  FakeSyscalls sys = live_process();
  auto target = pin_target(sys, 42);
  ASSERT_TRUE(target) << target.error().to_string();
  EXPECT_EQ(sys.calls(), (std::vector<std::string>{
                             "open(\"/proc/42/stat\", O_RDONLY) = 3",
                             "read_all(3, 4096)",
                             "pidfd_open(42) = 4",
                             "open(\"/proc/42/ns/mnt\", O_RDONLY) = 5",
                             "open(\"/proc/42/ns/pid\", O_RDONLY) = 6",
                             "open(\"/proc/42/ns/user\", O_RDONLY) = 7",
                             "open(\"/proc/42/stat\", O_RDONLY) = 8",
                             "read_all(8, 4096)",
                             "pidfd_send_signal(4, 0)",
                             "fstatat(5, \"\")",
                             "fstatat(7, \"\")",
                             "open(\"/proc/self/ns/user\", O_RDONLY) = 9",
                             "fstatat(9, \"\")",
                             "open(\"/proc/self/ns/mnt\", O_RDONLY) = 10",
                             "fstatat(10, \"\")",
                             "open(\"/proc/1/ns/mnt\", O_RDONLY) = 11",
                             "fstatat(11, \"\")",
                         }));
  EXPECT_EQ(target->pid, 42);
  EXPECT_EQ(target->start_time, 1000u);
  EXPECT_EQ(sys.handle_of(target->pidfd.get()), 4);
  EXPECT_EQ(sys.handle_of(target->mnt_ns.get()), 5);
  EXPECT_EQ(sys.handle_of(target->pid_ns.get()), 6);
  EXPECT_EQ(sys.handle_of(target->user_ns.get()), 7);
  EXPECT_EQ(target->mnt_ns_inode, 100u);
  EXPECT_TRUE(target->other_user_ns);
  EXPECT_FALSE(target->same_mnt_ns_as_caller);
  EXPECT_FALSE(target->same_mnt_ns_as_host);
}

TEST(PinTarget, SameNamespacesAsCallerAndHost) {
  FakeSyscalls sys = live_process();
  sys.stat_answer("/proc/self/ns/mnt", S_IFREG | 0444, 0, 100);
  sys.stat_answer("/proc/self/ns/user", S_IFREG | 0444, 0, 200);
  sys.stat_answer("/proc/1/ns/mnt", S_IFREG | 0444, 0, 100);
  auto target = pin_target(sys, 42);
  ASSERT_TRUE(target) << target.error().to_string();
  EXPECT_FALSE(target->other_user_ns);
  EXPECT_TRUE(target->same_mnt_ns_as_caller);
  EXPECT_TRUE(target->same_mnt_ns_as_host);
}

TEST(PinTarget, UnreadableHostNamespaceIsNotTheHost) {
  FakeSyscalls sys = live_process();
  sys.stat_answer("/proc/self/ns/mnt", S_IFREG | 0444, 0, 100);
  sys.fail_matching("/proc/1/ns/mnt", EACCES);
  auto target = pin_target(sys, 42);
  ASSERT_TRUE(target) << target.error().to_string();
  EXPECT_TRUE(target->same_mnt_ns_as_caller);
  EXPECT_FALSE(target->same_mnt_ns_as_host);
}

void expect_refused(FakeSyscalls& sys, pid_t pid, const std::string& message,
                    int errno_value = ESRCH) {
  auto target = pin_target(sys, pid);
  ASSERT_FALSE(target);
  EXPECT_EQ(target.error().stage, Stage::kOpenNs);
  EXPECT_EQ(target.error().errno_value, errno_value);
  EXPECT_EQ(target.error().message, message);
}

TEST(PinTarget, RefusesAProcessThatDoesNotExist) {
  FakeSyscalls sys;
  sys.missing("/proc/42/stat");
  expect_refused(sys, 42, "process 42 does not exist");
  EXPECT_EQ(sys.calls(),
            (std::vector<std::string>{"open(\"/proc/42/stat\", O_RDONLY) = -1 ENOENT"}));
}

TEST(PinTarget, RefusesZombiesAndExitingProcesses) {
  FakeSyscalls zombie;
  zombie.read_answer("/proc/42/stat", stat_line("defunct", 'Z', "1000"));
  expect_refused(zombie, 42, "process 42 is a zombie");
  FakeSyscalls dead;
  dead.read_answer("/proc/42/stat", stat_line("gone", 'X', "1000"));
  expect_refused(dead, 42, "process 42 has exited");
}

TEST(PinTarget, RefusesAProcessThatBecameAZombieWhilePinned) {
  FakeSyscalls sys = live_process();
  sys.read_answer("/proc/42/stat", stat_line("sleep", 'Z', "1000"));
  expect_refused(sys, 42, "process 42 is a zombie");
}

TEST(PinTarget, RefusesARecycledPid) {
  FakeSyscalls sys = live_process();
  sys.read_answer("/proc/42/stat", stat_line("other", 'S', "1001"));
  expect_refused(sys, 42, "process 42 was replaced while being pinned");
}

TEST(PinTarget, RefusesAProcessThatExitedAtAnyStep) {
  for (const std::string step : {"pidfd_open", "ns/mnt", "ns/user", "pidfd_send_signal"}) {
    FakeSyscalls sys = live_process();
    sys.fail_matching(step, step.starts_with("ns/") ? ENOENT : ESRCH);
    SCOPED_TRACE(step);
    expect_refused(sys, 42,
                   step == "pidfd_open" ? "process 42 does not exist" : "process 42 has exited");
  }
  FakeSyscalls second_read = live_process();
  second_read.fail_call(7, ENOENT);  // the second open of /proc/42/stat
  expect_refused(second_read, 42, "process 42 has exited");
}

TEST(PinTarget, RefusesAThreadId) {
  FakeSyscalls sys = live_process();
  sys.fail_matching("pidfd_open", EINVAL);
  expect_refused(sys, 42, "process 42 is not a process (a thread id?)", EINVAL);
}

TEST(PinTarget, RefusesANonsensePid) {
  FakeSyscalls sys;
  expect_refused(sys, 0, "invalid pid 0", EINVAL);
  expect_refused(sys, -1, "invalid pid -1", EINVAL);
  EXPECT_TRUE(sys.calls().empty());
}

TEST(PinTarget, OtherErrorsKeepTheirErrno) {
  FakeSyscalls sys = live_process();
  sys.fail_matching("/proc/42/ns/pid", EACCES);
  auto target = pin_target(sys, 42);
  ASSERT_FALSE(target);
  EXPECT_EQ(target.error().stage, Stage::kOpenNs);
  EXPECT_EQ(target.error().errno_value, EACCES);
  EXPECT_EQ(target.error().message, "open(\"/proc/42/ns/pid\", O_RDONLY)");
}

TEST(PinTarget, OwnNamespacesMustBeReadable) {
  FakeSyscalls sys = live_process();
  sys.fail_matching("/proc/self/ns/user", EMFILE);
  auto target = pin_target(sys, 42);
  ASSERT_FALSE(target);
  EXPECT_EQ(target.error().errno_value, EMFILE);
  EXPECT_EQ(target.error().message, "open(\"/proc/self/ns/user\", O_RDONLY)");
}

TEST(PinTarget, ThisProcessForReal) {
  auto target = pin_target(linux_syscalls(), ::getpid());
  ASSERT_TRUE(target) << target.error().to_string();
  EXPECT_GT(target->start_time, 0u);
  EXPECT_TRUE(target->pidfd);
  EXPECT_TRUE(target->pid_ns);
  EXPECT_FALSE(target->other_user_ns);
  EXPECT_TRUE(target->same_mnt_ns_as_caller);
  struct stat own {};
  ASSERT_EQ(::stat("/proc/self/ns/mnt", &own), 0);
  EXPECT_EQ(target->mnt_ns_inode, own.st_ino);
}

TEST(ParseNamespaceFiles, KindsCommaSeparatedOrRepeated) {
  auto files = parse_namespace_files({"mnt=/run/ns/mnt,pid=/run/ns/pid", "net=/run/netns/a"});
  ASSERT_TRUE(files) << files.error().to_string();
  EXPECT_EQ(files->mnt, "/run/ns/mnt");
  EXPECT_EQ(files->pid, "/run/ns/pid");
  EXPECT_EQ(files->net, "/run/netns/a");
  EXPECT_EQ(files->file("user"), "");
  // A file name may hold '=' (only the first one splits).
  auto eq = parse_namespace_files({"mnt=/run/a=b"});
  ASSERT_TRUE(eq);
  EXPECT_EQ(eq->mnt, "/run/a=b");
}

TEST(ParseNamespaceFiles, RefusesWhatCannotBeMeant) {
  for (auto [values, words] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"pid=/x"}, "mnt=FILE is required"},
           {{"mnt=/a", "mnt=/b"}, "mnt= is given twice"},
           {{"mnt=/a,time=/t"}, "unknown namespace kind 'time'"},
           {{"mnt="}, "is not KIND=FILE"},
           {{"mnt=/a,"}, "is not KIND=FILE"},
           {{"/a"}, "is not KIND=FILE"},
       }) {
    auto files = parse_namespace_files(values);
    ASSERT_FALSE(files) << words;
    EXPECT_EQ(files.error().stage, Stage::kUsage);
    EXPECT_NE(files.error().message.find(words), std::string::npos) << files.error().message;
  }
}

TEST(TargetName, OptionNamesTheTargetAgain) {
  EXPECT_EQ((TargetName{42, std::nullopt}.option()), "--pid 42");
  auto files = parse_namespace_files({"net=/n,mnt=/m"});
  ASSERT_TRUE(files);
  const TargetName name{0, *files};
  EXPECT_EQ(name.option(), "--ns mnt=/m,net=/n");
  EXPECT_EQ(name.describe(), "mount namespace /m");
  auto again = parse_namespace_files({name.option().substr(5)});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->net, "/n");
}

TEST(PinNamespaceFiles, RefusesAFileThatIsNotANamespace) {
  // Real files, no privilege needed: /proc/self/stat is no nsfs file, and this process's
  // own ipc namespace is not a mount namespace.
  auto& sys = linux_syscalls();
  NamespaceFiles files;
  files.mnt = "/proc/self/stat";
  auto pinned = pin_namespace_files(sys, files);
  ASSERT_FALSE(pinned);
  EXPECT_EQ(pinned.error().stage, Stage::kOpenNs);
  EXPECT_NE(pinned.error().message.find("is not a namespace file"), std::string::npos);
  files.mnt = "/proc/self/ns/ipc";
  pinned = pin_namespace_files(sys, files);
  ASSERT_FALSE(pinned);
  EXPECT_NE(pinned.error().message.find("another kind than mnt"), std::string::npos)
      << pinned.error().message;
}

}  // namespace
}  // namespace rootfsctl::exec
