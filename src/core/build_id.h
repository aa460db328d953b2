// The running code's identity for caches: the ELF NT_GNU_BUILD_ID note of the object this
// library is linked into (the rootfsctl binary, or librootfsctl.so). Every build with
// different code has a different one, unlike the version string that every development
// build shares. The build links with -Wl,--build-id so there is one.
#pragma once

#include <string_view>

namespace rootfsctl {

/// The raw build-id bytes; empty when the object has no note (then nothing may be cached).
std::string_view build_id();

}  // namespace rootfsctl
