// Crash recovery from an intent log (recover.h). Each op kind has its undo, rebuilt from
// the facts the log kept: a mount is detached only while the mount at its target is the
// one the op made (done record) or, for the op the kill interrupted, a mount that was not
// there before; a name is removed only while it is the inode the op made; content, modes
// and flags are put back only on the very object they were taken from.
#include "exec/recover.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include "exec/exec_state.h"
#include "exec/worker.h"

namespace rootfsctl::exec {
namespace {

using detail::ExecState;
using detail::SharedFd;
using plan::Op;
using plan::OpKind;
using plan::Scope;

/// What one undo did: "undone", "nothing" (the op had left nothing), or an error.
enum class Did { kUndone, kNothing };

struct Recovery {
  ExecState& state;
  const ParsedLog& log;
  const RecoveryContext& context;
  ApplyOutcome& outcome;
  std::uint64_t old_root_id = 0;  // the target's "/" before the apply (the root op's before)
  std::optional<std::uint64_t> new_root_id;
  bool pivoted = false;
  detail::SharedFd top;  // the topmost mount at the namespace's root, as entered

  std::string label(const Op& op) const {
    return "op " + std::to_string(op.index) + " " + std::string(plan::op_name(op.kind)) + " " +
           op.target;
  }

  Result<std::uint64_t> id_of(int fd) { return state.sys.mount_id(fd); }

  Result<Did> undo_mount(const OpRecord& record) {
    const Op& op = record.op;
    Result<UniqueFd> fd = std::unexpected(Error{});
    if (op.role == plan::Role::kRoot) {
      // The new root: stacked over the target's "/" before the pivot (the topmost mount
      // there), or where the target's processes are rooted after it.
      const detail::SharedFd& root = state.new_root ? state.new_root : top;
      fd = state.sys.openat2(root->get(), ".", O_PATH | O_DIRECTORY, 0, 0);
    } else {
      fd = state.resolve(op.scope, op.target, 0);
    }
    if (!fd) {
      if (fd.error().errno_value == ENOENT) return Did::kNothing;
      return std::unexpected(fd.error());
    }
    auto id = id_of(fd->get());
    if (!id) return std::unexpected(id.error());
    switch (mount_verdict(record, *id)) {
      case MountVerdict::kNothing:
        return Did::kNothing;
      case MountVerdict::kReplaced:
        return std::unexpected(make_error(Stage::kUmount,
                                          op.target +
                                              " is no longer the mount rootfsctl "
                                              "made (now mount " +
                                              std::to_string(*id) + ")",
                                          EBUSY));
      case MountVerdict::kDetach:
        break;
    }
    if (auto done = state.sys.umount_fd(state.proc_fd, fd->get(), true); !done) {
      return std::unexpected(done.error());
    }
    if (op.role == plan::Role::kRoot) return reanchor_after_root();
    return Did::kUndone;
  }

  /// After the new root is detached: the target's "/" is the old root again.
  Result<Did> reanchor_after_root() {
    state.new_root.reset();
    if (context.target_root_fd >= 0) return Did::kUndone;  // rooted there already
    // setns(2) puts the thread on the topmost mount of the namespace's root, now the
    // target's own "/" again.
    if (auto again = state.sys.setns(context.mnt_ns_fd, CLONE_NEWNS); !again) {
      return std::unexpected(again.error());
    }
    auto root = state.sys.open_path("/", O_PATH | O_DIRECTORY);
    if (!root) return std::unexpected(root.error());
    state.current_root = detail::share(std::move(*root));
    return Did::kUndone;
  }

