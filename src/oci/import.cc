// config.json -> layout. Each OCI mount is read into an entry of the matching kind; every
// option is either carried (a flag name, ro, size, mode, the overlay dirs), known to be
// what rootfsctl does anyway (devpts newinstance), or reported and dropped.
#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

#include "core/idmap.h"
#include "core/path.h"
#include "oci/json_input.h"
#include "oci/oci.h"

namespace rootfsctl::oci {
namespace {

using layout::Entry;
using layout::EntryKind;
using nlohmann::json;

/// Per-mount flag names a layout's `options` accepts (schemas/layout.schema.json), minus
/// ro/rw, which are `readonly`.
constexpr std::array<std::string_view, 16> kFlagOptions{
    "nosuid",    "suid",     "nodev",       "dev",        "noexec",   "exec",
    "noatime",   "relatime", "strictatime", "nodiratime", "diratime", "nosymfollow",
    "symfollow", "sync",     "async",       "dirsync"};

constexpr std::array<std::string_view, 8> kPropagation{
    "private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable"};

bool contains(auto const& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

/// devpts options rootfsctl's own devpts mount has (planner: newinstance,ptmxmode=0666,mode=620).
bool is_rootfsctl_devpts_option(std::string_view option) {
  return option == "newinstance" || option == "ptmxmode=0666" || option == "ptmxmode=666" ||
         option == "mode=620" || option == "mode=0620";
}

std::optional<std::uint32_t> parse_mode(std::string_view text) {
  if (text.size() < 3 || text.size() > 4) return std::nullopt;
  std::uint32_t mode = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), mode, 8);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return mode;
}

bool valid_size(std::string_view size);

/// A uid or gid in mount data: decimal, 0 to 4294967294.
std::optional<std::uint32_t> parse_id(std::string_view text) {
  std::uint32_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id, 10);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (id == 4294967295u) return std::nullopt;
  return id;
}

/// tmpfs nr_inodes=: a count with an optional k, m or g suffix.
bool valid_count(std::string_view count) {
  return !count.empty() && count.back() != '%' && valid_size(count);
}

bool valid_size(std::string_view size) {
  if (size.empty()) return false;
  std::size_t digits = 0;
  while (digits < size.size() && size[digits] >= '0' && size[digits] <= '9') ++digits;
  if (digits == 0) return false;
  if (digits == size.size()) return true;
  return digits + 1 == size.size() && std::string_view("kKmMgG%").find(size.back()) != size.npos;
}

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(sep, start);
    if (end == text.npos) end = text.size();
    parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

struct OciMount {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;
  std::vector<IdExtent> uids;  // uidMappings: containerID is the id on the filesystem
  std::vector<IdExtent> gids;
};

/// A mount's uidMappings or gidMappings: [{containerID, hostID, size}, ...].
Result<std::vector<IdExtent>> read_id_mappings(const json& mount, const char* key,
                                               std::string_view source,
                                               const std::string& pointer) {
  std::vector<IdExtent> out;
  auto list = mount.find(key);
  if (list == mount.end()) return out;
  const std::string where = pointer + "/" + key;
  if (!list->is_array()) {
    return std::unexpected(detail::shape_error(source, where, "an array of mappings", *list));
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& item = (*list)[i];
    IdExtent extent;
    for (auto [name, slot] :
         {std::pair{"containerID", &extent.inside}, std::pair{"hostID", &extent.outside},
          std::pair{"size", &extent.count}}) {
      auto field = item.is_object() ? item.find(name) : item.end();
      if (field == item.end() || !field->is_number_unsigned() ||
          field->get<std::uint64_t>() > 4294967294u) {
        return std::unexpected(detail::shape_error(
            source, where + "/" + std::to_string(i) + "/" + name, "an id from 0 to 4294967294",
            field == item.end() ? json() : *field));
      }
      *slot = static_cast<std::uint32_t>(field->get<std::uint64_t>());
    }
    out.push_back(extent);
  }
  return out;
}

