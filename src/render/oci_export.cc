// layout -> OCI `mounts`. Each mount entry becomes the mount a runtime would make for it;
// entries that are not mounts in OCI's sense (symlink, dir, file, remount) are reported.
#include "render/oci_export.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/idmap.h"
#include "core/mode.h"
#include "core/path.h"

namespace rootfsctl::render {
namespace {

using layout::Entry;
using layout::EntryKind;
using nlohmann::ordered_json;

class Exporter {
 public:
  explicit Exporter(std::vector<Finding>& findings) : findings_(findings) {}

  /// The OCI mount for `entry`, or null when it has none.
  ordered_json mount(int index, const Entry& entry) {
    index_ = index;
    destination_ = entry.target;
    switch (entry.kind) {
      case EntryKind::kBind:
      case EntryKind::kDevice:
        return bind(entry);
      case EntryKind::kTmpfs:
      case EntryKind::kProc:
      case EntryKind::kSysfs:
      case EntryKind::kDevpts:
      case EntryKind::kMqueue:
      case EntryKind::kCgroup:
        return filesystem(entry);
      case EntryKind::kOverlay:
        return overlay(entry);
      case EntryKind::kSymlink:
      case EntryKind::kDir:
      case EntryKind::kFile:
        warn(std::string(layout::kind_name(entry.kind)) +
             " entries are not mounts; not exported (put it in the image under root.path)");
        return nullptr;
      case EntryKind::kRemount:
        warn(
            "remount has no OCI mount equivalent; not exported (for read-only, list the path "
            "in linux.readonlyPaths)");
        return nullptr;
      case EntryKind::kMask:
      case EntryKind::kReadonlyPath:
        return nullptr;  // linux.maskedPaths and readonlyPaths: note_outside_mounts
      case EntryKind::kUnmount:
        warn(
            "unmount takes a mount of a running target away; a config.json describes a new "
            "container and has no such step: not exported");
        return nullptr;
    }
    return nullptr;
  }

 private:
  void warn(std::string message) { add("warning", std::move(message)); }
  void note(std::string message) { add("note", std::move(message)); }
  void add(std::string severity, std::string message) {
    findings_.push_back({std::move(severity), index_, destination_, std::move(message)});
  }

  static ordered_json base(const Entry& entry, std::string_view type, const std::string& source) {
    ordered_json mount;
    mount["destination"] = entry.target;
    mount["type"] = type;
    mount["source"] = source;
    mount["options"] = ordered_json::array();
    return mount;
  }

  // Options in the order runc writes them (runc spec): the flag names, the filesystem's
  // own key=value options, read-only last; so a spec imported and exported again is the
  // same text, not only the same mounts.
  static void flags(const Entry& entry, ordered_json& mount) {
    for (const auto& option : entry.options) mount["options"].push_back(option);
  }

  static void read_only(const Entry& entry, ordered_json& mount, bool recursive_ro) {
    if (entry.readonly)
      mount["options"].push_back(*entry.readonly ? (recursive_ro ? "rro" : "ro") : "rw");
  }

  ordered_json bind(const Entry& entry) {
    bool recursive = entry.kind == EntryKind::kBind && entry.recursive;
    ordered_json mount = base(entry, "bind", entry.from);
    mount["options"].push_back(recursive ? "rbind" : "bind");
    flags(entry, mount);
    // rro (mount_setattr AT_RECURSIVE, runc >= 1.1) is what a layout's readonly on a
    // recursive bind means; plain ro would leave the submounts writable.
    read_only(entry, mount, recursive);
    if (entry.kind == EntryKind::kDevice) {
      note(
          "device placeholder exported as a bind of the host node (the runtime creates the "
          "file it binds onto); linux.devices is how OCI creates nodes instead");
    }
    if (entry.optional) {
      warn("optional: OCI runtimes fail on a missing source; exported as required");
    }
    if (entry.idmap) export_idmap(*entry.idmap, recursive, mount);
    return mount;
  }

  /// `idmap: target` as runc's and crun's idmap (ridmap when recursive) option, which maps
  /// through the container's own user namespace; explicit maps as uidMappings/gidMappings.
  static void export_idmap(const std::string& text, bool recursive, ordered_json& mount) {
    auto map = parse_idmap(text);
    if (!map) return;  // the loader checked it
    if (map->from_target) {
      mount["options"].push_back(recursive ? "ridmap" : "idmap");
      return;
    }
    auto list = [](const std::vector<IdExtent>& extents) {
      ordered_json out = ordered_json::array();
      for (const auto& e : extents) {
        out.push_back({{"containerID", e.inside}, {"hostID", e.outside}, {"size", e.count}});
      }
      return out;
    };
    mount["uidMappings"] = list(map->uids);
    mount["gidMappings"] = list(map->gids);
  }

