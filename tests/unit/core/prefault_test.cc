#include "core/prefault.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <memory>
#include <numeric>
#include <vector>

namespace rootfsctl {
namespace {

long minor_faults() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

TEST(Prefault, ContentStaysAndAnyRangeIsAccepted) {
  std::vector<unsigned char> data(1 << 20);
  std::iota(data.begin(), data.end(), 0);
  const auto copy = data;
  prefault(data.data() + 3, data.size() - 7);  // unaligned at both ends
  EXPECT_EQ(data, copy);
  prefault(nullptr, 1 << 20);
  prefault(data.data(), 0);
  prefault(data.data(), 100);  // too small to bother
  EXPECT_EQ(data, copy);
}

TEST(Prefault, AFreshBufferIsBackedBeforeItIsTouched) {
  // 8 MiB from malloc is a fresh anonymous mapping: touched page by page it faults 2,048
  // times; prefaulted, writing it faults (almost) not at all (a sanitizer's shadow memory
  // may add a few hundred).
  constexpr std::size_t kSize = 8u << 20;
  auto buffer = std::make_unique_for_overwrite<char[]>(kSize);
  prefault(buffer.get(), kSize);
  const long before = minor_faults();
  for (std::size_t i = 0; i < kSize; i += 4096) buffer[i] = 1;
  EXPECT_LT(minor_faults() - before, 512);
}

}  // namespace
}  // namespace rootfsctl
