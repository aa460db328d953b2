#include "layout/model.h"

#include <array>

namespace rootfsctl::layout {
namespace {

struct KindName {
  EntryKind kind;
  std::string_view name;
};

constexpr std::array kKindNames{
    KindName{EntryKind::kBind, "bind"},
    KindName{EntryKind::kTmpfs, "tmpfs"},
    KindName{EntryKind::kProc, "proc"},
    KindName{EntryKind::kSysfs, "sysfs"},
    KindName{EntryKind::kDevpts, "devpts"},
    KindName{EntryKind::kMqueue, "mqueue"},
    KindName{EntryKind::kCgroup, "cgroup"},
    KindName{EntryKind::kDevice, "device"},
    KindName{EntryKind::kSymlink, "symlink"},
    KindName{EntryKind::kDir, "dir"},
    KindName{EntryKind::kFile, "file"},
    KindName{EntryKind::kOverlay, "overlay"},
    KindName{EntryKind::kRemount, "remount"},
    KindName{EntryKind::kMask, "mask"},
    KindName{EntryKind::kReadonlyPath, "readonly-path"},
    KindName{EntryKind::kUnmount, "unmount"},
};

}  // namespace

std::string_view kind_name(EntryKind kind) {
  for (const auto& entry : kKindNames) {
    if (entry.kind == kind) return entry.name;
  }
  return "?";
}

std::optional<EntryKind> kind_from_name(std::string_view name) {
  for (const auto& entry : kKindNames) {
    if (entry.name == name) return entry.kind;
  }
  return std::nullopt;
}

bool is_mount_kind(EntryKind kind) {
  switch (kind) {
    case EntryKind::kSymlink:
    case EntryKind::kDir:
    case EntryKind::kFile:
    case EntryKind::kRemount:
    case EntryKind::kUnmount:
      return false;
    default:
      return true;
  }
}

}  // namespace rootfsctl::layout
