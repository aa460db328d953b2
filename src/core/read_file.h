// Reading a small text file that may be hostile: a directory, FIFO or device is refused
// without blocking on it, and so is anything larger than the caller's limit.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.h"

namespace rootfsctl {

/// Reads `path`, a regular file of at most `limit` bytes. `what` names it in messages
/// ("layout": "cannot open layout", "layout is a FIFO, not a regular file"), and
/// `too_large_hint` is the hint for a file over the limit. Open and read failures are
/// Stage::kRead with the errno; a file that is not a regular file or is too large is
/// Stage::kManifest. Either way the location is the path. Reads at most limit + 1 bytes,
/// so a file that grows after the size check is still caught by the caller's own check.
Result<std::string> read_regular_file(const std::string& path, std::size_t limit,
                                      std::string_view what, std::string too_large_hint = {});

}  // namespace rootfsctl
