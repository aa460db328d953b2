// Text renderers for plans and diagnostics: plan_text and diagnostics_text.
#include <algorithm>

#include "core/mode.h"
#include "render/format.h"
#include "render/render.h"

namespace rootfsctl::render {
namespace {

using plan::Op;
using plan::OpKind;
using plan::Scope;
using plan::Severity;

// Content of a `write` op is the file's text; a long one would push the origin column off
// the screen, so the table shows its start.
constexpr std::size_t kMaxContentWidth = 32;

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

std::string plural(std::size_t count, std::string_view noun) {
  return std::to_string(count) + " " + std::string(noun) + (count == 1 ? "" : "s");
}

std::string source_text(const Op& op) {
  if (op.kind == OpKind::kSymlink) return "-> " + escape_for_display(op.source);
  std::string out;
  if (!op.source.empty()) out = "<- " + escape_for_display(op.source);
  if (op.from_target) out += " (target's)";
  if (!op.idmap.empty()) out += " (idmap " + escape_for_display(op.idmap) + ")";
  if (!op.fstype.empty() && op.fstype != op.source) {
    out += (out.empty() ? "(" : " (") + escape_for_display(op.fstype) + ")";
  }
  return out;
}

std::string content_text(std::string_view content) {
  std::string shown = escape_for_display(content);
  if (display_width(shown) > kMaxContentWidth) {
    // Cut on a code point boundary: escape_for_display keeps only valid UTF-8.
    std::size_t cut = 0;
    for (std::size_t points = 0; cut < shown.size(); ++cut) {
      if ((static_cast<unsigned char>(shown[cut]) & 0xC0) == 0x80) continue;
      if (points++ == kMaxContentWidth) break;
    }
    shown = shown.substr(0, cut) + "...";
  }
  return "\"" + shown + "\"";
}

std::string details_text(const Op& op) {
  std::vector<std::string> parts;
  if (auto options = op.options_text(); !options.empty()) {
    parts.push_back(op.kind == OpKind::kWrite ? content_text(options)
                                              : escape_for_display(options));
  }
  if (op.mode) parts.push_back("mode=" + octal_mode(*op.mode));
  if (op.exist_ok) parts.emplace_back("exist_ok");
  if (op.commit) parts.emplace_back("commit point");
  return join(parts, " ");
}

std::vector<Cell> op_row(const Op& op, bool show_scope) {
  std::vector<Cell> row;
  row.push_back({std::to_string(op.index), Style::kDim});
  row.push_back({std::string(plan::op_name(op.kind)), op.commit ? Style::kYellow : Style::kBold});
  if (show_scope) {
    row.push_back({std::string(plan::scope_name(op.scope)),
                   op.scope == Scope::kCurrent ? Style::kPlain : Style::kCyan});
  }
  row.push_back({escape_for_display(op.target), Style::kPlain});
  row.push_back({source_text(op), Style::kPlain});
  row.push_back({op.flags.empty()
                     ? ""
                     : "[" + escape_for_display(join(plan::flag_names(op.flags), ",")) + "]",
                 Style::kPlain});
  row.push_back({details_text(op), Style::kPlain});
  row.push_back({escape_for_display(op.origin.to_string()), Style::kDim});
  return row;
}

/// The op table. Too wide for `width`, each op's origin (the last, longest column) moves
/// to a line of its own under the op, and the rest is fitted.
std::string ops_table(std::vector<std::vector<Cell>> rows, bool color, std::size_t width) {
  constexpr std::string_view kIndent = "  ";
  if (width == 0 || natural_width(rows, kIndent) <= width) {
    return format_table(rows, {Align::kRight}, color, kIndent);
  }
  std::vector<Cell> origins;
  for (auto& row : rows) {
    origins.push_back(std::move(row.back()));
    row.pop_back();
  }
  const auto widths = table_widths(rows, kIndent, width);
  // Origins start under the op name: the index column and its separator.
  const std::string under(display_width(kIndent) + widths[0] + 2, ' ');
  std::string out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    out += format_row(rows[i], widths, {Align::kRight}, color, kIndent);
    for (auto& line : wrap_pieces(origins[i].text, width - under.size(), width - under.size())) {
      out += under + styled(line, origins[i].style, color) + "\n";
    }
  }
  return out;
}

std::string plan_header(const plan::Plan& plan, bool show_scope, bool color, std::size_t width) {
  std::string out = "plan";
  if (!plan.name.empty()) out += " " + escape_for_display(plan.name);
  if (!plan.layout.empty()) out += " (" + escape_for_display(plan.layout) + ")";
  out = wrap_text(styled(out, Style::kBold, color) + ": " + plural(plan.ops.size(), "op"), width,
                  "  ");
  if (show_scope) {
    out += wrap_text(
        "scope: new_root = inside the new root until pivot_root, "
        "old_root = the old root after it",
        width, "  ");
  }
  return out;
}

Style severity_style(Severity severity) {
  switch (severity) {
    case Severity::kError:
      return Style::kRed;
    case Severity::kWarning:
      return Style::kYellow;
    case Severity::kNote:
      return Style::kCyan;
  }
  return Style::kPlain;
}

std::string diagnostic_line(const plan::Diagnostic& diagnostic, bool color, std::size_t width) {
  std::string out =
      styled(plan::severity_name(diagnostic.severity), severity_style(diagnostic.severity), color);
  out += styled("[" + escape_for_display(diagnostic.code) + "]", Style::kBold, color);
  // A diagnostic about the whole plan has no origin at all; print no empty location.
  const auto& origin = diagnostic.origin;
  if (!origin.is_implicit() || !origin.reason.empty()) {
    out += " " + escape_for_display(origin.to_string());
  }
  return wrap_text(out + ": " + escape_for_display(diagnostic.message), width, "  ");
}

std::size_t count_severity(const std::vector<plan::Diagnostic>& diagnostics, Severity severity) {
  return static_cast<std::size_t>(
      std::count_if(diagnostics.begin(), diagnostics.end(),
                    [severity](const plan::Diagnostic& d) { return d.severity == severity; }));
}

}  // namespace

