#include <gtest/gtest.h>

#include <string>

#include "fixtures.h"
#include "render/render.h"

namespace rootfsctl::render {
namespace {

using namespace testing;

TEST(PlanMermaidTest, SandboxPlanIsAChainGroupedByPhase) {
  EXPECT_EQ(plan_mermaid(sandbox_plan()),
            "flowchart TD\n"
            "  %% plan sandbox\n"
            "  subgraph phase1[\"1. prepare the target\"]\n"
            "    op1[\"1. propagation / [rprivate]\"]\n"
            "  end\n"
            "  subgraph phase2[\"2. assemble the new root\"]\n"
            "    op2[\"2. mount / (tmpfs)\"]\n"
            "    op3(\"3. mkdir /usr\")\n"
            "    op4[\"4. bind /usr ← /usr [rec]\"]\n"
            "    op5[\"5. mount /tmp (tmpfs) [nosuid,nodev]\"]\n"
            "    op6(\"6. symlink /bin → usr/bin\")\n"
            "    op7[\"7. remount /usr [ro,rec]\"]\n"
            "  end\n"
            "  subgraph phase3[\"3. pivot\"]\n"
            "    op8{{\"8. pivot_root /\"}}\n"
            "    op9[\"9. propagation / [rslave]\"]\n"
            "  end\n"
            "  subgraph phase4[\"4. commit\"]\n"
            "    op10([\"10. umount / [detach]\"]):::commit\n"
            "  end\n"
            "  op1 --> op2\n  op2 --> op3\n  op3 --> op4\n  op4 --> op5\n  op5 --> op6\n"
            "  op6 --> op7\n  op7 --> op8\n  op8 --> op9\n  op9 --> op10\n"
            "  classDef commit stroke-width:3px\n");
}

TEST(PlanMermaidTest, WithoutRootRunsOfOpsAreGroupedByWhatTheyDo) {
  PlanBuilder b(false);
  b.add(OpKind::kMkdir, Scope::kCurrent, "/mnt/a", Origin::implicit("mount point"));
  b.add(OpKind::kMkdir, Scope::kCurrent, "/mnt/b", Origin::implicit("mount point"));
  b.mount(Scope::kCurrent, "/mnt/a", "tmpfs", at(3));
  b.bind(Scope::kCurrent, "/mnt/b", "/srv", at(4));
  b.add(OpKind::kRemount, Scope::kCurrent, "/mnt/b", at(4)).flags = flags("ro");
  std::string out = plan_mermaid(b.build());
  EXPECT_NE(out.find("subgraph phase1[\"1. create\"]\n    op1(\"1. mkdir /mnt/a\")\n"
                     "    op2(\"2. mkdir /mnt/b\")\n  end\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("subgraph phase2[\"2. mount\"]\n    op3[\"3. mount /mnt/a (tmpfs)\"]\n"
                     "    op4[\"4. bind /mnt/b ← /srv\"]\n  end\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("subgraph phase3[\"3. remount\"]"), std::string::npos) << out;
  EXPECT_EQ(out.find("subgraph phase4"), std::string::npos) << out;
  EXPECT_EQ(out.find(":::commit\n"), std::string::npos) << out;
}

TEST(PlanMermaidTest, PathsCannotBreakOutOfTheirLabel) {
  PlanBuilder b(false);
  b.bind(Scope::kCurrent, "/mnt/a\"]\n  x-->y[\"<b>#1&", "/src\\dir", at(1));
  b.add(OpKind::kWrite, Scope::kCurrent, "/etc/motd", at(2)).data = "hello\n";
  std::string out = plan_mermaid(b.build());
  EXPECT_NE(out.find("op1[\"1. bind /mnt/a#quot;]\\x0a  x--#gt;y[#quot;#lt;b#gt;#35;1#amp; ← "
                     "/src\\dir\"]\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("op2(\"2. write /etc/motd (6 bytes)\")"), std::string::npos) << out;
  // Every line is a statement: no label spills onto its own line.
  for (std::size_t start = 0, end; start < out.size(); start = end + 1) {
    end = out.find('\n', start);
    std::string line = out.substr(start, end - start);
    EXPECT_TRUE(line.starts_with("  ") || line == "flowchart TD") << line;
  }
}

TEST(PlanMermaidTest, EmptyPlanIsAnEmptyFlowchart) {
  EXPECT_EQ(plan_mermaid(PlanBuilder(false).build()),
            "flowchart TD\n  %% plan sandbox\n  classDef commit stroke-width:3px\n");
}

}  // namespace
}  // namespace rootfsctl::render
