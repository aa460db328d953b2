// A checked, expanded document -> pieces of the layout model, with defaults filled in and
// every entry's origin. Profile composition (compose.h) assembles a Layout from the pieces
// of several files. Internal to src/layout.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "layout/checks.h"
#include "layout/document.h"
#include "layout/model.h"

namespace rootfsctl::layout {

/// The origin of the node at `pointer`: its key's position (a kind key for an entry).
Origin origin_at(const Document& document, const std::string& pointer,
                 const std::string& source_name);

/// The kind key of an entry that passed the checks; nullopt for `- remove: /path`.
std::optional<EntryKind> entry_kind(const Node& entry);

/// Builds the entry at `pointer` ("/mounts/3") of `document`, whose values under it were
/// all expanded. Defaults: bind and device `from` is the target; bind `recursive` is
/// true. The origin is the position of the kind key.
Entry build_entry_at(const Document& document, const std::string& pointer,
                     const std::string& source_name);

/// Sets the model's field for the top-level `key` (name, description, namespaces,
/// hostname, root) from `document`; the root's origin is the position of `root:`.
void set_top_level(Layout& layout, std::string_view key, const Document& document,
                   const std::string& source_name);

}  // namespace rootfsctl::layout
