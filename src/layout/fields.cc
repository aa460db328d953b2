#include "layout/fields.h"

#include <array>

namespace rootfsctl::layout {
namespace {

constexpr KindSet bits(std::initializer_list<EntryKind> kinds) {
  KindSet set = 0;
  for (EntryKind kind : kinds) set |= kind_bit(kind);
  return set;
}

using enum EntryKind;

// Keys that apply to a kind but are not listed for it are errors ("key 'size' does not
// apply to a bind entry"), so each row is the complete list for its key.
constexpr std::array kEntryFields{
    FieldSpec{"from", ValueType::kPath, bits({kBind, kDevice}), 0, "from: /srv/data"},
    FieldSpec{"readonly", ValueType::kBool,
              bits({kBind, kTmpfs, kProc, kSysfs, kDevpts, kMqueue, kCgroup, kOverlay, kRemount}),
              0, "readonly: true"},
    FieldSpec{"recursive", ValueType::kBool, bits({kBind}), 0, "recursive: false"},
    FieldSpec{"optional", ValueType::kBool, bits({kBind, kDevice, kUnmount}), 0, "optional: true"},
    FieldSpec{"from_target", ValueType::kBool, bits({kBind, kDevice}), 0, "from_target: true"},
    FieldSpec{"idmap", ValueType::kIdmap, bits({kBind}), 0, "idmap: target"},
    FieldSpec{"options", ValueType::kOptions,
              bits({kBind, kTmpfs, kProc, kSysfs, kDevpts, kMqueue, kCgroup, kRemount}), 0,
              "options: [nosuid, nodev]"},
    FieldSpec{"size", ValueType::kSize, bits({kTmpfs}), 0, "size: 64M"},
    FieldSpec{"mode", ValueType::kMode, bits({kTmpfs, kDir, kFile}), 0, "mode: \"0755\""},
    FieldSpec{"uid", ValueType::kId, bits({kTmpfs}), 0, "uid: 1000"},
    FieldSpec{"gid", ValueType::kId, bits({kTmpfs, kDevpts}), 0, "gid: 5"},
    FieldSpec{"nr_inodes", ValueType::kCount, bits({kTmpfs}), 0, "nr_inodes: 10k"},
    FieldSpec{"ptmxmode", ValueType::kMode, bits({kDevpts}), 0, "ptmxmode: \"0666\""},
    FieldSpec{"to", ValueType::kLinkText, bits({kSymlink}), bits({kSymlink}), "to: usr/bin"},
    FieldSpec{"content", ValueType::kText, bits({kFile}), 0, "content: \"hello\\n\""},
    FieldSpec{"before", ValueType::kPathList, bits({kOverlay}), 0, "before: [/srv/patches]"},
    FieldSpec{"after", ValueType::kPathList, bits({kOverlay}), 0, "after: [/srv/base]"},
    FieldSpec{"create", ValueType::kPath, bits({kOverlay}), 0, "create: /srv/upper"},
    FieldSpec{"all", ValueType::kBool, bits({kUnmount}), 0, "all: true"},
};

constexpr std::array<std::string_view, 16> kKindNames{
    "bind",    "tmpfs", "proc", "sysfs",   "devpts",  "mqueue", "cgroup",        "device",
    "symlink", "dir",   "file", "overlay", "remount", "mask",   "readonly-path", "unmount",
};

// "remove" (docs/layouts.md, composing profiles) is an entry of its own rather than a kind: it
// produces nothing.
constexpr std::array<std::string_view, kKindNames.size() + kEntryFields.size() + 1> entry_keys() {
  std::array<std::string_view, kKindNames.size() + kEntryFields.size() + 1> keys{};
  std::size_t i = 0;
  for (auto name : kKindNames) keys[i++] = name;
  for (const auto& field : kEntryFields) keys[i++] = field.name;
  keys[i++] = "remove";
  return keys;
}

constexpr auto kEntryKeys = entry_keys();

constexpr std::array<std::string_view, 11> kTopLevelKeys{
    "version",  "name",        "description", "extends", "vars",   "namespaces",
    "hostname", "propagation", "sysctls",     "root",    "mounts",
};

constexpr std::array<std::string_view, 3> kRootKeys{"tmpfs", "bind", "readonly"};
constexpr std::array<std::string_view, 2> kRootTmpfsKeys{"size", "mode"};

// namespaces(7); "mount" is implied for `run` but may be listed.
constexpr std::array<std::string_view, 8> kNamespaceNames{
    "mount", "pid", "user", "uts", "ipc", "net", "cgroup", "time",
};

}  // namespace

std::span<const FieldSpec> entry_fields() { return kEntryFields; }

const FieldSpec* find_entry_field(std::string_view name) {
  for (const auto& field : kEntryFields) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

std::span<const std::string_view> kind_names() { return kKindNames; }
std::span<const std::string_view> entry_key_names() { return kEntryKeys; }
std::span<const std::string_view> top_level_keys() { return kTopLevelKeys; }
std::span<const std::string_view> root_keys() { return kRootKeys; }
std::span<const std::string_view> root_tmpfs_keys() { return kRootTmpfsKeys; }
std::span<const std::string_view> namespace_names() { return kNamespaceNames; }

std::string fields_of(EntryKind kind) {
  std::string out;
  for (const auto& field : kEntryFields) {
    if ((field.kinds & kind_bit(kind)) == 0) continue;
    if (!out.empty()) out += ", ";
    out += field.name;
  }
  return out;
}

std::string kinds_of(const FieldSpec& field) {
  std::string out;
  for (std::size_t i = 0; i < kKindNames.size(); ++i) {
    if ((field.kinds & (KindSet{1} << i)) == 0) continue;
    if (!out.empty()) out += ", ";
    out += kKindNames[i];
  }
  return out;
}

std::string join_names(std::span<const std::string_view> names) {
  std::string out;
  for (auto name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

}  // namespace rootfsctl::layout
