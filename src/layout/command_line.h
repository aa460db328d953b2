// Ad-hoc entries given on the command line (`--bind SRC DST`, `--tmpfs DST`, ...), the
// bubblewrap way: one more layer on top of a profile, merged by compose's rules.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rootfsctl::layout {

/// What provenance command-line entries show (`plan`, `profiles show --resolved`).
inline constexpr std::string_view kCommandLineSource = "command line";

/// One entry option: its name without dashes and how many words it takes.
struct EntryOption {
  std::string_view name;
  int words = 1;
  std::string_view usage;  // "SRC DST"
};

/// Every entry option, in the order --help lists them.
std::span<const EntryOption> entry_options();
/// The entry option called `name` ("bind", "ro-bind-try", ...), or nullopt.
std::optional<EntryOption> find_entry_option(std::string_view name);

/// One use of an entry option, its words as given.
struct CommandLineEntry {
  std::string option;  // "bind"
  std::vector<std::string> words;

  bool operator==(const CommandLineEntry&) const = default;
};

/// The entries as a layout document (version 1, a `mounts:` list), each option's entries
/// in the order given, so that loading it checks them exactly as a file's entries are
/// checked. `$` is written as `$$`: a path on the command line is never a ${var}. --dev
/// DST gives what bubblewrap's --dev makes: a tmpfs with the standard nodes, the
/// fd/stdin/stdout/stderr links, devpts (with its ptmx) and a /dev/shm tmpfs.
std::string command_line_layout(std::span<const CommandLineEntry> entries);

}  // namespace rootfsctl::layout
