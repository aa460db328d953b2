// Hostile input: every case ends in a clean Error (exit 2 in the CLI), in bounded time
// and memory. yaml-cpp's parser recurses per nesting level and would expand aliases if
// asked to; the loader stops both early (nesting limit, anchors refused) and refuses
// oversized, non-UTF-8 and non-regular files before any parsing.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "layout/checks.h"
#include "layout/document.h"
#include "layout/loader.h"
#include "layout_test_support.h"

namespace rootfsctl::layout {
namespace {

using testing::load;
using testing::outcome;
using testing::TempDir;

// Each case must finish within two seconds of this thread's CPU time, which catches
// anything worse than linear (a billion laughs takes forever) without failing when a busy
// machine runs other tests beside it, as wall-clock time would.
// ROOTFSCTL_TEST_TIME_SCALE stretches the budget for sanitizer and debug builds.
std::chrono::nanoseconds budget() {
  const char* scale = std::getenv("ROOTFSCTL_TEST_TIME_SCALE");
  return std::chrono::seconds(2 * (scale ? std::max(1, std::atoi(scale)) : 1));
}

std::chrono::nanoseconds thread_cpu_time() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

template <typename T>
Result<T> timed(const char* what, const std::function<Result<T>()>& run) {
  const auto start = thread_cpu_time();
  Result<T> result = run();
  const auto used = thread_cpu_time() - start;
  const double ms = std::chrono::duration<double, std::milli>(used).count();
  std::printf("[ cpu time ] %-40s %8.1f ms\n", what, ms);
  EXPECT_LT(used, budget()) << what;
  return result;
}

std::string load_text(const char* what, const std::string& text) {
  return outcome(timed<Layout>(what, [&] { return load(text); }));
}

std::string load_file(const char* what, const std::string& path) {
  return outcome(timed<Layout>(what, [&] { return load_layout_file(path); }));
}

constexpr const char* kNesting = ": layout nests deeper than 64 levels (is a bracket left open?)";

// ---- Files that are not layouts ------------------------------------------------------------

TEST(HostileFileTest, Directory) {
  TempDir dir;
  EXPECT_EQ(load_file("directory", dir.path().string()),
            dir.path().string() + ": layout is a directory, not a regular file");
}

TEST(HostileFileTest, FifoDoesNotBlock) {
  TempDir dir;
  const std::string fifo = (dir.path() / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(load_file("FIFO without a writer", fifo),
            fifo + ": layout is a FIFO, not a regular file");
}

TEST(HostileFileTest, DevZero) {
  EXPECT_EQ(load_file("/dev/zero", "/dev/zero"),
            "/dev/zero: layout is a character device, not a regular file");
}

TEST(HostileFileTest, MissingFileNamesENOENT) {
  TempDir dir;
  const std::string missing = (dir.path() / "missing.yaml").string();
  auto result = load_layout_file(missing);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().stage, Stage::kRead);
  EXPECT_EQ(result.error().errno_value, ENOENT);
  EXPECT_EQ(result.error().to_string(),
            missing + ": cannot open layout: ENOENT (No such file or directory)");
}

TEST(HostileFileTest, NotADirectoryInThePath) {
  TempDir dir;
  const std::string file = dir.write("f", "x");
  EXPECT_EQ(outcome(load_layout_file(file + "/x.yaml")),
            file + "/x.yaml: cannot open layout: ENOTDIR (Not a directory)");
}

TEST(HostileFileTest, HundredMegabytesRefusedBeforeReading) {
  TempDir dir;
  const std::string big = (dir.path() / "big.yaml").string();
  {
    // Sparse: the test costs no disk space, and a loader that read it would take long.
    const int fd = ::open(big.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, 100 << 20), 0);
    ::close(fd);
  }
  EXPECT_EQ(load_file("100 MB file", big),
            big +
                ": layout is 104857600 bytes, more than the limit of 4194304 (a layout is a "
                "short text file; is this the right file? "
                "A generated layout may raise the limit with --max-layout-bytes)");
}

TEST(HostileFileTest, EmptyFile) {
  TempDir dir;
  const std::string empty = dir.write("empty.yaml", "");
  EXPECT_EQ(load_file("empty file", empty),
            empty + ":1:1: layout is empty (a layout starts with 'version: 1')");
}

TEST(HostileFileTest, ReadLayoutTextReturnsTheBytes) {
  TempDir dir;
  const std::string file = dir.write("l.yaml", "version: 1\n");
  EXPECT_EQ(read_layout_text(file).value_or("?"), "version: 1\n");
}

// ---- Text that is too large or not text ----------------------------------------------------

TEST(HostileTextTest, TooLargeRefusedBeforeParsing) {
  const std::string text(kMaxLayoutBytes + 1, '#');
  EXPECT_EQ(load_text("text above the limit", text),
            "layout.yaml: layout is 4194305 bytes, more than the limit of 4194304 (a layout is "
            "a short text file; is this the right file? "
            "A generated layout may raise the limit with --max-layout-bytes)");
}

TEST(HostileTextTest, AtTheLimitStillLoads) {
  std::string text = "version: 1\n#";
  text += std::string(kMaxLayoutBytes - text.size() - 1, 'x') + "\n";
  ASSERT_EQ(text.size(), kMaxLayoutBytes);
  EXPECT_EQ(load_text("4 MiB comment", text), "OK");
}

TEST(HostileTextTest, NonUtf8) {
  EXPECT_EQ(load_text("non-UTF-8 byte", "version: 1\nname: \"\xff\xfe\"\n"),
            "layout.yaml:2:8: invalid UTF-8 byte 0xff (layouts are UTF-8 text)");
}

TEST(HostileTextTest, NonUtf8AtTheEndOfALargeFile) {
  std::string text = "version: 1\n" + std::string(1 << 20, '#') + "\n\xc0";
  EXPECT_EQ(load_text("non-UTF-8 after 1 MiB", text),
            "layout.yaml:3:1: invalid UTF-8 byte 0xc0 (layouts are UTF-8 text)");
}

TEST(HostileTextTest, NulByte) {
  EXPECT_EQ(load_text("NUL byte", std::string("version: 1\0\n", 12)),
            "layout.yaml:1:11: NUL byte in layout (layouts are UTF-8 text)");
}

TEST(HostileTextTest, MultipleDocuments) {
  EXPECT_EQ(load_text("two documents", "version: 1\n---\nversion: 1\n"),
            "layout.yaml:2:1: more than one YAML document in a layout (a layout file holds one "
            "document; remove the '---' or split the file)");
}

TEST(HostileTextTest, TopLevelNotAMapping) {
  EXPECT_EQ(load_text("top-level list", "[1, 2]\n"),
            "layout.yaml:1:1: layout must be a mapping of keys, not a list (a layout is a "
            "mapping that starts with 'version: 1')");
}

TEST(HostileTextTest, SyntaxErrorWithExcerpt) {
  auto result = load("version: 1\nmounts:\n  - bind: /usr\n   from: /x\n");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().render(),
            "layout.yaml:4:4: YAML syntax error: end of sequence not found (check the "
            "indentation)\n"
            "     from: /x\n"
            "     ^");
}