std::string plan_text(const plan::Plan& plan, const std::vector<plan::Diagnostic>& diagnostics,
                      bool color, std::size_t width) {
  const bool show_scope = std::any_of(plan.ops.begin(), plan.ops.end(),
                                      [](const Op& op) { return op.scope != Scope::kCurrent; });
  std::vector<std::vector<Cell>> rows;
  for (const auto& op : plan.ops) rows.push_back(op_row(op, show_scope));
  return plan_header(plan, show_scope, color, width) + ops_table(rows, color, width) + "\n" +
         diagnostics_text(diagnostics, color, width);
}

std::string diagnostics_text(const std::vector<plan::Diagnostic>& diagnostics, bool color,
                             std::size_t width) {
  std::string out;
  for (const auto& diagnostic : diagnostics) out += diagnostic_line(diagnostic, color, width);
  const auto errors = count_severity(diagnostics, Severity::kError);
  out +=
      "lint: " + styled(plural(errors, "error"), errors > 0 ? Style::kRed : Style::kPlain, color) +
      ", " + plural(count_severity(diagnostics, Severity::kWarning), "warning") + ", " +
      plural(count_severity(diagnostics, Severity::kNote), "note") + "\n";
  return out;
}

std::string drift_text(const std::vector<plan::Drift>& drift, std::string_view what) {
  std::string out = escape_for_display(what);
  if (drift.empty()) return out + ": matches\n";
  out += ": " + std::to_string(drift.size()) + " drift(s)\n";
  for (const auto& d : drift) {
    std::string kind(plan::drift_kind_name(d.kind));
    kind.resize(std::max<std::size_t>(kind.size(), 8), ' ');
    out += "  " + kind + " " + escape_for_display(d.target) + ": " + escape_for_display(d.message);
    if (!d.origin.empty()) out += "  (" + escape_for_display(d.origin) + ")";
    out += "\n";
  }
  return out;
}

}  // namespace rootfsctl::render