Result<OciMount> read_mount(const json& value, std::string_view source,
                            const std::string& pointer) {
  if (!value.is_object())
    return std::unexpected(detail::shape_error(source, pointer, "an object", value));
  OciMount mount;
  auto destination = value.find("destination");
  if (destination == value.end() || !destination->is_string()) {
    return std::unexpected(detail::shape_error(
        source, pointer + "/destination", "a string",
        destination == value.end() ? json() : *destination,
        "every OCI mount needs \"destination\", the path inside the container"));
  }
  mount.destination = destination->get<std::string>();
  auto type = detail::optional_string(value, "type", source, pointer);
  if (!type) return std::unexpected(type.error());
  mount.type = *type;
  auto src = detail::optional_string(value, "source", source, pointer);
  if (!src) return std::unexpected(src.error());
  mount.source = *src;
  if (auto options = value.find("options"); options != value.end()) {
    if (!options->is_array()) {
      return std::unexpected(
          detail::shape_error(source, pointer + "/options", "an array of strings", *options));
    }
    for (std::size_t i = 0; i < options->size(); ++i) {
      const auto& option = (*options)[i];
      if (!option.is_string()) {
        return std::unexpected(detail::shape_error(
            source, pointer + "/options/" + std::to_string(i), "a string", option));
      }
      mount.options.push_back(option.get<std::string>());
    }
  }
  auto uids = read_id_mappings(value, "uidMappings", source, pointer);
  if (!uids) return std::unexpected(uids.error());
  auto gids = read_id_mappings(value, "gidMappings", source, pointer);
  if (!gids) return std::unexpected(gids.error());
  mount.uids = std::move(*uids);
  mount.gids = std::move(*gids);
  return mount;
}

/// Reads one OCI mount into an entry, reporting what does not carry over.
class MountImporter {
 public:
  MountImporter(const ImportOptions& options, std::vector<Finding>& findings)
      : options_(options), findings_(findings) {}

  std::optional<Entry> import(int index, const OciMount& mount) {
    index_ = index;
    destination_ = mount.destination;
    auto kind = kind_of(mount);
    if (!kind) return std::nullopt;
    Entry entry;
    entry.kind = *kind;
    entry.recursive = *kind == EntryKind::kBind;  // as the loader fills it in
    entry.target = path::lexically_normal(mount.destination);
    if (entry.target != mount.destination) {
      note("destination written as " + entry.target + " (layouts take normalised absolute paths)");
    }
    if (*kind == EntryKind::kBind && !bind_source(mount, entry)) return std::nullopt;
    import_idmap(mount, entry);
    for (const auto& option : mount.options) apply_option(option, entry);
    if (*kind == EntryKind::kOverlay && !finish_overlay(entry)) return std::nullopt;
    if (rro_on_single_ && entry.kind == EntryKind::kBind && !entry.recursive) {
      // rro on a non-recursive bind is ro: there are no submounts to reach.
      entry.readonly = true;
    }
    if (ro_on_rbind_ && entry.recursive && entry.kind == EntryKind::kBind) {
      note(
          "ro on an rbind: rootfsctl makes the submounts read-only too (what rro asks for); "
          "runc leaves them writable");
    }
    return entry;
  }

 private:
  void warn(std::string message) { add("warning", std::move(message)); }
  void note(std::string message) { add("note", std::move(message)); }
  void add(std::string severity, std::string message) {
    findings_.push_back({std::move(severity), index_, destination_, std::move(message)});
  }

  std::optional<EntryKind> kind_of(const OciMount& mount) {
    bool bind_option = contains(mount.options, "bind") || contains(mount.options, "rbind");
    if (mount.type == "bind" || bind_option) return EntryKind::kBind;
    // runc's "cgroup" is the cgroup2 hierarchy on a unified host (runc spec writes it so),
    // which is what a cgroup entry mounts.
    static constexpr std::array<std::pair<std::string_view, EntryKind>, 8> kTypes{
        {{"tmpfs", EntryKind::kTmpfs},
         {"proc", EntryKind::kProc},
         {"sysfs", EntryKind::kSysfs},
         {"devpts", EntryKind::kDevpts},
         {"mqueue", EntryKind::kMqueue},
         {"cgroup", EntryKind::kCgroup},
         {"cgroup2", EntryKind::kCgroup},
         {"overlay", EntryKind::kOverlay}}};
    for (auto [name, kind] : kTypes) {
      if (mount.type == name) return kind;
    }
    if (mount.type.empty()) {
      warn("no type and no bind/rbind option; not imported (give \"type\" or a bind option)");
    } else {
      warn("type " + mount.type +
           " has no layout kind; not imported (layouts mount bind, tmpfs, proc, sysfs, devpts, "
           "mqueue, cgroup and overlay; bind a host mount of it instead)");
    }
    return std::nullopt;
  }

