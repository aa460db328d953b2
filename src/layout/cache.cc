#include "layout/cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/build_id.h"
#include "core/read_file.h"
#include "core/sha256.h"
#include "core/unique_fd.h"
#include "core/utf8.h"
#include "core/write_file.h"
#include "layout/command_line.h"
#include "layout/compiled.h"

namespace rootfsctl::layout {
namespace {

constexpr std::string_view kEntrySuffix = ".layout";
constexpr std::string_view kTempPrefix = ".tmp-";
/// Far above any entry a layout within the loader's limits makes; a bigger file is not ours.
constexpr std::size_t kMaxEntryBytes = 256u << 20;
constexpr std::size_t kDigestSize = 32;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

/// Why a directory or file described by `st` must not be trusted, or empty.
std::string distrust(const struct stat& st) {
  if (st.st_uid != ::geteuid()) return "owned by uid " + std::to_string(st.st_uid);
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) return "writable by group or others";
  return {};
}

/// Creates the default directory's parent for a user (~/.cache), as XDG says: 0700.
void make_parents(const std::string& path) {
  if (!env("ROOTFSCTL_CACHE_DIR").empty() || ::geteuid() == 0) return;
  const auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) ::mkdir(path.substr(0, slash).c_str(), 0700);
}

struct OpenDir {
  UniqueFd fd;
  std::string problem;
  bool missing = false;  // there is no such directory (yet): not a problem
};

/// The cache directory, open, after the owner and mode checks; `create` makes it first.
OpenDir open_dir(const std::string& path, bool create) {
  if (path.empty()) return {UniqueFd(), "no cache directory (HOME is not set)"};
  if (create) {
    make_parents(path);
    ::mkdir(path.c_str(), 0700);
  }
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return {UniqueFd(), std::strerror(errno), errno == ENOENT};
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return {UniqueFd(), std::strerror(errno)};
  if (auto why = distrust(st); !why.empty()) return {UniqueFd(), why};
  return {std::move(fd), {}};
}