// ---- Expansion and nesting bombs -----------------------------------------------------------

// "Billion laughs": ten levels of ten aliases each would be 10^10 nodes if expanded.
std::string alias_bomb(bool flow) {
  std::string text = "version: 1\nlol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i <= 10; ++i) {
    const std::string previous = "*lol" + std::to_string(i - 1);
    std::string items;
    for (int j = 0; j < 10; ++j) items += (j ? ", " : "") + previous;
    if (flow) {
      text += "lol" + std::to_string(i) + ": &lol" + std::to_string(i) + " [" + items + "]\n";
    } else {
      text += "lol" + std::to_string(i) + ": &lol" + std::to_string(i) + "\n";
      for (int j = 0; j < 10; ++j) text += "  - " + previous + "\n";
    }
  }
  return text;
}

TEST(HostileBombTest, BillionLaughsFlow) {
  EXPECT_EQ(load_text("alias bomb (flow)", alias_bomb(true)),
            "layout.yaml:2:7: YAML anchor '&lol0' in a layout (layouts do not use anchors and "
            "aliases; write the value out)");
}

TEST(HostileBombTest, BillionLaughsBlock) {
  EXPECT_EQ(load_text("alias bomb (block)", alias_bomb(false)),
            "layout.yaml:2:7: YAML anchor '&lol0' in a layout (layouts do not use anchors and "
            "aliases; write the value out)");
}

TEST(HostileBombTest, AnchorOnAScalarInsideMounts) {
  EXPECT_EQ(load_text("anchor in mounts", "version: 1\nmounts:\n  - bind: &u /usr\n"),
            "layout.yaml:3:11: YAML anchor '&u' in a layout (layouts do not use anchors and "
            "aliases; write the value out)");
}