  bool bind_source(const OciMount& mount, Entry& entry) {
    if (mount.source.empty()) {
      warn("bind mount without a source; not imported");
      return false;
    }
    std::string source = mount.source;
    if (source.front() != '/') {
      if (options_.bundle_dir.empty()) {
        warn("relative bind source '" + source +
             "' is relative to the bundle, which is unknown here; written as /" + source +
             " (pass the bundle directory)");
        source = "/" + source;
      } else {
        source = options_.bundle_dir + "/" + source;
      }
    }
    entry.from = path::lexically_normal(source);
    entry.recursive = contains(mount.options, "rbind");
    return true;
  }

  /// uidMappings/gidMappings as an explicit `idmap`; the idmap and ridmap options without
  /// mappings (runc, crun: the container's own user namespace) as `idmap: target`.
  void import_idmap(const OciMount& mount, Entry& entry) {
    const bool option = contains(mount.options, "idmap") || contains(mount.options, "ridmap");
    if (mount.uids.empty() && mount.gids.empty()) {
      if (option) {
        if (entry.kind == EntryKind::kBind) {
          entry.idmap = "target";
        } else {
          warn("an idmapped mount of a filesystem (not a bind) has no layout equivalent; dropped");
        }
      }
      return;
    }
    if (entry.kind != EntryKind::kBind) {
      warn(
          "uidMappings/gidMappings on a mount that is not a bind have no layout equivalent; "
          "dropped");
      return;
    }
    Idmap map;
    map.uids = mount.uids.empty() ? mount.gids : mount.uids;
    map.gids = mount.gids.empty() ? mount.uids : mount.gids;
    if (mount.uids.empty() || mount.gids.empty()) {
      note(std::string(mount.uids.empty() ? "uidMappings" : "gidMappings") +
           " missing: the other list is used for both");
    }
    auto checked = parse_idmap(idmap_text(map));
    if (!checked) {
      warn("uidMappings/gidMappings: " + checked.error() + "; dropped");
      return;
    }
    entry.idmap = idmap_text(map);
  }

  void apply_option(const std::string& option, Entry& entry) {
    if (option == "bind" || option == "rbind" || option == "defaults") return;
    if (option == "idmap" || option == "ridmap") return;  // import_idmap
    if (option == "ro") {
      entry.readonly = true;
      ro_on_rbind_ = entry.kind == EntryKind::kBind && entry.recursive;
      return;
    }
    if (option == "rw") {
      entry.readonly = false;
      ro_on_rbind_ = false;
      return;
    }
    if (contains(kFlagOptions, option)) {
      entry.options.push_back(option);
      return;
    }
    if (option == "rro" && entry.kind == EntryKind::kBind) {
      // A layout's readonly on a recursive bind is rro: mount_setattr with AT_RECURSIVE.
      entry.readonly = true;
      ro_on_rbind_ = false;
      rro_on_single_ = !entry.recursive;
      return;
    }
    if (contains(kPropagation, option)) {
      warn("propagation option '" + option +
           "' has no layout equivalent; dropped (rootfsctl leaves propagation as the "
           "target's tree has it)");
      return;
    }
    if (option.size() > 1 && option[0] == 'r' &&
        contains(kFlagOptions, std::string_view(option).substr(1))) {
      warn("recursive option '" + option +
           "' has no layout equivalent; dropped (only readonly is recursive on a bind)");
      return;
    }
    if (kind_option(option, entry)) return;
    warn("option '" + option + "' has no layout equivalent for a " +
         std::string(layout::kind_name(entry.kind)) + " entry; dropped");
  }

