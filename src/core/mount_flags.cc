#include "core/mount_flags.h"

#include <array>

namespace rootfsctl {
namespace {

constexpr MountFlags kAtimeBits = kMountNoAtime | kMountRelAtime | kMountStrictAtime;

constexpr std::array kOptions{
    MountOption{"ro", kMountReadOnly, 0},
    MountOption{"rw", 0, kMountReadOnly},
    MountOption{"nosuid", kMountNoSuid, 0},
    MountOption{"suid", 0, kMountNoSuid},
    MountOption{"nodev", kMountNoDev, 0},
    MountOption{"dev", 0, kMountNoDev},
    MountOption{"noexec", kMountNoExec, 0},
    MountOption{"exec", 0, kMountNoExec},
    MountOption{"noatime", kMountNoAtime, kAtimeBits},
    MountOption{"relatime", kMountRelAtime, kAtimeBits},
    MountOption{"strictatime", kMountStrictAtime, kAtimeBits},
    MountOption{"nodiratime", kMountNoDirAtime, 0},
    MountOption{"diratime", 0, kMountNoDirAtime},
    MountOption{"nosymfollow", kMountNoSymFollow, 0},
    MountOption{"symfollow", 0, kMountNoSymFollow},
    MountOption{"sync", kMountSync, 0},
    MountOption{"async", 0, kMountSync},
    MountOption{"dirsync", kMountDirSync, 0},
};

}  // namespace

std::span<const MountOption> mount_options() { return kOptions; }

const MountOption* find_mount_option(std::string_view name) {
  for (const auto& option : kOptions) {
    if (option.name == name) return &option;
  }
  return nullptr;
}

MountFlags parse_mount_flags(std::string_view comma_list) {
  MountFlags flags = 0;
  while (!comma_list.empty()) {
    auto comma = comma_list.find(',');
    auto name = comma_list.substr(0, comma);
    if (const auto* option = find_mount_option(name)) {
      flags = (flags & ~option->clear) | option->set;
    }
    if (comma == std::string_view::npos) break;
    comma_list.remove_prefix(comma + 1);
  }
  return flags;
}

std::vector<std::string> mount_flag_names(MountFlags flags) {
  std::vector<std::string> names;
  for (const auto& option : kOptions) {
    if (option.set != 0 && (flags & option.set) == option.set) {
      names.emplace_back(option.name);
    }
  }
  return names;
}

}  // namespace rootfsctl
