// The helper's side (docs/architecture.md §4): rootfsctl-nshelper enters the target's user
// and mount namespaces, then performs each Syscalls call its caller sends until the caller
// hangs up. Here as a library function over any Syscalls, so the unit tests drive it with
// the recording fake over a socketpair; the executable only adds the process's setup.
#pragma once

#include <string_view>

#include "exec/syscalls.h"

namespace rootfsctl::exec::nshelper {

/// Drops the supplementary groups, setns into `user_ns`, then into `mnt_ns`, then becomes
/// that namespace's root (uid and gid 0). `who` names the target in the errors.
Result<void> enter_user_and_mount_ns(Syscalls& sys, int user_ns, int mnt_ns, std::string_view who);

/// Exit codes of serve() and the helper.
inline constexpr int kServedToTheEnd = 0;
inline constexpr int kProtocolError = 1;
inline constexpr int kEnterFailed = 2;

/// Answers the first request (kEnter) and then every call on `sock` with `sys`, until the
/// caller closes its end. Descriptors received with a call are closed after it, the ones
/// answered closed once sent.
int serve(Syscalls& sys, int sock);

}  // namespace rootfsctl::exec::nshelper