  /// key=value options of tmpfs, devpts and overlay. True when handled (or reported).
  bool kind_option(const std::string& option, Entry& entry) {
    auto eq = option.find('=');
    std::string key = option.substr(0, eq);
    std::string value = eq == option.npos ? std::string() : option.substr(eq + 1);
    switch (entry.kind) {
      case EntryKind::kTmpfs:
        if (key == "size" && valid_size(value)) {
          entry.size = value;
          return true;
        }
        if (key == "mode" && parse_mode(value)) {
          entry.mode = parse_mode(value);
          return true;
        }
        return id_option(key, value, entry) ||
               (key == "nr_inodes" && valid_count(value) && (entry.nr_inodes = value, true));
      case EntryKind::kDevpts:
        if (key == "ptmxmode" && parse_mode(value)) {
          // The planner's default needs no key.
          if (*parse_mode(value) != 0666) entry.ptmxmode = parse_mode(value);
          return true;
        }
        if (is_rootfsctl_devpts_option(option)) return true;
        if (key == "gid" && parse_id(value)) {
          entry.gid = parse_id(value);
          return true;
        }
        if (key == "newinstance" || key == "ptmxmode" || key == "mode" || key == "gid") {
          warn("devpts option '" + option +
               "' dropped: rootfsctl mounts devpts with newinstance,ptmxmode=0666,mode=620");
          return true;
        }
        return false;
      case EntryKind::kOverlay:
        if (key == "lowerdir") {
          lower_ = split(value, ':');
          return true;
        }
        if (key == "upperdir") {
          upper_ = value;
          return true;
        }
        if (key == "workdir") {
          work_ = value;
          return true;
        }
        return false;
      default:
        return false;
    }
  }

  /// tmpfs uid= and gid=, as the layout keys of the same names.
  static bool id_option(const std::string& key, const std::string& value, Entry& entry) {
    if (key != "uid" && key != "gid") return false;
    auto id = parse_id(value);
    if (!id) return false;
    (key == "uid" ? entry.uid : entry.gid) = id;
    return true;
  }

  /// OCI's overlay replaces the destination with lowerdir (+ upperdir); a layout's overlay
  /// is a union that also searches the directory already at the target, between `before`
  /// and `after`. The lower dirs become `before`, so they are searched first.
  bool finish_overlay(Entry& entry) {
    if (lower_.empty()) {
      warn("overlay without lowerdir=; not imported");
      return false;
    }
    for (const auto& dir : lower_) {
      if (dir.empty() || dir.front() != '/') {
        warn("overlay lowerdir '" + dir + "' is not an absolute path; not imported");
        return false;
      }
      entry.before.push_back(path::lexically_normal(dir));
    }
    note("the layout's overlay also searches the directory already at " + entry.target +
         ", after the lowerdirs; OCI's hides it");
    if (upper_.empty()) return true;
    entry.create = path::lexically_normal(upper_);
    std::string work = path::join(path::parent(*entry.create),
                                  "." + std::string(path::basename(*entry.create)) + ".work");
    if (!work_.empty() && path::lexically_normal(work_) != work) {
      warn("overlay workdir " + work_ + " replaced by " + work +
           " (rootfsctl keeps the work directory beside the upper one)");
    }
    return true;
  }

  const ImportOptions& options_;
  std::vector<Finding>& findings_;
  int index_ = 0;
  std::string destination_;
  bool ro_on_rbind_ = false;
  bool rro_on_single_ = false;
  std::vector<std::string> lower_;
  std::string upper_;
  std::string work_;
};

Result<std::optional<layout::Root>> read_root(const json& spec, const ImportOptions& options,
                                              std::vector<Finding>& findings) {
  auto root = spec.find("root");
  if (root == spec.end()) return std::nullopt;
  const std::string& source = options.source_name;
  if (!root->is_object())
    return std::unexpected(detail::shape_error(source, "/root", "an object", *root));
  auto root_path = detail::optional_string(*root, "path", source, "/root");
  if (!root_path) return std::unexpected(root_path.error());
  if (root_path->empty()) {
    return std::unexpected(detail::shape_error(source, "/root/path", "a non-empty string",
                                               root->value("path", json())));
  }
  layout::Root out;
  out.kind = layout::RootKind::kBind;
  std::string dir = *root_path;
  if (dir.front() != '/') {
    if (options.bundle_dir.empty()) {
      findings.push_back({"warning", -1, "root.path",
                          "relative root.path '" + dir +
                              "' is relative to the bundle, which is unknown here; written as /" +
                              dir + " (pass the bundle directory)"});
      dir = "/" + dir;
    } else {
      dir = options.bundle_dir + "/" + dir;
    }
  }
  out.from = path::lexically_normal(dir);
  if (auto readonly = root->find("readonly"); readonly != root->end()) {
    if (!readonly->is_boolean()) {
      return std::unexpected(detail::shape_error(source, "/root/readonly", "a boolean", *readonly));
    }
    out.readonly = readonly->get<bool>();
  }
  return out;
}

