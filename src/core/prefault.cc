#include "core/prefault.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace rootfsctl {

void prefault(void* data, std::size_t size) {
  constexpr std::size_t kWorthIt = 64 * 1024;
  if (data == nullptr || size < kWorthIt) return;
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto start = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t first = (start + page - 1) & ~(page - 1);
  const std::uintptr_t end = (start + size) & ~(page - 1);
  if (end <= first) return;
  // EINVAL on kernels before 5.14: the pages then fault one by one, as without this.
  (void)::madvise(reinterpret_cast<void*>(first), end - first, MADV_POPULATE_WRITE);
}

}  // namespace rootfsctl
