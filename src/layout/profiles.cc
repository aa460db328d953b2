#include "layout/profiles.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "core/sha256.h"
#include "core/suggest.h"
#include "layout/compose.h"

namespace rootfsctl::layout {
namespace {

namespace fs = std::filesystem;

/// A file's identity, so that two spellings of one path are one file.
struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;

  auto operator<=>(const FileId&) const = default;
};

std::optional<FileId> regular_file_id(const std::string& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return FileId{st.st_dev, st.st_ino};
}

bool looks_like_path(const std::string& ref) {
  return ref.find('/') != std::string::npos || ref.ends_with(".yaml") || ref.ends_with(".yml");
}

/// Where `ref` (an extends item of the file at `path`, whose identity is `including`) is,
/// or nullopt.
std::optional<std::string> locate(const std::string& ref, const std::string& path,
                                  FileId including) {
  if (looks_like_path(ref)) {
    // Relative to the including file, so a profile directory can move as a whole.
    std::string candidate = fs::path(ref).is_absolute()
                                ? ref
                                : (fs::path(path).parent_path() / ref).lexically_normal().string();
    if (regular_file_id(candidate)) return candidate;
    return std::nullopt;
  }
  for (const auto& dir : profile_search_path()) {
    std::string candidate = dir + "/" + ref + ".yaml";
    auto id = regular_file_id(candidate);
    // A profile that extends its own name means the next one of that name.
    if (id && *id != including) return candidate;
  }
  return std::nullopt;
}

std::string digest_of(std::string_view text) {
  const auto digest = sha256(text);
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

/// The files of one profile, loaded depth first: parents before the files that extend
/// them.
class Resolver {
 public:
  Resolver(const LoadOptions& options, ProfileInputs* inputs)
      : options_(options), inputs_(inputs) {}

  /// `text`: the file's bytes when the caller has read them already (the requested file).
  Result<void> visit(const std::string& path, std::optional<std::string> text = std::nullopt);
  std::vector<ParsedFile>& files() { return files_; }

 private:
  struct Frame {
    FileId id;
    std::string name;
  };

  void record(const std::string& path, FileId id, std::string_view text, bool top);
  Error extends_error(const ParsedFile& file, std::size_t item, std::string message,
                      std::string hint) const;
  std::string chain_to(const std::string& last) const;

  const LoadOptions& options_;
  std::vector<ParsedFile> files_;
  std::set<FileId> merged_;
  std::vector<Frame> stack_;
  ProfileInputs* inputs_;
};

void Resolver::record(const std::string& path, FileId id, std::string_view text, bool top) {
  if (inputs_ == nullptr) return;
  inputs_->files.push_back(ProfileInputs::File{path, static_cast<std::uint64_t>(id.dev),
                                               static_cast<std::uint64_t>(id.ino),
                                               top ? std::string() : digest_of(text)});
}

std::string Resolver::chain_to(const std::string& last) const {
  std::string chain;
  for (const auto& frame : stack_) chain += frame.name + " extends ";
  return chain + last;
}

Error Resolver::extends_error(const ParsedFile& file, std::size_t item, std::string message,
                              std::string hint) const {
  const Pos pos = file.document.nearest(pointer_append("/extends", item)).pos;
  return file.source().error_at(pos, std::move(message), std::move(hint));
}

Result<void> Resolver::visit(const std::string& path, std::optional<std::string> given) {
  auto id = regular_file_id(path);
  Result<std::string> text =
      given ? Result<std::string>(std::move(*given)) : read_layout_text(path, options_.limits);
  if (!text) return std::unexpected(text.error());
  record(path, id.value_or(FileId{}), *text, stack_.empty());
  auto file = parse_file(std::move(*text), path, options_.set_vars, options_.limits);
  if (!file) return std::unexpected(file.error());
  // read_layout_text took a regular file, whose id is there, or a pipe: nothing can name
  // a pipe in `extends`, so its empty id never meets another.
  stack_.push_back(Frame{id.value_or(FileId{}), path});
  const auto& extends = file->checked.extends;
  for (std::size_t i = 0; i < extends.size(); ++i) {
    auto parent = locate(extends[i], path, stack_.back().id);
    if (inputs_ != nullptr) {
      inputs_->lookups.push_back({extends[i], path, parent.value_or(std::string())});
    }
    if (!parent) {
      return std::unexpected(
          extends_error(*file, i, "cannot find '" + extends[i] + "': " + chain_to(extends[i]),
                        looks_like_path(extends[i])
                            ? "a path in extends is relative to the file that names it"
                            : "a name is looked up as NAME.yaml on the profile search path; see "
                              "`rootfsctl profiles`"));
    }
    const auto parent_id = regular_file_id(*parent).value_or(FileId{});
    const bool cycle = std::any_of(stack_.begin(), stack_.end(),
                                   [&](const Frame& frame) { return frame.id == parent_id; });
    if (cycle) {
      return std::unexpected(extends_error(*file, i, "extends cycle: " + chain_to(*parent),
                                           "a profile cannot extend itself, directly or not"));
    }
    if (merged_.contains(parent_id)) continue;
    if (stack_.size() >= kMaxExtendsDepth) {
      return std::unexpected(extends_error(
          *file, i, "extends nests deeper than " + std::to_string(kMaxExtendsDepth) + " files",
          "flatten the chain"));
    }
    if (auto ok = visit(*parent); !ok) return ok;
  }
  stack_.pop_back();
  merged_.insert(id.value_or(FileId{}));
  files_.push_back(std::move(*file));
  return {};
}

void add_profile(std::vector<ProfileInfo>& out, std::set<std::string>& seen, const fs::path& file) {
  const std::string name = file.stem().string();
  if (!seen.insert(name).second) return;
  ProfileInfo info{name, {}, file.string(), {}};
  if (auto resolved = resolve_profile(info.path)) {
    info.description = resolved->layout.description;
  } else {
    info.error = resolved.error().to_string();
    // Still say what the file says about itself, as written.
    if (auto text = read_layout_text(info.path)) {
      if (auto parsed = parse_file(std::move(*text), info.path, {})) {
        const Node* description = parsed->document.root.find("description");
        if (description != nullptr && description->is_string()) {
          info.description = description->value();
        }
      }
    }
  }
  out.push_back(std::move(info));
}

/// The profiles directory of the tree this program is installed in, found from its own
/// path: <prefix>/bin/rootfsctl -> <prefix>/share/rootfsctl/profiles. So a tree installed
/// with `cmake --install --prefix DIR`, or moved, finds its own profiles; empty when the
/// program does not live in a bin directory.
std::string relocated_profile_dir() {
  std::error_code error;
  fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (error) return {};
  fs::path bin = exe.parent_path();
  fs::path prefix = bin;
  for (fs::path rel = ROOTFSCTL_BIN_SUBDIR; !rel.empty(); rel = rel.parent_path()) {
    if (prefix.filename() != rel.filename()) return {};
    prefix = prefix.parent_path();
  }
  return (prefix / ROOTFSCTL_DATA_SUBDIR / "profiles").string();
}

}  // namespace

std::vector<std::string> profile_search_path() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("ROOTFSCTL_PATH"); env && *env) {
    std::string_view rest = env;
    while (!rest.empty()) {
      auto colon = rest.find(':');
      if (colon != 0) dirs.emplace_back(rest.substr(0, colon));
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) {
    dirs.push_back(std::string(xdg) + "/rootfsctl/profiles");
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    dirs.push_back(std::string(home) + "/.config/rootfsctl/profiles");
  }
  dirs.emplace_back("/etc/rootfsctl/profiles");
  dirs.emplace_back(ROOTFSCTL_DATA_DIR "/profiles");
  if (auto relocated = relocated_profile_dir(); !relocated.empty() && relocated != dirs.back()) {
    dirs.push_back(std::move(relocated));
  }
  dirs.emplace_back(ROOTFSCTL_MANIFEST_DIR);
  return dirs;
}

