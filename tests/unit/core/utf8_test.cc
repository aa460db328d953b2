#include "core/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace rootfsctl {
namespace {

TEST(Utf8Test, AcceptsWellFormedSequences) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("/usr/bin"));
  EXPECT_TRUE(is_valid_utf8("/home/j\xc3\xbcrgen"));   // U+00FC
  EXPECT_TRUE(is_valid_utf8("/\xe2\x82\xac"));         // U+20AC
  EXPECT_TRUE(is_valid_utf8("/\xf0\x9f\x98\x80"));     // U+1F600
  EXPECT_TRUE(is_valid_utf8("/\xf4\x8f\xbf\xbf"));     // U+10FFFF
  EXPECT_TRUE(is_valid_utf8(std::string("a\0b", 3)));  // NUL is a code point
}

TEST(Utf8Test, RejectsIllFormedSequences) {
  EXPECT_FALSE(is_valid_utf8("/mnt/a\x80"));        // lone continuation byte
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));      // overlong '/', three bytes
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xf5\x80\x80\x80"));  // lead byte never used
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));          // truncated at the end
  EXPECT_FALSE(is_valid_utf8("\xff"));
}

TEST(Utf8Test, ReplacesEachMaximalSubpartOnce) {
  EXPECT_EQ(to_valid_utf8("/mnt/a\x80"), "/mnt/a\xef\xbf\xbd");
  // A truncated three-byte sequence is one subpart; the following 'x' survives.
  EXPECT_EQ(to_valid_utf8("\xe2\x82x"), "\xef\xbf\xbdx");
  // Bytes that can never start or continue a sequence are replaced one by one.
  EXPECT_EQ(to_valid_utf8("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(to_valid_utf8("ok \xc3\xbc"), "ok \xc3\xbc");
}

TEST(Utf8Test, HexIsLowerCaseTwoDigitsPerByte) {
  EXPECT_EQ(to_hex("/mnt/a\x80"), "2f6d6e742f6180");
  EXPECT_EQ(to_hex(std::string("\0\xff", 2)), "00ff");
  EXPECT_EQ(to_hex(""), "");
}

TEST(Utf8Test, ReplacesEachMaximalIllFormedSubpart) {
  // Unicode §3.9's example: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64 -> a, three U+FFFD, b, one, c,
  // two, d (F1 80 80 is one subpart, E1 80 another, C2 a third).
  const std::string replacement = "\xef\xbf\xbd";
  EXPECT_EQ(to_valid_utf8("a\xf1\x80\x80\xe1\x80\xc2"
                          "b\x80"
                          "c\x80\xbf"
                          "d"),
            "a" + replacement + replacement + replacement + "b" + replacement + "c" + replacement +
                replacement + "d");
  EXPECT_EQ(to_valid_utf8("plain"), "plain");
}

}  // namespace
}  // namespace rootfsctl
