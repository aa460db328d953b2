// The loader's checks of typed values (paths, modes, sizes, counts, ids, options, text,
// idmaps): the Checker's "Values" part (layout/checker.h).
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/idmap.h"
#include "core/mount_flags.h"
#include "core/path.h"
#include "core/suggest.h"
#include "layout/checker.h"

namespace rootfsctl::layout::detail {

/// A tmpfs(5) number option as the loader checks it: digits with an optional suffix.
struct SuffixedNumber {
  std::string_view noun;      // "size"
  std::string_view example;   // for a value of the wrong type: "a size like 64M"
  std::string_view suffixes;  // allowed after the digits, one of them
  std::string_view hint;
  DeferredCheck deferred;
};

namespace {

bool is_octal_mode(std::string_view s) {
  if (s.size() != 3 && s.size() != 4) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '7'; });
}

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// `size=`: bytes, with an optional k, m or g suffix, or a percentage of RAM.
constexpr SuffixedNumber kSize{
    "size", "a size like 64M", "kKmMgG%",
    "write a byte count like 1048576, a number with k, m or g like 64M, or a percentage of "
    "memory like 50%",
    DeferredCheck::kSize};
// `nr_inodes=`: a count with an optional k, m or g suffix (no percentage).
constexpr SuffixedNumber kCount{"count", "a count like 10k", "kKmMgG",
                                "write a count like 1000, or with k, m or g like 10k",
                                DeferredCheck::kCount};

bool is_suffixed_number(std::string_view s, std::string_view suffixes) {
  if (s.empty()) return false;
  if (suffixes.find(s.back()) != std::string_view::npos) s.remove_suffix(1);
  return is_digits(s);
}

std::vector<std::string_view> mount_option_names() {
  std::vector<std::string_view> names;
  for (const auto& option : mount_options()) names.push_back(option.name);
  return names;
}

}  // namespace

// ---- Values ----------------------------------------------------------------------------

Result<void> Checker::check_value(const std::string& pointer, std::string_view subject,
                                  ValueType type) {
  switch (type) {
    case ValueType::kPath:
      return check_path(pointer, subject);
    case ValueType::kPathList:
      return check_path_list(pointer, subject);
    case ValueType::kBool:
      return check_bool(pointer, subject);
    case ValueType::kMode:
      return check_mode(pointer, subject);
    case ValueType::kSize:
      return check_size(pointer, subject);
    case ValueType::kCount:
      return check_count(pointer, subject);
    case ValueType::kId:
      return check_id(pointer, subject);
    case ValueType::kOptions:
      return check_options(pointer, subject);
    case ValueType::kText:
      return check_text(pointer, subject);
    case ValueType::kLinkText:
      return check_link_text(pointer, subject);
    case ValueType::kIdmap:
      return check_idmap(pointer, subject);
  }
  return {};
}

// Paths are checked after substitution (a variable may hold a path) but reported at the
// scalar that uses it.
Result<void> Checker::check_path(const std::string& pointer, std::string_view subject) {
  if (!node(pointer).is_string())
    return std::unexpected(type_error(pointer, subject, "an absolute path"));
  if (deferring(pointer, DeferredCheck::kPath, subject)) return {};
  auto path = expand(pointer);
  if (!path) return std::unexpected(path.error());
  if (auto problem = path::check_normalized(*path)) {
    return std::unexpected(error_at_value(pointer, *problem, expansion_hint(pointer, *path)));
  }
  return {};
}

Result<void> Checker::check_path_list(const std::string& pointer, std::string_view subject) {
  if (!node(pointer).is_list()) {
    return std::unexpected(type_error(pointer, subject, "a list of absolute paths"));
  }
  const std::string item_subject = "each item of " + std::string(subject);
  for (std::size_t i = 0; i < node(pointer).items.size(); ++i) {
    if (auto ok = check_path(pointer_append(pointer, i), item_subject); !ok) return ok;
  }
  return {};
}

Result<void> Checker::check_bool(const std::string& pointer, std::string_view subject) {
  if (node(pointer).is_bool()) return {};
  return std::unexpected(type_error(pointer, subject, "true or false"));
}

Result<void> Checker::check_mode(const std::string& pointer, std::string_view subject) {
  const Node& value = node(pointer);
  if (value.is_integer()) {
    const std::string text = number_text(pointer);
    return std::unexpected(error_at_value(
        pointer, std::string(subject) + " must be a quoted string, not the number " + text,
        "write mode: \"" + text + "\"; unquoted, YAML reads " + text + " as a number"));
  }
  if (!value.is_string()) {
    return std::unexpected(type_error(pointer, subject, "an octal string like \"0755\""));
  }
  const auto& raw = value.text;
  const std::string hint = "write 3 or 4 octal digits in quotes, like \"0755\" or \"1777\"";
  if (raw.size() > kMaxShortValue) {
    return std::unexpected(error_at_value(pointer, "invalid mode " + in_quotes(raw), hint));
  }
  if (deferring(pointer, DeferredCheck::kMode, subject)) return {};
  auto mode = expand(pointer);
  if (!mode) return std::unexpected(mode.error());
  if (is_octal_mode(*mode)) return {};
  return std::unexpected(error_at_value(pointer, "invalid mode " + in_quotes(*mode),
                                        with_expansion(hint, pointer, *mode)));
}

