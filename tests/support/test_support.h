// Fixtures shared by the unit tests: inline layouts and mount tables, and a filesystem
// probe answering from a table instead of the disk.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "layout/loader.h"
#include "mountinfo/mountinfo.h"
#include "plan/diagnostic.h"
#include "plan/op.h"
#include "plan/probe.h"

namespace rootfsctl::testing {

/// Loads inline YAML as "layout.yaml"; a load error fails the test and gives an empty
/// layout.
inline layout::Layout load(std::string_view yaml, const layout::LoadOptions& options = {}) {
  auto result = layout::load_layout(yaml, "layout.yaml", options);
  if (!result) {
    ADD_FAILURE() << result.error().render();
    return {};
  }
  return *result;
}

/// Parses inline mountinfo text; a parse error fails the test.
inline mountinfo::MountTable table(std::string_view text) {
  auto result = mountinfo::parse_mountinfo(text);
  if (!result) {
    ADD_FAILURE() << result.error().to_string();
    return {};
  }
  return std::move(*result);
}

/// A probe answering from a map of path -> type; symlinks map to where they point (for
/// stat). Unlisted paths are missing.
class FakeProbe final : public plan::FsProbe {
 public:
  FakeProbe& add(std::string p, plan::FileType type, dev_t rdev = 0) {
    files_[std::move(p)] = {type, rdev};
    return *this;
  }
  /// Owner and permission bits of `p`, added before (a directory unless added).
  FakeProbe& owned(const std::string& p, uid_t uid, gid_t gid, mode_t mode) {
    auto& info = files_[p];
    if (info.type == plan::FileType::kUnknown) info.type = plan::FileType::kDirectory;
    info.uid = uid;
    info.gid = gid;
    info.mode = mode;
    return *this;
  }
  FakeProbe& link(std::string p, std::string to) {
    links_[p] = std::move(to);
    return add(std::move(p), plan::FileType::kSymlink);
  }
  plan::FileInfo lstat(std::string_view p) const override {
    auto it = files_.find(std::string(p));
    return it == files_.end() ? plan::FileInfo{plan::FileType::kMissing} : it->second;
  }
  plan::FileInfo stat(std::string_view p) const override {
    auto link = links_.find(std::string(p));
    return link == links_.end() ? lstat(p) : lstat(link->second);
  }
  /// fs_type of `p` (what it leads to, symlinks followed) answers `magic`.
  FakeProbe& filesystem(std::string p, std::uint64_t magic) {
    magics_[std::move(p)] = magic;
    return *this;
  }
  std::optional<std::uint64_t> fs_type(std::string_view p) const override {
    auto it = magics_.find(std::string(p));
    if (it == magics_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::string, plan::FileInfo> files_;
  std::map<std::string, std::string> links_;
  std::map<std::string, std::uint64_t> magics_;
};

/// The plan as one Op::to_string() line per op, for whole-plan comparisons.
inline std::vector<std::string> op_lines(const plan::Plan& plan) {
  std::vector<std::string> lines;
  for (const auto& op : plan.ops) lines.push_back(op.to_string());
  return lines;
}

/// "code: message" of each diagnostic with the given code.
inline std::vector<std::string> with_code(const std::vector<plan::Diagnostic>& diagnostics,
                                          std::string_view code) {
  std::vector<std::string> out;
  for (const auto& d : diagnostics) {
    if (d.code == code)
      out.push_back(std::string(plan::severity_name(d.severity)) + ": " + d.message);
  }
  return out;
}

/// Path of a file in the source tree.
inline std::string source_path(std::string_view rel) {
  return std::string(ROOTFSCTL_SOURCE_DIR) + "/" + std::string(rel);
}

}  // namespace rootfsctl::testing
