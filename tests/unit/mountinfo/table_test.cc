#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mountinfo/mountinfo.h"

namespace rootfsctl::mountinfo {
namespace {

MountTable parse_ok(std::string_view text) {
  auto table = parse_mountinfo(text);
  EXPECT_TRUE(table.has_value()) << (table ? "" : table.error().to_string());
  return table ? std::move(*table) : MountTable();
}

int covering_id(const MountTable& table, std::string_view path) {
  const MountEntry* entry = table.covering(path);
  return entry == nullptr ? -1 : entry->id;
}

std::vector<int> ids(const std::vector<const MountEntry*>& entries) {
  std::vector<int> out;
  for (const auto* entry : entries) out.push_back(entry->id);
  return out;
}

// A host-like namespace: the root's parent (1) is outside the table.
constexpr std::string_view kHost =
    "26 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
    "21 26 0:20 / /proc rw,nosuid - proc proc rw\n"
    "23 26 0:6 / /dev rw,nosuid - devtmpfs udev rw\n"
    "24 23 0:22 / /dev/shm rw - tmpfs tmpfs rw\n"
    "25 23 0:23 / /dev/pts rw - devpts devpts rw\n"
    "30 26 0:27 / /srv/data rw - tmpfs tmpfs rw\n"
    "31 26 0:28 / /srv/database rw - tmpfs tmpfs rw\n";

TEST(MountTable, ById) {
  auto table = parse_ok(kHost);
  ASSERT_NE(table.by_id(24), nullptr);
  EXPECT_EQ(table.by_id(24)->target, "/dev/shm");
  EXPECT_EQ(table.by_id(1), nullptr);
  EXPECT_EQ(table.by_id(99), nullptr);
}

// Ids close together are looked up in an array, ids far apart by binary search: both
// answer the same, the first of duplicated ids included, and nothing for ids outside.
TEST(MountTable, ByIdDenseAndSparseAgree) {
  for (int base : {0, 7, 2000000000}) {
    for (int gap : {1, 1000000}) {
      if (static_cast<long long>(base) + 5LL * gap > 2147483647LL) continue;
      const auto id = [&](int k) { return std::to_string(base + k * gap); };
      const std::string text = id(1) + " " + id(0) + " 8:1 / / rw - ext4 /dev/sda1 rw\n" + id(3) +
                               " " + id(1) + " 0:30 / /a rw - tmpfs tmpfs rw\n" + id(2) + " " +
                               id(1) + " 0:31 / /b rw - tmpfs tmpfs rw\n" + id(3) + " " + id(1) +
                               " 0:32 / /c rw - tmpfs tmpfs rw\n" + id(5) + " " + id(1) +
                               " 0:33 / /e rw - tmpfs tmpfs rw\n";
      SCOPED_TRACE("base " + std::to_string(base) + ", gap " + std::to_string(gap));
      auto table = parse_ok(text);
      ASSERT_NE(table.by_id(base + gap), nullptr);
      EXPECT_EQ(table.by_id(base + gap)->target, "/");
      EXPECT_EQ(table.by_id(base + 2 * gap)->target, "/b");
      EXPECT_EQ(table.by_id(base + 3 * gap)->target, "/a");  // the first of the two
      EXPECT_EQ(table.by_id(base), nullptr);
      EXPECT_EQ(table.by_id(base + 5 * gap)->target, "/e");
      EXPECT_EQ(table.by_id(base + 4 * gap), nullptr);  // a hole
      EXPECT_EQ(table.by_id(base + 6 * gap), nullptr);
      EXPECT_EQ(table.by_id(-1), nullptr);
      EXPECT_EQ(table.by_id(2147483647), nullptr);
      EXPECT_EQ(covering_id(table, "/b/x"), base + 2 * gap);
      EXPECT_EQ(ids(table.children(*table.by_id(base + gap))).size(), 4u);
    }
  }
}

TEST(MountTable, CoveringDescendsByComponents) {
  auto table = parse_ok(kHost);
  EXPECT_EQ(covering_id(table, "/"), 26);
  EXPECT_EQ(covering_id(table, "/usr/bin"), 26);
  EXPECT_EQ(covering_id(table, "/dev"), 23);
  EXPECT_EQ(covering_id(table, "/dev/shm/x/y"), 24);
  EXPECT_EQ(covering_id(table, "/devices"), 26);  // not a component boundary
  EXPECT_EQ(covering_id(table, "/srv/data/x"), 30);
  EXPECT_EQ(covering_id(table, "/srv/database"), 31);
  EXPECT_EQ(covering_id(table, "/srv"), 26);
}

TEST(MountTable, CoveringRejectsRelativeAndEmptyTables) {
  auto table = parse_ok(kHost);
  EXPECT_EQ(table.covering(""), nullptr);
  EXPECT_EQ(table.covering("dev"), nullptr);
  EXPECT_EQ(MountTable().covering("/"), nullptr);
}

TEST(MountTable, CoveringTakesTheTopOfStackedMounts) {
  // 40 on /mnt, 41 stacked on it, 42 on top of 41; then one more on "/" itself.
  auto table = parse_ok(std::string(kHost) +
                        "40 26 0:40 / /mnt rw - tmpfs a rw\n"
                        "41 40 0:41 / /mnt rw - tmpfs b rw\n"
                        "43 41 0:43 / /mnt/sub rw - tmpfs c rw\n"
                        "42 41 0:42 / /mnt rw - tmpfs d rw\n");
  EXPECT_EQ(covering_id(table, "/mnt"), 42);
  // 43 hangs off 41, which 42 hides: /mnt/sub is just a directory of 42.
  EXPECT_EQ(covering_id(table, "/mnt/sub/file"), 42);
}

TEST(MountTable, CoveringFollowsMountsStackedOnRoot) {
  auto table = parse_ok(
      "10 1 0:1 / / rw - tmpfs old rw\n"
      "11 10 0:2 / /a rw - tmpfs a rw\n"
      "12 10 0:3 / / rw - tmpfs new rw\n"
      "13 12 0:4 / /b rw - tmpfs b rw\n");
  EXPECT_EQ(covering_id(table, "/"), 12);
  EXPECT_EQ(covering_id(table, "/a/x"), 12);  // 11 sits on the hidden old root
  EXPECT_EQ(covering_id(table, "/b/x"), 13);
}

TEST(MountTable, CoveringIgnoresMountsHiddenByAnOvermount) {
  // 50 was mounted on /srv/x/y, then 51 on /srv/x hid it; 52 was mounted after, on 51.
  auto table = parse_ok(std::string(kHost) +
                        "50 26 0:50 / /srv/x/y rw - tmpfs hidden rw\n"
                        "51 26 0:51 / /srv/x rw - tmpfs over rw\n"
                        "52 51 0:52 / /srv/x/y/z rw - tmpfs seen rw\n");
  EXPECT_EQ(covering_id(table, "/srv/x/y"), 51);
  EXPECT_EQ(covering_id(table, "/srv/x/y/file"), 51);
  EXPECT_EQ(covering_id(table, "/srv/x/y/z/file"), 52);
}

TEST(MountTable, RootIsTheMountWhoseParentIsAbsent) {
  // Order does not matter, and a root that names itself as parent counts too.
  auto table = parse_ok(
      "5 7 0:2 / /a rw - tmpfs a rw\n"
      "7 7 0:1 / / rw - tmpfs root rw\n");
  EXPECT_EQ(covering_id(table, "/"), 7);
  EXPECT_EQ(covering_id(table, "/a"), 5);
  EXPECT_TRUE(table.ancestors(*table.by_id(7)).empty());
}

TEST(MountTable, ChrootViewWithoutARootMount) {
  // Seen from a chroot into a plain directory, no mount is on "/": the mounts under the
  // new root list a parent outside the view (100).
  auto table = parse_ok(
      "60 100 0:60 / /a rw - tmpfs a rw\n"
      "61 100 0:61 / /stack rw - tmpfs s1 rw\n"
      "62 61 0:62 / /stack rw - tmpfs s2 rw\n"
      "63 100 0:63 / /b/c rw - tmpfs c rw\n");
  EXPECT_EQ(table.covering("/"), nullptr);
  EXPECT_EQ(table.covering("/elsewhere"), nullptr);
  EXPECT_EQ(covering_id(table, "/a/x"), 60);
  EXPECT_EQ(covering_id(table, "/stack/x"), 62);
  EXPECT_EQ(covering_id(table, "/b/c"), 63);
  EXPECT_EQ(ids(table.beneath("/")), (std::vector<int>{60, 62, 63}));
  EXPECT_EQ(ids(table.beneath("/b")), (std::vector<int>{63}));
  EXPECT_TRUE(table.ancestors(*table.by_id(60)).empty());
  EXPECT_EQ(ids(table.ancestors(*table.by_id(62))), (std::vector<int>{61}));
}

TEST(MountTable, Ancestors) {
  auto table = parse_ok(kHost);
  EXPECT_EQ(ids(table.ancestors(*table.by_id(24))), (std::vector<int>{23, 26}));
  EXPECT_TRUE(table.ancestors(*table.by_id(26)).empty());
}

TEST(MountTable, ChildrenInTableOrder) {
  auto table = parse_ok(kHost);
  EXPECT_EQ(ids(table.children(*table.by_id(26))), (std::vector<int>{21, 23, 30, 31}));
  EXPECT_EQ(ids(table.children(*table.by_id(23))), (std::vector<int>{24, 25}));
  EXPECT_TRUE(table.children(*table.by_id(24)).empty());
}

TEST(MountTable, BeneathListsVisibleMountsStrictlyUnder) {
  auto table = parse_ok(kHost);
  EXPECT_EQ(ids(table.beneath("/dev")), (std::vector<int>{24, 25}));
  EXPECT_EQ(ids(table.beneath("/srv/data")), std::vector<int>{});
  EXPECT_EQ(ids(table.beneath("/srv")), (std::vector<int>{30, 31}));
  EXPECT_EQ(ids(table.beneath("/")), (std::vector<int>{21, 23, 24, 25, 30, 31}));
}

TEST(MountTable, BeneathSkipsHiddenAndStackedMounts) {
  auto table = parse_ok(std::string(kHost) +
                        "50 26 0:50 / /srv/x/y rw - tmpfs hidden rw\n"
                        "51 26 0:51 / /srv/x rw - tmpfs over rw\n"
                        "53 51 0:53 / /srv/x/w rw - tmpfs under rw\n"
                        "54 53 0:54 / /srv/x/w rw - tmpfs top rw\n"
                        "52 51 0:52 / /srv/x/y/z rw - tmpfs seen rw\n");
  EXPECT_EQ(ids(table.beneath("/srv/x")), (std::vector<int>{54, 52}));
  EXPECT_EQ(ids(table.beneath("/srv")), (std::vector<int>{30, 31, 51, 54, 52}));
}

TEST(MountTable, QueriesOnAMovedTable) {
  auto table = parse_ok(kHost);
  ASSERT_NE(table.covering("/dev/pts"), nullptr);  // builds the indexes
  MountTable moved = std::move(table);
  EXPECT_EQ(covering_id(moved, "/dev/pts"), 25);
  EXPECT_EQ(moved.by_id(30)->target, "/srv/data");
  EXPECT_EQ(table.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(table.covering("/"), nullptr);
}

TEST(MountTable, ManyChildrenStayFast) {
  // 20k mounts under one parent: the per-parent index keeps each lookup O(depth).
  std::string text = "1 0 0:1 / / rw - tmpfs root rw\n";
  for (int i = 2; i < 20002; ++i) {
    text += std::to_string(i) + " 1 0:" + std::to_string(i) + " / /m/" + std::to_string(i) +
            " rw - tmpfs t rw\n";
  }
  auto table = parse_ok(text);
  int hits = 0;
  for (int round = 0; round < 5; ++round) {
    for (int i = 2; i < 20002; i += 2)
      hits += covering_id(table, "/m/" + std::to_string(i) + "/f") == i;
  }
  EXPECT_EQ(hits, 50000);
  EXPECT_EQ(table.beneath("/m").size(), 20000u);
}

/// beneath() by its definition: every mount strictly beneath `path` that path lookup
/// reaches at its own target.
std::vector<int> beneath_by_definition(const MountTable& table, std::string_view path) {
  std::vector<int> out;
  for (const auto& e : table.entries()) {
    bool under = path == "/" ? e.target.size() > 1
                             : e.target.size() > path.size() && e.target.starts_with(path) &&
                                   e.target[path.size()] == '/';
    if (under && table.covering(e.target) == &e) out.push_back(e.id);
  }
  return out;
}

// beneath() only descends into the children whose targets lie beneath the path (a
// target-sorted range); on random tables with stacks, overmounts, hidden subtrees,
// parents missing from the table and children mounted off their parent's path, it must
// still find exactly what the definition does.
TEST(MountTableBeneath, MatchesTheDefinitionOnRandomTables) {
  const char* const kNames[] = {"a", "b", "a b", "ab", "a.b"};
  std::uint64_t seed = 0x2545f4914f6cdd1dull;
  auto next = [&](std::uint64_t bound) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed % bound;
  };
  for (int round = 0; round < 200; ++round) {
    std::vector<std::string> targets{"/"};
    std::string text = "1 0 0:1 / / rw - ext4 root rw\n";
    int count = 2 + static_cast<int>(next(40));
    for (int id = 2; id < count; ++id) {
      // A target one component below an existing one, or an existing one (a stack).
      std::string base = targets[next(targets.size())];
      std::string target = next(4) == 0 ? base : (base == "/" ? "" : base) + "/" + kNames[next(5)];
      // The parent: usually the newest mount on the base path, sometimes any mount, and
      // now and then one that is not in the table.
      int parent = 1;
      for (int j = static_cast<int>(targets.size()) - 1; j >= 0; --j) {
        if (targets[static_cast<std::size_t>(j)] == base) {
          parent = j + 1;
          break;
        }
      }
      if (next(8) == 0) parent = 1 + static_cast<int>(next(targets.size()));
      if (next(16) == 0) parent = 999;
      targets.push_back(target);
      std::string escaped;
      for (char c : target) escaped += c == ' ' ? std::string("\\040") : std::string(1, c);
      text += std::to_string(id) + " " + std::to_string(parent) + " 0:" + std::to_string(id) +
              " / " + escaped + " rw - tmpfs t rw\n";
    }
    auto table = parse_ok(text);
    for (const auto& path : targets) {
      EXPECT_EQ(ids(table.beneath(path)), beneath_by_definition(table, path))
          << "round " << round << ", beneath " << path << "\n"
          << text;
    }
    EXPECT_EQ(ids(table.beneath("/a/zz")), beneath_by_definition(table, "/a/zz"));
  }
}

}  // namespace
}  // namespace rootfsctl::mountinfo
