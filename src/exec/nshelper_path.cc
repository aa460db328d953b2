// Finding rootfsctl-nshelper (nshelper_path.h).
#include "exec/nshelper_path.h"

#include <dlfcn.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

// From the installed bin and lib directories to ${CMAKE_INSTALL_LIBEXECDIR}/rootfsctl
// (src/CMakeLists.txt sets both, for this file only).
#ifndef ROOTFSCTL_NSHELPER_FROM_BIN
#define ROOTFSCTL_NSHELPER_FROM_BIN "../libexec/rootfsctl"
#endif
#ifndef ROOTFSCTL_NSHELPER_FROM_LIB
#define ROOTFSCTL_NSHELPER_FROM_LIB "../libexec/rootfsctl"
#endif

namespace rootfsctl::exec {
namespace {

std::mutex override_mutex;
std::string& override_path() {
  static std::string path;
  return path;
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

std::string real_path(const char* path) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path, nullptr), &std::free);
  return real ? std::string(real.get()) : std::string();
}

/// The shared object this code is in (librootfsctl.so), or "" when it is linked into the
/// program itself: dladdr names a library by the path it was loaded from, and the main
/// program by an empty name.
std::string shared_object_path() {
  Dl_info info{};
  link_map* map = nullptr;
  if (::dladdr1(reinterpret_cast<void*>(&nshelper_path), &info, reinterpret_cast<void**>(&map),
                RTLD_DL_LINKMAP) == 0 ||
      map == nullptr || map->l_name == nullptr || map->l_name[0] == '\0') {
    return {};
  }
  return real_path(map->l_name);
}

/// Where to look, most installed first.
std::vector<std::string> candidates() {
  std::string base = shared_object_path();
  const char* relative = ROOTFSCTL_NSHELPER_FROM_LIB;
  if (base.empty()) {
    base = real_path("/proc/self/exe");
    relative = ROOTFSCTL_NSHELPER_FROM_BIN;
  }
  if (base.empty()) return {};
  const std::filesystem::path dir = directory_of(base);
  return {(dir / relative / kNshelperName).lexically_normal().string(),
          (dir / kNshelperName).string()};
}

bool is_regular_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Error missing(const std::string& place) {
  Error error = make_error(Stage::kFork, "the namespace helper " + place + " is missing", ENOENT);
  error.hint =
      "rootfsctl enters another user namespace through it; install rootfsctl whole "
      "(cmake --install)";
  return error;
}

}  // namespace

Result<std::string> nshelper_path() {
  std::string chosen;
  {
    std::lock_guard lock(override_mutex);
    chosen = override_path();
  }
  const auto places = chosen.empty() ? candidates() : std::vector<std::string>{chosen};
  for (const auto& place : places) {
    if (is_regular_file(place)) return place;
  }
  return std::unexpected(missing(places.empty() ? std::string(kNshelperName) : places.front()));
}

void set_nshelper_path(std::string path) {
  std::lock_guard lock(override_mutex);
  override_path() = std::move(path);
}

}  // namespace rootfsctl::exec
