// Capture of a live process, as `rootfsctl capture` and the C library's rootfsctl_capture
// both do it: the two tables, the capture, and the check that it loads back.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "plan/capture.h"

namespace rootfsctl::plan {

struct LiveCapture {
  Capture capture;
  std::string text;                   // the layout as written (what `capture` prints)
  std::vector<std::string> comments;  // every comment line, in order (for JSON)
};

/// Process `pid`'s tree as a layout named after `label` ("pid 4242"): its table and
/// rootfsctl's own (for bind sources), devices told apart in rootfsctl's tree, what is
/// on its tmpfs mounts read in its tree without following a link (HostProbe::tree_on).
/// The text must load back: a capture that does not replay is an internal error.
Result<LiveCapture> capture_process(pid_t pid, const std::string& label);

}  // namespace rootfsctl::plan
