// plan_mermaid: the op flow as a Mermaid flowchart, one subgraph per phase.
#include <string_view>

#include "render/format.h"
#include "render/render.h"

namespace rootfsctl::render {
namespace {

using plan::Op;
using plan::OpKind;
using plan::Scope;

/// Text safe inside a quoted Mermaid label: untrusted bytes escaped as on a terminal
/// first (no newline can end the label), then the characters Mermaid or its HTML
/// labels would read as syntax written as Mermaid's entity codes.
std::string label_text(std::string_view text) {
  std::string out;
  for (char c : escape_for_display(text)) {
    switch (c) {
      case '"':
        out += "#quot;";
        break;
      case '#':
        out += "#35;";
        break;
      case '&':
        out += "#amp;";
        break;
      case '<':
        out += "#lt;";
        break;
      case '>':
        out += "#gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

/// "3. bind /usr ← /usr [rec]": what the op does, without its origin (the text and JSON
/// formats carry that); a write shows its size, not its content.
std::string op_label(const Op& op) {
  std::string out = std::to_string(op.index) + ". " + std::string(plan::op_name(op.kind)) + " " +
                    label_text(op.target);
  if (!op.source.empty() && op.kind != OpKind::kMount) {
    out += (op.kind == OpKind::kSymlink ? " → " : " ← ") + label_text(op.source);
  }
  if (!op.fstype.empty()) out += " (" + label_text(op.fstype) + ")";
  if (!op.flags.empty()) {
    std::string flags;
    for (const auto& flag : plan::flag_names(op.flags)) flags += (flags.empty() ? "" : ",") + flag;
    out += " [" + label_text(flags) + "]";
  }
  if (op.kind == OpKind::kWrite) out += " (" + std::to_string(op.data.size()) + " bytes)";
  return out;
}

/// The phase an op belongs to. A pivoting plan runs: prepare the target (the current
/// tree, until the first op in the new root), assemble the new root (including what the
/// current tree needs meanwhile, such as overlay work directories and kernel settings),
/// the pivot ritual, and the commit (the detach of the old root and anything after it).
/// A plan without a root has no such shape; its ops are grouped by what they do.
std::string_view phase_of(const Op& op, bool pivots, bool& assembling, bool& pivoted,
                          bool& committed) {
  if (pivots) {
    committed = committed || op.commit;
    pivoted = pivoted || op.kind == OpKind::kPivotRoot;
    assembling = assembling || op.scope == Scope::kNewRoot;
    if (committed) return "commit";
    if (pivoted) return "pivot";
    return assembling ? "assemble the new root" : "prepare the target";
  }
  switch (op.kind) {
    case OpKind::kPropagation:
      return "propagation";
    case OpKind::kMount:
    case OpKind::kBind:
      return "mount";
    case OpKind::kRemount:
      return "remount";
    case OpKind::kWrite:
      return op.is_kernel_setting() ? "kernel settings" : "create";
    case OpKind::kUmount:
      return "umount";
    case OpKind::kMkdir:
    case OpKind::kMkfile:
    case OpKind::kSymlink:
    case OpKind::kChmod:
    case OpKind::kPivotRoot:
      return "create";
  }
  return "create";
}

/// Node shape by what the op is: mounts are rectangles, creations rounded, the pivot a
/// hexagon and the commit point a thick-bordered stadium, so the irreversible step stands
/// out.
std::string node(const Op& op) {
  std::string id = "op" + std::to_string(op.index);
  std::string label = "\"" + op_label(op) + "\"";
  if (op.commit) return id + "([" + label + "]):::commit";
  switch (op.kind) {
    case OpKind::kPivotRoot:
      return id + "{{" + label + "}}";
    case OpKind::kMkdir:
    case OpKind::kMkfile:
    case OpKind::kSymlink:
    case OpKind::kWrite:
    case OpKind::kChmod:
      return id + "(" + label + ")";
    case OpKind::kPropagation:
    case OpKind::kMount:
    case OpKind::kBind:
    case OpKind::kRemount:
    case OpKind::kUmount:
      return id + "[" + label + "]";
  }
  return id + "[" + label + "]";
}

}  // namespace

std::string plan_mermaid(const plan::Plan& plan) {
  std::string out = "flowchart TD\n";
  if (!plan.name.empty()) out += "  %% plan " + label_text(plan.name) + "\n";
  bool assembling = false, pivoted = false, committed = false;
  std::string_view current;
  int groups = 0;
  for (const auto& op : plan.ops) {
    std::string_view phase = phase_of(op, plan.pivots, assembling, pivoted, committed);
    if (phase != current || groups == 0) {
      if (groups > 0) out += "  end\n";
      current = phase;
      ++groups;
      out += "  subgraph phase" + std::to_string(groups) + "[\"" + std::to_string(groups) + ". " +
             std::string(phase) + "\"]\n";
    }
    out += "    " + node(op) + "\n";
  }
  if (groups > 0) out += "  end\n";
  for (std::size_t i = 1; i < plan.ops.size(); ++i) {
    out += "  op" + std::to_string(plan.ops[i - 1].index) + " --> op" +
           std::to_string(plan.ops[i].index) + "\n";
  }
  out += "  classDef commit stroke-width:3px\n";
  return out;
}

}  // namespace rootfsctl::render
