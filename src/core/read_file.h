// Reading a small text file that may be hostile: a directory, FIFO or device is refused
// without blocking on it, and so is anything larger than the caller's limit.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/unique_fd.h"

namespace rootfsctl {

/// What a file of type `mode` is, for messages: "a FIFO", "a directory", "a socket", ...
std::string_view describe_file_type(mode_t mode);

/// A regular file open read-only, and its size when it was opened.
struct RegularFile {
  UniqueFd fd;
  std::uintmax_t size = 0;
};

/// Opens `path` read-only if it is a regular file, without ever blocking on one that is
/// not (a FIFO without a writer, a device): "mountinfo is a FIFO, not a regular file",
/// Stage::kRead without an errno, refused before a byte is read. Open and stat failures
/// are Stage::kRead with the errno. The location is the path. `what` names the file
/// in messages, as for read_regular_file.
Result<RegularFile> open_regular_file(const std::string& path, std::string_view what);

/// Reads `path`, a regular file of at most `limit` bytes. `what` names it in messages
/// ("layout": "cannot open layout", "layout is a FIFO, not a regular file"), and
/// `too_large_hint` is the hint for a file over the limit. Open and read failures are
/// Stage::kRead with the errno, a file that is not a regular file Stage::kRead without one
/// (see open_regular_file), and one that is too large Stage::kManifest. Either way the
/// location is the path. Reads at most limit + 1 bytes,
/// so a file that grows after the size check is still caught by the caller's own check.
Result<std::string> read_regular_file(const std::string& path, std::size_t limit,
                                      std::string_view what, std::string too_large_hint = {});

/// read_regular_file, but a pipe is read too: an anonymous one (what `-` as /dev/stdin,
/// `<(...)` as /dev/fd/N and `cmd |` give), read to end-of-file as read_stream does. A
/// named FIFO is still refused without blocking (a writer may never come), and so are
/// directories, devices and sockets. For inputs the user names outside any target's
/// tree: a layout.
Result<std::string> read_file_or_pipe(const std::string& path, std::size_t limit,
                                      std::string_view what, std::string too_large_hint = {});

/// Reads `fd` (a pipe, say: standard input) to end-of-file, refusing input of more than
/// `limit` bytes as soon as that many have arrived, so the memory held stays bounded
/// whatever the writer sends. `name` is the location in messages ("stdin") and `what`
/// names the input ("container state is larger than 1 MiB"). Read failures are
/// Stage::kRead with the errno; input over the limit is Stage::kRead with EFBIG.
Result<std::string> read_stream(int fd, const std::string& name, std::size_t limit,
                                std::string_view what, std::string too_large_hint = {});

}  // namespace rootfsctl
