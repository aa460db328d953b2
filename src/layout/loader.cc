#include "layout/loader.h"

#include "core/read_file.h"
#include "layout/compose.h"
#include "layout/source_text.h"
#include "layout/vars.h"

namespace rootfsctl::layout {

extern const std::string_view kLayoutSchemaText;

Result<void> check_set_vars(const std::map<std::string, std::string>& set_vars) {
  for (const auto& [name, value] : set_vars) {
    if (is_var_name(name)) continue;
    Error error = make_error(Stage::kUsage, "invalid variable name '" + name + "' in --set");
    error.hint = "names are letters, digits and '_', and do not start with a digit";
    return std::unexpected(std::move(error));
  }
  return {};
}

Result<Layout> load_layout(std::string_view text, std::string_view source_name,
                           const LoadOptions& options) {
  // Refuse oversized text before copying it.
  const SourceText source{text, std::string(source_name)};
  if (auto ok = check_size(source, options.limits.max_bytes); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = check_set_vars(options.set_vars); !ok) return std::unexpected(ok.error());
  auto file =
      parse_file(std::string(text), std::string(source_name), options.set_vars, options.limits);
  if (!file) return std::unexpected(file.error());
  // A file on its own is a profile of one: the same expansion, nothing to merge, and its
  // removals kept (they apply to parents this function does not load).
  auto composed = compose(std::span(&*file, 1), options.set_vars, false);
  if (!composed) return std::unexpected(composed.error());
  return std::move(composed->layout);
}

Result<std::string> read_layout_text(const std::string& path, const LoaderLimits& limits) {
  // A layout is never inside a target's tree: a pipe from the user's shell is as good as
  // a file (`rootfsctl run - <<EOF`, `run <(generate)`).
  return read_file_or_pipe(path, limits.max_bytes, "layout",
                           "a layout is a short text file; is this the right file? A "
                           "generated layout may raise the limit with --max-layout-bytes");
}

Result<Layout> load_layout_file(const std::string& path, const LoadOptions& options) {
  auto text = read_layout_text(path, options.limits);
  if (!text) return std::unexpected(text.error());
  return load_layout(*text, path, options);
}

std::string_view layout_schema_text() { return kLayoutSchemaText; }

}  // namespace rootfsctl::layout
