#include "plan/target_facts.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "plan/drift.h"
#include "plan/target_ids.h"

namespace rootfsctl::plan {
namespace {

std::optional<struct stat> stat_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return st;
}

void add_kernel_facts(ValidationContext& context) {
  context.filesystems = read_proc_filesystems();
  context.kernel_release = read_kernel_release();
}

std::optional<std::uint64_t> ns_inode(const std::string& file) {
  auto st = stat_of(file);
  if (!st) return std::nullopt;
  return static_cast<std::uint64_t>(st->st_ino);
}

std::optional<struct stat> fstat_of(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::nullopt;
  return st;
}

std::optional<std::uint64_t> fd_inode(int fd) {
  auto st = fstat_of(fd);
  if (!st) return std::nullopt;
  return static_cast<std::uint64_t>(st->st_ino);
}

/// The probes and mount namespace ids every live target has.
void add_live_facts(TargetFacts& facts, const std::string& root, const mountinfo::MountTable& table,
                    std::optional<std::uint64_t> mnt_ns) {
  facts.probe = std::make_unique<HostProbe>(root);
  // Bind sources of a live apply are the caller's paths (docs/execution.md): for a target
  // that has not pivoted the two trees hold the same files; for one that has, only the
  // caller's is what the user named.
  facts.source_probe = std::make_unique<HostProbe>("/");
  ValidationContext& context = facts.context;
  context.table = &table;
  context.probe = facts.probe.get();
  context.source_probe = facts.source_probe.get();
  add_kernel_facts(context);
  context.target_mnt_ns = mnt_ns;
  context.caller_mnt_ns = ns_inode("/proc/self/ns/mnt");
  context.host_mnt_ns = ns_inode("/proc/1/ns/mnt");
}

/// A user namespace other than the initial one (pid 1's; ours where pid 1's is hidden).
bool non_initial_user_ns(std::optional<std::uint64_t> target_user) {
  auto host_user = ns_inode("/proc/1/ns/user");
  if (!host_user) host_user = ns_inode("/proc/self/ns/user");
  return target_user && host_user && *target_user != *host_user;
}

}  // namespace

FileType TargetFacts::source_type(std::string_view path) const {
  const FsProbe* where = source_probe ? source_probe.get() : probe.get();
  return where ? where->stat(path).type : FileType::kUnknown;
}

FileType TargetFacts::target_source_type(std::string_view path) const {
  return probe ? probe->stat(path).type : FileType::kUnknown;
}

std::optional<bool> has_own_root(pid_t pid) {
  auto theirs = stat_of("/proc/" + std::to_string(pid) + "/root/");
  auto ours = stat_of("/proc/self/root/");
  if (!theirs || !ours) return std::nullopt;
  return theirs->st_dev != ours->st_dev || theirs->st_ino != ours->st_ino;
}

TargetFacts live_target_facts(pid_t pid, const mountinfo::MountTable& table) {
  const std::string proc = "/proc/" + std::to_string(pid);
  TargetFacts facts;
  add_live_facts(facts, proc + "/root", table, ns_inode(proc + "/ns/mnt"));
  ValidationContext& context = facts.context;
  context.user_namespace = non_initial_user_ns(ns_inode(proc + "/ns/user"));
  context.shared_namespaces = read_shared_namespaces(pid);
  context.target_ids = read_target_ids(pid);
  context.assembled = has_own_root(pid).value_or(false);
  return facts;
}

TargetFacts namespace_target_facts(const NamespaceTargetView& view,
                                   const mountinfo::MountTable& table) {
  TargetFacts facts;
  // The root through our own /proc/self/fd: a magic link to the directory the fd holds,
  // resolved like /proc/N/root (the probe opens it once and looks up beneath it).
  add_live_facts(facts, "/proc/self/fd/" + std::to_string(view.root_fd), table,
                 fd_inode(view.mnt_fd));
  ValidationContext& context = facts.context;
  context.user_namespace = non_initial_user_ns(fd_inode(view.user_fd));
  std::set<std::string> shared;
  for (const char* kind : {"pid", "ipc", "uts", "net", "cgroup"}) {
    auto given = view.given.find(kind);
    if (given == view.given.end() || given->second < 0) {
      context.absent_namespaces.insert(kind);
      continue;
    }
    auto theirs = fstat_of(given->second);
    auto mine = stat_of(std::string("/proc/self/ns/") + kind);
    if (theirs && mine && theirs->st_ino == mine->st_ino && theirs->st_dev == mine->st_dev) {
      shared.insert(kind);
    }
  }
  shared.erase("pid");  // shared_namespaces speaks of net, ipc, uts and cgroup
  context.shared_namespaces = std::move(shared);
  context.target_ids = read_namespace_ids(view.user_fd);
  auto theirs = fstat_of(view.root_fd);
  auto ours = stat_of("/proc/self/root/");
  context.assembled =
      theirs && ours && (theirs->st_dev != ours->st_dev || theirs->st_ino != ours->st_ino);
  return facts;
}

TargetFacts own_namespace_facts(const mountinfo::MountTable& table) {
  TargetFacts facts;
  facts.probe = std::make_unique<HostProbe>("/");
  facts.context.table = &table;
  facts.context.probe = facts.probe.get();
  add_kernel_facts(facts.context);
  // The plan is for a namespace `run` would create from this one, which needs a user
  // namespace when not root.
  facts.context.user_namespace = ::geteuid() != 0;
  facts.context.run_target = true;
  return facts;
}

bool settle_already_applied(const layout::Layout& layout, const Plan& plan,
                            const ValidationContext& context,
                            std::vector<Diagnostic>& diagnostics) {
  if (!context.assembled || !layout.root || !context.table) return false;
  auto caller = mountinfo::read_live_table(0);
  if (!caller || !find_drift(plan, *context.table, {&*caller}).empty()) return false;
  std::erase_if(diagnostics, [](const Diagnostic& d) { return d.code == "target-assembled"; });
  Diagnostic note;
  note.severity = Severity::kNote;
  note.code = "already-applied";
  note.message =
      "the target already holds this layout's tree (its mounts match the plan, as "
      "`rootfsctl verify` checks them): nothing to do";
  note.origin = Origin::implicit("target");
  diagnostics.push_back(std::move(note));
  return true;
}

TargetFacts offline_facts(const mountinfo::MountTable& table) {
  TargetFacts facts;
  facts.context.table = &table;
  return facts;
}

}  // namespace rootfsctl::plan
