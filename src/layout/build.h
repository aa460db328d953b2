// Checked, expanded JSON -> the layout model, with defaults filled in and every entry's
// origin. Internal to src/layout.
#pragma once

#include <string>

#include "layout/checks.h"
#include "layout/model.h"
#include "layout/yaml_to_json.h"

namespace rootfsctl::layout {

/// Builds the model from a document that passed check_document and the schema. Defaults:
/// bind and device `from` is the target; bind `recursive` is true. An entry's origin is
/// the position of its kind key; the root's is the position of `root:`.
Layout build_layout(const CheckedDocument& checked, const YamlDocument& document,
                    const std::string& source_name);

}  // namespace rootfsctl::layout
