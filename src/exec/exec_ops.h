// Internal to the executor: what the op handlers share across their two files,
// exec_ops.cc (the dispatcher, mounts, propagation, the undo helpers) and exec_files.cc
// (directories, files, symlinks, writes, modes, kernel settings).
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/unique_fd.h"
#include "exec/exec_state.h"
#include "exec/journal.h"
#include "plan/op.h"

namespace rootfsctl::exec::detail {

/// How a handler looks a name up in a tree it does not own: beneath the directory it
/// starts from, following no symlink.
inline constexpr std::uint32_t kHere = kResolveBeneath | kResolveNoSymlinks;

/// An Error with a stable code scripts can match on.
Error refusal(std::string code, std::string message, int errno_value, std::string hint = {});

// An undo reaches what its op made or changed through the descriptor the op already had,
// while the journal's budget of descriptors lasts (ExecState::hold_descriptor). Past it,
// for plans of tens of thousands of ops under a descriptor limit of 20,000 that root cannot
// raise, an undo keeps the path instead, resolves it again in its tree as the op did, and
// acts only on the very object the op left there: the same mount id, or the same device
// and inode. Anything else is reported as left behind, never touched.

using Reach = std::function<Result<UniqueFd>()>;
using Act = std::function<Result<void>(int fd)>;

/// The undo that runs `act` on `held` while descriptors may be held, else on what `reach`
/// finds at undo time.
Journal::Undo anchored(ExecState& state, UniqueFd held, Reach reach, Act act);

/// The object at `path` in `scope` (no final symlink followed), when it is still the one
/// with device and inode of `was`.
Result<UniqueFd> find_object(ExecState& state, plan::Scope scope, const std::string& path,
                             const struct stat& was);

/// What a created name is, for its undo.
enum class Made { kDirectory, kFile };

/// The undo of a name rootfsctl created in `parent`: a directory, removed only while it is
/// empty; a file or symlink whose stat is `made`, removed only while the name is still
/// that inode (a process in the target may have put something else there since), or by
/// name alone when its stat could not be had.
Journal::Undo remove_created(ExecState& state, const plan::Op& op, UniqueFd parent,
                             std::string name, Made kind, std::optional<struct stat> made);

/// Journals the removal of a file or symlink just created in `parent`, given its stat.
/// Without the stat the name is still removed on rollback (without the inode check), and
/// the stat's error returned.
Result<void> journal_created(ExecState& state, const plan::Op& op, std::string what,
                             UniqueFd parent, const std::string& name,
                             const Result<struct stat>& made);

/// Joins the target's namespace of type `nstype` (its file, or through its pidfd), once
/// per worker.
Result<void> enter_target_ns(ExecState& state, int nstype);

// The handlers of exec_files.cc, dispatched by run_op.
Result<void> run_mkdir(ExecState& state, const plan::Op& op);
Result<void> run_mkfile(ExecState& state, const plan::Op& op);
Result<void> run_symlink(ExecState& state, const plan::Op& op);
Result<void> run_write(ExecState& state, const plan::Op& op);
Result<void> run_chmod(ExecState& state, const plan::Op& op);

}  // namespace rootfsctl::exec::detail
