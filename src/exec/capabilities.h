// The capabilities `run` leaves the command: none unless asked for by name (--cap-add).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace rootfsctl::exec {

/// A set of capabilities as the kernel numbers them (capabilities(7)): bit N is cap N.
using CapabilitySet = std::uint64_t;

/// Every capability the kernel knows, bits 0..cap_last_cap.
CapabilitySet all_capabilities(int last_cap);

/// The number of capability `name` ("CAP_NET_ADMIN", "cap_net_admin" or "NET_ADMIN"), or
/// nullopt for a name this build does not know.
std::optional<int> capability_number(std::string_view name);

/// "CAP_NET_ADMIN" for 12; "" for a number without a name here.
std::string_view capability_name(int number);

/// Whether `name` is "ALL" (any case, "CAP_ALL" too): every capability.
bool names_all_capabilities(std::string_view name);

/// The set `names` (--cap-add values) keeps, "ALL" being every capability up to
/// `last_cap`. An unknown name is a Stage::kUsage error with a did-you-mean; a known one
/// the running kernel lacks (above `last_cap`) too, since it could not be kept.
Result<CapabilitySet> parse_capabilities(const std::vector<std::string>& names, int last_cap);

/// The running kernel's last capability: /proc/sys/kernel/cap_last_cap, or where that
/// cannot be read, the last number PR_CAPBSET_READ accepts.
int last_cap();

}  // namespace rootfsctl::exec