/// OCI namespace types (config-linux.md "Namespaces") as a layout's names.
std::optional<std::string_view> layout_namespace(std::string_view oci_type) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"mount", "mount"}, {"pid", "pid"},   {"network", "net"},   {"ipc", "ipc"},
      {"uts", "uts"},     {"user", "user"}, {"cgroup", "cgroup"}, {"time", "time"}};
  for (const auto& [oci, ours] : kNames) {
    if (oci == oci_type) return ours;
  }
  return std::nullopt;
}

/// linux.namespaces as the layout's `namespaces:` (new ones only: a layout cannot join an
/// existing namespace by path, so those are findings), and the hostname with a uts one.
Result<void> read_namespaces(const json& spec, const std::string& source, layout::Layout& out,
                             std::vector<Finding>& findings) {
  auto linux_section = spec.find("linux");
  if (linux_section == spec.end() || !linux_section->is_object()) return {};
  auto list = linux_section->find("namespaces");
  if (list == linux_section->end()) return {};
  if (!list->is_array()) {
    return std::unexpected(detail::shape_error(source, "/linux/namespaces", "an array", *list));
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& item = (*list)[i];
    const std::string where = "/linux/namespaces/" + std::to_string(i);
    auto type = item.is_object() ? item.find("type") : item.end();
    if (!item.is_object() || type == item.end() || !type->is_string()) {
      return std::unexpected(
          detail::shape_error(source, where, "an object with a string \"type\"", item));
    }
    const std::string name = type->get<std::string>();
    auto ours = layout_namespace(name);
    if (!ours) {
      findings.push_back({"warning", -1, "linux.namespaces",
                          "unknown namespace type '" + name + "'; not imported"});
      continue;
    }
    if (auto path = item.find("path"); path != item.end()) {
      findings.push_back({"warning", -1, "linux.namespaces",
                          "the " + name + " namespace joins " +
                              (path->is_string() ? path->get<std::string>() : path->dump()) +
                              "; a layout makes new namespaces only: not imported"});
      continue;
    }
    if (std::find(out.namespaces.begin(), out.namespaces.end(), *ours) == out.namespaces.end()) {
      out.namespaces.emplace_back(*ours);
    }
  }
  auto hostname = spec.find("hostname");
  if (hostname != spec.end() && hostname->is_string() && !hostname->get<std::string>().empty()) {
    if (std::find(out.namespaces.begin(), out.namespaces.end(), "uts") != out.namespaces.end()) {
      out.hostname = hostname->get<std::string>();
    } else {
      findings.push_back(
          {"note", -1, "hostname", "not imported: the spec has no new uts namespace to set it in"});
    }
  }
  return {};
}

/// linux.sysctl as the layout's `sysctls` (the validator, not the import, refuses one that
/// would change the host's).
Result<void> read_sysctl(const json& spec, const std::string& source, layout::Layout& out) {
  auto linux_section = spec.find("linux");
  if (linux_section == spec.end() || !linux_section->is_object()) return {};
  auto sysctl = linux_section->find("sysctl");
  if (sysctl == linux_section->end()) return {};
  if (!sysctl->is_object()) {
    return std::unexpected(detail::shape_error(source, "/linux/sysctl", "an object", *sysctl));
  }
  for (const auto& [key, value] : sysctl->items()) {
    if (!value.is_string()) {
      return std::unexpected(
          detail::shape_error(source, "/linux/sysctl/" + key, "a string", value));
    }
    out.sysctls[key] = value.get<std::string>();
  }
  return {};
}

