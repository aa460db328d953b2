// Reading the JSON documents of the OCI runtime (config.json, the hook state) with errors
// that say where: line:col and byte offset for syntax, the JSON pointer for shape.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/error.h"

namespace rootfsctl::oci::detail {

/// Parses `text`; a syntax error is Stage::kManifest at "source:line:col" with the byte
/// offset, the offending line as excerpt and what nlohmann expected.
Result<nlohmann::json> parse_json(std::string_view text, std::string_view source);

/// "string", "number", "object", ... for messages.
std::string_view json_type(const nlohmann::json& value);

/// "config.json: /mounts/3/destination: expected a string, got number" (Stage::kManifest).
Error shape_error(std::string_view source, const std::string& pointer, std::string_view expected,
                  const nlohmann::json& got, std::string hint = {});

/// `object[key]` when present and a string; absent is an empty string; any other type is
/// a shape error at `pointer/key`.
Result<std::string> optional_string(const nlohmann::json& object, const char* key,
                                    std::string_view source, const std::string& pointer);

}  // namespace rootfsctl::oci::detail
