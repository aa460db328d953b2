// HostProbe on a real directory tree: paths resolve inside its root, symlinks included,
// and the root it opened first stays the root of every later probe.
#include "plan/probe.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace {

using rootfsctl::plan::FileType;
using rootfsctl::plan::HostProbe;

class HostProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/rootfsctl-probe-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    root_ = dir_ + "/root";
    ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((root_ + "/usr").c_str(), 0755), 0);
    std::ofstream(root_ + "/usr/file") << "x";
    // Absolute, as in an image: it must resolve inside the root, not on the host.
    ASSERT_EQ(::symlink("/usr", (root_ + "/lib").c_str()), 0);
  }
  void TearDown() override {
    std::string command = "rm -rf '" + dir_ + "'";
    EXPECT_EQ(std::system(command.c_str()), 0);
  }

  std::string dir_;
  std::string root_;
};

TEST_F(HostProbeTest, ResolvesPathsAndSymlinksInsideItsRoot) {
  HostProbe probe(root_);
  EXPECT_EQ(probe.stat("/usr").type, FileType::kDirectory);
  EXPECT_EQ(probe.stat("/usr/file").type, FileType::kRegular);
  EXPECT_EQ(probe.lstat("/lib").type, FileType::kSymlink);
  EXPECT_EQ(probe.stat("/lib").type, FileType::kDirectory);
  EXPECT_EQ(probe.stat("/lib/file").type, FileType::kRegular);
  EXPECT_EQ(probe.stat("/missing").type, FileType::kMissing);
  EXPECT_EQ(probe.stat("/").type, FileType::kDirectory);
}

TEST_F(HostProbeTest, KeepsTheRootItOpenedFirst) {
  HostProbe probe(root_);
  ASSERT_EQ(probe.stat("/usr/file").type, FileType::kRegular);
  // The path now names another, empty directory; the probe still answers for the tree
  // it started with, as every probe of one validation must.
  ASSERT_EQ(::rename(root_.c_str(), (dir_ + "/moved").c_str()), 0);
  ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
  EXPECT_EQ(probe.stat("/usr/file").type, FileType::kRegular);
  EXPECT_EQ(HostProbe(root_).stat("/usr/file").type, FileType::kMissing);
}

TEST(HostProbeMissingRootTest, AnswersUnknown) {
  HostProbe probe("/nonexistent-rootfsctl-root");
  EXPECT_EQ(probe.stat("/usr").type, FileType::kUnknown);
}

}  // namespace
