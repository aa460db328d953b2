#include "layout/vars.h"

#include <vector>

#include "core/suggest.h"

namespace rootfsctl::layout {
namespace {

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

VarError undefined(const std::string& name, const VarMap& vars) {
  std::vector<std::string> names;
  for (const auto& [known, value] : vars) names.push_back(known);
  std::string hint(kUndefinedVarHint);
  if (std::string guess = did_you_mean(name, names); !guess.empty()) hint += "; " + guess;
  return VarError{"undefined variable '" + name + "'", std::move(hint)};
}

VarError malformed(std::string_view reference) {
  // The reference may run to the end of a long value; quote only its start.
  constexpr std::size_t kQuoted = 40;
  std::string quoted(reference.substr(0, kQuoted));
  if (reference.size() > kQuoted) quoted += "...";
  return VarError{"malformed variable reference '" + quoted + "'",
                  "write ${NAME} with a name of letters, digits and '_', or $$ for a "
                  "literal '$'"};
}

}  // namespace

bool is_var_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxVarName || !is_name_start(name.front())) return false;
  for (char c : name) {
    if (!is_name_char(c)) return false;
  }
  return true;
}

std::expected<std::string, VarError> expand_vars(std::string_view text, const VarMap& vars) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dollar = text[i] == '$' && i + 1 < text.size();
    if (dollar && text[i + 1] == '$') {
      out += '$';
      ++i;
    } else if (dollar && text[i + 1] == '{') {
      const std::size_t close = text.find('}', i + 2);
      if (close == std::string_view::npos) return std::unexpected(malformed(text.substr(i)));
      const std::string name(text.substr(i + 2, close - i - 2));
      if (!is_var_name(name)) {
        return std::unexpected(malformed(text.substr(i, close - i + 1)));
      }
      auto it = vars.find(name);
      if (it == vars.end()) return std::unexpected(undefined(name, vars));
      out += it->second;
      i = close;
    } else {
      out += text[i];
    }
  }
  return out;
}

void collect_var_references(std::string_view text, std::set<std::string>& names) {
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] != '$') continue;
    if (text[i + 1] == '$') {
      ++i;
      continue;
    }
    if (text[i + 1] != '{') continue;
    const std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) return;
    const std::string_view name = text.substr(i + 2, close - i - 2);
    if (is_var_name(name)) names.emplace(name);
    i = close;
  }
}

bool has_var_reference(std::string_view text) { return text.find("${") != std::string_view::npos; }

}  // namespace rootfsctl::layout
