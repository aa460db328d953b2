#include "cli/common.h"

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <iostream>

#include "cli/terminal.h"
#include "render/render.h"

namespace rootfsctl::cli {
Result<Format> parse_format(const std::string& name, const std::vector<std::string>& allowed) {
  bool ok = false;
  std::string list;
  for (const auto& a : allowed) {
    ok = ok || a == name;
    list += (list.empty() ? "" : ", ") + a;
  }
  if (!ok) {
    Error error = make_error(Stage::kUsage, "unknown format '" + name + "'");
    error.hint = "one of: " + list;
    return std::unexpected(error);
  }
  if (name == "json") return Format::kJson;
  if (name == "tree") return Format::kTree;
  if (name == "mermaid") return Format::kMermaid;
  if (name == "sarif") return Format::kSarif;
  return Format::kText;
}

bool use_color(int fd) { return color_for(color_when(), fd); }

Result<std::map<std::string, std::string>> parse_sets(const std::vector<std::string>& sets) {
  std::map<std::string, std::string> out;
  for (const auto& set : sets) {
    auto eq = set.find('=');
    if (eq == std::string::npos || eq == 0) {
      Error error = make_error(Stage::kUsage, "--set expects NAME=VALUE, got '" + set + "'");
      error.hint = "for example --set usr=/opt/usr";
      return std::unexpected(error);
    }
    out[set.substr(0, eq)] = set.substr(eq + 1);
  }
  return out;
}

std::vector<std::string> profile_search_path() { return layout::profile_search_path(); }

Result<std::string> find_layout(const std::string& name_or_path) {
  return layout::find_profile(name_or_path);
}

std::string Target::describe() const {
  if (pid) return "pid " + std::to_string(*pid);
  if (ns) return "mount namespace " + ns->mnt;
  if (mountinfo_file) return "mountinfo " + *mountinfo_file;
  return "this process";
}

Result<mountinfo::MountTable> Target::read_table() const {
  // A captured file is text; a live table comes through listmount(2) where that gives
  // the same table, else from /proc/N/mountinfo.
  if (mountinfo_file) return mountinfo::read_mountinfo_file(*mountinfo_file);
  if (ns) {
    auto& sys = exec::linux_syscalls();
    auto target = exec::pin_namespace_files(sys, *ns);
    if (!target) return std::unexpected(target.error());
    pinned = std::make_shared<exec::Target>(std::move(*target));
    auto proc = sys.open_procfs();
    if (!proc) return std::unexpected(proc.error());
    return exec::read_target_table(sys, *pinned, proc->get());
  }
  auto table = mountinfo::read_live_table(pid.value_or(0));
  // A live target whose table cannot be read (gone, or its /proc entries closed to us) is
  // unusable, as for apply: not a usage error.
  if (!table && pid) table.error().stage = Stage::kOpenNs;
  return table;
}

plan::TargetFacts gather_facts(const Target& target, const mountinfo::MountTable& table) {
  // A captured table is all CI knows: offline mode checks nothing else.
  if (target.mountinfo_file) return plan::offline_facts(table);
  if (target.pid) return plan::live_target_facts(*target.pid, table);
  if (target.pinned)
    return plan::namespace_target_facts(exec::namespace_view(*target.pinned), table);
  return plan::own_namespace_facts(table);
}

std::string failure_text(const Error& error) {
  std::string out = "[stage " + std::string(stage_name(error.stage)) + "] " + error.render() + "\n";
  if (!error.hint.empty()) return out;
  if (auto advice = errno_advice(error.stage, error.errno_value); !advice.empty()) {
    out += "  hint: " + std::string(advice) + "\n";
  }
  return out;
}

int report_error(const Error& error, bool json) {
  // A system error says its stage and what to do, as a failed apply does; usage and
  // manifest errors carry their own location and hint.
  if (error.errno_value != 0) {
    std::cerr << "rootfsctl: " << failure_text(error);
  } else {
    std::cerr << "rootfsctl: " << error.render() << "\n";
  }
  if (json) std::cout << render::error_json(error);
  switch (error.stage) {
    case Stage::kUsage:
    case Stage::kManifest:
    case Stage::kRead:
    case Stage::kParse:
      return kExitUsage;
    case Stage::kValidate:
      return kExitValidation;
    default:
      // A system error outside an executed plan (those report through their outcome):
      // pinning, reading the target, entering it. Nothing was attempted.
      return kExitUnusable;
  }
}

Result<std::vector<layout::CommandLineEntry>> take_entry_options(std::vector<char*>& words) {
  std::vector<layout::CommandLineEntry> entries;
  std::vector<char*> rest;
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string_view word = words[i];
    auto option = word.starts_with("--") ? layout::find_entry_option(word.substr(2)) : std::nullopt;
    if (!option) {
      rest.push_back(words[i]);
      continue;
    }
    const auto needed = static_cast<std::size_t>(option->words);
    if (i + needed >= words.size()) {
      Error error =
          make_error(Stage::kUsage, std::string(word) + " needs " + std::string(option->usage));
      error.hint =
          "for example: " + std::string(word) + (needed == 2 ? " /srv/data /data" : " /data");
      return std::unexpected(error);
    }
    layout::CommandLineEntry entry{std::string(option->name), {}};
    for (std::size_t k = 1; k <= needed; ++k) entry.words.emplace_back(words[i + k]);
    entries.push_back(std::move(entry));
    i += needed;
  }
  words = std::move(rest);
  return entries;
}

std::string entry_options_help() {
  return R"(
Entries on the command line, bubblewrap's way, in the order given, as one more layer on
top of LAYOUT (an entry on a target LAYOUT has replaces it in place, as `extends` does;
plan and profiles show --resolved name their origin "command line"):
  --bind SRC DST          bind SRC on DST (recursive)
  --bind-try SRC DST      the same, left out (with a note) when SRC is missing
  --ro-bind SRC DST       bind SRC on DST read-only, submounts included
  --ro-bind-try SRC DST   the same, left out when SRC is missing
  --tmpfs DST             a fresh tmpfs on DST
  --dir DST               a directory DST
  --symlink TARGET DST    a symlink DST pointing to TARGET
  --proc DST              a procfs on DST (nosuid, nodev, noexec)
  --dev DST               a tmpfs with null, zero, full, random, urandom, tty, the
                          fd/stdin/stdout/stderr links, devpts and shm (bubblewrap's --dev)
  e.g. --ro-bind /srv/data /data --tmpfs /data/cache --symlink /data /srv
)";
}

Result<pid_t> parse_pid(const std::string& text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value <= 0) {
    return std::unexpected(
        make_error(Stage::kUsage, "--pid expects a process id, got '" + text + "'"));
  }
  return static_cast<pid_t>(value);
}

}  // namespace rootfsctl::cli
