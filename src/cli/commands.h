// The subcommands, dispatched from a table in main.cc. Each takes the arguments after
// its name (argv[0] is the command name) and returns the process exit code.
#pragma once

#include <string_view>

namespace rootfsctl::cli {

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(int argc, char** argv);
};

int plan_main(int argc, char** argv);
int apply_main(int argc, char** argv);
int run_main(int argc, char** argv);
int mounts_main(int argc, char** argv);
int schema_main(int argc, char** argv);
int profiles_main(int argc, char** argv);
int capture_main(int argc, char** argv);
int verify_main(int argc, char** argv);
int rollback_main(int argc, char** argv);
int oci_main(int argc, char** argv);
int cache_main(int argc, char** argv);

}  // namespace rootfsctl::cli
