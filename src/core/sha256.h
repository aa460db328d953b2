// SHA-256 (FIPS 180-4), for content keys: the compiled-layouts cache names and checks its
// entries by the digest of what they were built from. Small inputs only; no streaming
// beyond update().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rootfsctl {

class Sha256 {
 public:
  using Digest = std::array<std::uint8_t, 32>;

  Sha256();
  Sha256& update(std::string_view bytes);
  /// Adds the length first, so that ("ab","c") and ("a","bc") differ.
  Sha256& field(std::string_view bytes);
  Digest finish();

 private:
  void block(const std::uint8_t* p);

  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t used_ = 0;
  std::uint64_t total_ = 0;
};

/// The digest of `bytes`.
Sha256::Digest sha256(std::string_view bytes);
/// Lower-case hex of the digest (core/utf8.h has to_hex of bytes).
std::string to_hex(const Sha256::Digest& digest);

}  // namespace rootfsctl