std::string digest_bytes(const Sha256::Digest& digest) {
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

/// The file `path` names, with every symlink and relative step resolved; "" if it cannot
/// be resolved (then the spelling alone tells entries apart).
std::string resolved_path(const std::string& path) {
  std::unique_ptr<char, decltype(&std::free)> resolved(::realpath(path.c_str(), nullptr),
                                                       &std::free);
  return resolved ? std::string(resolved.get()) : std::string();
}

/// The path as typed is part of the key because the compiled layout's origins spell it
/// (a hit must print what a miss prints); the resolved path too, so the same relative name
/// used in two directories gets two entries instead of replacing one another's.
std::string key_of(const std::string& path, std::string_view text, const LoadOptions& options) {
  Sha256 hash;
  hash.field("rootfsctl compiled layout key 2").field(build_id()).field(path);
  hash.field(resolved_path(path)).field(text);
  for (const auto& [name, value] : options.set_vars) hash.field(name).field(value);
  hash.field("--").field(command_line_layout(options.command_line));
  hash.field(std::to_string(options.limits.max_bytes))
      .field(std::to_string(options.limits.max_nodes));
  return digest_bytes(hash.finish());
}

/// The entry file's bytes: the key it was written for, the digest of the payload, the
/// payload. A file for another key (a foreign or renamed entry) or with another digest
/// (a torn or corrupted write) is not a hit.
std::string entry_bytes(const std::string& key, const std::string& payload) {
  return key + digest_bytes(sha256(payload)) + payload;
}

std::optional<CompiledLayout> parse_entry(std::string_view bytes, const std::string& key) {
  if (bytes.size() < 2 * kDigestSize || bytes.substr(0, kDigestSize) != key) return std::nullopt;
  const std::string_view digest = bytes.substr(kDigestSize, kDigestSize);
  const std::string_view payload = bytes.substr(2 * kDigestSize);
  if (digest != digest_bytes(sha256(payload))) return std::nullopt;
  return decode_compiled(payload);
}

/// The entry's bytes, when it is a regular file we own that nobody else can write.
std::optional<std::string> read_entry(int dir, const std::string& name) {
  UniqueFd fd(::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return std::nullopt;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || !distrust(st).empty()) {
    return std::nullopt;
  }
  auto bytes = read_stream(fd.get(), name, kMaxEntryBytes, "cache entry");
  if (!bytes) return std::nullopt;
  return std::move(*bytes);
}

/// Writes the entry atomically: a new file (never through a symlink, never an existing
/// one) renamed over the old. Failure only means the next run is a miss too.
void write_entry(int dir, const std::string& name, std::string_view bytes) {
  static std::atomic<unsigned> counter{0};
  const std::string temp =
      std::string(kTempPrefix) + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  UniqueFd fd(
      ::openat(dir, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return;
  const bool written = write_fully(fd.get(), bytes);
  fd.reset();
  if (!written || ::renameat(dir, temp.c_str(), dir, name.c_str()) != 0) {
    ::unlinkat(dir, temp.c_str(), 0);
  }
}

bool is_cache_file(std::string_view name) {
  return name.ends_with(kEntrySuffix) || name.starts_with(kTempPrefix);
}

/// Calls `each(name, size)` for every entry file in the directory.
template <typename F>
void for_each_file(int dir, F each) {
  const int copy = ::dup(dir);
  if (copy < 0) return;
  DIR* listing = ::fdopendir(copy);
  if (listing == nullptr) {
    ::close(copy);
    return;
  }
  while (const dirent* item = ::readdir(listing)) {
    const std::string_view name = item->d_name;
    struct stat st {};
    if (!is_cache_file(name) || ::fstatat(dir, item->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode)) {
      continue;
    }
    each(std::string(name), static_cast<std::uint64_t>(st.st_size));
  }
  ::closedir(listing);
}

Result<Layout> load_uncached(const std::string& path, std::string text, const LoadOptions& options,
                             ProfileInputs* inputs) {
  auto resolved = resolve_profile_text(path, std::move(text), options, inputs);
  if (!resolved) return std::unexpected(resolved.error());
  return std::move(resolved->layout);
}

}  // namespace

std::string cache_dir_path() {
  if (auto dir = env("ROOTFSCTL_CACHE_DIR"); !dir.empty()) return dir;
  // root's cache is the system's: /var/cache (FHS), kept across boots like the
  // layouts it is made from.
  if (::geteuid() == 0) return "/var/cache/rootfsctl";
  if (auto xdg = env("XDG_CACHE_HOME"); !xdg.empty() && xdg.starts_with('/')) {
    return xdg + "/rootfsctl";
  }
  if (auto home = env("HOME"); !home.empty()) return home + "/.cache/rootfsctl";
  return {};
}

bool cache_disabled_by_env() {
  const std::string value = env("ROOTFSCTL_NO_CACHE");
  return !value.empty() && value != "0";
}

CacheStats cache_stats() {
  CacheStats stats;
  stats.path = cache_dir_path();
  if (stats.path.empty()) return stats;
  OpenDir dir = open_dir(stats.path, false);
  stats.exists = !dir.missing;
  if (!stats.exists) return stats;
  stats.problem = dir.problem;
  if (!dir.fd) return stats;
  for_each_file(dir.fd.get(), [&](const std::string& name, std::uint64_t size) {
    if (!name.ends_with(kEntrySuffix)) return;
    ++stats.entries;
    stats.bytes += size;
  });
  return stats;
}

Result<std::size_t> clear_cache() {
  const std::string path = cache_dir_path();
  if (path.empty()) return 0;
  OpenDir dir = open_dir(path, false);
  if (dir.missing) return 0;
  if (!dir.fd) {
    Error error = make_error(Stage::kUsage, "cache directory " + path + ": " + dir.problem);
    error.hint = "remove it by hand if it is not yours to use";
    return std::unexpected(error);
  }
  std::vector<std::string> names;
  for_each_file(dir.fd.get(),
                [&](const std::string& name, std::uint64_t) { names.push_back(name); });
  std::size_t removed = 0;
  for (const auto& name : names) {
    if (::unlinkat(dir.fd.get(), name.c_str(), 0) == 0) ++removed;
  }
  return removed;
}

Result<Layout> load_profile_cached(const std::string& path, const LoadOptions& options,
                                   bool use_cache, CacheOutcome* outcome) {
  if (outcome != nullptr) *outcome = CacheOutcome::kOff;
  // Errors come in the order load_profile gives them: --set names, then reading.
  if (auto ok = check_set_vars(options.set_vars); !ok) return std::unexpected(ok.error());
  auto text = read_layout_text(path, options.limits);
  if (!text) return std::unexpected(text.error());
  if (!use_cache || cache_disabled_by_env() || build_id().empty()) {
    return load_uncached(path, std::move(*text), options, nullptr);
  }
  OpenDir dir = open_dir(cache_dir_path(), true);
  if (!dir.fd) return load_uncached(path, std::move(*text), options, nullptr);
  const std::string key = key_of(path, *text, options);
  const std::string name = to_hex(key) + std::string(kEntrySuffix);
  if (auto bytes = read_entry(dir.fd.get(), name)) {
    auto compiled = parse_entry(*bytes, key);
    if (compiled && inputs_unchanged(compiled->inputs, options.limits)) {
      if (outcome != nullptr) *outcome = CacheOutcome::kHit;
      return std::move(compiled->layout);
    }
  }
  if (outcome != nullptr) *outcome = CacheOutcome::kMiss;
  CompiledLayout compiled;
  auto layout = load_uncached(path, std::move(*text), options, &compiled.inputs);
  if (!layout) return layout;
  compiled.layout = *layout;
  write_entry(dir.fd.get(), name, entry_bytes(key, encode_compiled(compiled)));
  return layout;
}

}  // namespace rootfsctl::layout
