#include "core/write_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <random>
#include <utility>

#include "core/read_file.h"
#include "core/unique_fd.h"

namespace rootfsctl {
namespace {

Error write_error(Stage stage, const std::string& path, std::string message, int errno_value = 0) {
  Error error = make_error(stage, std::move(message), errno_value);
  error.where = Location{path, 0, 0};
  return error;
}

/// The directory `path` is in, and its last component; "" for a path ending in '/'.
std::pair<std::string, std::string> split(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

/// Creates a temporary file beside `base` in `dir`. O_EXCL and O_NOFOLLOW: the name is
/// new, so nothing planted there is opened or followed; a clash draws another name.
Result<std::pair<UniqueFd, std::string>> create_temporary(const std::string& dir,
                                                          const std::string& base,
                                                          const std::string& path,
                                                          const std::string& name) {
  std::random_device random;
  for (int attempt = 0; attempt < 16; ++attempt) {
    char suffix[17];
    std::snprintf(suffix, sizeof suffix, "%08x%08x", random(), random());
    // Cut so the name stays within NAME_MAX (255) whatever the length of `base`.
    std::string temporary = dir + "/." + base.substr(0, 200) + "." + suffix + ".tmp";
    UniqueFd fd(
        ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (fd) return std::pair{std::move(fd), std::move(temporary)};
    if (errno != EEXIST) {
      return std::unexpected(write_error(
          Stage::kRead, path, "cannot create a temporary " + name + " in " + dir, errno));
    }
  }
  return std::unexpected(
      write_error(Stage::kRead, path, "cannot create a temporary " + name + " in " + dir, EEXIST));
}

}  // namespace

bool write_fully(int fd, std::string_view contents) {
  while (!contents.empty()) {
    const ssize_t n = ::write(fd, contents.data(), contents.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    contents.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

Result<void> replace_file(const std::string& path, std::string_view contents,
                          std::string_view what) {
  const std::string name(what);
  // Why a new file renamed into place, rather than opening `path` (even with O_NOFOLLOW
  // and O_NONBLOCK, then fstat): opening a device can act on it, truncation would come
  // before the check, and a hard link planted there would be written through. rename(2)
  // only replaces the directory entry, and readers see the old file or the whole new
  // one. The lstat first refuses what should not be replaced (a FIFO, a device, a symlink
  // the user may have meant to write through); if one is planted after it, the rename
  // replaces it without opening or following it.
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    Error error = write_error(
        Stage::kUsage, path,
        name + " is " + std::string(describe_file_type(st.st_mode)) + ", not a regular file");
    error.hint = S_ISLNK(st.st_mode) ? "name the file the link leads to, or remove the link"
                                     : "name a regular file, or a new one";
    return std::unexpected(std::move(error));
  }
  auto [dir, base] = split(path);
  if (base.empty() || base == "." || base == "..") {
    return std::unexpected(
        write_error(Stage::kUsage, path, name + " names a directory, not a file"));
  }
  auto temporary = create_temporary(dir, base, path, name);
  if (!temporary) return std::unexpected(std::move(temporary.error()));
  auto& [fd, temporary_path] = *temporary;
  // Synced, so the rename publishes complete content.
  const bool written = write_fully(fd.get(), contents) && ::fsync(fd.get()) == 0;
  const int write_errno = errno;
  const bool closed = ::close(fd.release()) == 0;
  if (!written || !closed) {
    const int saved = written ? errno : write_errno;
    ::unlink(temporary_path.c_str());
    return std::unexpected(write_error(Stage::kRead, path, "cannot write " + name, saved));
  }
  if (::rename(temporary_path.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temporary_path.c_str());
    return std::unexpected(write_error(Stage::kRead, path, "cannot write " + name, saved));
  }
  return {};
}

}  // namespace rootfsctl
