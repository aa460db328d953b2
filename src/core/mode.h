// File modes as people and mount options spell them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace rootfsctl {

/// `mode` in octal with at least `min_digits` digits: "0755", "1777" (layouts, plans,
/// messages); runc writes tmpfs modes with three ("mode=755").
std::string octal_mode(std::uint32_t mode, std::size_t min_digits = 4);

}  // namespace rootfsctl
