#include "plan/machine.h"

#include <sys/ioctl.h>
#include <sys/stat.h>

#include <cerrno>

#include "mountinfo/listmount_abi.h"
#include "plan/validator.h"

namespace rootfsctl::plan {
namespace {

FileId id_of(const struct stat& st) { return FileId{st.st_dev, st.st_ino}; }

class LiveMachine final : public Machine {
 public:
  std::unique_ptr<FsProbe> tree(const std::string& root) const override {
    return std::make_unique<HostProbe>(root);
  }
  std::optional<FileId> file_id(const std::string& path) const override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    return id_of(st);
  }
  std::optional<FileId> fd_id(int fd) const override {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return std::nullopt;
    return id_of(st);
  }
  std::optional<std::set<std::string>> filesystems() const override {
    return read_proc_filesystems();
  }
  std::optional<std::string> kernel_release() const override { return read_kernel_release(); }
  std::optional<TargetIds> process_ids(pid_t pid) const override { return read_target_ids(pid); }
  std::optional<TargetIds> namespace_ids(int user_ns_fd) const override {
    return read_namespace_ids(user_ns_fd);
  }
  Result<mountinfo::MountTable> mount_table(pid_t pid) const override {
    return mountinfo::read_live_table(pid);
  }
  Result<std::uint64_t> mnt_ns_id(int ns_fd) const override {
    std::uint64_t id = 0;
    if (::ioctl(ns_fd, mountinfo::kernel::kNsGetMntnsId, &id) != 0) {
      Error error = make_error(Stage::kOpenNs, "ioctl NS_GET_MNTNS_ID", errno);
      error.hint = "crash recovery keys its log by the mount namespace id (Linux 6.10)";
      return std::unexpected(error);
    }
    return id;
  }
};

}  // namespace

const Machine& live_machine() {
  static const LiveMachine machine;
  return machine;
}

}  // namespace rootfsctl::plan
