// Reading mountinfo from a captured file or from /proc/<pid>/mountinfo. Parsing is
// parse_owned()'s job; this file only gets the bytes, into a buffer the table then owns.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "core/prefault.h"
#include "core/read_file.h"
#include "core/unique_fd.h"
#include "mountinfo/mountinfo.h"
#include "mountinfo/table_impl.h"

namespace rootfsctl::mountinfo {
namespace {

// /proc files report size 0, so reading starts here and doubles.
constexpr std::size_t kInitialBuffer = 64 * 1024;

struct Bytes {
  ByteBuffer data;
  std::size_t size = 0;
};

// Room for one byte more than the limit, so a read that fills it proves the input is
// over the limit, and a file of exactly the limit still reads to EOF.
constexpr std::size_t kMaxCapacity = kMaxMountinfoBytes + 1;

/// A buffer for `capacity` bytes of text plus the padding parse_owned needs.
ByteBuffer allocate(std::size_t capacity) { return ByteBuffer(capacity + kScanPadding); }

/// Doubles `bytes`' capacity (keeping its content), or fails past kMaxCapacity.
bool grow(Bytes& bytes, std::size_t& capacity) {
  if (capacity >= kMaxCapacity) return false;
  std::size_t larger = std::min(capacity * 2, kMaxCapacity);
  auto data = allocate(larger);
  if (bytes.size > 0) std::memcpy(data.get(), bytes.data.get(), bytes.size);
  bytes.data = std::move(data);
  capacity = larger;
  return true;
}

Error too_large(const std::string& name) {
  return make_error(Stage::kRead,
                    name + " is larger than " + std::to_string(kMaxMountinfoBytes >> 20) + " MiB",
                    EFBIG);
}

/// Reads `fd` until EOF. /proc/N/mountinfo is a seq file: one read returns what fits a
/// page or the buffer, never the whole table, and its size is unknown up front.
Result<Bytes> read_all(int fd, const std::string& name, std::size_t size_hint) {
  std::size_t capacity = std::min(std::max(size_hint + 1, kInitialBuffer), kMaxCapacity);
  Bytes bytes{allocate(capacity), 0};
  // A file of known size fills the buffer: back it at once. A /proc file's buffer is a
  // guess, most of which may stay untouched.
  if (size_hint > 0) prefault(bytes.data.get(), capacity + kScanPadding);
  for (;;) {
    if (bytes.size == capacity && !grow(bytes, capacity)) return std::unexpected(too_large(name));
    ssize_t got = ::read(fd, bytes.data.get() + bytes.size, capacity - bytes.size);
    if (got == 0) return bytes;
    if (got < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(make_error(Stage::kRead, "cannot read " + name, errno));
    }
    bytes.size += static_cast<std::size_t>(got);
  }
}

/// Parses what was read; a parse error names the file it came from.
Result<MountTable> parse_bytes(Bytes bytes, const std::string& name) {
  auto table = parse_owned(std::move(bytes.data), bytes.size);
  if (!table) return std::unexpected(std::move(table.error().wrap(name)));
  return table;
}

}  // namespace

Result<MountTable> read_mountinfo_file(const std::string& path) {
  // A FIFO or a device could block forever or never end; a capture is a regular file,
  // and open_regular_file refuses anything else without waiting on it.
  auto file = open_regular_file(path, "mountinfo file");
  if (!file) return std::unexpected(std::move(file.error()));
  if (file->size > kMaxMountinfoBytes) return std::unexpected(too_large(path));
  auto bytes = read_all(file->fd.get(), path, static_cast<std::size_t>(file->size));
  if (!bytes) return std::unexpected(std::move(bytes.error()));
  return parse_bytes(std::move(*bytes), path);
}

Result<MountTable> read_mountinfo_fd(int fd, const std::string& name) {
  auto bytes = read_all(fd, name, 0);
  if (!bytes) return std::unexpected(std::move(bytes.error()));
  return parse_bytes(std::move(*bytes), name);
}

Result<MountTable> read_mountinfo_pid(pid_t pid) {
  if (pid < 0) {
    return std::unexpected(
        make_error(Stage::kRead, "invalid process id " + std::to_string(pid), EINVAL));
  }
  std::string path = pid == 0 ? std::string("/proc/self/mountinfo")
                              : "/proc/" + std::to_string(pid) + "/mountinfo";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    int error = errno;
    if (error == ENOENT || error == ESRCH) {
      return std::unexpected(
          make_error(Stage::kRead, "process " + std::to_string(pid) + " does not exist", error));
    }
    // mounts_open_common() returns EINVAL for a task without a mount namespace: a zombie.
    if (error == EINVAL) {
      return std::unexpected(
          make_error(Stage::kRead, "process " + std::to_string(pid) + " has exited", error));
    }
    return std::unexpected(make_error(Stage::kRead, "cannot open " + path, error));
  }
  auto bytes = read_all(fd.get(), path, 0);
  if (!bytes) return std::unexpected(std::move(bytes.error()));
  return parse_bytes(std::move(*bytes), path);
}

}  // namespace rootfsctl::mountinfo
