#include "exec/settings.h"

#include <fcntl.h>
#include <sched.h>

#include <memory>
#include <sstream>

#include "exec/executor.h"
#include "exec/target.h"
#include "exec/worker.h"

namespace rootfsctl::exec {
namespace {

/// Words of a value, so "0 2147483647" and "0\t2147483647\n" compare equal.
std::vector<std::string> words(const std::string& value) {
  std::istringstream in(value);
  std::vector<std::string> out;
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : " ") + part;
  return out;
}

int owner_of(std::string_view rel) {
  if (rel.starts_with("net/")) return CLONE_NEWNET;
  if (rel == "kernel/hostname" || rel == "kernel/domainname") return CLONE_NEWUTS;
  return CLONE_NEWIPC;
}

/// Inside the target's mount namespace: join each owning namespace through the pidfd and
/// read the value; mismatches go back as lines "op|target|expected|actual".
ApplyOutcome read_back(Syscalls& sys, const plan::Plan& plan, const ExecContext& namespaces,
                       int proc_sys) {
  ApplyOutcome outcome;
  int entered = 0;
  for (const auto& op : plan.ops) {
    if (!op.is_kernel_setting()) continue;
    std::string rel = op.target.substr(std::string_view("/proc/sys/").size());
    int nstype = owner_of(rel);
    if ((entered & nstype) == 0) {
      if (auto ok = sys.setns(namespaces.namespace_fd(nstype), nstype); !ok) {
        outcome.error = ok.error();
        return outcome;
      }
      entered |= nstype;
    }
    auto file = sys.openat2(proc_sys, rel, O_RDONLY, 0, kResolveBeneath | kResolveNoSymlinks);
    if (!file) {
      outcome.error = file.error();
      return outcome;
    }
    auto value = sys.read_all(file->get(), 4096);
    if (!value) {
      outcome.error = value.error();
      return outcome;
    }
    if (words(*value) == words(op.data)) continue;
    outcome.verify_mismatches.push_back(std::to_string(op.index) + "|" + op.target + "|" +
                                        joined(words(op.data)) + "|" + joined(words(*value)));
  }
  return outcome;
}

}  // namespace

Result<std::vector<plan::Drift>> check_settings(Syscalls& sys, const plan::Plan& plan, pid_t pid) {
  return check_settings(sys, plan, TargetName{pid, std::nullopt});
}

Result<std::vector<plan::Drift>> check_settings(Syscalls& sys, const plan::Plan& plan,
                                                const TargetName& name) {
  std::vector<plan::Drift> drift;
  bool any = false;
  for (const auto& op : plan.ops) any = any || op.is_kernel_setting();
  if (!any) return drift;
  auto target = pin(sys, name);
  if (!target) return std::unexpected(target.error());
  auto proc_sys = sys.open_path("/proc/sys", O_PATH | O_DIRECTORY);
  if (!proc_sys) return std::unexpected(proc_sys.error());
  ExecContext namespaces;
  namespaces.pidfd = target->pidfd.get();
  namespaces.ipc_ns_fd = target->ipc_ns.get();
  namespaces.uts_ns_fd = target->uts_ns.get();
  namespaces.net_ns_fd = target->net_ns.get();
  namespaces.cgroup_ns_fd = target->cgroup_ns.get();
  int dir = proc_sys->get();
  auto outcome = run_in_target(
      sys, *target, [&](Syscalls& inner) { return read_back(inner, plan, namespaces, dir); });
  if (!outcome) return std::unexpected(outcome.error());
  if (outcome->error) return std::unexpected(*outcome->error);
  for (const auto& line : outcome->verify_mismatches) {
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (std::size_t bar; (bar = line.find('|', start)) != std::string::npos; start = bar + 1) {
      fields.push_back(line.substr(start, bar - start));
    }
    fields.push_back(line.substr(start));
    if (fields.size() != 4) continue;
    plan::Drift d;
    d.kind = plan::DriftKind::kSetting;
    d.op_index = std::stoi(fields[0]);
    d.target = fields[1];
    d.expected = fields[2];
    d.actual = fields[3];
    d.message = "is '" + d.actual + "', the layout says '" + d.expected + "'";
    for (const auto& op : plan.ops) {
      if (op.index == d.op_index) d.origin = op.origin.to_string();
    }
    drift.push_back(std::move(d));
  }
  return drift;
}

std::function<bool(std::string_view)> presence_in(Syscalls& sys, pid_t pid) {
  return presence_in(sys, TargetName{pid, std::nullopt});
}

std::function<bool(std::string_view)> presence_in(Syscalls& sys, const TargetName& name) {
  Result<UniqueFd> root = UniqueFd();
  if (name.ns) {
    auto target = pin(sys, name);
    if (!target) return {};
    root = std::move(target->root);
  } else {
    root = sys.open_path("/proc/" + std::to_string(name.pid) + "/root", O_PATH | O_DIRECTORY);
  }
  if (!root) return {};
  auto held = std::make_shared<UniqueFd>(std::move(*root));
  return [&sys, held](std::string_view path) {
    std::string_view rel = path == "/" ? std::string_view(".") : path.substr(1);
    auto fd =
        sys.openat2(held->get(), rel, O_PATH | O_NOFOLLOW, 0, kResolveInRoot | kResolveNoSymlinks);
    if (fd) return true;
    int err = fd.error().errno_value;
    return err != ENOENT && err != ENOTDIR;
  };
}

}  // namespace rootfsctl::exec
