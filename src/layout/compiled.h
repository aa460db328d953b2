// A compiled layout: a loaded Layout and what loading it depended on (ProfileInputs), as
// compact bytes for the compiled-layouts cache (cache.h). The format is private to one
// build: the cache keys entries by the binary's build id, so there is no versioning
// beyond a magic number; decoding checks every length against the bytes it has, so a
// truncated or corrupt entry is refused, never read past.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "layout/model.h"
#include "layout/profiles.h"

namespace rootfsctl::layout {

struct CompiledLayout {
  Layout layout;
  ProfileInputs inputs;

  bool operator==(const CompiledLayout&) const;
};

/// The bytes of `compiled`.
std::string encode_compiled(const CompiledLayout& compiled);
/// `bytes` decoded, or nullopt when they are not exactly one encoded CompiledLayout.
std::optional<CompiledLayout> decode_compiled(std::string_view bytes);

}  // namespace rootfsctl::layout
