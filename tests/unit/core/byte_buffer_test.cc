#include "core/byte_buffer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

namespace rootfsctl {
namespace {

constexpr std::size_t kLarge = (std::size_t{2} << 20) + 12345;  // a 20,000-entry table's text

/// The smaps block of the mapping that holds `address`.
std::string smaps_of(const void* address) {
  std::ifstream smaps("/proc/self/smaps");
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  std::string line;
  std::string block;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t low = 0;
    std::uintptr_t high = 0;
    char dash = 0;
    std::istringstream header(line);
    if (header >> std::hex >> low >> dash >> high && dash == '-') {
      if (inside) break;
      inside = at >= low && at < high;
    }
    if (inside) block += line + "\n";
  }
  return block;
}

std::string selected_thp_mode() {
  std::ifstream file("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string text;
  std::getline(file, text);
  auto open = text.find('[');
  auto close = text.find(']');
  if (open == std::string::npos || close == std::string::npos) return "";
  return text.substr(open + 1, close - open - 1);
}

TEST(ByteBuffer, SmallBuffersComeFromNew) {
  ByteBuffer small(64 * 1024);
  ASSERT_TRUE(small);
  EXPECT_FALSE(small.mapped());
  std::memset(small.get(), 'x', 64 * 1024);
  EXPECT_EQ(small[64 * 1024 - 1], 'x');
}

TEST(ByteBuffer, LargeBuffersAreHugePageAlignedMappings) {
  ByteBuffer large(kLarge);
  ASSERT_TRUE(large);
  EXPECT_EQ(large.mapped(), ByteBuffer::maps_large_buffers());
  std::memset(large.get(), 'y', kLarge);  // every byte writable, the last one too
  EXPECT_EQ(large[kLarge - 1], 'y');
  if (!large.mapped()) return;  // AddressSanitizer: new[], checked above
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(large.get()) % (std::size_t{2} << 20), 0u);
  const std::string mapping = smaps_of(large.get());
  ASSERT_FALSE(mapping.empty());
  // The whole mapping is the buffer: the slack taken for alignment was given back.
  std::uintptr_t low = 0;
  std::uintptr_t high = 0;
  char dash = 0;
  std::istringstream(mapping) >> std::hex >> low >> dash >> high;
  EXPECT_EQ(low, reinterpret_cast<std::uintptr_t>(large.get()));
  EXPECT_EQ(high - low, (kLarge + 4095) / 4096 * 4096);
  // Advised for transparent huge pages (VmFlags "hg") on any kernel that has them.
  if (!selected_thp_mode().empty()) {
    const auto flags = mapping.find("VmFlags:");
    ASSERT_NE(flags, std::string::npos) << mapping;
    EXPECT_NE(mapping.find(" hg", flags), std::string::npos) << mapping;
  }
}

TEST(ByteBuffer, MovesOwnershipAndFreesOnce) {
  ByteBuffer first(kLarge);
  first[0] = 'a';
  char* data = first.get();
  ByteBuffer second(std::move(first));
  EXPECT_FALSE(first);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  EXPECT_EQ(second.get(), data);
  EXPECT_EQ(second[0], 'a');
  ByteBuffer third(16);
  third = std::move(second);
  EXPECT_EQ(third.get(), data);
  third = ByteBuffer();
  EXPECT_FALSE(third);
  // A freed mapping is gone from the address space.
  if (ByteBuffer::maps_large_buffers()) {
    EXPECT_TRUE(smaps_of(data).empty());
  }
}

}  // namespace
}  // namespace rootfsctl
