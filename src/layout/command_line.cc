#include "layout/command_line.h"

#include <array>

#include "core/utf8.h"
#include "layout/writer.h"

namespace rootfsctl::layout {
namespace {

// bubblewrap's names (bwrap(1)); "-try" is its word for optional: a missing source is
// left out rather than an error.
constexpr std::array<EntryOption, 9> kEntryOptions{{
    {"bind", 2, "SRC DST"},
    {"bind-try", 2, "SRC DST"},
    {"ro-bind", 2, "SRC DST"},
    {"ro-bind-try", 2, "SRC DST"},
    {"tmpfs", 1, "DST"},
    {"dir", 1, "DST"},
    {"symlink", 2, "TARGET DST"},
    {"proc", 1, "DST"},
    {"dev", 1, "DST"},
}};

/// A YAML double-quoted scalar, `$` doubled so the loader takes it literally. Bytes that
/// are not UTF-8 become U+FFFD (the loader refuses them); control characters are escaped.
std::string yaml_quoted(std::string_view text) {
  std::string literal;
  for (char c : to_valid_utf8(text)) {
    literal += c;
    if (c == '$') literal += '$';
  }
  return yaml_double_quoted(literal);
}

std::string join(std::string_view dir, std::string_view name) {
  return dir == "/" ? "/" + std::string(name) : std::string(dir) + "/" + std::string(name);
}

/// bubblewrap's --dev (setup_newroot, SETUP_MOUNT_DEV): the nodes it binds from the host,
/// the links it makes, devpts and a shm tmpfs; mount options as the bundled profiles use.
std::string dev_entries(std::string_view dst) {
  std::string out =
      "  - {tmpfs: " + yaml_quoted(dst) + ", mode: \"0755\", options: [nosuid, noexec]}\n";
  for (const char* node : {"null", "zero", "full", "random", "urandom", "tty"}) {
    out += "  - {device: " + yaml_quoted(join(dst, node)) +
           ", from: " + yaml_quoted(std::string("/dev/") + node) + "}\n";
  }
  const std::array<std::array<const char*, 2>, 4> links{{{"fd", "/proc/self/fd"},
                                                         {"stdin", "/proc/self/fd/0"},
                                                         {"stdout", "/proc/self/fd/1"},
                                                         {"stderr", "/proc/self/fd/2"}}};
  for (const auto& [name, to] : links) {
    out += "  - {symlink: " + yaml_quoted(join(dst, name)) + ", to: " + yaml_quoted(to) + "}\n";
  }
  out += "  - {devpts: " + yaml_quoted(join(dst, "pts")) + ", options: [nosuid, noexec]}\n";
  out += "  - {tmpfs: " + yaml_quoted(join(dst, "shm")) +
         ", mode: \"1777\", options: [nosuid, nodev]}\n";
  return out;
}

std::string entry_yaml(const CommandLineEntry& entry) {
  const auto& w = entry.words;
  const std::string_view option = entry.option;
  if (option.find("bind") != std::string_view::npos) {
    std::string out = "  - {bind: " + yaml_quoted(w[1]) + ", from: " + yaml_quoted(w[0]);
    if (option.starts_with("ro-")) out += ", readonly: true";
    if (option.ends_with("-try")) out += ", optional: true";
    return out + "}\n";
  }
  if (option == "symlink")
    return "  - {symlink: " + yaml_quoted(w[1]) + ", to: " + yaml_quoted(w[0]) + "}\n";
  // bubblewrap mounts its /proc nosuid, nodev and noexec.
  if (option == "proc")
    return "  - {proc: " + yaml_quoted(w[0]) + ", options: [nosuid, nodev, noexec]}\n";
  if (option == "dev") return dev_entries(w[0]);
  return "  - {" + std::string(option) + ": " + yaml_quoted(w[0]) + "}\n";  // tmpfs, dir
}

}  // namespace

std::span<const EntryOption> entry_options() { return kEntryOptions; }

std::optional<EntryOption> find_entry_option(std::string_view name) {
  for (const auto& option : kEntryOptions) {
    if (option.name == name) return option;
  }
  return std::nullopt;
}

std::string command_line_layout(std::span<const CommandLineEntry> entries) {
  std::string out = "version: 1\nmounts:\n";
  for (const auto& entry : entries) out += entry_yaml(entry);
  return out;
}

}  // namespace rootfsctl::layout
