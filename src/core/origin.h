// Provenance of planned ops: the layout file and line of the entry that produced an op,
// or "implicit" with the reason the planner added it.
#pragma once

#include <string>

namespace rootfsctl {

struct Origin {
  std::string file;  // empty for implicit ops
  int line = 0;
  int column = 0;
  std::string reason;  // set for implicit ops: "mount point for /dev/pts"

  static Origin implicit(std::string why) { return Origin{{}, 0, 0, std::move(why)}; }
  bool is_implicit() const { return file.empty(); }
  bool operator==(const Origin&) const = default;
  /// "layout.yaml:12" or "implicit: mount point for /dev/pts".
  std::string to_string() const;
};

}  // namespace rootfsctl
