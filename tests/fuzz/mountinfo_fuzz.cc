// libFuzzer target: the mountinfo parser against a reference parser, its queries and renderers.
// Built with ROOTFSCTL_FUZZ=ON (clang); run by scripts/fuzz.sh. The checks live in
// fuzz_entries.cc, shared with the regression test that replays
// tests/data/fuzz-regressions/mountinfo/.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_entries.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  rootfsctl::fuzz::abort_on_violation(rootfsctl::fuzz::mountinfo_input(input), input);
  return 0;
}