Result<std::string> find_profile(const std::string& name_or_path) {
  // Anything that looks like a path is taken as one, so a typo in a path is reported as
  // a missing file rather than a missing profile.
  if (looks_like_path(name_or_path) || regular_file_id(name_or_path)) return name_or_path;
  // `-` is standard input, as for cat(1); read once, like any pipe.
  if (name_or_path == "-") return std::string(kStdinLayout);
  for (const auto& dir : profile_search_path()) {
    std::string candidate = dir + "/" + name_or_path + ".yaml";
    if (regular_file_id(candidate)) return candidate;
  }
  Error error = make_error(Stage::kUsage, "no layout file or profile named '" + name_or_path + "'");
  error.hint = "give a path to a .yaml file, or a profile name from `rootfsctl profiles`";
  // A near miss of a profile on the search path ("sandbx") is most likely that profile.
  std::vector<std::string> names;
  for (const auto& profile : list_profiles()) names.push_back(profile.name);
  if (auto hint = did_you_mean(name_or_path, names); !hint.empty()) error.hint = hint;
  return std::unexpected(error);
}

Result<ResolvedProfile> resolve_profile(const std::string& name_or_path,
                                        const LoadOptions& options) {
  auto path = find_profile(name_or_path);
  if (!path) return std::unexpected(path.error());
  if (auto ok = check_set_vars(options.set_vars); !ok) return std::unexpected(ok.error());
  auto text = read_layout_text(*path, options.limits);
  if (!text) return std::unexpected(text.error());
  return resolve_profile_text(*path, std::move(*text), options, nullptr);
}

