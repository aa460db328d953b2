// Text renderers for mount tables: mounts_text (findmnt --list) and mounts_tree (findmnt).
#include <algorithm>
#include <map>

#include "render/format.h"
#include "render/render.h"

namespace rootfsctl::render {
namespace {

using mountinfo::MountEntry;

std::vector<std::string_view> split_commas(std::string_view list) {
  std::vector<std::string_view> parts;
  while (!list.empty()) {
    const auto comma = list.find(',');
    if (comma != 0) parts.push_back(list.substr(0, comma));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return parts;
}

/// findmnt's OPTIONS: the per-mount options, then the superblock options that are not
/// already there; the superblock's own rw/ro is left out since the per-mount one is what
/// a write through this mount meets (libmount merges the same way).
std::string merged_options(const MountEntry& entry) {
  std::string out(entry.options);
  const auto own = split_commas(entry.options);
  for (auto option : split_commas(entry.super_options)) {
    if (option == "rw" || option == "ro") continue;
    if (std::find(own.begin(), own.end(), option) != own.end()) continue;
    if (!out.empty()) out += ',';
    out += option;
  }
  return escape_for_display(out);
}

std::vector<Cell> list_row(const MountEntry& entry) {
  return {{std::to_string(entry.id)},
          {std::to_string(entry.parent)},
          {std::to_string(entry.major) + ":" + std::to_string(entry.minor)},
          {escape_for_display(entry.target)},
          {escape_for_display(entry.source)},
          {escape_for_display(entry.fstype)},
          {merged_options(entry)},
          {entry.propagation()}};
}

/// Table indices by mount id; the first entry wins should a malformed table repeat an id.
std::map<int, std::size_t> index_by_id(const std::vector<MountEntry>& entries) {
  std::map<int, std::size_t> index;
  for (std::size_t i = 0; i < entries.size(); ++i) index.emplace(entries[i].id, i);
  return index;
}

std::vector<TreeNode> mount_nodes(const std::vector<MountEntry>& entries,
                                  const std::map<int, std::size_t>& index) {
  std::vector<TreeNode> nodes(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& entry = entries[i];
    nodes[i].cells = {{escape_for_display(entry.target)},
                      {escape_for_display(entry.source)},
                      {escape_for_display(entry.fstype)},
                      {merged_options(entry)}};
    const auto parent = index.find(entry.parent);
    if (parent != index.end() && parent->second != i) nodes[parent->second].children.push_back(i);
  }
  return nodes;
}

void mark_reachable(const std::vector<TreeNode>& nodes, std::size_t from,
                    std::vector<bool>& reached) {
  std::vector<std::size_t> stack{from};
  while (!stack.empty()) {
    const auto node = stack.back();
    stack.pop_back();
    if (reached[node]) continue;
    reached[node] = true;
    for (auto child : nodes[node].children) stack.push_back(child);
  }
}

/// Entries whose parent is not in the table (or is themselves), in table order; then,
/// so a parent cycle in a malformed table cannot hide entries, the first unreached entry
/// of each cycle.
std::vector<std::size_t> tree_roots(const std::vector<MountEntry>& entries,
                                    const std::vector<TreeNode>& nodes,
                                    const std::map<int, std::size_t>& index) {
  std::vector<std::size_t> roots;
  std::vector<bool> reached(entries.size(), false);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto parent = index.find(entries[i].parent);
    if (parent != index.end() && parent->second != i) continue;
    roots.push_back(i);
    mark_reachable(nodes, i, reached);
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (reached[i]) continue;
    roots.push_back(i);
    mark_reachable(nodes, i, reached);
  }
  return roots;
}

std::vector<Cell> header(std::initializer_list<std::string_view> names) {
  std::vector<Cell> row;
  for (auto name : names) row.push_back({std::string(name), Style::kBold});
  return row;
}

}  // namespace

std::string mounts_text(const mountinfo::MountTable& table) {
  std::vector<std::vector<Cell>> rows{
      header({"ID", "PARENT", "MAJ:MIN", "TARGET", "SOURCE", "FSTYPE", "OPTIONS", "PROPAGATION"})};
  for (const auto& entry : table.entries()) rows.push_back(list_row(entry));
  return format_table(rows, {Align::kRight, Align::kRight}, false);
}

std::string mounts_tree(const mountinfo::MountTable& table, bool color) {
  const auto& entries = table.entries();
  const auto index = index_by_id(entries);
  const auto nodes = mount_nodes(entries, index);
  std::vector<std::vector<Cell>> rows{header({"TARGET", "SOURCE", "FSTYPE", "OPTIONS"})};
  for (auto& row : tree_rows(nodes, tree_roots(entries, nodes, index))) {
    rows.push_back(std::move(row));
  }
  return format_table(rows, {}, color);
}

}  // namespace rootfsctl::render
