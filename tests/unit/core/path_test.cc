#include "core/path.h"

#include <gtest/gtest.h>

#include <string>

namespace rootfsctl::path {
namespace {

TEST(CheckNormalizedTest, AcceptsNormalisedAbsolutePaths) {
  for (const char* p : {"/", "/usr", "/usr/lib", "/a/b/c", "/.hidden", "/a/..b", "/a/b.",
                        "/with space", "/caf\xc3\xa9"}) {
    EXPECT_EQ(check_normalized(p), std::nullopt) << p;
  }
}

TEST(CheckNormalizedTest, NamesTheProblemAndTheFix) {
  EXPECT_EQ(check_normalized(""), "path is empty");
  EXPECT_EQ(check_normalized("usr/lib"), "path 'usr/lib' is not absolute (write '/usr/lib')");
  EXPECT_EQ(check_normalized("./x"), "path './x' is not absolute (write '/x')");
  EXPECT_EQ(check_normalized("/usr/"), "path '/usr/' has a trailing '/' (write '/usr')");
  EXPECT_EQ(check_normalized("/usr//lib"), "path '/usr//lib' contains '//' (write '/usr/lib')");
  EXPECT_EQ(check_normalized("//"), "path '//' has a trailing '/' (write '/')");
  EXPECT_EQ(check_normalized("/usr/../etc"), "path '/usr/../etc' contains '..' (write '/etc')");
  EXPECT_EQ(check_normalized("/.."), "path '/..' contains '..' (write '/')");
  EXPECT_EQ(check_normalized("/a/./b"), "path '/a/./b' contains '.' (write '/a/b')");
  EXPECT_EQ(check_normalized("/a/."), "path '/a/.' contains '.' (write '/a')");
}

TEST(CheckNormalizedTest, RefusesNulBytes) {
  EXPECT_EQ(check_normalized(std::string("/a\0b", 4)), "path contains a NUL byte");
}

TEST(IsUnderTest, ComparesWholeComponents) {
  EXPECT_TRUE(is_under("/usr/lib", "/usr"));
  EXPECT_TRUE(is_under("/usr", "/usr"));
  EXPECT_FALSE(is_under("/usrx", "/usr"));
  EXPECT_FALSE(is_under("/us", "/usr"));
  EXPECT_TRUE(is_under("/anything", "/"));
  EXPECT_TRUE(is_under("/", "/"));
  EXPECT_FALSE(is_strictly_under("/usr", "/usr"));
  EXPECT_TRUE(is_strictly_under("/usr/lib", "/usr"));
  EXPECT_FALSE(is_strictly_under("/", "/"));
}

TEST(PathPartsTest, ParentBasenameJoin) {
  EXPECT_EQ(parent("/a/b"), "/a");
  EXPECT_EQ(parent("/a"), "/");
  EXPECT_EQ(parent("/"), "/");
  EXPECT_EQ(basename("/a/b"), "b");
  EXPECT_EQ(basename("/"), "");
  EXPECT_EQ(join("/a", "b/c"), "/a/b/c");
  EXPECT_EQ(join("/", "b"), "/b");
  EXPECT_EQ(join("/a", ""), "/a");
}

TEST(LexicallyNormalTest, ResolvesComponentsWithoutLeavingTheRoot) {
  EXPECT_EQ(path::lexically_normal("//dev/"), "/dev");
  EXPECT_EQ(path::lexically_normal("dev"), "/dev");
  EXPECT_EQ(path::lexically_normal("/a/./../b"), "/b");
  EXPECT_EQ(path::lexically_normal("dev/../../etc"), "/etc");
  EXPECT_EQ(path::lexically_normal("/"), "/");
  EXPECT_EQ(path::lexically_normal(""), "/");
}

TEST(PathPartsTest, AncestorsAndDepth) {
  const auto chain = ancestors("/a/b/c");
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(chain[0], "/a");
  EXPECT_EQ(chain[1], "/a/b");
  EXPECT_TRUE(ancestors("/a").empty());
  EXPECT_TRUE(ancestors("/").empty());
  EXPECT_EQ(depth("/"), 0);
  EXPECT_EQ(depth("/a"), 1);
  EXPECT_EQ(depth("/a/b/c"), 3);
}

}  // namespace
}  // namespace rootfsctl::path