  ordered_json filesystem(const Entry& entry) {
    // The kind's name is the OCI type; a cgroup entry's too: runc (runc spec) writes
    // "cgroup" and mounts cgroup2 on a unified host.
    std::string type(layout::kind_name(entry.kind));
    ordered_json mount = base(entry, type, type);
    flags(entry, mount);
    if (entry.kind == EntryKind::kDevpts) {
      // What rootfsctl's planner passes for devpts: a private instance.
      mount["options"].push_back("newinstance");
      mount["options"].push_back("ptmxmode=" + octal_mode(entry.ptmxmode.value_or(0666)));
      mount["options"].push_back("mode=0620");
    }
    if (entry.mode) mount["options"].push_back("mode=" + octal_mode(*entry.mode, 3));
    if (entry.size) mount["options"].push_back("size=" + *entry.size);
    if (entry.uid) mount["options"].push_back("uid=" + std::to_string(*entry.uid));
    if (entry.gid) mount["options"].push_back("gid=" + std::to_string(*entry.gid));
    if (entry.nr_inodes) mount["options"].push_back("nr_inodes=" + *entry.nr_inodes);
    read_only(entry, mount, false);
    return mount;
  }

  /// A layout's union also searches the directory already at the target; OCI's overlay
  /// has no such layer (its lowerdirs are paths in the runtime's tree), so `before` and
  /// `after` become the lowerdirs and the existing directory is dropped.
  ordered_json overlay(const Entry& entry) {
    std::string lower;
    for (const auto* list : {&entry.before, &entry.after}) {
      for (const auto& dir : *list) lower += (lower.empty() ? "" : ":") + dir;
    }
    if (lower.empty()) {
      warn(
          "overlay with no before/after directories: in OCI it would have no lower layer; "
          "not exported");
      return nullptr;
    }
    ordered_json mount = base(entry, "overlay", "overlay");
    flags(entry, mount);
    read_only(entry, mount, false);
    mount["options"].push_back("lowerdir=" + lower);
    if (entry.create) {
      std::string work = path::join(path::parent(*entry.create),
                                    "." + std::string(path::basename(*entry.create)) + ".work");
      mount["options"].push_back("upperdir=" + *entry.create);
      mount["options"].push_back("workdir=" + work);
    }
    warn("the directory already at " + entry.target +
         " is a layer of the layout's union but not of OCI's overlay; exported without it");
    return mount;
  }

  std::vector<Finding>& findings_;
  int index_ = 0;
  std::string destination_;
};

void note_outside_mounts(const layout::Layout& layout, std::vector<Finding>& findings) {
  if (layout.root) {
    const auto& root = *layout.root;
    if (root.kind == layout::RootKind::kBind) {
      findings.push_back({"note", -1, "root",
                          "not a mount in OCI: set config.json root.path to " + root.from +
                              (root.readonly ? " and root.readonly to true" : "")});
    } else {
      findings.push_back({"warning", -1, "root",
                          "a tmpfs root has no OCI equivalent (root.path is a directory); "
                          "entries are exported as paths inside the container"});
    }
  }
  if (layout.hostname) {
    findings.push_back({"note", -1, "hostname", "not a mount: set config.json hostname"});
  }
  if (!layout.sysctls.empty()) {
    findings.push_back({"note", -1, "sysctls", "not mounts: set config.json linux.sysctl"});
  }
  // What runtimes mask and make read-only is a list of paths in config.json's `linux`;
  // the note gives it whole, ready to paste.
  for (auto [kind, key] : {std::pair{EntryKind::kMask, "maskedPaths"},
                           std::pair{EntryKind::kReadonlyPath, "readonlyPaths"}}) {
    ordered_json paths = ordered_json::array();
    for (const auto& entry : layout.mounts) {
      if (entry.kind == kind) paths.push_back(entry.target);
    }
    if (paths.empty()) continue;
    findings.push_back({"note", -1, std::string("linux.") + key,
                        "not mounts: set config.json linux." + std::string(key) + " to " +
                            paths.dump(-1, ' ', false, ordered_json::error_handler_t::replace)});
  }
  if (!layout.namespaces.empty()) {
    std::string list;
    for (const auto& name : layout.namespaces) {
      const std::string oci = name == "net" ? "network" : name;
      list += (list.empty() ? "" : ", ") + std::string("{\"type\": \"") + oci + "\"}";
    }
    findings.push_back({"note", -1, "namespaces",
                        "not mounts: set config.json linux.namespaces to [" + list + "]"});
  }
}

}  // namespace

Export export_mounts(const layout::Layout& layout) {
  Export result;
  note_outside_mounts(layout, result.findings);
  Export mounts = export_mount_list(layout);
  result.mounts_json = std::move(mounts.mounts_json);
  result.findings.insert(result.findings.end(), mounts.findings.begin(), mounts.findings.end());
  return result;
}

Export export_mount_list(const layout::Layout& layout) {
  Export result;
  ordered_json mounts = ordered_json::array();
  Exporter exporter(result.findings);
  for (std::size_t i = 0; i < layout.mounts.size(); ++i) {
    auto mount = exporter.mount(static_cast<int>(i), layout.mounts[i]);
    if (mount.is_null()) continue;
    if (mount["options"].empty()) mount.erase("options");  // optional in the spec
    mounts.push_back(std::move(mount));
  }
  // Layout strings are UTF-8 (the loader accepts nothing else); replace keeps dump total.
  result.mounts_json = mounts.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
  return result;
}

}  // namespace rootfsctl::render