  Result<Did> undo_name(const OpRecord& record) {
    const Op& op = record.op;
    if (record.before.exists) return Did::kNothing;
    auto parent = state.resolve_parent(op.scope, op.target);
    if (!parent) {
      if (parent.error().errno_value == ENOENT) return Did::kNothing;
      return std::unexpected(parent.error());
    }
    auto& [dir, name] = *parent;
    auto st = state.sys.fstatat(dir.get(), name);
    std::optional<std::pair<std::uint64_t, std::uint64_t>> now;
    bool type_ok = false;
    if (st) {
      now = std::pair<std::uint64_t, std::uint64_t>{st->st_dev, st->st_ino};
      type_ok = op.kind == OpKind::kMkdir     ? S_ISDIR(st->st_mode)
                : op.kind == OpKind::kSymlink ? S_ISLNK(st->st_mode)
                                              : S_ISREG(st->st_mode);
    } else if (st.error().errno_value != ENOENT) {
      return std::unexpected(st.error());
    }
    switch (name_verdict(record, now, type_ok)) {
      case NameVerdict::kNothing:
        return Did::kNothing;
      case NameVerdict::kReplaced:
        return std::unexpected(make_error(Stage::kCreate,
                                          op.target + " was replaced since "
                                                      "rootfsctl made it; left "
                                                      "in place",
                                          EEXIST));
      case NameVerdict::kRemove:
        break;
    }
    if (op.kind == OpKind::kMkdir && op.role == plan::Role::kOverlayWorkDir) {
      // overlayfs made work/ (and index/) inside the work directory.
      auto work = state.sys.openat2(dir.get(), name, O_PATH | O_DIRECTORY | O_NOFOLLOW, 0,
                                    kResolveBeneath | kResolveNoSymlinks);
      if (work) {
        for (std::string_view inner : {"work", "index"})
          (void)state.sys.unlinkat(work->get(), inner, true);
      }
    }
    auto gone = state.sys.unlinkat(dir.get(), name, op.kind == OpKind::kMkdir);
    if (!gone) return std::unexpected(gone.error());
    return Did::kUndone;
  }

  /// The object at the op's target, when it is still the one observed before the op.
  Result<std::optional<UniqueFd>> same_object(const OpRecord& record) {
    auto fd = state.resolve(record.op.scope, record.op.target, O_NOFOLLOW);
    if (!fd) {
      if (fd.error().errno_value == ENOENT) return std::optional<UniqueFd>{};
      return std::unexpected(fd.error());
    }
    auto st = state.sys.fstatat(fd->get(), "");
    if (!st) return std::unexpected(st.error());
    if (st->st_dev != record.before.dev || st->st_ino != record.before.ino) {
      return std::unexpected(make_error(Stage::kCreate,
                                        record.op.target + " was replaced since rootfsctl "
                                                           "changed it; left in place",
                                        EEXIST));
    }
    return std::optional<UniqueFd>(std::move(*fd));
  }

  Result<Did> undo_write(const OpRecord& record) {
    if (record.op.is_kernel_setting()) {
      return std::unexpected(make_error(Stage::kCreate,
                                        "the old value of a " +
                                            std::string(record.op.entry_name()) +
                                            " is not kept by the intent log",
                                        ENOTSUP));
    }
    if (!record.before.content) return Did::kNothing;  // nothing was there to write over
    auto same = same_object(record);
    if (!same) return std::unexpected(same.error());
    if (!*same) return Did::kNothing;
    auto file = state.sys.reopen(state.proc_fd, (*same)->get(), O_RDWR);
    if (!file) return std::unexpected(file.error());
    if (auto ok = state.sys.replace_content(file->get(), *record.before.content); !ok) {
      return std::unexpected(ok.error());
    }
    return Did::kUndone;
  }

  Result<Did> undo_chmod(const OpRecord& record) {
    if (!record.before.exists || !record.before.mode) return Did::kNothing;
    auto same = same_object(record);
    if (!same) return std::unexpected(same.error());
    if (!*same) return Did::kNothing;
    auto ok = state.sys.fchmodat((*same)->get(), "", *record.before.mode & 07777);
    if (!ok) return std::unexpected(ok.error());
    return Did::kUndone;
  }

  Result<Did> undo_remount(const OpRecord& record) {
    const Op& op = record.op;
    if (!record.before.mount_id || !record.before.flags) return Did::kNothing;
    auto fd = state.resolve(op.scope, op.target, 0);
    if (!fd) return std::unexpected(fd.error());
    auto id = id_of(fd->get());
    if (!id) return std::unexpected(id.error());
    if (*id != *record.before.mount_id) {
      return std::unexpected(make_error(Stage::kMount,
                                        op.target + " is no longer the mount whose "
                                                    "flags rootfsctl changed",
                                        EBUSY));
    }
    const MountFlags touched = op.flags.set | op.flags.clear;
    const auto before = static_cast<MountFlags>(*record.before.flags);
    auto ok = state.sys.mount_setattr(fd->get(), op.flags.recursive, before & touched,
                                      ~before & touched, std::nullopt);
    if (!ok) return std::unexpected(ok.error());
    return Did::kUndone;
  }

