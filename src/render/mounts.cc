// Text renderers for mount tables, as findmnt prints them: the tree, --list, --raw and
// --pairs, with findmnt's columns. What each column holds and how each form escapes
// bytes follow findmnt (util-linux 2.38); tests/e2e/findmnt_test.py compares the two.
#include <algorithm>
#include <array>
#include <cctype>
#include <map>

#include "core/suggest.h"
#include "mountinfo/select.h"
#include "render/format.h"
#include "render/render.h"

namespace rootfsctl::render {
namespace {

using mountinfo::MountEntry;

struct ColumnInfo {
  MountColumn id;
  std::string_view name;
  Align align;
};

constexpr std::array kColumns{
    ColumnInfo{MountColumn::kTarget, "TARGET", Align::kLeft},
    ColumnInfo{MountColumn::kSource, "SOURCE", Align::kLeft},
    ColumnInfo{MountColumn::kFstype, "FSTYPE", Align::kLeft},
    ColumnInfo{MountColumn::kOptions, "OPTIONS", Align::kLeft},
    ColumnInfo{MountColumn::kVfsOptions, "VFS-OPTIONS", Align::kLeft},
    ColumnInfo{MountColumn::kFsOptions, "FS-OPTIONS", Align::kLeft},
    ColumnInfo{MountColumn::kFsroot, "FSROOT", Align::kLeft},
    ColumnInfo{MountColumn::kPropagation, "PROPAGATION", Align::kLeft},
    ColumnInfo{MountColumn::kOptFields, "OPT-FIELDS", Align::kLeft},
    ColumnInfo{MountColumn::kId, "ID", Align::kRight},
    ColumnInfo{MountColumn::kParent, "PARENT", Align::kRight},
    ColumnInfo{MountColumn::kMajMin, "MAJ:MIN", Align::kRight},
};

const ColumnInfo& info(MountColumn column) {
  return *std::find_if(kColumns.begin(), kColumns.end(),
                       [&](const ColumnInfo& c) { return c.id == column; });
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

/// findmnt's SOURCE: a mount of a subdirectory of its filesystem (a bind of one, a btrfs
/// subvolume) says which, "source[/root]".
std::string source_text(const MountEntry& entry) {
  std::string out(entry.source);
  if (!entry.root.empty() && entry.root != "/" && !entry.source.empty()) {
    out += '[';
    out += entry.root;
    out += ']';
  }
  return out;
}

/// The column's bytes, before escaping.
std::string field(const MountEntry& entry, MountColumn column) {
  switch (column) {
    case MountColumn::kTarget:
      return std::string(entry.target);
    case MountColumn::kSource:
      return source_text(entry);
    case MountColumn::kFstype:
      return std::string(entry.fstype);
    case MountColumn::kOptions:
      return mountinfo::merged_options(entry);
    case MountColumn::kVfsOptions:
      return std::string(entry.options);
    case MountColumn::kFsOptions:
      return std::string(entry.super_options);
    case MountColumn::kFsroot:
      return std::string(entry.root);
    case MountColumn::kPropagation:
      return mountinfo::findmnt_propagation(entry);
    case MountColumn::kOptFields:
      return std::string(entry.optional_fields);
    case MountColumn::kId:
      return std::to_string(entry.id);
    case MountColumn::kParent:
      return std::to_string(entry.parent);
    case MountColumn::kMajMin:
      return std::to_string(entry.major) + ":" + std::to_string(entry.minor);
  }
  return "";
}

Escape escape_mode(const MountsView& view) {
  switch (view.form) {
    case MountsForm::kRaw:
      return Escape::kRaw;
    case MountsForm::kPairs:
      return Escape::kPairs;
    case MountsForm::kTree:
    case MountsForm::kList:
      break;
  }
  return view.terminal.utf8 ? Escape::kTable : Escape::kTableAscii;
}

std::vector<Cell> cells(const MountEntry& entry, const std::vector<MountColumn>& columns,
                        Escape mode) {
  std::vector<Cell> row;
  row.reserve(columns.size());
  for (auto column : columns) row.push_back({escape_field(field(entry, column), mode)});
  return row;
}

std::vector<Cell> header(const std::vector<MountColumn>& columns) {
  std::vector<Cell> row;
  for (auto column : columns) row.push_back({std::string(info(column).name), Style::kBold});
  return row;
}

std::vector<Align> aligns(const std::vector<MountColumn>& columns) {
  std::vector<Align> out;
  for (auto column : columns) out.push_back(info(column).align);
  return out;
}

/// Table indices by mount id; the first entry wins should a malformed table repeat an id.
std::map<int, std::size_t> index_by_id(const std::vector<MountEntry>& entries) {
  std::map<int, std::size_t> index;
  for (std::size_t i = 0; i < entries.size(); ++i) index.emplace(entries[i].id, i);
  return index;
}

/// The nearest shown ancestor of entry `i` by parent ids; nullopt when there is none. The
/// walk stops after as many steps as there are entries, so a parent cycle ends it.
std::optional<std::size_t> shown_ancestor(std::size_t i, const std::vector<MountEntry>& entries,
                                          const std::map<int, std::size_t>& index,
                                          const std::vector<bool>& is_shown) {
  std::size_t current = i;
  for (std::size_t steps = 0; steps < entries.size(); ++steps) {
    const auto parent = index.find(entries[current].parent);
    if (parent == index.end() || parent->second == current) return std::nullopt;
    current = parent->second;
    if (current == i) return std::nullopt;
    if (is_shown[current]) return current;
  }
  return std::nullopt;
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

struct Forest {
  std::vector<TreeNode> nodes;  // one per shown entry, in `shown` order
  std::vector<std::size_t> roots;
};

/// Every entry's position in a depth-first walk of the whole table (children by mount
/// id, roots in table order): where findmnt meets it. Entries in a parent cycle, which
/// no walk from a root reaches, come last.
std::vector<std::size_t> walk_rank(const std::vector<MountEntry>& entries,
                                   const std::map<int, std::size_t>& index) {
  std::vector<std::vector<std::size_t>> children(entries.size());
  std::vector<std::size_t> roots;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto parent = index.find(entries[i].parent);
    if (parent == index.end() || parent->second == i) {
      roots.push_back(i);
    } else {
      children[parent->second].push_back(i);
    }
  }
  std::vector<std::size_t> rank(entries.size(), entries.size());
  std::size_t next = 0;
  std::vector<std::size_t> stack(roots.rbegin(), roots.rend());
  while (!stack.empty()) {
    const auto node = stack.back();
    stack.pop_back();
    if (rank[node] != entries.size()) continue;
    rank[node] = next++;
    auto& kids = children[node];
    std::sort(kids.begin(), kids.end(), [&](std::size_t a, std::size_t b) {
      return entries[a].id > entries[b].id;  // reversed: the stack pops the smallest first
    });
    stack.insert(stack.end(), kids.begin(), kids.end());
  }
  return rank;
}

/// Shown entries nested under their nearest shown ancestors. Roots are the entries
/// without one, in the order findmnt's walk meets them (a filter promotes a mount whose
/// ancestors are hidden to where they were); then, so a parent cycle in a malformed
/// table cannot hide entries, the first unreached entry of each cycle.
Forest mount_forest(const mountinfo::MountTable& table, const std::vector<std::size_t>& shown,
                    const std::vector<MountColumn>& columns, Escape mode) {
  const auto& entries = table.entries();
  const auto index = index_by_id(entries);
  std::vector<bool> is_shown(entries.size(), false);
  std::vector<std::size_t> node_of(entries.size(), 0);
  for (std::size_t n = 0; n < shown.size(); ++n) {
    is_shown[shown[n]] = true;
    node_of[shown[n]] = n;
  }
  Forest forest;
  forest.nodes.resize(shown.size());
  std::vector<bool> has_parent(shown.size(), false);
  for (std::size_t n = 0; n < shown.size(); ++n) {
    forest.nodes[n].cells = cells(entries[shown[n]], columns, mode);
    if (auto parent = shown_ancestor(shown[n], entries, index, is_shown)) {
      forest.nodes[node_of[*parent]].children.push_back(n);
      has_parent[n] = true;
    }
  }
  // Children in mount id order, as libmount's mnt_table_next_child_fs gives findmnt's
  // tree (a table's order can differ: mounts copied into a new namespace keep their
  // order but not their ids' order).
  for (auto& node : forest.nodes) {
    std::sort(node.children.begin(), node.children.end(), [&](std::size_t a, std::size_t b) {
      return entries[shown[a]].id < entries[shown[b]].id;
    });
  }
  std::vector<std::size_t> candidates;
  for (std::size_t n = 0; n < shown.size(); ++n) {
    if (!has_parent[n]) candidates.push_back(n);
  }
  const auto rank = walk_rank(entries, index);
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](std::size_t a, std::size_t b) { return rank[shown[a]] < rank[shown[b]]; });
  std::vector<bool> reached(shown.size(), false);
  for (auto n : candidates) {
    forest.roots.push_back(n);
    mark_reachable(forest.nodes, n, reached);
  }
  for (std::size_t n = 0; n < shown.size(); ++n) {
    if (reached[n]) continue;
    forest.roots.push_back(n);
    mark_reachable(forest.nodes, n, reached);
  }
  return forest;
}

/// The tree is drawn in the TARGET column wherever -o puts it: rows come out of
/// tree_rows with TARGET first and are put back in column order.
std::vector<std::vector<Cell>> tree_body(const mountinfo::MountTable& table,
                                         const std::vector<std::size_t>& shown,
                                         const MountsView& view, std::size_t target_at) {
  auto columns = view.columns;
  std::rotate(columns.begin(), columns.begin() + static_cast<std::ptrdiff_t>(target_at),
              columns.begin() + static_cast<std::ptrdiff_t>(target_at) + 1);
  const auto forest = mount_forest(table, shown, columns, escape_mode(view));
  auto rows = tree_rows(forest.nodes, forest.roots, !view.terminal.utf8);
  for (auto& row : rows) {
    std::rotate(row.begin(), row.begin() + 1,
                row.begin() + static_cast<std::ptrdiff_t>(target_at) + 1);
  }
  return rows;
}

std::string aligned(const mountinfo::MountTable& table, const std::vector<std::size_t>& shown,
                    const MountsView& view) {
  std::vector<std::vector<Cell>> rows;
  if (view.headings) rows.push_back(header(view.columns));
  const auto target = std::find(view.columns.begin(), view.columns.end(), MountColumn::kTarget);
  // Without a TARGET column there is nothing to draw the tree in: a list, as findmnt.
  if (view.form == MountsForm::kTree && target != view.columns.end()) {
    auto body =
        tree_body(table, shown, view, static_cast<std::size_t>(target - view.columns.begin()));
    for (auto& row : body) rows.push_back(std::move(row));
  } else {
    const auto mode = escape_mode(view);
    for (auto i : shown) rows.push_back(cells(table.entries()[i], view.columns, mode));
  }
  return format_table(rows, aligns(view.columns), view.terminal.color, "", view.terminal.width);
}

std::string raw(const mountinfo::MountTable& table, const std::vector<std::size_t>& shown,
                const MountsView& view) {
  std::string out;
  auto line = [&](const std::vector<Cell>& row) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) out += ' ';
      out += row[i].text;
    }
    out += '\n';
  };
  if (view.headings) line(header(view.columns));
  for (auto i : shown) line(cells(table.entries()[i], view.columns, Escape::kRaw));
  return out;
}

