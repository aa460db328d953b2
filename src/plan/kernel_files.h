// Kernel settings change through `sysctls:` only: a file, dir or symlink entry (or the
// chmod of one) that would land on proc, sysfs or another filesystem of kernel knobs is
// refused at plan time, whatever path leads there (docs/security.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "layout/model.h"
#include "plan/diagnostic.h"
#include "plan/op.h"
#include "plan/validator.h"

namespace rootfsctl::plan {

/// The filesystem types whose files are kernel settings: "proc", "sysfs", "cgroup2", ...
bool is_kernel_filesystem(std::string_view fstype);

/// The name of a kernel filesystem with statfs(2) magic `magic`, or nullopt.
std::optional<std::string_view> kernel_filesystem_of_magic(std::uint64_t magic);

/// "kernel-setting-file" errors, one per layout entry: its target resolved through the
/// layout's own symlinks, its mounts (a bind leads back to its source), the root image,
/// the target's mount table and, for a live target, its files (a symlink already there).
std::vector<Diagnostic> check_kernel_files(const layout::Layout& layout, const Plan& plan,
                                           const ValidationContext& context);

}  // namespace rootfsctl::plan
