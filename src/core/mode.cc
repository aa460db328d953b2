#include "core/mode.h"

namespace rootfsctl {

std::string octal_mode(std::uint32_t mode, std::size_t min_digits) {
  std::string digits;
  for (; mode != 0; mode >>= 3) digits.insert(digits.begin(), static_cast<char>('0' + (mode & 7)));
  if (digits.size() < min_digits) digits.insert(0, min_digits - digits.size(), '0');
  return digits;
}

}  // namespace rootfsctl
