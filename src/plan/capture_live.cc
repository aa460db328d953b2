#include "plan/capture_live.h"

#include "layout/loader.h"
#include "layout/writer.h"
#include "mountinfo/mountinfo.h"

namespace rootfsctl::plan {

Result<LiveCapture> capture_process(pid_t pid, const std::string& label) {
  // 1. The two tables: the target's (paths relative to its root) and ours (sources).
  auto target = mountinfo::read_live_table(pid);
  if (!target) return std::unexpected(target.error().wrap(label));
  auto caller = mountinfo::read_live_table(0);
  if (!caller) return std::unexpected(caller.error().wrap("this process"));
  // 2. Capture, telling devices from other bind sources by looking in our own tree; what is
  // on its tmpfs mounts is read in the target's tree, never following a link (openat2 in
  // its root, files opened O_NOFOLLOW beneath their directory).
  HostProbe probe("/");
  HostProbe in_target("/proc/" + std::to_string(pid) + "/root");
  CaptureOptions options{
      label, [&](std::string_view path) { return probe.stat(path).type; },
      [&](std::string_view mount_path) { return in_target.tree_on(mount_path); }};
  auto capture = capture_layout(*target, *caller, options);
  if (!capture) return std::unexpected(capture.error().wrap(label));
  // 3. Write it, and check that it loads back.
  LiveCapture out;
  out.text = layout::write_layout(capture->layout, {capture->header, capture->comments});
  if (auto loaded = layout::load_layout(out.text, "captured.yaml"); !loaded) {
    return std::unexpected(loaded.error().wrap("internal: the captured layout does not load"));
  }
  for (const auto& [index, lines] : capture->comments) {
    out.comments.insert(out.comments.end(), lines.begin(), lines.end());
  }
  out.capture = std::move(*capture);
  return out;
}

}  // namespace rootfsctl::plan
