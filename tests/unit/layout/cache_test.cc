// The compiled-layouts cache: encoding round trips for every layout of the tree, entries
// that are truncated, corrupt, foreign or not the caller's are never used, and a hit
// gives the very layout a miss does.
#include "layout/cache.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/build_id.h"
#include "core/sha256.h"
#include "core/utf8.h"
#include "layout/compiled.h"
#include "layout/profiles.h"
#include "layout_test_support.h"

namespace rootfsctl::layout {
namespace {

namespace fs = std::filesystem;
using testing::source_dir;
using testing::TempDir;

TEST(Sha256, KnownAnswers) {
  EXPECT_EQ(to_hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Two blocks, the padding in the second.
  EXPECT_EQ(to_hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(to_hex(sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(BuildId, TheTestBinaryHasOne) {
  // The build links with --build-id; without one nothing would ever be cached.
  EXPECT_GE(build_id().size(), 8u);
}

/// Every layout file of the tree that loads, resolved as plan would.
std::vector<CompiledLayout> every_layout() {
  std::vector<CompiledLayout> out;
  for (const char* dir : {"manifests", "tests/data/valid", "tests/data/semantic",
                          "tests/data/profiles", "tests/data/live"}) {
    for (const auto& item : fs::directory_iterator(source_dir() / dir)) {
      if (item.path().extension() != ".yaml") continue;
      const std::string path = item.path().string();
      auto text = read_layout_text(path);
      if (!text) continue;
      CompiledLayout compiled;
      auto resolved = resolve_profile_text(path, *text, {}, &compiled.inputs);
      if (!resolved) continue;
      compiled.layout = std::move(resolved->layout);
      out.push_back(std::move(compiled));
    }
  }
  return out;
}

TEST(Compiled, EveryLayoutRoundTrips) {
  const auto layouts = every_layout();
  ASSERT_GE(layouts.size(), 15u);
  for (const auto& compiled : layouts) {
    auto decoded = decode_compiled(encode_compiled(compiled));
    ASSERT_TRUE(decoded.has_value()) << compiled.layout.source;
    EXPECT_TRUE(*decoded == compiled) << compiled.layout.source;
  }
}

TEST(Compiled, TruncatedOrCorruptBytesAreRefused) {
  const auto layouts = every_layout();
  ASSERT_FALSE(layouts.empty());
  const std::string bytes = encode_compiled(layouts.back());
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_FALSE(decode_compiled(std::string_view(bytes).substr(0, size))) << size;
  }
  EXPECT_FALSE(decode_compiled(bytes + "x"));
  // A flipped byte decodes to something or nothing, but never reads out of bounds (the
  // sanitizer builds check) nor allocates without bound.
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string flipped = bytes;
    flipped[i] = static_cast<char>(~flipped[i]);
    (void)decode_compiled(flipped);
  }
}

/// A cache directory of its own for each test, through ROOTFSCTL_CACHE_DIR.
class CacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_ = (dir_.path() / "cache").string();
    ::setenv("ROOTFSCTL_CACHE_DIR", cache_.c_str(), 1);
    ::unsetenv("ROOTFSCTL_NO_CACHE");
  }
  void TearDown() override { ::unsetenv("ROOTFSCTL_CACHE_DIR"); }

  Result<Layout> load(const std::string& path, CacheOutcome& outcome,
                      const LoadOptions& options = {}) {
    return load_profile_cached(path, options, true, &outcome);
  }

  /// The single entry file in the cache.
  fs::path entry() const {
    std::vector<fs::path> entries;
    for (const auto& item : fs::directory_iterator(cache_)) entries.push_back(item.path());
    EXPECT_EQ(entries.size(), 1u);
    return entries.empty() ? fs::path() : entries.front();
  }

  static std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  TempDir dir_;
  std::string cache_;
};

constexpr std::string_view kParent = "version: 1\nname: parent\nmounts:\n  - tmpfs: /tmp\n";
constexpr std::string_view kChild =
    "version: 1\nextends: [./parent.yaml]\nvars: {d: /data}\nmounts:\n  - dir: ${d}\n";

TEST_F(CacheTest, MissThenHitGiveTheSameLayout) {
  dir_.write("parent.yaml", kParent);
  const std::string child = dir_.write("child.yaml", kChild);
  CacheOutcome outcome{};
  auto cold = load(child, outcome);
  ASSERT_TRUE(cold) << testing::outcome(cold);
  EXPECT_EQ(outcome, CacheOutcome::kMiss);
  auto warm = load(child, outcome);
  ASSERT_TRUE(warm);
  EXPECT_EQ(outcome, CacheOutcome::kHit);
  EXPECT_EQ(*warm, *cold);
  EXPECT_EQ(*warm, load_profile(child).value());
  struct stat st {};
  ASSERT_EQ(::stat(cache_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(entry().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 077, 0u);
}

TEST_F(CacheTest, EveryInputIsPartOfTheKey) {
  dir_.write("parent.yaml", kParent);
  const std::string child = dir_.write("child.yaml", kChild);
  CacheOutcome outcome{};
  ASSERT_TRUE(load(child, outcome));
  // --set values, command-line entries and limits each make another entry.
  ASSERT_TRUE(load(child, outcome, LoadOptions{{{"d", "/other"}}, {}, {}}));
  EXPECT_EQ(outcome, CacheOutcome::kMiss);
  ASSERT_TRUE(load(child, outcome, LoadOptions{{}, {{"tmpfs", {"/run"}}}, {}}));
  EXPECT_EQ(outcome, CacheOutcome::kMiss);
  ASSERT_TRUE(load(child, outcome, LoadOptions{{}, {}, {kMaxLayoutBytes, 500}}));
  EXPECT_EQ(outcome, CacheOutcome::kMiss);
  ASSERT_TRUE(load(child, outcome, LoadOptions{{{"d", "/other"}}, {}, {}}));
  EXPECT_EQ(outcome, CacheOutcome::kHit);
  EXPECT_EQ(cache_stats().entries, 4u);
}

TEST_F(CacheTest, AChangedParentIsAMiss) {
  const std::string parent = dir_.write("parent.yaml", kParent);
  const std::string child = dir_.write("child.yaml", kChild);
  CacheOutcome outcome{};
  ASSERT_TRUE(load(child, outcome));
  // Same size, other bytes, same inode: only the digest can tell.
  std::string changed(kParent);
  changed.replace(changed.find("/tmp"), 4, "/run");
  std::ofstream(parent, std::ios::binary | std::ios::in) << changed;
  auto layout = load(child, outcome);
  ASSERT_TRUE(layout);
  EXPECT_EQ(outcome, CacheOutcome::kMiss);
  EXPECT_EQ(layout->mounts.front().target, "/run");
  ASSERT_TRUE(load(child, outcome));
  EXPECT_EQ(outcome, CacheOutcome::kHit);
}

TEST_F(CacheTest, ANewProfileEarlierOnTheSearchPathIsAMiss) {
  const TempDir first;
  const TempDir second;
  second.write("base.yaml", kParent);
  const std::string child =
      dir_.write("child.yaml", "version: 1\nextends: [base]\nmounts:\n  - dir: /data\n");
  ::setenv("ROOTFSCTL_PATH", (first.path().string() + ":" + second.path().string()).c_str(), 1);
  CacheOutcome outcome{};
  ASSERT_TRUE(load(child, outcome));
  first.write("base.yaml", "version: 1\nmounts:\n  - tmpfs: /srv\n");
  auto layout = load(child, outcome);
  ::unsetenv("ROOTFSCTL_PATH");
  ASSERT_TRUE(layout) << testing::outcome(layout);
  EXPECT_EQ(outcome, CacheOutcome::kMiss);
  EXPECT_EQ(layout->mounts.front().target, "/srv");
}

TEST_F(CacheTest, BrokenEntriesAreIgnoredAndRebuilt) {
  const std::string layout_file = dir_.write("l.yaml", kParent);
  CacheOutcome outcome{};
  ASSERT_TRUE(load(layout_file, outcome));
  const fs::path file = entry();
  const std::string good = read(file);
  const std::string foreign_key(32, 'x');
  for (const std::string& broken :
       {std::string(), good.substr(0, good.size() / 2), good.substr(0, good.size() - 1),
        good + "trailing", foreign_key + good.substr(32), std::string(good.size(), '\0')}) {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << broken;
    auto layout = load(layout_file, outcome);
    ASSERT_TRUE(layout);
    EXPECT_EQ(outcome, CacheOutcome::kMiss);
    EXPECT_EQ(*layout, load_profile(layout_file).value());
    EXPECT_EQ(read(file), good) << "rebuilt";
  }
  // A payload whose digest matches but which does not decode is refused too.
  std::string flipped = good;
  flipped.back() = static_cast<char>(~flipped.back());
  std::ofstream(file, std::ios::binary | std::ios::trunc) << flipped;
  ASSERT_TRUE(load(layout_file, outcome));
  EXPECT_EQ(outcome, CacheOutcome::kMiss);
}

TEST_F(CacheTest, ASymlinkedEntryIsNeverFollowed) {
  const std::string layout_file = dir_.write("l.yaml", kParent);
  CacheOutcome outcome{};
  ASSERT_TRUE(load(layout_file, outcome));
  const fs::path file = entry();
  const std::string victim = dir_.write("victim", "keep");
  fs::rename(file, dir_.path() / "moved");
  fs::create_symlink(dir_.path() / "moved", file);
  ASSERT_TRUE(load(layout_file, outcome));
  EXPECT_EQ(outcome, CacheOutcome::kMiss);
  EXPECT_FALSE(fs::is_symlink(file)) << "replaced by a regular file";
  EXPECT_EQ(read(victim), "keep");
}

TEST_F(CacheTest, ADirectoryOthersCanWriteIsNotUsed) {
  const std::string layout_file = dir_.write("l.yaml", kParent);
  ASSERT_EQ(::mkdir(cache_.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(cache_.c_str(), 0777), 0);
  CacheOutcome outcome{};
  ASSERT_TRUE(load(layout_file, outcome));
  EXPECT_EQ(outcome, CacheOutcome::kOff);
  EXPECT_TRUE(fs::is_empty(cache_));
  EXPECT_EQ(cache_stats().problem, "writable by group or others");
  EXPECT_FALSE(clear_cache());
}

TEST_F(CacheTest, NoDirectoryYetIsNoProblemButASymlinkInItsPlaceIs) {
  ASSERT_FALSE(fs::exists(cache_));
  CacheStats stats = cache_stats();
  EXPECT_FALSE(stats.exists);
  EXPECT_EQ(stats.problem, "");
  EXPECT_EQ(clear_cache().value_or(99), 0u);
  // The directory's name, one lookup: a symlink there (dangling or not) is refused, not
  // reported as missing, and never followed.
  fs::create_directory(dir_.path() / "elsewhere");
  fs::create_symlink(dir_.path() / "elsewhere", cache_);
  stats = cache_stats();
  EXPECT_TRUE(stats.exists);
  EXPECT_NE(stats.problem, "");
  EXPECT_FALSE(clear_cache());
  fs::remove(cache_);
  fs::create_symlink(dir_.path() / "nowhere", cache_);
  EXPECT_TRUE(cache_stats().exists);
  EXPECT_FALSE(clear_cache());
}

TEST_F(CacheTest, AGroupWritableEntryIsNotUsed) {
  const std::string layout_file = dir_.write("l.yaml", kParent);
  CacheOutcome outcome{};
  ASSERT_TRUE(load(layout_file, outcome));
  ASSERT_EQ(::chmod(entry().c_str(), 0660), 0);
  ASSERT_TRUE(load(layout_file, outcome));
  EXPECT_EQ(outcome, CacheOutcome::kMiss);
}

TEST_F(CacheTest, AnEntryOfAnotherOwnerIsNotUsed) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the entry away";
  const std::string layout_file = dir_.write("l.yaml", kParent);
  CacheOutcome outcome{};
  ASSERT_TRUE(load(layout_file, outcome));
  ASSERT_EQ(::chown(entry().c_str(), 65534, 65534), 0);
  ASSERT_TRUE(load(layout_file, outcome));
  EXPECT_EQ(outcome, CacheOutcome::kMiss);
  ASSERT_EQ(::chown(cache_.c_str(), 65534, 65534), 0);
  ASSERT_TRUE(load(layout_file, outcome));
  EXPECT_EQ(outcome, CacheOutcome::kOff);
}

TEST_F(CacheTest, ErrorsAreNotCachedAndOffMeansOff) {
  const std::string bad = dir_.write("bad.yaml", "version: 1\nmounts:\n  - tmpfs: relative\n");
  CacheOutcome outcome{};
  auto first = load(bad, outcome);
  ASSERT_FALSE(first);
  EXPECT_FALSE(fs::exists(cache_) && !fs::is_empty(cache_));
  const std::string good = dir_.write("l.yaml", kParent);
  ::setenv("ROOTFSCTL_NO_CACHE", "1", 1);
  ASSERT_TRUE(load(good, outcome));
  ::unsetenv("ROOTFSCTL_NO_CACHE");
  EXPECT_EQ(outcome, CacheOutcome::kOff);
  ASSERT_TRUE(load_profile_cached(good, {}, false, &outcome));
  EXPECT_EQ(outcome, CacheOutcome::kOff);
  EXPECT_EQ(cache_stats().entries, 0u);
  ASSERT_TRUE(load(good, outcome));
  EXPECT_EQ(cache_stats().entries, 1u);
  EXPECT_EQ(clear_cache().value_or(0), 1u);
  EXPECT_EQ(cache_stats().entries, 0u);
}

}  // namespace
}  // namespace rootfsctl::layout
