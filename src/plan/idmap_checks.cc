#include "plan/idmap_checks.h"

#include <array>
#include <cstdio>

#include "core/idmap.h"
#include "core/path.h"

namespace rootfsctl::plan {
namespace {

struct IdmapFs {
  std::string_view name;
  std::uint64_t magic;        // statfs(2) f_type
  std::pair<int, int> since;  // first kernel with FS_ALLOW_IDMAP for it
};

// FS_ALLOW_IDMAP in the kernel's sources, with the release that set it.
constexpr std::array kIdmapFilesystems{
    IdmapFs{"ext4", 0xEF53, {5, 12}},        IdmapFs{"xfs", 0x58465342, {5, 12}},
    IdmapFs{"btrfs", 0x9123683E, {5, 15}},   IdmapFs{"f2fs", 0xF2F52010, {5, 12}},
    IdmapFs{"vfat", 0x4d44, {5, 12}},        IdmapFs{"msdos", 0x4d44, {5, 12}},
    IdmapFs{"overlay", 0x794c7630, {5, 19}}, IdmapFs{"tmpfs", 0x01021994, {6, 3}},
};

std::string supported_list() {
  std::string out;
  for (const auto& fs : kIdmapFilesystems) {
    if (fs.name == "msdos") continue;
    out += (out.empty() ? "" : ", ") + std::string(fs.name);
  }
  return out;
}

class IdmapCheck {
 public:
  IdmapCheck(const Op& op, const ValidationContext& context, std::vector<Diagnostic>& out)
      : op_(op), context_(context), out_(out), version_(kernel_version(context)) {}

  void run() {
    auto map = parse_idmap(op_.idmap);
    if (!map) return error("idmap-invalid", "idmap " + op_.idmap + ": " + map.error());
    if (version_ && *version_ < std::pair{5, 12}) {
      return error("idmap-kernel", "idmapped mounts came with Linux 5.12 (this kernel: " +
                                       *context_.kernel_release + "); drop idmap");
    }
    // The idmap is set on rootfsctl's side, on the source it cloned before entering; a
    // source in the target's tree is only reachable from inside, where setting it would
    // need privilege over the filesystem that a user-namespaced target lacks.
    if (op_.from_target) {
      return error("idmap-from-target",
                   "an idmapped bind's source is cloned on rootfsctl's side, so it cannot be "
                   "a path of the target's tree: drop from_target and name the host path");
    }
    if (context_.run_target) {
      return error("idmap-in-run",
                   "`run` does not make idmapped binds yet: apply the layout to a child in a "
                   "user namespace (rootfsctl apply --pid N), or drop idmap");
    }
    if (map->from_target && context_.target_mnt_ns && !context_.user_namespace) {
      return error("idmap-no-userns",
                   "idmap: target maps through the target's user namespace, but the target is "
                   "in the initial one, where the map is the identity: give explicit maps "
                   "(idmap: \"0:100000:65536\") or apply to a user-namespaced target");
    }
    check_filesystems();
  }

 private:
  void error(std::string code, std::string message) {
    out_.push_back({Severity::kError, std::move(code),
                    "bind " + op_.target + " <- " + op_.source + ": " + std::move(message),
                    op_.origin, op_.index});
  }

  bool takes(std::string_view fstype) const {
    return !version_ || fs_takes_idmap(fstype, *version_);
  }

  // The source's own filesystem through the caller's tree, and for a recursive bind every
  // mount beneath it (all are idmapped with it, and one that cannot be fails them all).
  void check_filesystems() {
    const FsProbe* probe = context_.source_probe ? context_.source_probe : context_.probe;
    if (probe) {
      auto magic = probe->fs_type(op_.source);
      auto name = magic ? idmap_filesystem_of_magic(*magic) : std::nullopt;
      if (magic && (!name || !takes(*name))) {
        char hex[24];
        std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(*magic));
        return error("idmap-filesystem",
                     "the source is on a filesystem (" + std::string(name.value_or(hex)) +
                         ") that does not take idmapped mounts on this kernel; these do: " +
                         supported_list());
      }
    }
    // Only where the table is also the source's tree: a target that has not pivoted.
    if (!op_.flags.recursive || !context_.table || context_.assembled) return;
    for (const auto& m : context_.table->entries()) {
      if (!path::is_strictly_under(m.target, op_.source)) continue;
      if (takes(m.fstype)) continue;
      return error("idmap-filesystem",
                   "the recursive bind carries " + std::string(m.fstype) + " on " +
                       std::string(m.target) +
                       ", which does not take idmapped mounts; use recursive: false, or "
                       "bind that mount separately");
    }
  }

  const Op& op_;
  const ValidationContext& context_;
  std::vector<Diagnostic>& out_;
  std::optional<std::pair<int, int>> version_;
};

}  // namespace

bool fs_takes_idmap(std::string_view fstype, std::pair<int, int> version) {
  for (const auto& fs : kIdmapFilesystems) {
    if (fs.name == fstype) return version >= fs.since;
  }
  return false;
}

std::optional<std::string_view> idmap_filesystem_of_magic(std::uint64_t magic) {
  for (const auto& fs : kIdmapFilesystems) {
    if (fs.magic == magic) return fs.name;
  }
  return std::nullopt;
}

std::vector<Diagnostic> check_idmaps(const Plan& plan, const ValidationContext& context) {
  std::vector<Diagnostic> out;
  for (const auto& op : plan.ops) {
    if (op.kind == OpKind::kBind && !op.idmap.empty()) IdmapCheck(op, context, out).run();
  }
  return out;
}

}  // namespace rootfsctl::plan
