// Shared helpers for the layout tests: where the source tree is, how a load result reads
// in an assertion, and a temporary directory for files the tests create.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "layout/loader.h"

namespace rootfsctl::layout::testing {

/// The source tree (tests get ROOTFSCTL_SOURCE_DIR from CMake).
inline std::filesystem::path source_dir() { return ROOTFSCTL_SOURCE_DIR; }

/// "OK" or the error as Error::to_string prints it, so a failing assertion shows the
/// message.
template <typename T>
std::string outcome(const Result<T>& result) {
  return result ? "OK" : result.error().to_string();
}

/// Loads inline text as "layout.yaml".
inline Result<Layout> load(std::string_view text, const LoadOptions& options = {}) {
  return load_layout(text, "layout.yaml", options);
}

/// A directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "rootfsctl-test-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  const std::filesystem::path& path() const { return path_; }

  /// Writes `content` to `name` in the directory and returns its path.
  std::string write(const std::string& name, std::string_view content) const {
    const auto file = path_ / name;
    std::ofstream(file, std::ios::binary) << content;
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace rootfsctl::layout::testing
