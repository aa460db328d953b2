#include "core/read_file.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace rootfsctl {
namespace {

namespace fs = std::filesystem;

/// A fresh directory, removed with what it holds at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = ::testing::TempDir() + "read_file_XXXXXX";
    EXPECT_NE(::mkdtemp(pattern.data()), nullptr);
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string refusal(const std::string& path) {
  auto file = open_regular_file(path, "input");
  if (file) return "opened";
  EXPECT_EQ(file.error().stage, Stage::kRead);
  return file.error().to_string();
}

TEST(OpenRegularFileTest, OpensARegularFileWithItsSize) {
  ScratchDir dir;
  std::ofstream(dir / "f") << "hello";
  auto file = open_regular_file(dir / "f", "input");
  ASSERT_TRUE(file) << file.error().to_string();
  EXPECT_GE(file->fd.get(), 0);
  EXPECT_EQ(file->size, 5u);
}

// Issue 15: none of these may block, and each is named for what it is.
TEST(OpenRegularFileTest, RefusesWhatIsNotARegularFileWithoutBlocking) {
  ScratchDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  EXPECT_EQ(refusal(dir / "fifo"), dir / "fifo" + ": input is a FIFO, not a regular file");
  EXPECT_EQ(refusal(dir.path()), dir.path() + ": input is a directory, not a regular file");
  EXPECT_EQ(refusal("/dev/null"), "/dev/null: input is a character device, not a regular file");
}

TEST(OpenRegularFileTest, NamesASocketThatCannotBeOpened) {
  ScratchDir dir;
  const std::string path = dir / "socket";
  const int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof address.sun_path);
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(refusal(path), path + ": input is a socket, not a regular file");
  ::close(sock);
}

TEST(OpenRegularFileTest, MissingFileKeepsItsErrno) {
  ScratchDir dir;
  auto file = open_regular_file(dir / "missing", "input");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().errno_value, ENOENT);
  EXPECT_EQ(file.error().message, "cannot open input");
}

}  // namespace
}  // namespace rootfsctl