  Result<Did> undo_propagation(const OpRecord& record) {
    const Op& op = record.op;
    const bool recursive = op.flags.recursive;
    if (op.scope == Scope::kOldRoot) {
      if (!pivoted) return Did::kNothing;
      if (auto in = state.sys.fchdir(state.current_root->get()); !in)
        return std::unexpected(in.error());
      auto ok = state.sys.set_propagation(".", Propagation::kPrivate, recursive);
      if (!ok) return std::unexpected(ok.error());
      return Did::kUndone;
    }
    const std::string& back = record.before.propagation;
    if (back.empty()) {
      return std::unexpected(
          make_error(Stage::kMount, "the propagation of / before the apply is not known", ENODATA));
    }
    if (back == "shared" || back == "slave") {
      // Rejoining a peer group takes a mount of that group (MOVE_MOUNT_SET_GROUP); the
      // clone the in-memory journal held died with rootfsctl.
      return std::unexpected(make_error(Stage::kMount,
                                        "/ was " + back +
                                            "; its peer group cannot be "
                                            "rejoined after a crash",
                                        ENOTSUP));
    }
    Propagation to = back == "unbindable" ? Propagation::kUnbindable : Propagation::kPrivate;
    if (auto ok = state.sys.set_propagation("/", to, recursive); !ok)
      return std::unexpected(ok.error());
    return Did::kUndone;
  }

  // pivot_root(".", ".") from the old root, with the new root as this thread's root: the
  // in-memory undo, after taking the target's root (the new root) as our own.
  Result<Did> undo_pivot() {
    if (!pivoted) return Did::kNothing;
    if (auto in = state.sys.fchdir(context.target_root_fd); !in) return std::unexpected(in.error());
    if (auto in = state.sys.chroot("."); !in) return std::unexpected(in.error());
    if (auto in = state.sys.fchdir(state.current_root->get()); !in)
      return std::unexpected(in.error());
    if (auto ok = state.sys.pivot_root(".", "."); !ok) return std::unexpected(ok.error());
    pivoted = false;
    return Did::kUndone;
  }

  /// Whether a logged unmount ran: it says so, or the mount it found is no longer at the
  /// path (killed between the detach and the log's "done").
  bool unmount_ran(const OpRecord& record) {
    if (record.done) return true;
    if (!record.before.mount_id) return false;
    auto fd = state.resolve(record.op.scope, record.op.target, 0);
    if (!fd) return true;
    auto id = id_of(fd->get());
    return !id || *id != *record.before.mount_id;
  }

  Result<Did> undo(const OpRecord& record) {
    switch (record.op.kind) {
      case OpKind::kMount:
      case OpKind::kBind:
        return undo_mount(record);
      case OpKind::kMkdir:
      case OpKind::kMkfile:
      case OpKind::kSymlink:
        return undo_name(record);
      case OpKind::kWrite:
        return undo_write(record);
      case OpKind::kChmod:
        return undo_chmod(record);
      case OpKind::kRemount:
        return undo_remount(record);
      case OpKind::kPropagation:
        return undo_propagation(record);
      case OpKind::kPivotRoot:
        return undo_pivot();
      case OpKind::kUmount:
        if (record.op.is_entry(layout::EntryKind::kUnmount) && unmount_ran(record)) {
          // The detached copy that could put it back died with the killed apply.
          outcome.lost.push_back(label(record.op) +
                                 ": unmounted; what it took away went with "
                                 "the killed apply and cannot be put back");
        }
        return Did::kNothing;  // the commit point: see run()
    }
    return Did::kNothing;
  }

