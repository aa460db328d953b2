#include "core/write_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "deadline.h"

namespace rootfsctl {
namespace {

namespace fs = std::filesystem;

/// A fresh directory, removed with what it holds at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = ::testing::TempDir() + "write_file_XXXXXX";
    EXPECT_NE(::mkdtemp(pattern.data()), nullptr);
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  /// The names in the directory, to see that no temporary file is left behind.
  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(path_), {}));
  }

 private:
  std::string path_;
};

std::string content(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(ReplaceFileTest, WritesANewFileWithMode0644LessTheUmask) {
  ScratchDir dir;
  const mode_t umask = ::umask(022);
  ASSERT_TRUE(replace_file(dir / "out", "text\n", "output"));
  ::umask(umask);
  EXPECT_EQ(content(dir / "out"), "text\n");
  struct stat st {};
  ASSERT_EQ(::stat((dir / "out").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(dir.entries(), 1u);
}

TEST(ReplaceFileTest, ReplacesAnExistingFileNotWhatItIsLinkedTo) {
  ScratchDir dir;
  std::ofstream(dir / "out") << "old content that is longer\n";
  ASSERT_EQ(::link((dir / "out").c_str(), (dir / "hard-link").c_str()), 0);
  ASSERT_TRUE(replace_file(dir / "out", "new\n", "output"));
  EXPECT_EQ(content(dir / "out"), "new\n");
  EXPECT_EQ(content(dir / "hard-link"), "old content that is longer\n");
  EXPECT_EQ(dir.entries(), 2u);
}

// Issue 15: `oci import --output FIFO` opened the FIFO for writing and waited forever.
TEST(ReplaceFileTest, RefusesAFifoWithoutOpeningIt) {
  const Deadline deadline(10);
  ScratchDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  auto written = replace_file(dir / "fifo", "text\n", "output");
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().stage, Stage::kUsage);
  EXPECT_EQ(written.error().message, "output is a FIFO, not a regular file");
  EXPECT_EQ(written.error().where.file, dir / "fifo");
  struct stat st {};
  ASSERT_EQ(::lstat((dir / "fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(dir.entries(), 1u);
}

TEST(ReplaceFileTest, RefusesASymlinkAndLeavesItsTargetAlone) {
  ScratchDir dir;
  std::ofstream(dir / "elsewhere") << "precious\n";
  ASSERT_EQ(::symlink((dir / "elsewhere").c_str(), (dir / "out").c_str()), 0);
  auto written = replace_file(dir / "out", "text\n", "output");
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().message, "output is a symbolic link, not a regular file");
  EXPECT_EQ(content(dir / "elsewhere"), "precious\n");
  EXPECT_TRUE(fs::is_symlink(dir / "out"));
  EXPECT_EQ(dir.entries(), 2u);
}

TEST(ReplaceFileTest, RefusesDevicesAndDirectories) {
  ScratchDir dir;
  auto device = replace_file("/dev/null", "text\n", "output");
  ASSERT_FALSE(device);
  EXPECT_EQ(device.error().message, "output is a character device, not a regular file");
  auto directory = replace_file(dir / "", "text\n", "output");
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error().message, "output is a directory, not a regular file");
  EXPECT_EQ(dir.entries(), 0u);
}

TEST(ReplaceFileTest, TheLongestNameIsWritten) {
  ScratchDir dir;
  const std::string longest(255, 'n');
  ASSERT_TRUE(replace_file(dir / longest, "text\n", "output"));
  EXPECT_EQ(content(dir / longest), "text\n");
  EXPECT_EQ(dir.entries(), 1u);
}

TEST(ReplaceFileTest, MissingDirectoryKeepsItsErrno) {
  ScratchDir dir;
  auto written = replace_file(dir / "missing/out", "text\n", "output");
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().errno_value, ENOENT);
}

}  // namespace
}  // namespace rootfsctl
