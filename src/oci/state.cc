// The hook side of OCI: the state on stdin, the bundle's rootfs, and a layout moved
// beneath it for hooks that run before the runtime pivots.
#include "core/path.h"
#include "oci/json_input.h"
#include "oci/oci.h"

namespace rootfsctl::oci {

Result<State> parse_state(std::string_view json_text, std::string_view source_name) {
  auto state = detail::parse_json(json_text, source_name);
  if (!state) return std::unexpected(state.error());
  const std::string hint =
      "a runtime writes the container state on a hook's stdin: "
      "{\"ociVersion\", \"id\", \"status\", \"pid\", \"bundle\"}";
  if (!state->is_object()) {
    return std::unexpected(
        detail::shape_error(source_name, "(top level)", "an object", *state, hint));
  }
  State out;
  auto pid = state->find("pid");
  if (pid == state->end() || !pid->is_number_integer() || pid->get<long long>() <= 0 ||
      pid->get<long long>() > 0x7fffffff) {
    return std::unexpected(detail::shape_error(source_name, "/pid", "a positive process id",
                                               pid == state->end() ? nlohmann::json() : *pid,
                                               hint));
  }
  out.pid = static_cast<pid_t>(pid->get<long long>());
  for (auto [key, field] : {std::pair{"id", &out.id}, std::pair{"status", &out.status},
                            std::pair{"bundle", &out.bundle}}) {
    auto value = detail::optional_string(*state, key, source_name, "");
    if (!value) return std::unexpected(value.error());
    *field = std::move(*value);
  }
  return out;
}

Result<std::string> rootfs_path(std::string_view config_json, std::string_view bundle_dir,
                                std::string_view source_name) {
  auto spec = detail::parse_json(config_json, source_name);
  if (!spec) return std::unexpected(spec.error());
  const nlohmann::json* path = nullptr;
  if (spec->is_object() && spec->contains("root") && (*spec)["root"].is_object()) {
    auto it = (*spec)["root"].find("path");
    if (it != (*spec)["root"].end()) path = &*it;
  }
  if (path == nullptr || !path->is_string() || path->get<std::string>().empty()) {
    return std::unexpected(detail::shape_error(source_name, "/root/path", "a non-empty string",
                                               path ? *path : nlohmann::json()));
  }
  std::string dir = path->get<std::string>();
  const bool relative = dir.front() != '/';
  if (relative) dir = std::string(bundle_dir) + "/" + dir;
  std::string rootfs = path::lexically_normal(dir);
  // A hook takes the root for the container's: at "/" it would have the layout applied to
  // the host's tree. A relative path (runc's "rootfs") must stay inside the bundle; an
  // absolute one may lie elsewhere (podman's is the overlay's merged directory).
  const std::string bundle = path::lexically_normal(bundle_dir);
  if (rootfs == "/" || (relative && !path::is_strictly_under(rootfs, bundle))) {
    Error error =
        make_error(Stage::kManifest,
                   "/root/path: \"" + path->get<std::string>() + "\" is " + rootfs +
                       (relative ? ", not inside the bundle " + bundle : ", the host's root"));
    error.where = Location{std::string(source_name), 0, 0};
    error.hint =
        "a hook applies the layout beneath the container's root: a directory inside its "
        "bundle (relative), or elsewhere but never \"/\" (absolute)";
    return std::unexpected(std::move(error));
  }
  return rootfs;
}

Result<layout::Layout> rebase(layout::Layout layout, std::string_view prefix) {
  if (layout.root) {
    return std::unexpected(
        make_error(Stage::kUsage,
                   "layout " + layout.source +
                       " has a root:, but in a hook the runtime makes the container's root itself "
                       "(root.path in config.json); remove root: and keep the mounts"));
  }
  std::string base = path::lexically_normal(prefix);
  if (base == "/") return layout;
  for (auto& entry : layout.mounts) {
    entry.target = entry.target == "/" ? base : path::join(base, entry.target.substr(1));
  }
  return layout;
}

}  // namespace rootfsctl::oci
