#include "core/suggest.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace rootfsctl {
namespace {

constexpr std::array<std::string_view, 5> kKeys{"from", "readonly", "recursive", "optional",
                                                "options"};

TEST(EditDistanceTest, CountsInsertionsDeletionsSubstitutionsAndSwaps) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("redonly", "readonly"), 1u);  // insertion
  EXPECT_EQ(edit_distance("tmpfss", "tmpfs"), 1u);      // deletion
  EXPECT_EQ(edit_distance("frum", "from"), 1u);         // substitution
  EXPECT_EQ(edit_distance("nosiud", "nosuid"), 1u);     // adjacent swap
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("Bind", "bind"), 1u);  // case-sensitive
}

TEST(EditDistanceTest, IsSymmetric) {
  EXPECT_EQ(edit_distance("overlay", "ovrelya"), edit_distance("ovrelya", "overlay"));
}

TEST(ClosestMatchTest, FindsPlausibleTypos) {
  EXPECT_EQ(closest_match("redonly", kKeys), "readonly");
  EXPECT_EQ(closest_match("frm", kKeys), "from");
  EXPECT_EQ(closest_match("recursve", kKeys), "recursive");
  EXPECT_EQ(closest_match("READONLY", kKeys), "readonly");  // case is ignored
}

TEST(ClosestMatchTest, IgnoresWordsTooFarAway) {
  EXPECT_EQ(closest_match("size", kKeys), std::nullopt);
  EXPECT_EQ(closest_match("xyz", kKeys), std::nullopt);
  EXPECT_EQ(closest_match("", kKeys), std::nullopt);
  EXPECT_EQ(closest_match("anything", std::span<const std::string_view>{}), std::nullopt);
}

TEST(ClosestMatchTest, TiesGoToTheEarlierCandidate) {
  constexpr std::array<std::string_view, 2> kTied{"abcd", "abce"};
  EXPECT_EQ(closest_match("abcx", kTied), "abcd");
  constexpr std::array<std::string_view, 2> kReversed{"abce", "abcd"};
  EXPECT_EQ(closest_match("abcx", kReversed), "abce");
}

TEST(ClosestMatchTest, AllowsAboutOneEditPerThreeCharacters) {
  constexpr std::array<std::string_view, 1> kLong{"strictatime"};
  EXPECT_EQ(closest_match("strictatme", kLong), "strictatime");  // 1 edit
  EXPECT_EQ(closest_match("strctatme", kLong), "strictatime");   // 2 edits
  EXPECT_EQ(closest_match("stctatm", kLong), std::nullopt);      // 4 edits
  constexpr std::array<std::string_view, 1> kShort{"dir"};
  EXPECT_EQ(closest_match("dri", kShort), "dir");
  EXPECT_EQ(closest_match("foo", kShort), std::nullopt);
}

TEST(DidYouMeanTest, PhrasesTheSuggestion) {
  EXPECT_EQ(did_you_mean("redonly", kKeys), "did you mean 'readonly'?");
  EXPECT_EQ(did_you_mean("size", kKeys), "");
}

TEST(DidYouMeanTest, AcceptsOwnedStrings) {
  const std::vector<std::string> names{"plan", "apply", "run", "mounts"};
  EXPECT_EQ(did_you_mean("aply", names), "did you mean 'apply'?");
  EXPECT_EQ(closest_match("mount", names), "mounts");
}

}  // namespace
}  // namespace rootfsctl
