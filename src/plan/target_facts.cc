#include "plan/target_facts.h"

#include <unistd.h>

#include <string>

#include "plan/drift.h"

namespace rootfsctl::plan {
namespace {

std::optional<std::uint64_t> inode(std::optional<FileId> id) {
  if (!id) return std::nullopt;
  return static_cast<std::uint64_t>(id->ino);
}

/// Whether two files are one; false when either is unknown.
bool same(std::optional<FileId> a, std::optional<FileId> b) { return a && b && *a == *b; }

void add_kernel_facts(ValidationContext& context, const Machine& machine) {
  context.filesystems = machine.filesystems();
  context.kernel_release = machine.kernel_release();
}

/// The probes and mount namespace ids every live target has.
void add_live_facts(TargetFacts& facts, const std::string& root, const mountinfo::MountTable& table,
                    std::optional<std::uint64_t> mnt_ns) {
  const Machine& machine = *facts.machine;
  facts.probe = machine.tree(root);
  // Bind sources of a live apply are the caller's paths (docs/execution.md): for a target
  // that has not pivoted the two trees hold the same files; for one that has, only the
  // caller's is what the user named.
  facts.source_probe = machine.tree("/");
  ValidationContext& context = facts.context;
  context.table = &table;
  context.probe = facts.probe.get();
  context.source_probe = facts.source_probe.get();
  add_kernel_facts(context, machine);
  context.target_mnt_ns = mnt_ns;
  context.caller_mnt_ns = inode(machine.file_id("/proc/self/ns/mnt"));
  context.host_mnt_ns = inode(machine.file_id("/proc/1/ns/mnt"));
}

/// A user namespace other than the initial one (pid 1's; ours where pid 1's is hidden).
bool non_initial_user_ns(const Machine& machine, std::optional<FileId> target_user) {
  auto host_user = machine.file_id("/proc/1/ns/user");
  if (!host_user) host_user = machine.file_id("/proc/self/ns/user");
  return target_user && host_user && *target_user != *host_user;
}

/// Whether the root `theirs` is another directory than rootfsctl's own.
std::optional<bool> other_root(const Machine& machine, std::optional<FileId> theirs) {
  auto ours = machine.file_id("/proc/self/root/");
  if (!theirs || !ours) return std::nullopt;
  return *theirs != *ours;
}

}  // namespace

FileType TargetFacts::source_type(std::string_view path) const {
  const FsProbe* where = source_probe ? source_probe.get() : probe.get();
  return where ? where->stat(path).type : FileType::kUnknown;
}

FileType TargetFacts::target_source_type(std::string_view path) const {
  return probe ? probe->stat(path).type : FileType::kUnknown;
}

std::optional<bool> has_own_root(pid_t pid, const Machine& machine) {
  return other_root(machine, machine.file_id("/proc/" + std::to_string(pid) + "/root/"));
}

TargetFacts live_target_facts(pid_t pid, const mountinfo::MountTable& table,
                              const Machine& machine) {
  const std::string proc = "/proc/" + std::to_string(pid);
  TargetFacts facts;
  facts.machine = &machine;
  add_live_facts(facts, proc + "/root", table, inode(machine.file_id(proc + "/ns/mnt")));
  ValidationContext& context = facts.context;
  context.user_namespace = non_initial_user_ns(machine, machine.file_id(proc + "/ns/user"));
  std::set<std::string> shared;
  for (const char* kind : {"net", "ipc", "uts", "cgroup"}) {
    if (same(machine.file_id(std::string("/proc/self/ns/") + kind),
             machine.file_id(proc + "/ns/" + kind))) {
      shared.insert(kind);
    }
  }
  context.shared_namespaces = std::move(shared);
  context.target_ids = machine.process_ids(pid);
  context.assembled = has_own_root(pid, machine).value_or(false);
  return facts;
}

TargetFacts namespace_target_facts(const NamespaceTargetView& view,
                                   const mountinfo::MountTable& table, const Machine& machine) {
  TargetFacts facts;
  facts.machine = &machine;
  // The root through our own /proc/self/fd: a magic link to the directory the fd holds,
  // resolved like /proc/N/root (the probe opens it once and looks up beneath it).
  add_live_facts(facts, "/proc/self/fd/" + std::to_string(view.root_fd), table,
                 inode(machine.fd_id(view.mnt_fd)));
  ValidationContext& context = facts.context;
  context.user_namespace = non_initial_user_ns(machine, machine.fd_id(view.user_fd));
  // shared_namespaces speaks of net, ipc, uts and cgroup; pid counts only as given or not.
  std::set<std::string> shared;
  for (const char* kind : {"pid", "ipc", "uts", "net", "cgroup"}) {
    auto given = view.given.find(kind);
    if (given == view.given.end() || given->second < 0) {
      context.absent_namespaces.insert(kind);
    } else if (std::string_view(kind) != "pid" &&
               same(machine.fd_id(given->second),
                    machine.file_id(std::string("/proc/self/ns/") + kind))) {
      shared.insert(kind);
    }
  }
  context.shared_namespaces = std::move(shared);
  context.target_ids = machine.namespace_ids(view.user_fd);
  context.assembled = other_root(machine, machine.fd_id(view.root_fd)).value_or(false);
  return facts;
}

TargetFacts own_namespace_facts(const mountinfo::MountTable& table, const Machine& machine) {
  TargetFacts facts;
  facts.machine = &machine;
  facts.probe = machine.tree("/");
  facts.context.table = &table;
  facts.context.probe = facts.probe.get();
  add_kernel_facts(facts.context, machine);
  // The plan is for a namespace `run` would create from this one, which needs a user
  // namespace when not root.
  facts.context.user_namespace = ::geteuid() != 0;
  facts.context.run_target = true;
  return facts;
}

bool settle_already_applied(const layout::Layout& layout, const Plan& plan,
                            const TargetFacts& facts, std::vector<Diagnostic>& diagnostics) {
  const ValidationContext& context = facts.context;
  if (!context.assembled || !layout.root || !context.table || !facts.machine) return false;
  auto caller = facts.machine->mount_table(0);
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
