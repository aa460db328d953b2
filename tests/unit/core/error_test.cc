#include "core/error.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>

#include "core/origin.h"

namespace rootfsctl {
namespace {

TEST(LocationTest, PrintsWhatIsKnown) {
  EXPECT_EQ((Location{"a.yaml", 4, 5}).to_string(), "a.yaml:4:5");
  EXPECT_EQ((Location{"a.yaml", 4, 0}).to_string(), "a.yaml:4");
  EXPECT_EQ((Location{"a.yaml", 0, 0}).to_string(), "a.yaml");
}

TEST(ErrorTest, ManifestErrorPrintsLocationMessageAndHint) {
  Error error = make_manifest_error(Location{"layout.yaml", 4, 5}, "unknown key 'redonly'",
                                    "did you mean 'readonly'?");
  EXPECT_EQ(error.stage, Stage::kManifest);
  EXPECT_EQ(error.to_string(), "layout.yaml:4:5: unknown key 'redonly' (did you mean 'readonly'?)");
}

TEST(ErrorTest, ErrnoIsNamedAndExplained) {
  Error error = make_error(Stage::kMount, "mount /proc", ENOENT);
  EXPECT_EQ(error.to_string(), "mount /proc: ENOENT (No such file or directory)");
}

TEST(ErrorTest, ContextIsPrintedOutermostFirst) {
  Error error = make_error(Stage::kMount, "bind /usr -> /usr", EPERM);
  error.wrap("op 7/12").wrap("apply sandbox.yaml");
  EXPECT_EQ(error.to_string(),
            "apply sandbox.yaml: op 7/12: bind /usr -> /usr: EPERM (Operation not permitted)");
}

TEST(ErrorTest, RenderPutsTheCaretUnderTheColumn) {
  Error error = make_manifest_error(Location{"layout.yaml", 4, 5}, "unknown key 'redonly'",
                                    "did you mean 'readonly'?");
  error.excerpt = "    redonly: true";
  EXPECT_EQ(error.render(),
            "layout.yaml:4:5: unknown key 'redonly' (did you mean 'readonly'?)\n"
            "      redonly: true\n"
            "      ^");
}

TEST(ErrorTest, RenderKeepsTabsSoTheCaretLinesUp) {
  Error error = make_manifest_error(Location{"l.yaml", 2, 3}, "tab character in indentation");
  error.excerpt = "\t x: 1";
  EXPECT_EQ(error.render(), "l.yaml:2:3: tab character in indentation\n  \t x: 1\n  \t ^");
}

TEST(ErrorTest, RenderWithoutExcerptIsOneLine) {
  Error error = make_manifest_error(Location{"l.yaml", 2, 3}, "oops");
  EXPECT_EQ(error.render(), error.to_string());
}

TEST(StageTest, NamesAreStable) {
  EXPECT_EQ(stage_name(Stage::kManifest), "manifest");
  EXPECT_EQ(stage_name(Stage::kOpenNs), "open_ns");
  EXPECT_EQ(stage_name(Stage::kPivotRoot), "pivot_root");
  EXPECT_EQ(stage_name(Stage::kRead), "read");
}

TEST(ErrnoNameTest, NamesKnownValuesAndSpellsUnknownOnes) {
  EXPECT_EQ(errno_name(EPERM), "EPERM");
  EXPECT_EQ(errno_name(ENOENT), "ENOENT");
  EXPECT_EQ(errno_name(EOVERFLOW), "EOVERFLOW");
  EXPECT_EQ(errno_name(4095), "E4095");
}

TEST(ErrnoNameTest, ParsesNamesAndNumbers) {
  EXPECT_EQ(errno_from_name("EIO"), EIO);
  EXPECT_EQ(errno_from_name("EBUSY"), EBUSY);
  EXPECT_EQ(errno_from_name("5"), 5);
  EXPECT_EQ(errno_from_name("EWHATEVER"), -1);
  EXPECT_EQ(errno_from_name("0"), -1);
  EXPECT_EQ(errno_from_name("-3"), -1);
  EXPECT_EQ(errno_from_name("5x"), -1);
  EXPECT_EQ(errno_from_name(""), -1);
}

TEST(ErrnoNameTest, RoundTrips) {
  for (int value : {EPERM, ENOENT, EIO, EBUSY, EINVAL, ENOSYS, ELOOP, EROFS}) {
    EXPECT_EQ(errno_from_name(errno_name(value)), value);
  }
}

TEST(OriginTest, PrintsFileAndLineOrTheReason) {
  EXPECT_EQ((Origin{"sandbox.yaml", 12, 5, {}}).to_string(), "sandbox.yaml:12");
  const Origin implicit = Origin::implicit("mount point for /dev/pts");
  EXPECT_TRUE(implicit.is_implicit());
  EXPECT_EQ(implicit.to_string(), "implicit: mount point for /dev/pts");
}

TEST(ErrnoAdviceTest, SaysWhatToDoForErrorsAUserCanActOn) {
  // "Run as root" is advice for others only; root is told what else refuses it.
  const bool root = ::geteuid() == 0;
  EXPECT_EQ(errno_advice(Stage::kSetns, EPERM).find("CAP_SYS_ADMIN") != std::string_view::npos,
            !root);
  EXPECT_EQ(errno_advice(Stage::kMount, EPERM).find("run as root") != std::string_view::npos,
            !root);
  EXPECT_EQ(errno_advice(Stage::kMount, EPERM).find("even as root") != std::string_view::npos,
            root);
  EXPECT_EQ(errno_advice(Stage::kOpenNs, EACCES).find("run as root") != std::string_view::npos,
            !root);
  EXPECT_NE(errno_advice(Stage::kOpenNs, ESRCH).find("gone"), std::string_view::npos);
  EXPECT_NE(errno_advice(Stage::kPivotRoot, EINVAL).find("mount namespace of its own"),
            std::string_view::npos);
  EXPECT_NE(errno_advice(Stage::kUmount, EBUSY).find("in use"), std::string_view::npos);
  EXPECT_NE(errno_advice(Stage::kMount, ENODEV).find("/proc/filesystems"), std::string_view::npos);
  // Nothing better to say than the message: no advice rather than a vague one.
  EXPECT_EQ(errno_advice(Stage::kMount, EINVAL), "");
  EXPECT_EQ(errno_advice(Stage::kMount, EIO), "");
  EXPECT_EQ(errno_advice(Stage::kMount, 0), "");
  // A missing layout or table file is named by its message; mount advice would mislead.
  EXPECT_EQ(errno_advice(Stage::kRead, ENOENT), "");
  EXPECT_EQ(errno_advice(Stage::kParse, EINVAL), "");
}

}  // namespace
}  // namespace rootfsctl
