// Writing a file at a path the user named, where something else may already be: a FIFO
// or device is never opened (it could block, or be written to), a symlink never followed.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace rootfsctl {

/// Makes `path` a regular file holding `contents`: written to a new temporary file
/// beside it (O_CREAT|O_EXCL, mode 0644 less the umask), synced, and renamed over
/// `path`. `what` names the file in messages ("output": "output is a FIFO, not a regular
/// file"). An existing regular file is replaced (its hard links keep the old content,
/// its mode and owner are not carried over); anything else there, a symlink included,
/// is refused as Stage::kUsage and left alone. Failures to create, write or rename are
/// Stage::kRead with the errno, and leave `path` as it was. The location is the path.
Result<void> replace_file(const std::string& path, std::string_view contents,
                          std::string_view what);

/// Writes all of `contents` to `fd`, past short writes and EINTR; false on an error (errno
/// says which) or a write that makes no progress.
bool write_fully(int fd, std::string_view contents);

}  // namespace rootfsctl
