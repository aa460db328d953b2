// MountEntry's views of its optional fields and options. Propagation tags are described
// in proc(5) and Documentation/filesystems/sharedsubtree.rst.
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mountinfo/mountinfo.h"

namespace rootfsctl::mountinfo {
namespace {

/// Calls `visit(word)` for each space-separated word of `fields` until it returns true.
template <typename Visit>
bool any_field(std::string_view fields, Visit visit) {
  while (!fields.empty()) {
    auto space = fields.find(' ');
    if (visit(fields.substr(0, space))) return true;
    if (space == std::string_view::npos) break;
    fields.remove_prefix(space + 1);
  }
  return false;
}

/// The number of the first "tag:N" word, if there is one with a valid number.
std::optional<int> tag_value(std::string_view fields, std::string_view tag) {
  std::optional<int> found;
  any_field(fields, [&](std::string_view word) {
    if (word.size() <= tag.size() || !word.starts_with(tag) || word[tag.size()] != ':') {
      return false;
    }
    int value = 0;
    const char* end = word.data() + word.size();
    auto [stop, ec] = std::from_chars(word.data() + tag.size() + 1, end, value);
    if (ec == std::errc{} && stop == end) found = value;
    return true;
  });
  return found;
}

}  // namespace

std::vector<std::string_view> MountEntry::optional_field_list() const {
  std::vector<std::string_view> words;
  any_field(optional_fields, [&](std::string_view word) {
    if (!word.empty()) words.push_back(word);
    return false;
  });
  return words;
}

MountFlags MountEntry::flags() const { return parse_mount_flags(options); }

std::optional<int> MountEntry::shared_group() const { return tag_value(optional_fields, "shared"); }

std::optional<int> MountEntry::master() const { return tag_value(optional_fields, "master"); }

std::optional<int> MountEntry::propagate_from() const {
  return tag_value(optional_fields, "propagate_from");
}

bool MountEntry::unbindable() const {
  return any_field(optional_fields, [](std::string_view word) { return word == "unbindable"; });
}

std::string MountEntry::propagation() const {
  // The kernel never marks an unbindable mount shared or slave (change_mnt_propagation()
  // drops both), so "unbindable" stands alone.
  if (unbindable()) return "unbindable";
  bool shared = shared_group().has_value();
  bool slave = master().has_value();
  if (shared && slave) return "shared,slave";
  if (shared) return "shared";
  if (slave) return "slave";
  return "private";
}

}  // namespace rootfsctl::mountinfo
