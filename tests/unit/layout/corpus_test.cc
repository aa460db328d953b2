// The corpora under tests/data: every file in invalid/ fails with exactly the message its
// first line announces (`# expect: LINE:COL: MESSAGE (HINT)`, Error::to_string without the
// file name), and every file in valid/ and manifests/ loads. The CLI's end-to-end test
// reads the same `# expect:` lines, so their format is a contract.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "layout/loader.h"
#include "layout_test_support.h"

namespace rootfsctl::layout {
namespace {

namespace fs = std::filesystem;
using testing::outcome;
using testing::source_dir;

std::vector<fs::path> yaml_files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string expectation(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string first;
  std::getline(in, first);
  constexpr std::string_view kPrefix = "# expect: ";
  return first.starts_with(kPrefix) ? first.substr(kPrefix.size()) : "";
}

TEST(InvalidCorpusTest, EveryFileFailsWithItsExpectedMessage) {
  const auto files = yaml_files(source_dir() / "tests/data/invalid");
  EXPECT_GE(files.size(), 25u);
  for (const auto& file : files) {
    const std::string expected = expectation(file);
    ASSERT_FALSE(expected.empty()) << file << " has no '# expect: ' first line";
    auto result = load_layout_file(file.string());
    ASSERT_FALSE(result) << file << " loaded";
    EXPECT_EQ(result.error().stage, Stage::kManifest) << file;
    EXPECT_EQ(result.error().to_string(), file.string() + ":" + expected);
    // The CLI prints render(); its first line is what the e2e test compares.
    const std::string rendered = result.error().render();
    EXPECT_EQ(rendered.substr(0, rendered.find('\n')), file.string() + ":" + expected);
  }
}

TEST(ValidCorpusTest, EveryValidFileLoads) {
  const auto files = yaml_files(source_dir() / "tests/data/valid");
  EXPECT_GE(files.size(), 3u);
  for (const auto& file : files) {
    EXPECT_EQ(outcome(load_layout_file(file.string())), "OK") << file;
  }
}

TEST(ValidCorpusTest, ValidFilesExerciseEveryKind) {
  std::vector<bool> seen(12, false);
  for (const auto& file : yaml_files(source_dir() / "tests/data/valid")) {
    auto result = load_layout_file(file.string());
    ASSERT_TRUE(result) << outcome(result);
    for (const auto& entry : result->mounts) seen[static_cast<std::size_t>(entry.kind)] = true;
  }
  for (std::size_t kind = 0; kind < seen.size(); ++kind) {
    EXPECT_TRUE(seen[kind]) << kind_name(static_cast<EntryKind>(kind));
  }
}

TEST(ManifestsTest, EveryBundledLayoutLoads) {
  const auto files = yaml_files(source_dir() / "manifests");
  EXPECT_GE(files.size(), 4u);
  for (const auto& file : files) {
    auto result = load_layout_file(file.string());
    ASSERT_EQ(outcome(result), "OK") << file;
    EXPECT_EQ(result->name, file.stem().string()) << "a profile is found by its file name";
  }
}

TEST(ManifestsTest, SandboxAsDesigned) {
  auto result = load_layout_file((source_dir() / "manifests/sandbox.yaml").string());
  ASSERT_TRUE(result) << outcome(result);
  ASSERT_TRUE(result->root);
  EXPECT_EQ(result->root->kind, RootKind::kTmpfs);
  EXPECT_EQ(result->root->size, "64M");
  EXPECT_EQ(result->root->mode, 0755u);
  const Entry& usr = result->mounts.front();
  EXPECT_EQ(usr.kind, EntryKind::kBind);
  EXPECT_EQ(usr.target, "/usr");
  EXPECT_EQ(usr.from, "/usr");
  EXPECT_EQ(usr.readonly, true);
  EXPECT_EQ(usr.origin.line, 13);
}

TEST(ManifestsTest, ImageRootFollowsSet) {
  LoadOptions options;
  options.set_vars = {{"rootfs", "/var/lib/images/debian"}};
  auto result = load_layout_file((source_dir() / "manifests/image.yaml").string(), options);
  ASSERT_TRUE(result) << outcome(result);
  EXPECT_EQ(result->root->kind, RootKind::kBind);
  EXPECT_EQ(result->root->from, "/var/lib/images/debian");
  EXPECT_EQ(result->description,
            "Root from the image directory /var/lib/images/debian, read-only, with private "
            "/proc, /dev and /tmp.");
}

}  // namespace
}  // namespace rootfsctl::layout
