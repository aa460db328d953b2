#include "core/byte_buffer.h"

#include <sys/mman.h>

#include <cstdint>
#include <new>
#include <utility>

namespace rootfsctl {
namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kPage = 4096;

// Under AddressSanitizer every buffer comes from new[]. g++ says so with
// __SANITIZE_ADDRESS__; clang (the fuzz build) only through __has_feature.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kMapLargeBuffers = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kMapLargeBuffers = false;
#else
constexpr bool kMapLargeBuffers = true;
#endif
#else
constexpr bool kMapLargeBuffers = true;
#endif

/// `length` bytes (a multiple of the page size) at a 2 MiB boundary: a mapping one huge
/// page longer, trimmed at both ends. Null when the kernel refuses.
char* map_aligned(std::size_t length) {
  const std::size_t span = length + kHugePage;
  void* raw = ::mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const auto base = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t start = (base + kHugePage - 1) & ~(kHugePage - 1);
  if (start > base) ::munmap(raw, start - base);
  const std::uintptr_t end = start + length;
  if (base + span > end) ::munmap(reinterpret_cast<void*>(end), base + span - end);
  // EINVAL where the kernel has no transparent huge pages: 4 KiB pages, as new[] gives.
  (void)::madvise(reinterpret_cast<void*>(start), length, MADV_HUGEPAGE);
  return reinterpret_cast<char*>(start);
}

}  // namespace

ByteBuffer::ByteBuffer(std::size_t size) {
  if (kMapLargeBuffers && size >= kHugePage) {
    const std::size_t length = (size + kPage - 1) & ~(kPage - 1);
    data_ = map_aligned(length);
    if (data_ == nullptr) throw std::bad_alloc();
    mapped_length_ = length;
    return;
  }
  data_ = new char[size];
}

bool ByteBuffer::maps_large_buffers() { return kMapLargeBuffers; }

ByteBuffer::ByteBuffer(ByteBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      mapped_length_(std::exchange(other.mapped_length_, 0)) {}

ByteBuffer& ByteBuffer::operator=(ByteBuffer&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    mapped_length_ = std::exchange(other.mapped_length_, 0);
  }
  return *this;
}

ByteBuffer::~ByteBuffer() { release(); }

void ByteBuffer::release() {
  if (data_ == nullptr) return;
  if (mapped_length_ != 0) {
    ::munmap(data_, mapped_length_);
  } else {
    delete[] data_;
  }
  data_ = nullptr;
  mapped_length_ = 0;
}

}  // namespace rootfsctl
