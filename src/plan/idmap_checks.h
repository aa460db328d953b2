// Idmapped binds (`idmap:` on a bind entry) checked before op 1: that the kernel, the
// source's filesystems and the target can have them, so a dry run that passes means the
// apply's mount_setattr(MOUNT_ATTR_IDMAP) does not fail on something knowable.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "plan/diagnostic.h"
#include "plan/op.h"
#include "plan/validator.h"

namespace rootfsctl::plan {

/// The filesystem called `fstype` takes an idmapped mount on Linux `version` (major,
/// minor): ext4, xfs, btrfs, f2fs, vfat and msdos from 5.12, overlay from 5.19, tmpfs
/// from 6.3. Others are refused: the kernel would answer EINVAL at apply time.
bool fs_takes_idmap(std::string_view fstype, std::pair<int, int> version);

/// The name, for the filesystems fs_takes_idmap knows, of statfs(2) magic `magic`.
std::optional<std::string_view> idmap_filesystem_of_magic(std::uint64_t magic);

/// "idmap-*" diagnostics for every bind op with an idmap.
std::vector<Diagnostic> check_idmaps(const Plan& plan, const ValidationContext& context);

}  // namespace rootfsctl::plan
