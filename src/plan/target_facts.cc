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

std::optional<std::uint64_t> ns_inode(const std::string& file) {
  auto st = stat_of(file);
  if (!st) return std::nullopt;
  return static_cast<std::uint64_t>(st->st_ino);
}

void add_kernel_facts(ValidationContext& context) {
  context.filesystems = read_proc_filesystems();
  context.kernel_release = read_kernel_release();
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
  facts.probe = std::make_unique<HostProbe>(proc + "/root");
  // Bind sources of a live apply are the caller's paths (docs/execution.md): for a target
  // that has not pivoted the two trees hold the same files; for one that has, only the
  // caller's is what the user named.
  facts.source_probe = std::make_unique<HostProbe>("/");
  ValidationContext& context = facts.context;
  context.table = &table;
  context.probe = facts.probe.get();
  context.source_probe = facts.source_probe.get();
  add_kernel_facts(context);
  context.target_mnt_ns = ns_inode(proc + "/ns/mnt");
  context.caller_mnt_ns = ns_inode("/proc/self/ns/mnt");
  context.host_mnt_ns = ns_inode("/proc/1/ns/mnt");
  // A user namespace other than the initial one (pid 1's; ours where pid 1's is hidden).
  auto target_user = ns_inode(proc + "/ns/user");
  auto host_user = ns_inode("/proc/1/ns/user");
  if (!host_user) host_user = ns_inode("/proc/self/ns/user");
  context.user_namespace = target_user && host_user && *target_user != *host_user;
  context.shared_namespaces = read_shared_namespaces(pid);
  context.target_ids = read_target_ids(pid);
  context.assembled = has_own_root(pid).value_or(false);
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
