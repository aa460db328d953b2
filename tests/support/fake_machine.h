// A plan::Machine answering from tables the test fills in, as FakeSyscalls does for the
// executor: the facts about a target (target_facts.h), and with them exec::apply as a
// whole, run without looking at this machine.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "plan/machine.h"
#include "test_support.h"

namespace rootfsctl::testing {

class FakeMachine final : public plan::Machine {
 public:
  /// A machine where rootfsctl runs in the host's namespaces (device 4 is nsfs, 100s are
  /// its namespaces) with its root at inode 2, knowing the usual filesystems.
  FakeMachine() {
    for (const char* kind : kKinds) {
      ids_["/proc/self/ns/" + std::string(kind)] = {kNsfs, host_inode(kind)};
      ids_["/proc/1/ns/" + std::string(kind)] = {kNsfs, host_inode(kind)};
    }
    ids_["/proc/self/root/"] = {kRootDev, 2};
  }

  /// The inode of the host's (and rootfsctl's) namespace of `kind` ("mnt", "user", ...).
  static ino_t host_inode(std::string_view kind) {
    ino_t inode = kHostNamespace;
    for (const char* k : kKinds) {
      if (kind == k) return inode;
      ++inode;
    }
    return 0;
  }

  /// The file `path` is `id`; unlisted paths cannot be looked at.
  FakeMachine& file(std::string path, plan::FileId id) {
    ids_[std::move(path)] = id;
    return *this;
  }
  /// `path` can no longer be looked at.
  FakeMachine& forget(const std::string& path) {
    ids_.erase(path);
    return *this;
  }
  /// Process `pid` lives in namespaces of its own (inodes from `first`), except those in
  /// `shared`, which are rootfsctl's; its root is rootfsctl's unless `own_root`.
  FakeMachine& process(pid_t pid, ino_t first, const std::set<std::string>& shared = {},
                       bool own_root = false) {
    const std::string proc = "/proc/" + std::to_string(pid);
    ino_t next = first;
    for (const char* kind : kKinds) {
      ids_[proc + "/ns/" + kind] = shared.contains(kind)
                                       ? ids_.at("/proc/self/ns/" + std::string(kind))
                                       : plan::FileId{kNsfs, next++};
    }
    ids_[proc + "/root/"] = own_root ? plan::FileId{kRootDev, next} : ids_.at("/proc/self/root/");
    return *this;
  }
  /// fd_id of a descriptor: `answer` is asked (namespace-file targets).
  FakeMachine& fds(std::function<std::optional<plan::FileId>(int)> answer) {
    fd_answer_ = std::move(answer);
    return *this;
  }
  /// The mount table process `pid` (0: rootfsctl) reads.
  FakeMachine& table(pid_t pid, std::string mountinfo) {
    tables_[pid] = std::move(mountinfo);
    return *this;
  }
  /// What the tree under `root` holds.
  FakeProbe& tree_of(const std::string& root) { return trees_[root]; }

  std::set<std::string> known_filesystems{"tmpfs",  "proc",    "sysfs",   "devpts",
                                          "mqueue", "overlay", "cgroup2", "ext4"};
  std::string release = "6.18.0";
  std::optional<plan::TargetIds> ids;  // process_ids and namespace_ids answer this
  std::uint64_t mnt_ns = 4026532000;   // mnt_ns_id's answer
  /// What was asked, one line per question, in order.
  mutable std::vector<std::string> asked;

  std::unique_ptr<plan::FsProbe> tree(const std::string& root) const override {
    asked.push_back("tree " + root);
    auto it = trees_.find(root);
    return std::make_unique<FakeProbe>(it == trees_.end() ? FakeProbe() : it->second);
  }
  std::optional<plan::FileId> file_id(const std::string& path) const override {
    auto it = ids_.find(path);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }
  std::optional<plan::FileId> fd_id(int fd) const override {
    return fd_answer_ ? fd_answer_(fd) : std::nullopt;
  }
  std::optional<std::set<std::string>> filesystems() const override { return known_filesystems; }
  std::optional<std::string> kernel_release() const override { return release; }
  std::optional<plan::TargetIds> process_ids(pid_t) const override { return ids; }
  std::optional<plan::TargetIds> namespace_ids(int) const override { return ids; }
  Result<mountinfo::MountTable> mount_table(pid_t pid) const override {
    asked.push_back("mount_table " + std::to_string(pid));
    auto it = tables_.find(pid);
    if (it == tables_.end()) {
      return std::unexpected(make_error(Stage::kRead, "no table for the fake", ENOENT));
    }
    return mountinfo::parse_mountinfo(it->second);
  }
  Result<std::uint64_t> mnt_ns_id(int) const override { return mnt_ns; }

  static constexpr dev_t kNsfs = 4;
  static constexpr dev_t kRootDev = 8;
  static constexpr ino_t kHostNamespace = 100;
  static constexpr const char* kKinds[] = {"mnt", "user", "pid", "net", "ipc", "uts", "cgroup"};

 private:
  std::map<std::string, plan::FileId> ids_;
  std::map<pid_t, std::string> tables_;
  std::map<std::string, FakeProbe> trees_;
  std::function<std::optional<plan::FileId>(int)> fd_answer_;
};

}  // namespace rootfsctl::testing
