// The one UTF-8 rule of the project: well-formed UTF-8 as Unicode §3.9 table 3-7 defines
// it (no overlong forms, no surrogates, nothing above U+10FFFF). Layout loading, capture,
// the renderers and the outcome serialiser all decide with it, so a byte string that one
// of them accepts is never refused by another.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rootfsctl {

/// One decoding step at a position: a valid sequence of `length` bytes encoding
/// `code_point`, or (`valid` false) the maximal ill-formed subpart of `length` bytes that
/// a decoder replaces by one U+FFFD.
struct Utf8Step {
  std::size_t length = 1;
  bool valid = false;
  std::uint32_t code_point = 0;
};

/// Decodes the sequence starting at text[i] (i < text.size()).
Utf8Step decode_utf8(std::string_view text, std::size_t i);

/// True when every byte of `text` belongs to a well-formed sequence.
bool is_valid_utf8(std::string_view text);

/// `text` with each maximal ill-formed subpart replaced by U+FFFD (as WHATWG decoders
/// do); valid input is returned unchanged.
std::string to_valid_utf8(std::string_view text);

/// The bytes as lower-case hex, two digits a byte: "/a" -> "2f61".
std::string to_hex(std::string_view bytes);

}  // namespace rootfsctl