Result<void> Checker::check_size(const std::string& pointer, std::string_view subject) {
  return check_suffixed_number(pointer, subject, kSize);
}

Result<void> Checker::check_count(const std::string& pointer, std::string_view subject) {
  return check_suffixed_number(pointer, subject, kCount);
}

Result<void> Checker::check_suffixed_number(const std::string& pointer, std::string_view subject,
                                            const SuffixedNumber& kind) {
  const Node& value = node(pointer);
  const std::string noun(kind.noun);
  const std::string hint(kind.hint);
  if (value.is_integer()) {
    if (value.integer >= 0) {
      doc_.at(pointer).expanded = std::to_string(value.integer);
      return {};
    }
    return std::unexpected(
        error_at_value(pointer, "invalid " + noun + " " + number_text(pointer), hint));
  }
  if (!value.is_string()) return std::unexpected(type_error(pointer, subject, kind.example));
  const std::string& raw = value.text;
  if (raw.size() > kMaxShortValue) {
    return std::unexpected(error_at_value(pointer, "invalid " + noun + " " + in_quotes(raw), hint));
  }
  if (deferring(pointer, kind.deferred, subject)) return {};
  auto number = expand(pointer);
  if (!number) return std::unexpected(number.error());
  if (is_suffixed_number(*number, kind.suffixes)) return {};
  return std::unexpected(error_at_value(pointer, "invalid " + noun + " " + in_quotes(*number),
                                        with_expansion(hint, pointer, *number)));
}

// `target`, or maps the kernel would take as a user namespace's uid_map and gid_map.
Result<void> Checker::check_idmap(const std::string& pointer, std::string_view subject) {
  const Node& value = node(pointer);
  if (!value.is_string()) {
    return std::unexpected(
        type_error(pointer, subject, "'target' or a map like \"0:100000:65536\""));
  }
  if (deferring(pointer, DeferredCheck::kIdmap, subject)) return {};
  auto text = expand(pointer);
  if (!text) return std::unexpected(text.error());
  auto map = parse_idmap(*text);
  if (map) return {};
  return std::unexpected(error_at_value(
      pointer, "invalid idmap " + in_quotes(*text) + ": " + map.error(),
      with_expansion("write target, inside:outside:count for uids and gids alike, or "
                     "uids=0:100000:65536;gids=0:100000:65536",
                     pointer, *text)));
}

// A uid or gid as the kernel takes it in mount data: 0 to 2^32-2 ((uid_t)-1 means none).
Result<void> Checker::check_id(const std::string& pointer, std::string_view subject) {
  const Node& value = node(pointer);
  constexpr std::int64_t kMaxId = 4294967294;
  if (value.is_integer() && value.integer < 0) {
    return std::unexpected(error_at_value(pointer, "invalid id " + number_text(pointer),
                                          "a uid or gid is 0 to 4294967294"));
  }
  if (value.is_integer()) {
    if (value.integer <= kMaxId) return {};
    return std::unexpected(error_at_value(pointer, "invalid id " + number_text(pointer),
                                          "a uid or gid is 0 to 4294967294"));
  }
  return std::unexpected(type_error(pointer, subject, "a number like 1000"));
}

Result<void> Checker::check_options(const std::string& pointer, std::string_view subject) {
  if (!node(pointer).is_list()) {
    return std::unexpected(
        type_error(pointer, subject, "a list of mount options, like [nosuid, nodev]"));
  }
  const auto names = mount_option_names();
  for (std::size_t i = 0; i < node(pointer).items.size(); ++i) {
    const std::string item = pointer_append(pointer, i);
    if (!node(item).is_string()) {
      return std::unexpected(type_error(item, "a mount option", "a name like nosuid"));
    }
    const auto& name = node(item).text;
    if (find_mount_option(name)) continue;
    std::string hint = did_you_mean(name, names);
    if (hint.empty()) hint = "known options: " + join_names(names);
    return std::unexpected(error_at_value(item, "unknown mount option " + in_quotes(name), hint));
  }
  return {};
}

Result<void> Checker::check_text(const std::string& pointer, std::string_view subject) {
  if (!node(pointer).is_string()) return std::unexpected(type_error(pointer, subject, "a string"));
  if (deferring(pointer, DeferredCheck::kText, subject)) return {};
  auto text = expand(pointer);
  if (!text) return std::unexpected(text.error());
  return {};
}

Result<void> Checker::check_link_text(const std::string& pointer, std::string_view subject) {
  if (deferring(pointer, DeferredCheck::kLinkText, subject)) return {};
  return check_nonempty_text(pointer, subject, "write the link's target, like 'to: usr/bin'");
}

Result<void> Checker::check_nonempty_text(const std::string& pointer, std::string_view subject,
                                          std::string_view hint) {
  if (auto ok = check_text(pointer, subject); !ok) return ok;
  if (!node(pointer).value().empty()) return {};
  return std::unexpected(
      error_at_value(pointer, std::string(subject) + " must not be empty", std::string(hint)));
}

// vars and sysctls values: strings, or numbers kept as written.
Result<void> Checker::check_scalar_text(const std::string& pointer, std::string_view subject) {
  const Node& value = node(pointer);
  if (value.is_integer()) {
    doc_.at(pointer).expanded = number_text(pointer);
    return {};
  }
  if (value.is_string()) return {};
  return std::unexpected(type_error(pointer, subject, "a string or a number"));
}

}  // namespace rootfsctl::layout::detail
