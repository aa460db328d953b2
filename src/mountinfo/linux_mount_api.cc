// MountApi on the real kernel: the only file that makes the listmount(2), statmount(2),
// NS_GET_MNTNS_ID and unique-mount-id statx calls.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "core/unique_fd.h"
#include "mountinfo/live.h"

namespace rootfsctl::mountinfo {
namespace {

long raw_syscall_result(long result) { return result < 0 ? -errno : result; }

class LinuxMountApi final : public MountApi {
 public:
  long listmount(const kernel::MntIdReq& req, std::uint64_t* ids, std::size_t count) override {
    if (kernel::kSysListmount < 0) return -ENOSYS;
    return raw_syscall_result(::syscall(kernel::kSysListmount, &req, ids, count, 0));
  }

  long statmount(const kernel::MntIdReq& req, kernel::Statmount* buf, std::size_t size) override {
    if (kernel::kSysStatmount < 0) return -ENOSYS;
    return raw_syscall_result(::syscall(kernel::kSysStatmount, &req, buf, size, 0));
  }

  Result<std::uint64_t> mount_ns_id(const std::string& ns_file) override {
    UniqueFd fd(::open(ns_file.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
      return std::unexpected(make_error(Stage::kRead, "cannot open " + ns_file, errno));
    }
    std::uint64_t id = 0;
    if (::ioctl(fd.get(), kernel::kNsGetMntnsId, &id) != 0) {
      return std::unexpected(make_error(Stage::kRead, "NS_GET_MNTNS_ID on " + ns_file, errno));
    }
    return id;
  }

  Result<RootMount> root_mount(const std::string& root_link) override {
    struct statx stx {};
    if (::statx(AT_FDCWD, root_link.c_str(), 0, kernel::kStatxMntIdUnique, &stx) != 0) {
      return std::unexpected(make_error(Stage::kRead, "cannot statx " + root_link, errno));
    }
    // A kernel before 6.8 answers with the reused 32-bit id, or none: not comparable.
    if ((stx.stx_mask & kernel::kStatxMntIdUnique) == 0) {
      return std::unexpected(make_error(Stage::kRead, "statx has no unique mount id", ENOTSUP));
    }
    return RootMount{stx.stx_mnt_id, (stx.stx_attributes & kernel::kStatxAttrMountRoot) != 0};
  }

  Result<MountTable> read_mountinfo(pid_t pid) override { return read_mountinfo_pid(pid); }
};

}  // namespace

MountApi& linux_mount_api() {
  static LinuxMountApi api;
  return api;
}

}  // namespace rootfsctl::mountinfo