Result<ResolvedProfile> resolve_profile_text(const std::string& path, std::string text,
                                             const LoadOptions& options, ProfileInputs* inputs) {
  if (auto ok = check_set_vars(options.set_vars); !ok) return std::unexpected(ok.error());
  Resolver resolver(options, inputs);
  if (auto ok = resolver.visit(path, std::move(text)); !ok) return std::unexpected(ok.error());
  auto& files = resolver.files();
  const std::size_t profile_files = files.size();
  if (!options.command_line.empty()) {
    auto layer = parse_file(command_line_layout(options.command_line),
                            std::string(kCommandLineSource), options.set_vars, options.limits);
    if (!layer) return std::unexpected(layer.error());
    files.push_back(std::move(*layer));
  }
  auto composed = compose(files, options.set_vars, true);
  if (!composed) return std::unexpected(composed.error());
  ResolvedProfile resolved{std::move(composed->layout), {}, std::move(composed->origins)};
  for (const auto& file : files) resolved.chain.push_back(file.name);
  if (files.size() == profile_files) return resolved;
  // The layer is on top of the profile, not the profile: the layout keeps the name of the
  // file asked for, and an entry from the layer says "command line", not a line of text
  // the user never saw.
  resolved.layout.source = files[profile_files - 1].name;
  resolved.layout.extends = files[profile_files - 1].checked.extends;
  for (auto& entry : resolved.layout.mounts) {
    if (entry.origin.file == kCommandLineSource) entry.origin = Origin{entry.origin.file, 0, 0, {}};
  }
  return resolved;
}

bool inputs_unchanged(const ProfileInputs& inputs, const LoaderLimits& limits) {
  for (const auto& file : inputs.files) {
    const FileId id = regular_file_id(file.name).value_or(FileId{});
    if (id.dev != file.dev || id.ino != file.ino) return false;
    if (file.digest.empty()) continue;
    auto text = read_layout_text(file.name, limits);
    if (!text || digest_of(*text) != file.digest) return false;
  }
  for (const auto& lookup : inputs.lookups) {
    const FileId from = regular_file_id(lookup.from).value_or(FileId{});
    if (locate(lookup.ref, lookup.from, from).value_or(std::string()) != lookup.found) {
      return false;
    }
  }
  return true;
}

Result<Layout> load_profile(const std::string& name_or_path, const LoadOptions& options) {
  auto resolved = resolve_profile(name_or_path, options);
  if (!resolved) return std::unexpected(resolved.error());
  return std::move(resolved->layout);
}

std::vector<ProfileInfo> list_profiles() {
  std::vector<ProfileInfo> out;
  std::set<std::string> seen;
  for (const auto& dir : profile_search_path()) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& item : fs::directory_iterator(dir, ec)) {
      if (item.path().extension() == ".yaml" && regular_file_id(item.path().string())) {
        files.push_back(item.path());
      }
    }
    // Within a directory too, the order must not depend on readdir.
    std::sort(files.begin(), files.end());
    for (const auto& file : files) add_profile(out, seen, file);
  }
  std::sort(out.begin(), out.end(),
            [](const ProfileInfo& a, const ProfileInfo& b) { return a.name < b.name; });
  return out;
}

}  // namespace rootfsctl::layout
