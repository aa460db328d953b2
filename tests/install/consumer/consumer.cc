// Plans a layout through the installed library and prints what the plan is:
//   consumer LAYOUT  ->  "ops 37 first propagation last umount pivots yes"
// The install test compares that with what the installed rootfsctl binary says.
#include <rootfsctl/layout/profiles.h>
#include <rootfsctl/plan/op.h>
#include <rootfsctl/plan/planner.h>

#include <iostream>

#include "core/error.h"  // the consumer's own, not rootfsctl's

int main(int argc, char** argv) {
  consumer::Error own;  // its own header was the one found
  (void)own;
  if (argc != 2) {
    std::cerr << "usage: consumer LAYOUT\n";
    return 2;
  }
  auto layout = rootfsctl::layout::load_profile(argv[1]);
  if (!layout) {
    std::cerr << layout.error().to_string() << "\n";
    return 2;
  }
  rootfsctl::plan::Plan plan = rootfsctl::plan::make_plan(*layout);
  std::cout << "ops " << plan.ops.size();
  if (!plan.ops.empty()) {
    std::cout << " first " << rootfsctl::plan::op_name(plan.ops.front().kind) << " last "
              << rootfsctl::plan::op_name(plan.ops.back().kind);
  }
  std::cout << " pivots " << (plan.pivots ? "yes" : "no") << "\n";
  return 0;
}
