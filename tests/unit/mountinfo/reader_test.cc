#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "deadline.h"
#include "mountinfo/mountinfo.h"

namespace rootfsctl::mountinfo {
namespace {

/// A file in the test's temporary directory, removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(std::string_view content) {
    path_ = testing::TempDir() + "mountinfo_reader_XXXXXX";
    int fd = ::mkstemp(path_.data());
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    ::close(fd);
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(ReadMountinfoFile, ReadsAndParses) {
  TempFile file("1 0 0:1 / / rw - tmpfs none rw\n2 1 0:2 / /a\\040b rw - tmpfs x rw\n");
  auto table = read_mountinfo_file(file.path());
  ASSERT_TRUE(table.has_value()) << table.error().to_string();
  ASSERT_EQ(table->size(), 2u);
  EXPECT_EQ(table->entries()[1].target, "/a b");
}

TEST(ReadMountinfoFile, EmptyFileIsAnEmptyTable) {
  TempFile file("");
  auto table = read_mountinfo_file(file.path());
  ASSERT_TRUE(table.has_value());
  EXPECT_EQ(table->size(), 0u);
}

TEST(ReadMountinfoFile, LargerThanTheFirstBuffer) {
  std::string text;
  for (int i = 1; i <= 5000; ++i) {
    text += std::to_string(i) + " 1 0:1 / /m/" + std::to_string(i) + " rw - tmpfs t rw\n";
  }
  TempFile file(text);
  auto table = read_mountinfo_file(file.path());
  ASSERT_TRUE(table.has_value());
  EXPECT_EQ(table->size(), 5000u);
  EXPECT_EQ(table->entries().back().target, "/m/5000");
}

TEST(ReadMountinfoFile, ParseErrorNamesTheFile) {
  TempFile file("1 0 0:1 / / rw - tmpfs none rw\n2 1 x / /a rw - tmpfs none rw\n");
  auto table = read_mountinfo_file(file.path());
  ASSERT_FALSE(table.has_value());
  EXPECT_EQ(table.error().stage, Stage::kParse);
  EXPECT_EQ(table.error().where.line, 2);
  EXPECT_EQ(table.error().to_string(), file.path() + ": line 2: expected major:minor, got 'x'");
}

TEST(ReadMountinfoFile, MissingFile) {
  auto table = read_mountinfo_file("/nonexistent/mountinfo");
  ASSERT_FALSE(table.has_value());
  EXPECT_EQ(table.error().stage, Stage::kRead);
  EXPECT_EQ(table.error().errno_value, ENOENT);
  EXPECT_EQ(table.error().to_string(),
            "/nonexistent/mountinfo: cannot open mountinfo file: ENOENT (No such file or "
            "directory)");
}

TEST(ReadMountinfoFile, DirectoryIsNotARegularFile) {
  auto table = read_mountinfo_file("/");
  ASSERT_FALSE(table.has_value());
  EXPECT_EQ(table.error().stage, Stage::kRead);
  EXPECT_EQ(table.error().to_string(), "/: mountinfo file is a directory, not a regular file");
}

// Issue 15: the file was opened without O_NONBLOCK, so a FIFO with no writer hung here.
TEST(ReadMountinfoFile, FifoIsRefusedWithoutBlocking) {
  const Deadline deadline(10);
  std::string fifo = testing::TempDir() + "mountinfo_reader_fifo_" + std::to_string(::getpid());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto table = read_mountinfo_file(fifo);
  ::unlink(fifo.c_str());
  ASSERT_FALSE(table.has_value());
  EXPECT_EQ(table.error().stage, Stage::kRead);
  EXPECT_EQ(table.error().errno_value, 0);
  EXPECT_EQ(table.error().to_string(), fifo + ": mountinfo file is a FIFO, not a regular file");
}

TEST(ReadMountinfoFile, DeviceIsRefused) {
  auto table = read_mountinfo_file("/dev/zero");
  ASSERT_FALSE(table.has_value());
  EXPECT_EQ(table.error().to_string(),
            "/dev/zero: mountinfo file is a character device, not a regular file");
}

TEST(ReadMountinfoFile, RefusesFilesOverTheCap) {
  TempFile file("");
  // A sparse file: the size check happens before anything is read.
  ASSERT_EQ(::truncate(file.path().c_str(), static_cast<off_t>(kMaxMountinfoBytes) + 1), 0);
  auto table = read_mountinfo_file(file.path());
  ASSERT_FALSE(table.has_value());
  EXPECT_EQ(table.error().errno_value, EFBIG);
  EXPECT_EQ(table.error().message, file.path() + " is larger than 256 MiB");
}

TEST(ReadMountinfoPid, Self) {
  auto table = read_mountinfo_pid(0);
  ASSERT_TRUE(table.has_value()) << table.error().to_string();
  ASSERT_GT(table->size(), 0u);
  // Whatever the namespace looks like, something is visible at "/".
  EXPECT_NE(table->covering("/"), nullptr);
}

/// The mount ids of `table`, in its order.
std::vector<int> ids_of(const MountTable& table) {
  std::vector<int> ids;
  for (const auto& entry : table.entries()) ids.push_back(entry.id);
  return ids;
}

TEST(ReadMountinfoPid, OwnPidMatchesSelf) {
  // This is the machine's own table, which others change while the tests run (runc binds
  // its own binary there for a moment whenever a parallel test starts a container; a flaky
  // size mismatch in CI was that). So the read by pid has to equal "self" read just before
  // and just after it in one of many attempts. A pid read of another namespace's table
  // never does: its mount ids differ.
  std::vector<int> own_ids;
  for (int attempt = 0; attempt < 200; ++attempt) {
    auto before = read_mountinfo_pid(0);
    auto own = read_mountinfo_pid(::getpid());
    auto after = read_mountinfo_pid(0);
    ASSERT_TRUE(before.has_value() && own.has_value() && after.has_value());
    own_ids = ids_of(*own);
    ASSERT_FALSE(own_ids.empty());
    if (own_ids == ids_of(*before) && own_ids == ids_of(*after)) return;
  }
  FAIL() << "in 200 attempts, the table read by pid never equalled the one read as self "
            "around it; the last had "
         << own_ids.size() << " entries";
}

TEST(ReadMountinfoPid, MissingProcess) {
  // pid_max is at most 2^22, so INT_MAX is never a live process.
  auto table = read_mountinfo_pid(INT_MAX);
  ASSERT_FALSE(table.has_value());
  EXPECT_EQ(table.error().stage, Stage::kRead);
  EXPECT_EQ(table.error().errno_value, ENOENT);
  EXPECT_EQ(table.error().message, "process 2147483647 does not exist");
}

TEST(ReadMountinfoPid, Zombie) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  // Wait until the child is a zombie without reaping it.
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);
  auto table = read_mountinfo_pid(child);
  ::waitpid(child, nullptr, 0);
  ASSERT_FALSE(table.has_value());
  EXPECT_EQ(table.error().message, "process " + std::to_string(child) + " has exited");
}

TEST(ReadMountinfoPid, NegativePid) {
  auto table = read_mountinfo_pid(-2);
  ASSERT_FALSE(table.has_value());
  EXPECT_EQ(table.error().message, "invalid process id -2");
}

}  // namespace
}  // namespace rootfsctl::mountinfo