/// linux.maskedPaths and linux.readonlyPaths as `mask` and `readonly-path` entries, after
/// the mounts (the planner puts each after the /proc or /sys mount it is beneath). A path
/// a layout cannot name (relative, or not normalised) is a finding.
Result<void> read_protected_paths(const json& spec, const std::string& source, Import& result) {
  auto linux_section = spec.find("linux");
  if (linux_section == spec.end() || !linux_section->is_object()) return {};
  constexpr std::pair<const char*, layout::EntryKind> kKeys[] = {
      {"maskedPaths", layout::EntryKind::kMask},
      {"readonlyPaths", layout::EntryKind::kReadonlyPath}};
  const int after_mounts = spec.contains("mounts") ? static_cast<int>(spec["mounts"].size()) : 0;
  for (const auto& [key, kind] : kKeys) {
    auto list = linux_section->find(key);
    if (list == linux_section->end()) continue;
    const std::string pointer = std::string("/linux/") + key;
    if (!list->is_array()) {
      return std::unexpected(detail::shape_error(source, pointer, "an array", *list));
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      const json& item = (*list)[i];
      if (!item.is_string()) {
        return std::unexpected(
            detail::shape_error(source, pointer + "/" + std::to_string(i), "a string", item));
      }
      const std::string path = item.get<std::string>();
      if (auto problem = path::check_normalized(path)) {
        result.findings.push_back({"warning", -1, std::string("linux.") + key,
                                   "'" + path + "': " + *problem + "; not imported"});
        continue;
      }
      layout::Entry entry;
      entry.kind = kind;
      entry.target = path;
      result.layout.mounts.push_back(std::move(entry));
      result.from_index.push_back(after_mounts);
    }
  }
  return {};
}

void note_unimported(const json& spec, std::vector<Finding>& findings) {
  auto linux_section = spec.find("linux");
  if (linux_section == spec.end() || !linux_section->is_object()) return;
  for (const char* key : {"devices"}) {
    auto it = linux_section->find(key);
    if (it == linux_section->end() || !it->is_array() || it->empty()) continue;
    findings.push_back({"note", -1, std::string("linux.") + key,
                        "not imported: only mounts and root are (" + std::to_string(it->size()) +
                            " item(s) left to the runtime)"});
  }
}

}  // namespace

std::string Finding::to_string() const {
  std::string where =
      index >= 0 ? "mounts[" + std::to_string(index) + "] " + destination : destination;
  return where + ": " + severity + ": " + message;
}

Result<Import> import_config(std::string_view json_text, const ImportOptions& options) {
  const std::string& source = options.source_name;
  auto spec = detail::parse_json(json_text, source);
  if (!spec) return std::unexpected(spec.error());
  if (!spec->is_object()) {
    return std::unexpected(
        detail::shape_error(source, "(top level)", "an object (a runtime spec)", *spec));
  }
  Import result;
  result.layout.description = "Imported from " + source + " by rootfsctl oci import";
  auto root = read_root(*spec, options, result.findings);
  if (!root) return std::unexpected(root.error());
  result.layout.root = *root;
  auto mounts = spec->find("mounts");
  if (mounts != spec->end() && !mounts->is_array()) {
    return std::unexpected(detail::shape_error(source, "/mounts", "an array", *mounts));
  }
  for (std::size_t i = 0; mounts != spec->end() && i < mounts->size(); ++i) {
    auto mount = read_mount((*mounts)[i], source, "/mounts/" + std::to_string(i));
    if (!mount) return std::unexpected(mount.error());
    MountImporter one(options, result.findings);
    if (auto entry = one.import(static_cast<int>(i), *mount)) {
      result.layout.mounts.push_back(std::move(*entry));
      result.from_index.push_back(static_cast<int>(i));
    }
  }
  if (auto ok = read_namespaces(*spec, source, result.layout, result.findings); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = read_sysctl(*spec, source, result.layout); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = read_protected_paths(*spec, source, result); !ok) {
    return std::unexpected(ok.error());
  }
  note_unimported(*spec, result.findings);
  return result;
}

}  // namespace rootfsctl::oci
