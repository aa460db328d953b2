// What the validator may learn about files: the type of a path and a device's number.
// An interface so the validator is testable with a table of answers and usable offline.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/unique_fd.h"

namespace rootfsctl::plan {

enum class FileType {
  kUnknown,  // not checked (offline) or not checkable (EACCES, ...)
  kMissing,
  kDirectory,
  kRegular,
  kSymlink,
  kCharDevice,
  kBlockDevice,
  kFifo,
  kSocket,
};

/// "directory", "regular file", "symlink", ...
std::string_view file_type_name(FileType type);

struct FileInfo {
  FileType type = FileType::kUnknown;
  dev_t rdev = 0;  // for devices
  // Owner and permission bits (st_mode & 07777), as rootfsctl's user namespace sees them;
  // meaningful when the file exists (type neither kUnknown nor kMissing).
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t mode = 0;
};

class FsProbe {
 public:
  virtual ~FsProbe() = default;
  /// Looks at `path` (absolute, in the target's tree) without following a final symlink.
  virtual FileInfo lstat(std::string_view path) const = 0;
  /// Looks at `path`, following symlinks as mount(2) does for a source.
  virtual FileInfo stat(std::string_view path) const = 0;
  /// The statfs(2) f_type of the filesystem `path` (symlinks followed) is on; nullopt
  /// when unknown (offline, unreadable).
  virtual std::optional<std::uint64_t> fs_type(std::string_view) const { return std::nullopt; }
};

/// Probes the real filesystem seen through `root` ("/" for the caller's own tree,
/// "/proc/N/root" for a target's).
class HostProbe final : public FsProbe {
 public:
  explicit HostProbe(std::string root = "/");
  FileInfo lstat(std::string_view path) const override;
  FileInfo stat(std::string_view path) const override;
  std::optional<std::uint64_t> fs_type(std::string_view path) const override;

  /// A symlink, directory or regular file found in a tree: its absolute path under the
  /// root, and for a symlink its link text, for a file its content when it is small.
  struct Node {
    std::string path;
    std::string to;                      // symlink: the link text
    FileType type = FileType::kSymlink;  // kSymlink, kDirectory or kRegular
    mode_t mode = 0;                     // directory, file: permission bits
    std::optional<std::string> content;  // file: none when larger than the limit or unreadable
    bool operator==(const Node&) const = default;
  };
  /// Files larger than this are listed without their content.
  static constexpr std::size_t kMaxFileContent = 64 * 1024;
  /// The symlinks, directories and regular files in the filesystem mounted at
  /// `mount_path` (under the root), walked without leaving that filesystem or following
  /// any link, sorted by path; files are opened with O_NOFOLLOW beneath the directory fd
  /// they were found in and read only up to kMaxFileContent bytes, 1 MiB in all. At most
  /// `limit` directory entries are looked at (a hostile tree cannot make it run long).
  /// Empty when the directory cannot be opened.
  std::vector<Node> tree_on(std::string_view mount_path, std::size_t limit = 65536) const;

 private:
  /// An O_PATH fd of `path` under the root, or -1.
  int open_in_root(std::string_view path, bool follow) const;
  FileInfo probe(std::string_view path, bool follow) const;
  /// root_, opened on the first probe and kept: every later probe resolves under the
  /// same directory, and a validation's dozen probes pay one /proc lookup, not a dozen.
  int root_fd() const;
  std::string root_;
  mutable UniqueFd root_fd_;
};

}  // namespace rootfsctl::plan
