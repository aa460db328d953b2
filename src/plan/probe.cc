#include "plan/probe.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <utility>

#include "core/path.h"

namespace rootfsctl::plan {
namespace {

FileInfo info_from(int rc, const struct stat& st) {
  if (rc != 0)
    return FileInfo{errno == ENOENT || errno == ENOTDIR ? FileType::kMissing : FileType::kUnknown};
  FileInfo info;
  switch (st.st_mode & S_IFMT) {
    case S_IFDIR:
      info.type = FileType::kDirectory;
      break;
    case S_IFREG:
      info.type = FileType::kRegular;
      break;
    case S_IFLNK:
      info.type = FileType::kSymlink;
      break;
    case S_IFCHR:
      info.type = FileType::kCharDevice;
      break;
    case S_IFBLK:
      info.type = FileType::kBlockDevice;
      break;
    case S_IFIFO:
      info.type = FileType::kFifo;
      break;
    case S_IFSOCK:
      info.type = FileType::kSocket;
      break;
    default:
      info.type = FileType::kUnknown;
      break;
  }
  info.rdev = st.st_rdev;
  info.uid = st.st_uid;
  info.gid = st.st_gid;
  info.mode = st.st_mode & 07777;
  return info;
}

}  // namespace

std::string_view file_type_name(FileType type) {
  switch (type) {
    case FileType::kUnknown:
      return "unknown";
    case FileType::kMissing:
      return "missing";
    case FileType::kDirectory:
      return "directory";
    case FileType::kRegular:
      return "regular file";
    case FileType::kSymlink:
      return "symlink";
    case FileType::kCharDevice:
      return "character device";
    case FileType::kBlockDevice:
      return "block device";
    case FileType::kFifo:
      return "FIFO";
    case FileType::kSocket:
      return "socket";
  }
  return "unknown";
}

HostProbe::HostProbe(std::string root) : root_(std::move(root)) {}

// Paths are resolved with openat2(RESOLVE_IN_ROOT) under root_, so an absolute symlink in
// a target's tree resolves inside that tree; going through "/proc/N/root/..." by string
// would send it back to the caller's root. O_PATH opens no file: a FIFO or device as a
// source cannot block or have side effects here.
FileInfo HostProbe::lstat(std::string_view p) const { return probe(p, false); }

FileInfo HostProbe::stat(std::string_view p) const { return probe(p, true); }

int HostProbe::root_fd() const {
  if (!root_fd_) root_fd_.reset(::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  return root_fd_.get();
}

int HostProbe::open_in_root(std::string_view p, bool follow) const {
  const int root = root_fd();
  if (root < 0) return -1;
  std::string rel = p == "/" ? std::string(".") : std::string(p.substr(1));
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, root, rel.c_str(), &how, sizeof how));
}

FileInfo HostProbe::probe(std::string_view p, bool follow) const {
  if (root_fd() < 0) return FileInfo{FileType::kUnknown};
  int fd = open_in_root(p, follow);
  int saved = errno;
  struct stat st {};
  if (fd < 0) {
    errno = saved;
    return info_from(-1, st);
  }
  int rc = ::fstat(fd, &st);
  saved = errno;
  ::close(fd);
  errno = saved;
  return info_from(rc, st);
}

std::optional<std::uint64_t> HostProbe::fs_type(std::string_view p) const {
  UniqueFd fd(open_in_root(p, true));
  struct statfs st {};
  if (!fd || ::fstatfs(fd.get(), &st) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(st.f_type);
}

namespace {

struct TreeWalk {
  dev_t dev = 0;
  std::size_t budget = 0;
  std::size_t content_budget = 1024 * 1024;
  std::vector<HostProbe::Node> found;

  /// The content of the regular file `name` in `dir`, opened without following a link and
  /// checked to be the file fstatat saw; none when too big or swapped meanwhile.
  std::optional<std::string> read_small(int dir, const char* name, const struct stat& seen) {
    if (static_cast<std::size_t>(seen.st_size) > HostProbe::kMaxFileContent ||
        static_cast<std::size_t>(seen.st_size) > content_budget) {
      return std::nullopt;
    }
    UniqueFd fd(::openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_ino != seen.st_ino ||
        st.st_dev != seen.st_dev) {
      return std::nullopt;
    }
    std::string content(HostProbe::kMaxFileContent + 1, '\0');
    std::size_t got = 0;
    while (got < content.size()) {
      const ssize_t n = ::read(fd.get(), content.data() + got, content.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return std::nullopt;
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (got > HostProbe::kMaxFileContent) return std::nullopt;  // grew since fstatat
    content.resize(got);
    content_budget -= got;
    return content;
  }

  /// Walks the directory `fd` (owned) at `path`, depth first.
  void walk(int fd, const std::string& path, int depth) {
    DIR* dir = ::fdopendir(fd);
    if (dir == nullptr) {
      ::close(fd);
      return;
    }
    while (budget > 0) {
      errno = 0;
      const dirent* entry = ::readdir(dir);
      if (entry == nullptr) break;
      const std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      --budget;
      const std::string child =
          path == "/" ? "/" + std::string(name) : path + "/" + std::string(name);
      struct stat st {};
      if (::fstatat(::dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      // Another filesystem mounted here is its own entry, walked on its own.
      if (st.st_dev != dev) continue;
      if (S_ISLNK(st.st_mode)) {
        std::string to(PATH_MAX, '\0');
        const ssize_t n = ::readlinkat(::dirfd(dir), entry->d_name, to.data(), to.size());
        if (n > 0 && static_cast<std::size_t>(n) < to.size()) {
          to.resize(static_cast<std::size_t>(n));
          found.push_back({child, std::move(to), FileType::kSymlink, 0, std::nullopt});
        }
      } else if (S_ISREG(st.st_mode)) {
        found.push_back({child, "", FileType::kRegular, st.st_mode & 07777,
                         read_small(::dirfd(dir), entry->d_name, st)});
      } else if (S_ISDIR(st.st_mode) && depth < 64) {
        found.push_back({child, "", FileType::kDirectory, st.st_mode & 07777, std::nullopt});
        const int sub =
            ::openat(::dirfd(dir), entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub >= 0) walk(sub, child, depth + 1);
      }
    }
    ::closedir(dir);
  }
};

}  // namespace

std::vector<HostProbe::Node> HostProbe::tree_on(std::string_view mount_path,
                                                std::size_t limit) const {
  const int root = root_fd();
  if (root < 0) return {};
  std::string rel = mount_path == "/" ? std::string(".") : std::string(mount_path.substr(1));
  open_how how{};
  how.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  const int fd = static_cast<int>(::syscall(SYS_openat2, root, rel.c_str(), &how, sizeof how));
  if (fd < 0) return {};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return {};
  }
  TreeWalk walk;
  walk.dev = st.st_dev;
  walk.budget = limit;
  walk.walk(fd, std::string(mount_path), 0);
  std::sort(walk.found.begin(), walk.found.end(),
            [](const Node& a, const Node& b) { return a.path < b.path; });
  return std::move(walk.found);
}

}  // namespace rootfsctl::plan
