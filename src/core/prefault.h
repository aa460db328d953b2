// Faulting in a large fresh buffer in one system call instead of one fault per page.
#pragma once

#include <cstddef>

namespace rootfsctl {

/// Asks the kernel to back `size` bytes at `data` (about to be written) with pages now,
/// in one madvise(MADV_POPULATE_WRITE) call (Linux 5.14), rather than on the first touch
/// of each page: on a virtual machine every page fault is a trap into the hypervisor,
/// which made the faults of reading and parsing a 20,000-entry table most of its time.
/// Only whole pages inside the range are touched; buffers under 64 KiB, and kernels
/// without the advice, are left to fault as usual. Never fails.
void prefault(void* data, std::size_t size);

}  // namespace rootfsctl
