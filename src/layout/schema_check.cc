#include "layout/schema_check.h"

#include <cctype>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>
#include <vector>

#include "layout/node_adapter.h"

namespace rootfsctl::layout {

extern const std::string_view kLayoutSchemaForValidation;  // generated: schema_annotations.h

namespace {

using nlohmann::json;  // the schema is a JSON text

// A parsed schema, or why the text did not parse.
struct CompiledSchema {
  explicit CompiledSchema(std::string_view text) {
    try {
      const json document = json::parse(text);
      valijson::adapters::NlohmannJsonAdapter adapter(document);
      valijson::SchemaParser(valijson::SchemaParser::kDraft7).populateSchema(adapter, schema);
    } catch (const std::exception& e) {
      problem = e.what();
    }
  }

  valijson::Schema schema;
  std::string problem;
};

// Parsed on first use only: a run that loads no layout (rootfsctl mounts) never pays.
// Never destroyed: tearing down its thousands of nodes at exit cost 0.11M instructions
// and freed nothing the process still needed.
const CompiledSchema& layout_schema() {
  static const CompiledSchema* const compiled = new CompiledSchema(kLayoutSchemaForValidation);
  return *compiled;
}

// valijson names a node by a context like {"<root>", "[mounts]", "[0]", "[size]"}; the
// document tells whether a step is an index or a key.
std::string context_pointer(const Node& root, const std::vector<std::string>& context) {
  std::string pointer;
  const Node* node = &root;
  for (std::size_t i = 1; i < context.size(); ++i) {
    const std::string& step = context[i];
    if (step.size() < 2 || step.front() != '[' || step.back() != ']') break;
    const std::string name = step.substr(1, step.size() - 2);
    if (node->is_list()) {
      const std::size_t index = std::stoul(name);
      if (index >= node->items.size()) break;
      pointer = pointer_append(pointer, index);
      node = &node->items[index];
    } else if (const Node* member = node->find(name)) {
      pointer = pointer_append(pointer, name);
      node = member;
    } else {
      break;
    }
  }
  return pointer;
}

struct Finding {
  std::string pointer;
  std::size_t depth = 0;
  Pos pos;
  std::string description;
};

// The deepest finding is the most specific ("size does not match its pattern" rather
// than "entry does not match any of the allowed shapes"); ties go to the first in the
// file, then to valijson's own order, so the choice is deterministic.
Finding pick(const valijson::ValidationResults& results, const Document& document) {
  Finding best;
  bool first = true;
  for (const auto& error : results) {
    Finding finding;
    finding.pointer = context_pointer(document.root, error.context);
    finding.depth = error.context.size();
    finding.pos = document.nearest(finding.pointer).pos;
    finding.description = error.description;
    const bool deeper = finding.depth > best.depth;
    const bool earlier = finding.depth == best.depth && finding.pos < best.pos;
    if (first || deeper || earlier) best = std::move(finding);
    first = false;
  }
  return best;
}

std::string sentence_part(std::string text) {
  while (!text.empty() && (text.back() == '.' || text.back() == ' ')) text.pop_back();
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

// The quoted name at the end of valijson's description ("...: 'size'."), or "".
std::string quoted_tail(std::string_view description) {
  const std::size_t close = description.rfind('\'');
  if (close == std::string_view::npos || close == 0) return {};
  const std::size_t open = description.rfind('\'', close - 1);
  if (open == std::string_view::npos) return {};
  return std::string(description.substr(open + 1, close - open - 1));
}

// valijson's descriptions name its constraints; users know keys and values. The common
// ones are reworded, an unknown key is reported at the key; the rest are quoted.
Error describe_finding(const SourceText& source, const Document& document, const Finding& finding) {
  constexpr std::string_view kExtraKey = "Object contains a property that could not be";
  constexpr std::string_view kMissingKey = "Missing required property";
  const std::string where = display_path(finding.pointer);
  const std::string hint = "`rootfsctl schema` prints the layout schema";
  const std::string prefix = finding.pointer.empty() ? "" : where + ": ";
  const std::string name = quoted_tail(finding.description);
  if (finding.description.starts_with(kExtraKey) && !name.empty()) {
    const Pos key = document.nearest(pointer_append(finding.pointer, name)).key_pos;
    return source.error_at(key.line > 0 ? key : finding.pos,
                           prefix + "key '" + name + "' is not allowed here", hint);
  }
  if (finding.description.starts_with(kMissingKey) && !name.empty()) {
    return source.error_at(finding.pos, prefix + "missing key '" + name + "'", hint);
  }
  return source.error_at(
      finding.pos,
      where + " does not match the layout schema: " + sentence_part(finding.description), hint);
}

Result<void> validate(const CompiledSchema& compiled, const SourceText& source,
                      const Document& document) {
  if (!compiled.problem.empty()) {
    return std::unexpected(make_error(Stage::kInternal, "layout schema: " + compiled.problem));
  }
  valijson::Validator validator;
  const valijson::adapters::LayoutNodeAdapter target(document.root);
  // Without a results object valijson stops at the first failure and writes no messages;
  // with one it records every failed alternative of every oneOf, with a copy of its
  // context, which was half of validating a valid layout. So: the verdict first, and the
  // findings only for a document that has some.
  if (validator.validate(compiled.schema, target, nullptr)) return {};
  valijson::ValidationResults results;
  if (validator.validate(compiled.schema, target, &results)) return {};  // cannot differ
  return std::unexpected(describe_finding(source, document, pick(results, document)));
}

}  // namespace

std::string display_path(std::string_view pointer) {
  std::string out;
  std::size_t i = 0;
  while (i < pointer.size()) {
    std::size_t next = pointer.find('/', i + 1);
    if (next == std::string_view::npos) next = pointer.size();
    const std::string step = pointer_unescape(pointer.substr(i + 1, next - i - 1));
    const bool index = !step.empty() && step.find_first_not_of("0123456789") == std::string::npos;
    out += index ? "[" + step + "]" : (out.empty() ? "" : ".") + step;
    i = next;
  }
  return out.empty() ? "the layout" : out;
}

Result<void> check_schema_text(std::string_view schema_text, const SourceText& source,
                               const Document& document) {
  return validate(CompiledSchema(schema_text), source, document);
}

Result<void> check_schema(const SourceText& source, const Document& document) {
  return validate(layout_schema(), source, document);
}

}  // namespace rootfsctl::layout