  /// Where the apply stopped relative to the pivot: before it, between it and the commit
  /// point (the old root stacked over the new one), or past the commit point.
  Result<void> locate(const OpRecord* root_op, const OpRecord* pivot_op,
                      const OpRecord* commit_op) {
    if (root_op && root_op->before.mount_id) old_root_id = *root_op->before.mount_id;
    if (root_op && root_op->done && root_op->done->mount_id) new_root_id = root_op->done->mount_id;
    if (pivot_op && pivot_op->before.new_root_id) new_root_id = pivot_op->before.new_root_id;
    if (!pivot_op) return {};
    if (context.target_root_fd < 0) {
      return std::unexpected(make_error(Stage::kPivotRoot,
                                        "the apply reached pivot_root; telling whether it ran "
                                        "takes a process of the target",
                                        ENOTSUP));
    }
    auto rooted = id_of(context.target_root_fd);
    if (!rooted) return std::unexpected(rooted.error());
    pivoted = new_root_id && *rooted == *new_root_id;
    if (!pivoted || !commit_op) return {};
    auto topmost = state.sys.open_path("/", O_PATH | O_DIRECTORY);
    if (!topmost) return std::unexpected(topmost.error());
    auto top_id = id_of(topmost->get());
    if (!top_id) return std::unexpected(top_id.error());
    // The old root detached: nothing covers the new root any more.
    outcome.committed = *top_id == *new_root_id;
    return {};
  }

  /// This thread's root and the trees ops resolve in, as the apply's worker had them.
  Result<void> anchor() {
    // Before any chroot: setns(2) left this thread on the topmost mount at the
    // namespace's root — a new root stacked over the target's "/", or after the pivot
    // the old root stacked over the new one.
    auto opened = state.sys.open_path("/", O_PATH | O_DIRECTORY);
    if (!opened) return std::unexpected(opened.error());
    top = detail::share(std::move(*opened));
    auto top_id = id_of(top->get());
    if (!top_id) return std::unexpected(top_id.error());
    const bool stacked = old_root_id != 0 && *top_id != old_root_id;
    if (context.target_root_fd < 0) {
      // No process to take a root from: "/" is the topmost mount; reanchor_after_root
      // enters again once a stacked new root is gone.
      state.current_root = top;
      if (stacked) state.new_root = top;
      return {};
    }
    // The target's processes are rooted in its tree (before the pivot) or in the new root
    // (after it): what "/" and pivot_root(2) must mean here.
    if (auto in = state.sys.fchdir(context.target_root_fd); !in) return in;
    if (auto in = state.sys.chroot("."); !in) return in;
    auto rooted = state.sys.openat2(context.target_root_fd, ".", O_PATH | O_DIRECTORY, 0, 0);
    if (!rooted) return std::unexpected(rooted.error());
    if (pivoted) {
      state.current_root = top;  // the old root
      state.new_root = detail::share(std::move(*rooted));
      return {};
    }
    state.current_root = detail::share(std::move(*rooted));
    if (stacked) state.new_root = top;
    return {};
  }

  void run() {
    const OpRecord* root_op = nullptr;
    const OpRecord* pivot_op = nullptr;
    const OpRecord* commit_op = nullptr;
    for (const auto& record : log.ops) {
      if (record.op.role == plan::Role::kRoot &&
          (record.op.kind == OpKind::kMount || record.op.kind == OpKind::kBind)) {
        root_op = &record;
      }
      if (record.op.kind == OpKind::kPivotRoot) pivot_op = &record;
      if (record.op.kind == OpKind::kUmount && record.op.commit) commit_op = &record;
    }
    if (auto located = locate(root_op, pivot_op, commit_op); !located) {
      outcome.left.push_back(located.error().to_string());
      return;
    }
    if (outcome.committed) return;  // past the point of no return: the layout stays
    if (auto anchored = anchor(); !anchored) {
      outcome.left.push_back("enter the target's tree: " + anchored.error().to_string());
      return;
    }
    for (auto it = log.ops.rbegin(); it != log.ops.rend(); ++it) {
      auto done = undo(*it);
      if (!done) {
        outcome.left.push_back(label(it->op) + ": " + done.error().to_string());
        continue;
      }
      if (*done == Did::kUndone) ++outcome.ops_done;
    }
  }
};

}  // namespace

ApplyOutcome recover_from_log(Syscalls& sys, const ParsedLog& log, const RecoveryContext& context) {
  ApplyOutcome outcome;
  outcome.ops_total = static_cast<int>(log.ops.size());
  static const plan::Plan kNoPlan;
  static const ExecContext kNoContext;
  ExecState state{sys,   kNoPlan, kNoContext,      {}, nullptr, nullptr, false,
                  false, 0,       context.proc_fd, {}, {}};
  mode_t saved_umask = sys.umask(0);
  Recovery recovery{state, log, context, outcome, 0, std::nullopt, false, nullptr};
  recovery.run();
  sys.umask(saved_umask);
  outcome.rolled_back = true;
  outcome.rollback_clean = outcome.left.empty();
  return outcome;
}

}  // namespace rootfsctl::exec

