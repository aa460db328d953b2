// findmnt's option merge and filters, ported from libmount's semantics (fs.c merge_optstr,
// match.c mnt_match_fstype / mnt_match_options) so that a differential test against
// findmnt can compare column by column.
#include "mountinfo/select.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/path.h"

namespace rootfsctl::mountinfo {
namespace {

/// An option list split on commas outside double quotes (an SELinux context="a,b" is one
/// option), empty items dropped, as libmount's mnt_optstr_next_option walks it.
std::vector<std::string_view> split_options(std::string_view list) {
  std::vector<std::string_view> items;
  std::size_t start = 0;
  bool quoted = false;
  for (std::size_t i = 0; i <= list.size(); ++i) {
    if (i < list.size() && list[i] == '"') quoted = !quoted;
    if (i < list.size() && (quoted || list[i] != ',')) continue;
    if (i > start) items.push_back(list.substr(start, i - start));
    start = i + 1;
  }
  return items;
}

std::string_view option_name(std::string_view option) { return option.substr(0, option.find('=')); }

/// Removes the first item named `name` from `items`; true when there was one.
bool remove_first(std::vector<std::string_view>& items, std::string_view name) {
  auto it = std::find_if(items.begin(), items.end(),
                         [&](std::string_view item) { return option_name(item) == name; });
  if (it == items.end()) return false;
  items.erase(it);
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool has_option(std::string_view list, std::string_view name) {
  const auto items = split_options(list);
  return std::any_of(items.begin(), items.end(),
                     [&](std::string_view item) { return item == name; });
}

/// "MAJ:MIN" as two numbers, or nullopt when `spec` is not one.
std::optional<std::pair<unsigned, unsigned>> device_number(std::string_view spec) {
  const auto colon = spec.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == spec.size()) {
    return std::nullopt;
  }
  unsigned major = 0;
  unsigned minor = 0;
  const char* end = spec.data() + spec.size();
  auto first = std::from_chars(spec.data(), spec.data() + colon, major);
  auto second = std::from_chars(spec.data() + colon + 1, end, minor);
  if (first.ec != std::errc{} || first.ptr != spec.data() + colon || second.ec != std::errc{} ||
      second.ptr != end) {
    return std::nullopt;
  }
  return std::pair{major, minor};
}

bool source_matches(const MountEntry& entry, std::string_view spec) {
  if (entry.source == spec) return true;
  const auto device = device_number(spec);
  return device && entry.major == device->first && entry.minor == device->second;
}

/// A path argument as the table spells targets: absolute and lexically normal, so
/// "/tmp/" and "/tmp/./x/.." find /tmp. (No symlink is resolved: a captured table has
/// no filesystem to resolve in.)
std::string as_target(std::string_view path) {
  return path.starts_with('/') ? path::lexically_normal(path) : std::string(path);
}

template <typename Pred>
std::vector<std::size_t> indices_where(const MountTable& table, Pred pred) {
  std::vector<std::size_t> out;
  const auto& entries = table.entries();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (pred(entries[i])) out.push_back(i);
  }
  return out;
}

/// The nearest ancestor-or-self of `path` that some mount is mounted on ("" if none).
std::string containing_mount_point(const MountTable& table, std::string_view path) {
  std::string candidate = as_target(path);
  const auto& entries = table.entries();
  for (;;) {
    const bool found = std::any_of(entries.begin(), entries.end(), [&](const MountEntry& entry) {
      return entry.target == candidate;
    });
    if (found) return candidate;
    if (candidate == "/" || !candidate.starts_with('/')) return "";
    candidate = std::string(path::parent(candidate));
  }
}

/// The filters that name mounts (positional, -S, -T), intersected.
bool named(const MountEntry& entry, const MountFilter& filter, std::string_view mount_point,
           bool positional_is_source) {
  if (filter.source && !source_matches(entry, *filter.source)) return false;
  if (filter.containing && entry.target != mount_point) return false;
  if (filter.source_or_target) {
    if (positional_is_source) return source_matches(entry, *filter.source_or_target);
    return entry.target == as_target(*filter.source_or_target);
  }
  return true;
}

}  // namespace

std::string merged_options(const MountEntry& entry) {
  if (entry.options == entry.super_options) return std::string(entry.options);
  auto items = split_options(entry.options);
  const auto super_items = split_options(entry.super_options);
  items.insert(items.end(), super_items.begin(), super_items.end());
  // libmount removes "rw" twice (one per list), then "ro" until two of the pair are gone:
  // so one "ro" on either side makes the whole mount "ro".
  int rw =
      static_cast<int>(remove_first(items, "rw")) + static_cast<int>(remove_first(items, "rw"));
  int ro = 0;
  if (rw != 2) {
    ro += static_cast<int>(remove_first(items, "ro"));
    if (ro + rw < 2) ro += static_cast<int>(remove_first(items, "ro"));
  }
  std::string out = ro > 0 ? "ro" : "rw";
  for (auto item : items) {
    out += ',';
    out += item;
  }
  return out;
}

std::string findmnt_propagation(const MountEntry& entry) {
  std::string out = entry.shared_group() ? "shared" : "private";
  if (entry.master()) out += ",slave";
  if (entry.unbindable()) out += ",unbindable";
  return out;
}

bool is_read_only(const MountEntry& entry) {
  return has_option(entry.options, "ro") || has_option(entry.super_options, "ro");
}

bool match_fstype(std::string_view fstype, std::string_view pattern) {
  const bool negated = pattern.starts_with("no");
  if (negated) pattern.remove_prefix(2);
  for (auto item : split_options(pattern)) {
    if (item.starts_with("no") && iequals(item.substr(2), fstype)) return false;
    if (iequals(item, fstype)) return !negated;
  }
  return negated;
}

bool match_options(std::string_view options, std::string_view pattern) {
  const auto have = split_options(options);
  for (auto item : split_options(pattern)) {
    bool negated = false;
    if (item.starts_with('+')) {
      item.remove_prefix(1);
    } else if (item.starts_with("no")) {
      negated = true;
      item.remove_prefix(2);
      if (item.empty()) return false;  // a lone "no" matches nothing, as in libmount
    }
    const auto name = option_name(item);
    const bool wants_value = name.size() < item.size();
    const auto found = std::find_if(have.begin(), have.end(), [&](std::string_view option) {
      if (option_name(option) != name) return false;
      // A value is compared only when both sides have one.
      const bool has_value = option.size() > name.size();
      return !wants_value || !has_value || option == item;
    });
    if ((found != have.end()) == negated) return false;
  }
  return true;
}

std::vector<std::size_t> select_mounts(const MountTable& table, const MountFilter& filter) {
  const std::string mount_point =
      filter.containing ? containing_mount_point(table, *filter.containing) : "";
  // findmnt takes a lone argument as a source first and, when no mount has that source,
  // as a mount point.
  bool positional_is_source = false;
  if (filter.source_or_target) {
    const auto& spec = *filter.source_or_target;
    positional_is_source =
        std::any_of(table.entries().begin(), table.entries().end(),
                    [&](const MountEntry& entry) { return source_matches(entry, spec); });
  }
  return indices_where(table, [&](const MountEntry& entry) {
    if (filter.containing && mount_point.empty()) return false;
    if (!named(entry, filter, mount_point, positional_is_source)) return false;
    if (filter.types && !match_fstype(entry.fstype, *filter.types)) return false;
    return !filter.options || match_options(merged_options(entry), *filter.options);
  });
}

}  // namespace rootfsctl::mountinfo
