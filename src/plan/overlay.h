// Union directories (Plan 9 bind -b/-a/-c) as overlayfs layers: the one spelling of an
// overlay's layers that the planner writes, the executor reads back into one fd per
// layer, and capture reads from a live mount's super options.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rootfsctl::plan {

/// The layers of an overlay mount, lower layers topmost first.
struct OverlayLayers {
  std::vector<std::string> lower;
  std::optional<std::string> upper;
  std::optional<std::string> work;
  /// Data-only lower layers (datadir+), which a union entry cannot express.
  std::vector<std::string> data_only;
  bool operator==(const OverlayLayers&) const = default;
};

/// Parses overlay options as the planner writes them and mountinfo shows them:
/// "lowerdir=a:b:c" (':' and ',' escaped with '\') or "lowerdir+=a,lowerdir+=b",
/// "upperdir=u", "workdir=w", "datadir+=d"; every other option is ignored.
OverlayLayers parse_overlay_options(std::string_view options);

/// The layers as overlay options, the way mountinfo shows them:
/// "lowerdir=a:b,upperdir=u,workdir=w".
std::string overlay_options(const OverlayLayers& layers);

/// `dir` spelled for overlay options: ':', ',' and '\' take a backslash.
std::string overlay_escape(std::string_view dir);

/// The work directory the planner puts beside `create`: "/srv/upper" -> "/srv/.upper.work".
/// overlayfs wants it empty-ish and on the same filesystem as the upper layer.
std::string overlay_work_dir(std::string_view create);

}  // namespace rootfsctl::plan
