// What the validator tests share: a host-like table and validating a layout's own plan.
#pragma once

#include <gmock/gmock.h>

#include <string_view>
#include <vector>

#include "plan/planner.h"
#include "plan/validator.h"
#include "test_support.h"

namespace rootfsctl::plan {

// The validator tests' vocabulary (a test-only header, included by those files alone).
using rootfsctl::testing::FakeProbe;
using rootfsctl::testing::load;
using rootfsctl::testing::table;
using rootfsctl::testing::with_code;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

inline constexpr std::string_view kHostTable =
    "20 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "21 20 0:5 / /dev rw,nosuid shared:2 - devtmpfs udev rw,mode=755\n"
    "22 21 0:20 / /dev/pts rw,nosuid,noexec shared:3 - devpts devpts rw\n"
    "23 20 0:21 / /proc rw,nosuid,nodev,noexec shared:4 - proc proc rw\n"
    "24 20 8:2 / /srv ro,nosuid,nodev,relatime shared:5 - ext4 /dev/sda2 ro\n";

inline std::vector<Diagnostic> check(const layout::Layout& layout,
                                     const ValidationContext& context = {}) {
  return validate(layout, make_plan(layout), context);
}

}  // namespace rootfsctl::plan
