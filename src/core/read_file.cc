#include "core/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

namespace rootfsctl {
namespace {

Error file_error(Stage stage, const std::string& path, std::string message, int errno_value = 0,
                 std::string hint = {}) {
  Error error = make_error(stage, std::move(message), errno_value);
  error.where = Location{path, 0, 0};
  error.hint = std::move(hint);
  return error;
}

Error not_regular(const std::string& path, const std::string& name, mode_t mode) {
  return file_error(Stage::kRead, path,
                    name + " is " + std::string(describe_file_type(mode)) + ", not a regular file");
}

/// Reads `fd` until end-of-file or until `most` bytes are held, whichever comes first.
Result<std::string> read_up_to(int fd, std::size_t most, const std::string& path,
                               const std::string& name) {
  std::string text;
  char buffer[64 * 1024];
  while (text.size() < most) {
    const ssize_t n = ::read(fd, buffer, std::min(sizeof buffer, most - text.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(file_error(Stage::kRead, path, "cannot read " + name, errno));
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

/// "1 MiB" for whole mebibytes, else the number of bytes.
std::string size_text(std::size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) {
    return std::to_string(bytes >> 20) + " MiB";
  }
  return std::to_string(bytes) + " bytes";
}

}  // namespace

std::string_view describe_file_type(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "a file of unknown type";
}

Result<RegularFile> open_regular_file(const std::string& path, std::string_view what) {
  const std::string name(what);
  // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat refuses it right after.
  // O_NOCTTY: opening a terminal must not make it our controlling terminal.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  struct stat st {};
  if (fd.get() < 0) {
    const int open_errno = errno;
    // A socket cannot be opened at all (ENXIO): say what it is rather than the errno.
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
      return std::unexpected(not_regular(path, name, st.st_mode));
    }
    return std::unexpected(file_error(Stage::kRead, path, "cannot open " + name, open_errno));
  }
  if (::fstat(fd.get(), &st) != 0) {
    return std::unexpected(file_error(Stage::kRead, path, "cannot stat " + name, errno));
  }
  if (!S_ISREG(st.st_mode)) return std::unexpected(not_regular(path, name, st.st_mode));
  return RegularFile{std::move(fd), static_cast<std::uintmax_t>(st.st_size)};
}

Result<std::string> read_regular_file(const std::string& path, std::size_t limit,
                                      std::string_view what, std::string too_large_hint) {
  const std::string name(what);
  auto file = open_regular_file(path, what);
  if (!file) return std::unexpected(std::move(file.error()));
  if (file->size > limit) {
    return std::unexpected(file_error(Stage::kManifest, path,
                                      name + " is " + std::to_string(file->size) +
                                          " bytes, more than the limit of " + std::to_string(limit),
                                      0, std::move(too_large_hint)));
  }
  // At most limit + 1 bytes: a file that grew after fstat (or a /proc file that reports
  // size 0) is still over the limit, for the caller's own check to refuse.
  return read_up_to(file->fd.get(), limit + 1, path, name);
}

Result<std::string> read_file_or_pipe(const std::string& path, std::size_t limit,
                                      std::string_view what, std::string too_large_hint) {
  // Standard input is read through descriptor 0 itself, whatever it is (a pipe, a socket,
  // a file redirected in): reopening /dev/stdin fails for sockets, and for a file the
  // caller was handed but may not open itself.
  if (path == "/dev/stdin") return read_stream(0, path, limit, what, std::move(too_large_hint));
  // The same non-blocking open as open_regular_file, then one look at what it is.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  struct stat st {};
  struct statfs fs {};
  // PIPEFS_MAGIC (linux/magic.h): an anonymous pipe. Its writer existed when it was made,
  // so reading it ends (at the writer's close) where a named FIFO may wait forever.
  constexpr decltype(fs.f_type) kPipefsMagic = 0x50495045;
  const bool pipe = fd.get() >= 0 && ::fstat(fd.get(), &st) == 0 && S_ISFIFO(st.st_mode) &&
                    ::fstatfs(fd.get(), &fs) == 0 && fs.f_type == kPipefsMagic;
  if (!pipe) return read_regular_file(path, limit, what, std::move(too_large_hint));
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return std::unexpected(
        file_error(Stage::kRead, path, "cannot read " + std::string(what), errno));
  }
  return read_stream(fd.get(), path, limit, what, std::move(too_large_hint));
}

Result<std::string> read_stream(int fd, const std::string& name, std::size_t limit,
                                std::string_view what, std::string too_large_hint) {
  auto text = read_up_to(fd, limit + 1, name, std::string(what));
  if (!text) return text;
  if (text->size() > limit) {
    return std::unexpected(file_error(Stage::kRead, name,
                                      std::string(what) + " is larger than " + size_text(limit),
                                      EFBIG, std::move(too_large_hint)));
  }
  return text;
}

}  // namespace rootfsctl
