// Where rootfsctl-nshelper is (docs/library.md): found relative to the running program or
// library, never on PATH or through the environment, so whoever starts rootfsctl as root
// cannot have it run a helper of their choosing.
#pragma once

#include <string>

#include "core/error.h"

namespace rootfsctl::exec {

/// The helper's file name.
inline constexpr const char* kNshelperName = "rootfsctl-nshelper";

/// The helper: for librootfsctl.so (found with dladdr) <libdir>/../libexec/rootfsctl/, for
/// the rootfsctl binary (/proc/self/exe) <bindir>/../libexec/rootfsctl/ (both as installed,
/// CMAKE_INSTALL_LIBEXECDIR), or beside the program or library, as in the build tree. A
/// kFork error naming the installed place when it is in neither.
Result<std::string> nshelper_path();

/// Makes nshelper_path() answer `path` (empty: find it again). For programs that link the
/// C++ modules into a binary of their own (the tests, an embedder), which neither place
/// fits; code in the process can do anything the process can, so this opens nothing new.
void set_nshelper_path(std::string path);

}  // namespace rootfsctl::exec
