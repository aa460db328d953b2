// Run-time validation against schemas/layout.schema.json (docs/layouts.md: the one source of
// truth for the shape), with valijson. The loader's own checks run first and catch what
// users get wrong with better messages; this is the guarantee that what the loader
// accepts, the schema accepts too. Internal to src/layout; the only file that includes
// valijson.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "layout/document.h"
#include "layout/source_text.h"

namespace rootfsctl::layout {

/// Validates `document` against the compiled-in schema, parsed once on first use. On
/// failure the error points at the most specific offending node (the deepest; the first
/// in the file among equally deep ones) and quotes valijson's description of it.
Result<void> check_schema(const SourceText& source, const Document& document);

/// The same for a schema given as text, for tests.
Result<void> check_schema_text(std::string_view schema_text, const SourceText& source,
                               const Document& document);

/// "mounts[0].size" for "/mounts/0/size": how messages name a node.
std::string display_path(std::string_view pointer);

}  // namespace rootfsctl::layout