namespace rootfsctl::exec {
namespace {

Error unusable(std::string message, std::string code) {
  Error error = make_error(Stage::kOpenNs, std::move(message), EBUSY);
  error.code = std::move(code);
  return error;
}

/// The log of `mnt_ns_id`, locked against an apply starting meanwhile.
struct FoundLog {
  UniqueFd dir;
  UniqueFd locked;
  std::string text;
};

Result<std::optional<FoundLog>> find_leftover(std::uint64_t mnt_ns_id, RecoveryReport& report) {
  const std::string where = state_dir_path();
  report.log_path = where + "/" + log_name(mnt_ns_id);
  FoundLog found;
  auto dir = open_state_dir(where);
  if (!dir) return std::unexpected(dir.error());
  found.dir = std::move(*dir);
  auto state = find_log(found.dir.get(), mnt_ns_id, &found.locked, &found.text);
  if (!state) return std::unexpected(state.error());
  if (*state == LogState::kBusy) {
    return std::unexpected(
        unusable("an apply to this target is running now (" + report.log_path + " is locked)",
                 "apply-in-progress"));
  }
  if (*state == LogState::kNone) return std::optional<FoundLog>{};
  return std::optional<FoundLog>(std::move(found));
}

}  // namespace

Result<RecoveryReport> recover_target(Syscalls& sys, pid_t pid) {
  return recover_target(sys, TargetName{pid, std::nullopt});
}

Result<RecoveryReport> recover_target(Syscalls& sys, const TargetName& name) {
  RecoveryReport report;
  // 1. Pin the target and name its mount namespace.
  auto target = pin(sys, name);
  if (!target) return std::unexpected(target.error());
  auto id = plan::live_machine().mnt_ns_id(target->mnt_ns.get());
  if (!id) return std::unexpected(id.error());
  report.mnt_ns_id = *id;
  // 2. Its log, if a killed apply left one.
  auto found = find_leftover(*id, report);
  if (!found) return std::unexpected(found.error());
  if (!*found) return report;
  auto log = parse_intent_log((*found)->text);
  if (!log) return std::unexpected(log.error().wrap(report.log_path));
  report.torn_tail = log->torn_tail;
  report.header = log->header;
  // A log from another boot names a namespace that no longer exists (ids restart).
  if (log->header.boot_id != current_boot_id() || log->header.mnt_ns_id != *id) {
    report.found = RecoveryReport::Found::kStale;
    auto removed = remove_log((*found)->dir.get(), *id);
    if (!removed) return std::unexpected(removed.error());
    report.log_removed = true;
    return report;
  }
  report.found = RecoveryReport::Found::kLog;
  // 3. What recovery needs from the caller's side: our own procfs and the target's root.
  auto proc = sys.open_procfs();
  if (!proc) return std::unexpected(proc.error());
  // A process's root tells whether a logged pivot_root ran (it moves with the pivot). A
  // namespace without a process has no such root: entering it lands on the topmost mount
  // at its "/", which is the new root before the pivot as after it, so recovery stops
  // short of the pivot there and says so (-1).
  Result<UniqueFd> root = UniqueFd();
  if (target->pid > 0) {
    root = sys.open_path("/proc/" + std::to_string(target->pid) + "/root", O_PATH | O_DIRECTORY);
  }
  if (!root) return std::unexpected(root.error());
  if (target->pid > 0) {
    if (auto alive = sys.pidfd_send_signal(target->pidfd.get(), 0); !alive) {
      return std::unexpected(alive.error().wrap(target->name));
    }
  }
  RecoveryContext context{proc->get(), root->get(), target->mnt_ns.get()};
  // 4. Undo, inside the target, newest op first.
  auto outcome = run_in_target(
      sys, *target, [&](Syscalls& inner) { return recover_from_log(inner, *log, context); });
  if (!outcome) return std::unexpected(outcome.error());
  report.outcome = std::move(*outcome);
  // 5. Nothing left: the log is done with.
  if (report.outcome.left.empty()) {
    auto removed = remove_log((*found)->dir.get(), *id);
    if (!removed) return std::unexpected(removed.error());
    report.log_removed = true;
  }
  return report;
}

}  // namespace rootfsctl::exec
