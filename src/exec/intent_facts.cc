// What the intent log records around each op (exec_state.h): before it runs, what a
// rollback needs to put back or to recognise the old state by; after, the identity of
// what it made, so a rollback removes only that (the same identity checks as the
// in-memory undo: mount id, or device and inode).
//
// Observation is a separate lookup from the op's own. It only ever narrows what a
// rollback touches: a fact that could not be had is left unknown, and an unknown fact
// makes recovery leave the object alone rather than guess.
#include <fcntl.h>
#include <sys/stat.h>

#include "exec/exec_state.h"

namespace rootfsctl::exec::detail {
namespace {

using plan::Op;
using plan::OpKind;

void name_facts(ExecState& state, const Op& op, Facts& facts) {
  auto parent = state.resolve_parent(op.scope, op.target);
  if (!parent) return;
  auto st = state.sys.fstatat(parent->first.get(), parent->second);
  if (!st) return;
  facts.exists = true;
  facts.dev = st->st_dev;
  facts.ino = st->st_ino;
  facts.mode = st->st_mode;
}

std::optional<std::uint64_t> id_of(ExecState& state, int fd) {
  auto id = state.sys.mount_id(fd);
  return id ? std::optional(*id) : std::nullopt;
}

/// The mount the op's target resolves into (the root op and the pivot: the target's "/").
std::optional<std::uint64_t> mount_at(ExecState& state, const Op& op) {
  if (op.is_root()) {
    auto root = state.root_for(plan::Scope::kCurrent);
    return root ? id_of(state, *root) : std::nullopt;
  }
  auto fd = state.resolve(op.scope, op.target, 0);
  return fd ? id_of(state, fd->get()) : std::nullopt;
}

void content_facts(ExecState& state, const Op& op, Facts& facts) {
  if (op.is_kernel_setting()) return;
  auto fd = state.resolve(op.scope, op.target, O_NOFOLLOW);
  if (!fd) return;
  auto st = state.sys.fstatat(fd->get(), "");
  if (!st || !S_ISREG(st->st_mode) || static_cast<std::size_t>(st->st_size) > kMaxRestorableBytes) {
    return;
  }
  auto file = state.sys.reopen(state.proc_fd, fd->get(), O_RDONLY);
  if (!file) return;
  auto text = state.sys.read_all(file->get(), kMaxRestorableBytes);
  if (!text) return;
  facts.exists = true;
  facts.dev = st->st_dev;
  facts.ino = st->st_ino;
  facts.content = std::move(*text);
}

std::string root_propagation(ExecState& state) {
  auto table = read_live_table(state);
  if (!table) return {};
  const auto* root = table->covering("/");
  if (!root || root->shared_group()) return "shared";
  if (root->master()) return "slave";
  return root->unbindable() ? "unbindable" : "private";
}

}  // namespace

Facts observe_before(ExecState& state, const Op& op) {
  Facts facts;
  switch (op.kind) {
    case OpKind::kMkdir:
    case OpKind::kMkfile:
    case OpKind::kSymlink:
    case OpKind::kChmod:
      name_facts(state, op, facts);
      break;
    case OpKind::kWrite:
      content_facts(state, op, facts);
      break;
    case OpKind::kMount:
    case OpKind::kBind:
      facts.mount_id = mount_at(state, op);
      break;
    case OpKind::kRemount: {
      auto fd = state.resolve(op.scope, op.target, 0);
      if (!fd) break;
      facts.mount_id = id_of(state, fd->get());
      if (auto flags = state.sys.mount_flags(fd->get())) facts.flags = *flags;
      break;
    }
    case OpKind::kPropagation:
      // The old root was made private by op 1 of a rooted plan.
      facts.propagation =
          op.scope == plan::Scope::kOldRoot ? std::string("private") : root_propagation(state);
      break;
    case OpKind::kPivotRoot:
      facts.mount_id = mount_at(state, op);
      if (state.new_root && *state.new_root)
        facts.new_root_id = id_of(state, state.new_root->get());
      break;
    case OpKind::kUmount:
      // The mount an unmount takes away: gone afterwards means the op ran.
      if (op.is_entry(layout::EntryKind::kUnmount)) facts.mount_id = mount_at(state, op);
      break;
  }
  return facts;
}

Facts observe_after(ExecState& state, const Op& op) {
  Facts facts;
  switch (op.kind) {
    case OpKind::kMkdir:
    case OpKind::kMkfile:
    case OpKind::kSymlink:
      name_facts(state, op, facts);
      facts.mode.reset();
      break;
    case OpKind::kMount:
    case OpKind::kBind:
      if (op.role == plan::Role::kRoot) {
        if (state.new_root && *state.new_root) facts.mount_id = id_of(state, state.new_root->get());
      } else {
        facts.mount_id = mount_at(state, op);
      }
      break;
    case OpKind::kWrite:
    case OpKind::kChmod:
    case OpKind::kRemount:
    case OpKind::kPropagation:
    case OpKind::kPivotRoot:
    case OpKind::kUmount:
      break;  // what these change is checked before (observe_before), not after
  }
  return facts;
}

}  // namespace rootfsctl::exec::detail
