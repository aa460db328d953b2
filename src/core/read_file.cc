#include "core/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "core/unique_fd.h"

namespace rootfsctl {
namespace {

Error file_error(const std::string& path, std::string message, int errno_value = 0,
                 std::string hint = {}) {
  Error error = make_error(errno_value != 0 ? Stage::kRead : Stage::kManifest, std::move(message),
                           errno_value);
  error.where = Location{path, 0, 0};
  error.hint = std::move(hint);
  return error;
}

std::string_view file_type_name(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

Result<std::string> read_regular_file(const std::string& path, std::size_t limit,
                                      std::string_view what, std::string too_large_hint) {
  const std::string name(what);
  // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat refuses it right after.
  // O_NOCTTY: opening a terminal must not make it our controlling terminal.
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) return std::unexpected(file_error(path, "cannot open " + name, errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return std::unexpected(file_error(path, "cannot stat " + name, errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return std::unexpected(file_error(
        path, name + " is " + std::string(file_type_name(st.st_mode)) + ", not a regular file"));
  }
  if (static_cast<std::uintmax_t>(st.st_size) > limit) {
    return std::unexpected(file_error(path,
                                      name + " is " + std::to_string(st.st_size) +
                                          " bytes, more than the limit of " +
                                          std::to_string(limit),
                                      0, std::move(too_large_hint)));
  }
  // At most limit + 1 bytes: a file that grew after fstat (or a /proc file that reports
  // size 0) is still over the limit, for the caller's own check to refuse.
  std::string text;
  char buffer[64 * 1024];
  while (text.size() <= limit) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(file_error(path, "cannot read " + name, errno));
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

}  // namespace rootfsctl
