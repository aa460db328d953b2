// How the recording syscall fake (fake_syscalls.h) writes a call's arguments: flag sets
// as "A|B|rest", modes in octal, and the fd a /proc/.../fd/N path names. Pure functions,
// kept apart from the fake's state.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/mount_flags.h"
#include "exec/syscalls.h"

namespace rootfsctl::testing::fake_text {

/// The real fd a /proc/{thread-self,self}/fd/N path names, or -1.
inline int fd_in_path(std::string_view path) {
  for (std::string_view prefix : {"/proc/thread-self/fd/", "/proc/self/fd/", "thread-self/fd/"}) {
    if (path.substr(0, prefix.size()) != prefix) continue;
    std::string_view rest = path.substr(prefix.size());
    int real = 0;
    if (rest.empty()) return -1;
    for (char c : rest) {
      if (c < '0' || c > '9') return -1;
      real = real * 10 + (c - '0');
    }
    return real;
  }
  return -1;
}

inline std::string octal(mode_t mode) {
  std::array<char, 16> text{};
  std::snprintf(text.data(), text.size(), "%04o", static_cast<unsigned>(mode));
  return text.data();
}

inline std::string join(const std::vector<std::string>& names, int rest) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : "|") + name;
  if (rest != 0) out += (out.empty() ? "" : "|") + std::to_string(rest);
  return out.empty() ? "0" : out;
}

/// A flag and the name a line shows it by.
template <typename T>
struct FlagName {
  T flag;
  const char* name;
};

/// `flags` as the names of `table` it holds, in the table's order, after `names`; bits no
/// entry names are added as a number. An entry of several bits matches when all are set.
template <typename T, std::size_t N>
std::string flag_text(T flags, const std::array<FlagName<T>, N>& table,
                      std::vector<std::string> names = {}) {
  for (const auto& entry : table) {
    if ((flags & entry.flag) != entry.flag) continue;
    names.push_back(entry.name);
    flags &= ~entry.flag;
  }
  return join(names, static_cast<int>(flags));
}

inline std::string open_flags(int flags) {
  std::vector<std::string> names;
  flags &= ~O_CLOEXEC;  // the implementation adds it anyway
  const int access = flags & O_ACCMODE;
  flags &= ~O_ACCMODE;
  if ((flags & O_PATH) == 0) {
    names.push_back(access == O_WRONLY ? "O_WRONLY" : access == O_RDWR ? "O_RDWR" : "O_RDONLY");
  }
  using Name = FlagName<int>;
  // O_TMPFILE before O_DIRECTORY: it contains O_DIRECTORY's bit.
  static constexpr std::array kNames{
      Name{O_TMPFILE, "O_TMPFILE"},     Name{O_CREAT, "O_CREAT"},
      Name{O_EXCL, "O_EXCL"},           Name{O_TRUNC, "O_TRUNC"},
      Name{O_APPEND, "O_APPEND"},       Name{O_PATH, "O_PATH"},
      Name{O_DIRECTORY, "O_DIRECTORY"}, Name{O_NOFOLLOW, "O_NOFOLLOW"},
      Name{O_NONBLOCK, "O_NONBLOCK"},   Name{O_NOCTTY, "O_NOCTTY"},
  };
  return flag_text(flags, kNames, std::move(names));
}

inline std::string clone_flags(int flags) {
  using Name = FlagName<int>;
  static constexpr std::array kNames{
      Name{CLONE_FS, "CLONE_FS"},           Name{CLONE_NEWNS, "CLONE_NEWNS"},
      Name{CLONE_NEWUSER, "CLONE_NEWUSER"}, Name{CLONE_NEWPID, "CLONE_NEWPID"},
      Name{CLONE_NEWUTS, "CLONE_NEWUTS"},   Name{CLONE_NEWIPC, "CLONE_NEWIPC"},
      Name{CLONE_NEWNET, "CLONE_NEWNET"},   Name{CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
  };
  return flag_text(flags, kNames);
}

inline std::string resolve_flags(std::uint32_t resolve) {
  using Name = FlagName<std::uint32_t>;
  static constexpr std::array kNames{
      Name{exec::kResolveInRoot, "in_root"},
      Name{exec::kResolveNoSymlinks, "no_symlinks"},
      Name{exec::kResolveNoMagicLinks, "no_magiclinks"},
      Name{exec::kResolveNoXdev, "no_xdev"},
      Name{exec::kResolveBeneath, "beneath"},
  };
  return flag_text(resolve, kNames);
}

inline std::string mount_flags_text(MountFlags flags) { return join(mount_flag_names(flags), 0); }

}  // namespace rootfsctl::testing::fake_text
