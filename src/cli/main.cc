// rootfsctl: main plus one file per subcommand. All logic lives in the library.
#include <array>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "cli/terminal.h"
#include "core/suggest.h"

namespace rootfsctl::cli {
namespace {

constexpr std::array kCommands{
    Command{"plan", "plan a layout and validate it against a mount table", plan_main},
    Command{"apply", "apply a layout inside a live process's namespaces", apply_main},
    Command{"rollback", "undo what an interrupted (killed) apply left in a target", rollback_main},
    Command{"run", "run a command in a sandbox assembled from a layout", run_main},
    Command{"mounts", "show a mount table (findmnt-like)", mounts_main},
    Command{"verify", "check that a live tree matches a layout; list the drift", verify_main},
    Command{"capture", "write a live mount namespace as a layout", capture_main},
    Command{"profiles", "list profiles, or show one merged with its provenance", profiles_main},
    Command{"schema", "print the layout JSON Schema (draft-07)", schema_main},
    Command{"oci", "import/export OCI runtime mounts; apply a layout as an OCI hook", oci_main},
    Command{"cache", "show or clear the compiled-layouts cache", cache_main},
};

void print_usage(std::ostream& out) {
  out << "rootfsctl " ROOTFSCTL_VERSION
         " — a declarative rootfs assembler\n\n"
         "A YAML layout says what a process's filesystem tree should be; rootfsctl plans\n"
         "it as ordered mount operations and validates them against a live mount table.\n\n"
         "Usage: rootfsctl COMMAND [ARGS...]\n\nCommands:\n";
  for (const auto& command : kCommands) {
    out << "  " << command.name << std::string(10 - command.name.size(), ' ') << command.summary
        << "\n";
  }
  out << "\nExamples:\n"
         "  rootfsctl plan sandbox                       # the bundled default layout\n"
         "  rootfsctl plan layout.yaml --mountinfo captured.txt --format json\n"
         "  rootfsctl mounts --pid 4242 --format tree\n\n"
         "  rootfsctl rollback --pid 4242                # after an apply was killed\n\n"
         "Every command takes --color=auto|always|never (auto: on a terminal, never with\n"
         "NO_COLOR set or TERM=dumb). Text fits the terminal's width, else $COLUMNS.\n\n"
         "Exit codes: 0 ok; 1 validation found errors (nothing done); 2 usage or manifest\n"
         "error; 3 failed, rolled back; 4 rollback incomplete; 5 target unusable.\n"
         "Run 'rootfsctl COMMAND --help' (or 'rootfsctl help COMMAND') for a command's\n"
         "options; 'rootfsctl -V' prints the version.\n";
}

const Command* find_command(std::string_view name) {
  for (const auto& command : kCommands) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

int unknown_command(std::string_view name) {
  std::array<std::string_view, kCommands.size()> names{};
  for (std::size_t i = 0; i < kCommands.size(); ++i) names[i] = kCommands[i].name;
  std::cerr << "rootfsctl: unknown command '" << name << "'";
  if (auto hint = rootfsctl::did_you_mean(name, names); !hint.empty()) {
    std::cerr << " (" << hint << ")";
  }
  std::cerr << "\nRun 'rootfsctl --help' for the list of commands.\n";
  return 2;
}

/// `rootfsctl help CMD [SUB]` is `rootfsctl CMD [SUB] --help`, as git and cargo have it.
int help_for(int argc, char** argv) {
  const Command* command = find_command(argv[2]);
  if (command == nullptr) return unknown_command(argv[2]);
  std::vector<char*> words{argv[2]};
  for (int i = 3; i < argc; ++i) words.push_back(argv[i]);
  static char help[] = "--help";
  words.push_back(help);
  words.push_back(nullptr);
  return command->run(static_cast<int>(words.size()) - 1, words.data());
}

}  // namespace
}  // namespace rootfsctl::cli

int main(int argc, char** argv) {
  using namespace rootfsctl::cli;
  // --color is every command's: taken out before the command parses its options.
  if (auto color = take_color_option(argc, argv); !color) {
    std::cerr << "rootfsctl: " << color.error().render() << "\n";
    return 2;
  }
  if (argc < 2) {
    print_usage(std::cerr);
    return 2;
  }
  std::string_view name = argv[1];
  if (name == "help" && argc > 2) return help_for(argc, argv);
  if (name == "--help" || name == "-h" || name == "help") {
    print_usage(std::cout);
    return 0;
  }
  if (name == "--version" || name == "-V") {
    std::cout << "rootfsctl " ROOTFSCTL_VERSION "\n";
    return 0;
  }
  if (const Command* command = find_command(name)) return command->run(argc - 1, argv + 1);
  return unknown_command(name);
}
