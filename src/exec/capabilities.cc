#include "exec/capabilities.h"

#include <sys/prctl.h>

#include <array>
#include <cctype>
#include <fstream>

#include "core/suggest.h"

namespace rootfsctl::exec {
namespace {

// linux/capability.h, in kernel order: the index is the capability's number.
constexpr std::array<std::string_view, 41> kNames{
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

/// "net_admin" and "cap_net_admin" as "CAP_NET_ADMIN".
std::string canonical(std::string_view name) {
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper.starts_with("CAP_") ? upper : "CAP_" + upper;
}

}  // namespace

CapabilitySet all_capabilities(int last_cap) {
  if (last_cap >= 63) return ~CapabilitySet{0};
  return (CapabilitySet{1} << (last_cap + 1)) - 1;
}

std::optional<int> capability_number(std::string_view name) {
  auto wanted = canonical(name);
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == wanted) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::string_view capability_name(int number) {
  if (number < 0 || static_cast<std::size_t>(number) >= kNames.size()) return {};
  return kNames[static_cast<std::size_t>(number)];
}

bool names_all_capabilities(std::string_view name) { return canonical(name) == "CAP_ALL"; }

Result<CapabilitySet> parse_capabilities(const std::vector<std::string>& names, int last_cap) {
  CapabilitySet set = 0;
  for (const auto& name : names) {
    if (names_all_capabilities(name)) {
      set |= all_capabilities(last_cap);
      continue;
    }
    auto number = capability_number(name);
    if (!number) {
      Error error = make_error(Stage::kUsage, "--cap-add: unknown capability '" + name + "'");
      auto guess = closest_match(canonical(name), std::span<const std::string_view>(kNames));
      error.hint = guess ? "did you mean '" + std::string(*guess) + "'?"
                         : "a name from capabilities(7), such as CAP_NET_ADMIN, or ALL";
      return std::unexpected(error);
    }
    if (*number > last_cap) {
      return std::unexpected(make_error(
          Stage::kUsage, "--cap-add: this kernel has no " + std::string(kNames[*number]) +
                             " (its last capability is " + std::to_string(last_cap) + ")"));
    }
    set |= CapabilitySet{1} << *number;
  }
  return set;
}

int last_cap() {
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  int last = -1;
  if (in >> last && last >= 0 && last <= 63) return last;
  // No /proc here: PR_CAPBSET_READ fails with EINVAL past the last one (prctl(2)), which is
  // how libcap finds it too.
  last = 0;
  while (last < 63 && ::prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0) ++last;
  return last;
}

}  // namespace rootfsctl::exec
