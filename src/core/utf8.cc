#include "core/utf8.h"

namespace rootfsctl {

// The lead byte fixes the length and the range of the second byte (E0, ED, F0 and F4
// narrow it to exclude overlongs, surrogates and code points above U+10FFFF); later
// bytes are 80..BF.
Utf8Step decode_utf8(std::string_view text, std::size_t i) {
  auto byte_at = [&](std::size_t k) -> unsigned { return static_cast<unsigned char>(text[k]); };
  const unsigned lead = byte_at(i);
  if (lead < 0x80) return {1, true, lead};
  std::size_t trail = 0;
  unsigned low = 0x80, high = 0xBF;
  std::uint32_t code_point = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    trail = 1;
    code_point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    trail = 2;
    code_point = lead & 0x0F;
    low = lead == 0xE0 ? 0xA0 : 0x80;
    high = lead == 0xED ? 0x9F : 0xBF;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    trail = 3;
    code_point = lead & 0x07;
    low = lead == 0xF0 ? 0x90 : 0x80;
    high = lead == 0xF4 ? 0x8F : 0xBF;
  } else {
    return {};
  }
  for (std::size_t k = 1; k <= trail; ++k) {
    if (i + k >= text.size()) return {k, false, 0};
    const unsigned byte = byte_at(i + k);
    if (byte < low || byte > high) return {k, false, 0};
    code_point = (code_point << 6) | (byte & 0x3F);
    low = 0x80;
    high = 0xBF;
  }
  return {trail + 1, true, code_point};
}

bool is_valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto step = decode_utf8(text, i);
    if (!step.valid) return false;
    i += step.length;
  }
  return true;
}

std::string to_valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto step = decode_utf8(text, i);
    out += step.valid ? text.substr(i, step.length) : std::string_view("\xEF\xBF\xBD");
    i += step.length;
  }
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0xF];
  }
  return out;
}

}  // namespace rootfsctl