std::string pairs(const mountinfo::MountTable& table, const std::vector<std::size_t>& shown,
                  const MountsView& view) {
  std::string out;
  for (auto i : shown) {
    const auto row = cells(table.entries()[i], view.columns, Escape::kPairs);
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c > 0) out += ' ';
      out += std::string(info(view.columns[c]).name) + "=\"" + row[c].text + "\"";
    }
    out += '\n';
  }
  return out;
}

std::vector<std::size_t> all_entries(const mountinfo::MountTable& table) {
  std::vector<std::size_t> out(table.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = i;
  return out;
}

}  // namespace

std::vector<MountColumn> default_mount_columns() {
  return {MountColumn::kTarget, MountColumn::kSource, MountColumn::kFstype, MountColumn::kOptions};
}

Result<std::vector<MountColumn>> parse_mount_columns(std::string_view list) {
  std::vector<MountColumn> out;
  if (list.starts_with('+')) {
    out = default_mount_columns();
    list.remove_prefix(1);
  }
  std::vector<std::string_view> names;
  for (const auto& c : kColumns) names.push_back(c.name);
  while (true) {
    const auto comma = list.find(',');
    const auto name = upper(list.substr(0, comma));
    const auto found = std::find_if(kColumns.begin(), kColumns.end(),
                                    [&](const ColumnInfo& c) { return c.name == name; });
    if (found == kColumns.end()) {
      Error error = make_error(Stage::kUsage, "unknown column '" + name + "'");
      const auto hint = did_you_mean(name, names);
      error.hint = (hint.empty() ? "" : hint + "; ") + "columns: " + mount_column_names();
      return std::unexpected(error);
    }
    out.push_back(found->id);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

std::string mount_column_names() {
  std::string out;
  for (const auto& c : kColumns) out += (out.empty() ? "" : ",") + std::string(c.name);
  return out;
}

std::string mounts_view(const mountinfo::MountTable& table, const std::vector<std::size_t>& shown,
                        const MountsView& view) {
  switch (view.form) {
    case MountsForm::kRaw:
      return raw(table, shown, view);
    case MountsForm::kPairs:
      return pairs(table, shown, view);
    case MountsForm::kTree:
    case MountsForm::kList:
      break;
  }
  return aligned(table, shown, view);
}

std::string mounts_text(const mountinfo::MountTable& table) {
  MountsView view;
  view.form = MountsForm::kList;
  view.columns = {MountColumn::kId,      MountColumn::kParent,     MountColumn::kMajMin,
                  MountColumn::kTarget,  MountColumn::kSource,     MountColumn::kFstype,
                  MountColumn::kOptions, MountColumn::kPropagation};
  return mounts_view(table, all_entries(table), view);
}

std::string mounts_tree(const mountinfo::MountTable& table, bool color) {
  MountsView view;
  view.terminal.color = color;
  return mounts_view(table, all_entries(table), view);
}

}  // namespace rootfsctl::render
