// Running work inside a target's mount namespace without the caller's threads ever
// changing namespace, root or cwd (docs/architecture.md §4).
//
// Same user namespace: a short-lived std::thread unshares CLONE_FS (so setns, chdir,
// umask and pivot_root affect only it), setns()s into the mount namespace and runs the
// work. Another user namespace (rootless): the kernel refuses setns(CLONE_NEWUSER) in a
// multithreaded process (EINVAL), so a helper process, rootfsctl-nshelper, started with
// posix_spawn (never a fork that runs the caller's code), enters user + mount namespaces
// and becomes their root; the work then runs on the calling thread with a Syscalls that
// has the helper perform every call (exec/nshelper_proxy.h), and the helper exits when the
// work is done.
#pragma once

#include <functional>

#include "core/error.h"
#include "exec/outcome.h"
#include "exec/syscalls.h"
#include "exec/target.h"

namespace rootfsctl::exec {

/// The work: runs inside the target's mount namespace with `sys`.
using NamespaceWork = std::function<ApplyOutcome(Syscalls& sys)>;

/// Runs `work` inside `target`'s namespaces as described above. Errors are failures to
/// get there (Stage::kThread, kFork, kUnshare, kSetns); the work's own failures are in
/// the outcome. Whatever the work does inside must go through the Syscalls it is given:
/// in helper mode it runs in the caller's process, whose own calls stay outside.
Result<ApplyOutcome> run_in_target(Syscalls& sys, const Target& target, const NamespaceWork& work);

/// Runs `look` on a short-lived thread that entered `target`'s mount namespace (with an
/// fs_struct of its own), staying in the caller's user namespace whatever the target's:
/// for reading a namespace-file target's table and opening its root, which need no more.
Result<void> look_inside(Syscalls& sys, const Target& target,
                         const std::function<Result<void>(Syscalls& sys)>& look);

}  // namespace rootfsctl::exec