TEST(HostileBombTest, HundredThousandOpenBrackets) {
  EXPECT_EQ(load_text("100000 '['", std::string(100000, '[')),
            std::string("layout.yaml:1:33") + kNesting);
}

TEST(HostileBombTest, HundredThousandBalancedBrackets) {
  EXPECT_EQ(load_text("100000 '[' and ']'",
                      "version: 1\nname: " + std::string(100000, '[') + std::string(100000, ']')),
            std::string("layout.yaml:2:70") + kNesting);
}

TEST(HostileBombTest, DeeplyNestedFlowMaps) {
  std::string text = "version: 1\nname: ";
  for (int i = 0; i < 50000; ++i) text += "{a: ";
  EXPECT_EQ(load_text("50000 '{a: '", text), std::string("layout.yaml:2:259") + kNesting);
}

TEST(HostileBombTest, DeeplyIndentedMaps) {
  std::string text = "version: 1\n";
  for (int i = 0; i < 2000; ++i) text += std::string(i, ' ') + "k:\n";
  EXPECT_EQ(load_text("2000 indented maps", text), std::string("layout.yaml:66:65") + kNesting);
}

TEST(HostileBombTest, DeeplyNestedBlockSequences) {
  std::string text = "version: 1\nmounts:\n";
  for (int i = 0; i < 5000; ++i) text += "- ";
  text += "x\n";
  EXPECT_EQ(load_text("5000 '- '", text), std::string("layout.yaml:3:127") + kNesting);
}

TEST(HostileBombTest, TooManyNodes) {
  std::string text = "version: 1\nmounts:\n";
  for (int i = 0; i < 200000; ++i) text += "- proc: /proc\n";
  EXPECT_EQ(load_text("200000 entries", text),
            "layout.yaml:50001:9: layout has more than 100000 YAML nodes (a layout is a short "
            "text file; is this the right file? "
            "A generated layout may raise the limit with --max-layout-nodes)");
}

// ---- Huge values -------------------------------------------------------------------------

TEST(HostileValueTest, FourMegabyteString) {
  const std::string text = "version: 1\ndescription: \"" + std::string(4000000, 'x') + "\"\n";
  EXPECT_EQ(load_text("4 MB string", text), "OK");
}

// The schema's patterns run through std::regex, which recurses per character; a long
// path is matched by an anchored prefix only, and must not exhaust the stack.
TEST(HostileValueTest, ThreeMegabytePath) {
  const std::string text =
      "version: 1\nmounts:\n  - tmpfs: /" + std::string(3000000, 'x') + "\n    size: 64M\n";
  EXPECT_EQ(load_text("3 MB path", text), "OK");
}

TEST(HostileValueTest, LongValuesNeverReachTheSchemaPatterns) {
  const std::string digits(1000000, '9');
  EXPECT_EQ(
      load_text("1 MB size", "version: 1\nmounts:\n  - tmpfs: /t\n    size: \"" + digits + "\"\n"),
      "layout.yaml:4:11: invalid size '" + std::string(60, '9') +
          "...' (write a byte count like 1048576, a number with k, m or g like 64M, or a "
          "percentage of memory like 50%)");
  // Implicit keys are limited to 1024 characters (YAML 1.2 §7.4.2); explicit ones are not.
  EXPECT_EQ(load_text("2000-character plain key",
                      "version: 1\nvars:\n  " + std::string(2000, 'v') + ": x\n"),
            "layout.yaml:3:2003: YAML syntax error: illegal map value (a value that contains ': ' "
            "needs quotes; otherwise check the indentation)");
  EXPECT_EQ(load_text("1 MB variable name",
                      "version: 1\nvars:\n  ? " + std::string(1000000, 'v') + "\n  : x\n"),
            "layout.yaml:3:5: invalid variable name '" + std::string(60, 'v') +
                "...' (names are letters, digits and '_', do not start with a digit, and have at "
                "most 64 characters)");
  EXPECT_EQ(load_text("1 MB sysctl name",
                      "version: 1\nsysctls:\n  ? " + std::string(1000000, 'k') + "\n  : 1\n"),
            "layout.yaml:3:5: invalid sysctl name '" + std::string(60, 'k') +
                "...' (write it as in /proc/sys, with dots: net.ipv4.ping_group_range)");
}

}  // namespace
}  // namespace rootfsctl::layout
