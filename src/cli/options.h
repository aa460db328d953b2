// cxxopts glue shared by the subcommands: parse or explain, never throw past main.
#pragma once

// Without this, every file that includes cxxopts.hpp compiles six std::regex objects at
// start-up: over half of the instructions of a whole `rootfsctl run` (callgrind). The
// regex-free parser accepts the same command lines.
#define CXXOPTS_NO_REGEX 1
#include <cxxopts.hpp>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/common.h"
#include "core/suggest.h"
#include "exec/target.h"
#include "layout/cache.h"

namespace rootfsctl::cli {

/// Refuses what cxxopts accepts without a word: a word no positional slot takes (it
/// lands in unmatched()) and an option of one value given twice (cxxopts keeps the last,
/// so `--pid 1 --pid 2` would silently act on 2). Flags and repeatable options may repeat.
inline Result<void> refuse_silent_input(const cxxopts::Options& options,
                                        const cxxopts::ParseResult& result) {
  if (!result.unmatched().empty()) {
    Error error = make_error(Stage::kUsage, "unexpected argument '" + result.unmatched()[0] + "'");
    error.hint = "see 'rootfsctl " + options.program() + " --help'";
    return std::unexpected(error);
  }
  for (const auto& group : options.groups()) {
    for (const auto& option : options.group_help(group).options) {
      if (option.is_container || option.is_boolean || option.l.empty()) continue;
      const std::string& name = option.l.front();
      if (result.count(name) < 2) continue;
      Error error =
          make_error(Stage::kUsage, "--" + name + " given " + std::to_string(result.count(name)) +
                                        " times; it takes one value");
      error.hint = "give --" + name + " once";
      return std::unexpected(error);
    }
  }
  return {};
}

/// cxxopts' message with its typographic quotes (‘x’) as the plain ones every other
/// message of rootfsctl uses.
inline std::string plain_quotes(std::string_view message) {
  std::string out;
  for (std::size_t i = 0; i < message.size();) {
    const auto rest = message.substr(i);
    if (rest.starts_with("\u2018") || rest.starts_with("\u2019")) {
      out += '\'';
      i += 3;  // both are three bytes of UTF-8
    } else {
      out += message[i++];
    }
  }
  return out;
}

/// "unknown option '--formt' (did you mean '--format'?)" for cxxopts' no_such_option,
/// whose message is "Option ‘formt’ does not exist" (the name without its dashes).
inline std::string unknown_option_message(const cxxopts::Options& options, std::string_view what) {
  std::string name = plain_quotes(what);
  const auto open = name.find('\'');
  const auto close = name.rfind('\'');
  if (open == std::string::npos || close <= open) return name;
  name = name.substr(open + 1, close - open - 1);
  const std::string dashes = name.size() == 1 ? "-" : "--";
  std::vector<std::string> candidates;
  for (const auto& group : options.groups()) {
    for (const auto& option : options.group_help(group).options) {
      for (const auto& long_name : option.l) candidates.push_back("--" + long_name);
    }
  }
  std::string out = "unknown option '" + dashes + name + "'";
  if (auto hint = did_you_mean(dashes + name, candidates); !hint.empty()) {
    out += " (" + hint + ")";
  }
  return out;
}

/// Parses argv with `options`; on --help prints the option table and then `help_text` (the
/// command's prose and examples) to stdout and returns nullopt with `exit_code` 0; on a
/// usage error (refuse_silent_input's included) prints it and returns nullopt with exit
/// code 2.
inline std::optional<cxxopts::ParseResult> parse_or_explain(cxxopts::Options& options, int argc,
                                                            char** argv, int& exit_code,
                                                            std::string_view help_text = {}) {
  try {
    auto result = options.parse(argc, argv);
    if (result.count("help")) {
      std::cout << options.help() << help_text;
      exit_code = kExitOk;
      return std::nullopt;
    }
    if (auto strict = refuse_silent_input(options, result); !strict) {
      exit_code = report_error(strict.error(), false);
      return std::nullopt;
    }
    return result;
  } catch (const cxxopts::exceptions::no_such_option& e) {
    std::cerr << "rootfsctl: " << unknown_option_message(options, e.what()) << "\nRun 'rootfsctl "
              << options.program() << " --help' for usage.\n";
    exit_code = kExitUsage;
    return std::nullopt;
  } catch (const cxxopts::exceptions::exception& e) {
    std::cerr << "rootfsctl: " << plain_quotes(e.what()) << "\nRun 'rootfsctl " << options.program()
              << " --help' for usage.\n";
    exit_code = kExitUsage;
    return std::nullopt;
  }
}

/// The --set values (none when absent), checked by parse_sets.
inline Result<std::map<std::string, std::string>> sets_from(const cxxopts::ParseResult& args) {
  return parse_sets(args.count("set") ? args["set"].as<std::vector<std::string>>()
                                      : std::vector<std::string>{});
}

/// The options of commands that load a layout (plan, apply, run): the cache and the
/// loader's limits.
inline void add_load_options(cxxopts::Options& options) {
  options.add_options()("no-cache",
                        "load the layout without the compiled-layouts cache (also "
                        "ROOTFSCTL_NO_CACHE=1)")(
      "max-layout-nodes", "accept layout files of up to N YAML nodes (default 100000)",
      cxxopts::value<std::string>())("max-layout-bytes",
                                     "accept layout files of up to N bytes (default 4194304)",
                                     cxxopts::value<std::string>());
}

/// A positive decimal count given to --NAME.
inline Result<std::size_t> parse_count(const std::string& name, const std::string& text) {
  std::size_t value = 0;
  const bool digits = !text.empty() && text.size() <= 18 &&
                      text.find_first_not_of("0123456789") == std::string::npos;
  if (digits) value = std::stoull(text);
  if (value > 0) return value;
  Error error =
      make_error(Stage::kUsage, "--" + name + " takes a positive number, not '" + text + "'");
  error.hint = "for example --" + name + " 1000000";
  return std::unexpected(error);
}

/// Loads `file` (find_layout's answer) as add_load_options' options say.
inline Result<layout::Layout> load_layout_from(const cxxopts::ParseResult& args,
                                               const std::string& file,
                                               std::map<std::string, std::string> sets,
                                               std::vector<layout::CommandLineEntry> entries) {
  layout::LoadOptions load{std::move(sets), std::move(entries), {}};
  for (auto [name, limit] : {std::pair{"max-layout-nodes", &load.limits.max_nodes},
                             std::pair{"max-layout-bytes", &load.limits.max_bytes}}) {
    if (!args.count(name)) continue;
    auto value = parse_count(name, args[name].as<std::string>());
    if (!value) return std::unexpected(value.error());
    *limit = *value;
  }
  return layout::load_profile_cached(file, load, args.count("no-cache") == 0);
}

/// Reads --pid / --ns / --mountinfo into a Target; they are mutually exclusive. A command
/// without an "ns" option never sees one.
inline Result<Target> target_from(const cxxopts::ParseResult& args) {
  Target target;
  if (args.count("pid") + args.count("mountinfo") + (args.count("ns") ? 1 : 0) > 1) {
    return std::unexpected(make_error(
        Stage::kUsage, "--pid, --ns and --mountinfo each name a target; give one of them"));
  }
  if (args.count("ns")) {
    auto files = exec::parse_namespace_files(args["ns"].as<std::vector<std::string>>());
    if (!files) return std::unexpected(files.error());
    target.ns = std::move(*files);
  }
  if (args.count("pid")) {
    auto pid = parse_pid(args["pid"].as<std::string>());
    if (!pid) return std::unexpected(pid.error());
    target.pid = *pid;
  }
  if (args.count("mountinfo")) target.mountinfo_file = args["mountinfo"].as<std::string>();
  return target;
}

/// The --ns option: namespace files naming a target without a process.
inline constexpr const char* kNsOptionHelp =
    "a target named by namespace files instead of a pid: mnt=FILE (required), and pid=, "
    "user=, ipc=, uts=, net=, cgroup= files, comma-separated or repeated";

/// A target in messages: "pid 42", as they always said, or "mount namespace FILE".
inline std::string target_label(const exec::TargetName& target) {
  return target.ns ? target.describe() : "pid " + std::to_string(target.pid);
}

/// Reads --pid N or --ns KIND=FILE,... into the target of `command`; exactly one of them.
inline Result<exec::TargetName> target_name_from(const cxxopts::ParseResult& args,
                                                 std::string_view command) {
  const bool pid = args.count("pid") > 0;
  const bool ns = args.count("ns") > 0;
  if (pid == ns) {
    Error error = make_error(
        Stage::kUsage, std::string(command) + (pid ? " takes --pid or --ns, not both"
                                                   : " needs a target: --pid N or --ns mnt=FILE"));
    error.hint = "see 'rootfsctl " + std::string(command) + " --help'";
    return std::unexpected(error);
  }
  exec::TargetName name;
  if (pid) {
    auto parsed = parse_pid(args["pid"].as<std::string>());
    if (!parsed) return std::unexpected(parsed.error());
    name.pid = *parsed;
    return name;
  }
  auto files = exec::parse_namespace_files(args["ns"].as<std::vector<std::string>>());
  if (!files) return std::unexpected(files.error());
  name.ns = std::move(*files);
  return name;
}

}  // namespace rootfsctl::cli
