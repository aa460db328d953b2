#include "core/read_file.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "deadline.h"

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
  const Deadline deadline(10);
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

/// A stream whose far end a thread fills with `size` spaces, for as long as anyone reads:
/// a socket pair rather than a pipe, so the writer gets EPIPE, not SIGPIPE, once the
/// reader has stopped and closed its end.
class Feeder {
 public:
  explicit Feeder(std::size_t size) {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0);
    writer_ = std::thread([this, size] {
      const std::string chunk(4096, ' ');
      for (std::size_t sent = 0; sent < size;) {
        const auto n =
            ::send(fds_[1], chunk.data(), std::min(chunk.size(), size - sent), MSG_NOSIGNAL);
        if (n <= 0) break;  // the reader closed its end
        sent += static_cast<std::size_t>(n);
      }
      ::close(fds_[1]);
    });
  }
  ~Feeder() {
    ::close(fds_[0]);
    writer_.join();
  }
  int read_end() const { return fds_[0]; }

 private:
  int fds_[2] = {-1, -1};
  std::thread writer_;
};

TEST(ReadStreamTest, ReadsToEndOfFileWithinTheLimit) {
  Feeder feeder(1000);
  auto text = read_stream(feeder.read_end(), "stdin", 1000, "state");
  ASSERT_TRUE(text) << text.error().to_string();
  EXPECT_EQ(text->size(), 1000u);
}

// Issue 15: the hook read its stdin whole, however much a writer sent.
TEST(ReadStreamTest, StopsReadingOneByteOverTheLimit) {
  Feeder feeder(2u << 20);
  auto text = read_stream(feeder.read_end(), "stdin", 1u << 20, "container state", "hint");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().stage, Stage::kRead);
  EXPECT_EQ(text.error().errno_value, EFBIG);
  EXPECT_EQ(text.error().message, "container state is larger than 1 MiB");
  EXPECT_EQ(text.error().where.file, "stdin");
  EXPECT_EQ(text.error().hint, "hint");
}

TEST(ReadStreamTest, ALimitThatIsNotWholeMebibytesIsInBytes) {
  Feeder feeder(101);
  auto text = read_stream(feeder.read_end(), "stdin", 100, "state");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().message, "state is larger than 100 bytes");
}

}  // namespace
}  // namespace rootfsctl
