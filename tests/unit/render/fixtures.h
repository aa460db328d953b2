// Inputs the render tests share: small plans built op by op, and mountinfo text.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mountinfo/mountinfo.h"
#include "plan/diagnostic.h"
#include "plan/op.h"

namespace rootfsctl::render::testing {

using plan::Op;
using plan::OpKind;
using plan::Scope;

/// Flags by their names, as plans print them: flags("ro", "rec").
template <typename... Names>
plan::OpFlags flags(Names... names) {
  const std::vector<std::string> list{names...};
  auto parsed = plan::flags_from_names(list);
  EXPECT_TRUE(parsed.has_value());
  return parsed.value_or(plan::OpFlags{});
}

inline Origin at(int line) { return Origin{"manifests/sandbox.yaml", line, 3, {}}; }

/// A builder for plans: each add() numbers the op and returns it for further fields.
class PlanBuilder {
 public:
  explicit PlanBuilder(bool pivots) {
    plan_.layout = "manifests/sandbox.yaml";
    plan_.name = "sandbox";
    plan_.pivots = pivots;
  }

  Op& add(OpKind kind, Scope scope, std::string target, Origin origin) {
    Op op;
    op.index = static_cast<int>(plan_.ops.size()) + 1;
    op.kind = kind;
    op.scope = scope;
    op.target = std::move(target);
    op.origin = std::move(origin);
    return plan_.ops.emplace_back(std::move(op));
  }

  Op& mount(Scope scope, std::string target, std::string fstype, Origin origin) {
    Op& op = add(OpKind::kMount, scope, std::move(target), std::move(origin));
    op.source = fstype;
    op.fstype = std::move(fstype);
    return op;
  }

  Op& bind(Scope scope, std::string target, std::string source, Origin origin) {
    Op& op = add(OpKind::kBind, scope, std::move(target), std::move(origin));
    op.source = std::move(source);
    return op;
  }

  plan::Plan build() const { return plan_; }

 private:
  plan::Plan plan_;
};

/// The shape `plan sandbox` has: a tmpfs root, host /usr read-only, /tmp, /bin link, and
/// the pivot ritual.
inline plan::Plan sandbox_plan() {
  PlanBuilder b(true);
  b.add(OpKind::kPropagation, Scope::kCurrent, "/", Origin::implicit("pivot prerequisite")).flags =
      flags("rprivate");
  Op& root = b.mount(Scope::kNewRoot, "/", "tmpfs", at(9));
  root.data = "size=64M,mode=0755";
  root.role = plan::Role::kRoot;
  Op& usr_dir =
      b.add(OpKind::kMkdir, Scope::kNewRoot, "/usr", Origin::implicit("mount point for /usr"));
  usr_dir.mode = 0755;
  usr_dir.exist_ok = true;
  b.bind(Scope::kNewRoot, "/usr", "/usr", at(13)).flags = flags("rec");
  Op& tmp = b.mount(Scope::kNewRoot, "/tmp", "tmpfs", at(16));
  tmp.flags = flags("nosuid", "nodev");
  tmp.data = "size=64M,mode=1777";
  b.add(OpKind::kSymlink, Scope::kNewRoot, "/bin", at(30)).source = "usr/bin";
  b.add(OpKind::kRemount, Scope::kNewRoot, "/usr", at(13)).flags = flags("ro", "rec");
  b.add(OpKind::kPivotRoot, Scope::kCurrent, "/", Origin::implicit("switch root")).role =
      plan::Role::kPivot;
  b.add(OpKind::kPropagation, Scope::kOldRoot, "/", Origin::implicit("old root")).flags =
      flags("rslave");
  Op& detach = b.add(OpKind::kUmount, Scope::kOldRoot, "/", Origin::implicit("detach"));
  detach.flags = flags("detach");
  detach.commit = true;
  return b.build();
}

inline plan::Diagnostic diagnostic(plan::Severity severity, std::string code, std::string message,
                                   Origin origin, int op_index = 0) {
  return plan::Diagnostic{severity, std::move(code), std::move(message), std::move(origin),
                          op_index};
}

/// Parses mountinfo text that the test knows to be valid.
inline mountinfo::MountTable table(std::string_view text) {
  auto parsed = mountinfo::parse_mountinfo(text);
  if (!parsed) ADD_FAILURE() << parsed.error().to_string();
  return parsed ? std::move(*parsed) : mountinfo::MountTable{};
}

}  // namespace rootfsctl::render::testing
