// A move-only byte buffer for big, short-lived text: a mount table's, read or built whole.
#pragma once

#include <cstddef>

namespace rootfsctl {

/// `size` bytes, uninitialised. From 2 MiB up (a table of about 20,000 entries) the
/// buffer is a mapping of its own, aligned to 2 MiB and advised MADV_HUGEPAGE, so that on
/// a kernel with transparent huge pages (`madvise` or `always` in
/// /sys/kernel/mm/transparent_hugepage/enabled) it is backed by a few 2 MiB pages instead
/// of hundreds of 4 KiB ones. On a virtual machine the first touch of every page traps
/// into the hypervisor: measured here, filling 2 MiB of fresh 4 KiB pages takes about
/// 2.5 ms, of one huge page about 0.2 ms. Smaller buffers come from new[] (and so do all
/// under AddressSanitizer, which then still sees every overrun). Allocation failure
/// throws std::bad_alloc, as new[] does.
class ByteBuffer {
 public:
  ByteBuffer() = default;
  explicit ByteBuffer(std::size_t size);
  ByteBuffer(ByteBuffer&& other) noexcept;
  ByteBuffer& operator=(ByteBuffer&& other) noexcept;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ~ByteBuffer();

  char* get() const { return data_; }
  char& operator[](std::size_t i) const { return data_[i]; }
  explicit operator bool() const { return data_ != nullptr; }
  /// True when the buffer is its own huge-page-advised mapping (for tests).
  bool mapped() const { return mapped_length_ != 0; }
  /// Whether buffers from 2 MiB up are mapped in this build (not under AddressSanitizer).
  static bool maps_large_buffers();

 private:
  void release();

  char* data_ = nullptr;
  std::size_t mapped_length_ = 0;  // the mapping's length; 0 for new[]
};

}  // namespace rootfsctl
