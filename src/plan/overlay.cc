#include "plan/overlay.h"

#include "core/path.h"

namespace rootfsctl::plan {
namespace {

/// Splits at every `sep` not preceded by a backslash, removing the escapes.
std::vector<std::string> split_escaped(std::string_view text, char sep) {
  std::vector<std::string> out(1);
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      out.back() += text[++i];
    } else if (c == sep) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

/// Splits options at unescaped commas, keeping the escapes for split_escaped.
std::vector<std::string_view> split_options(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] == '\\') {
      ++i;
      continue;
    }
    if (i == text.size() || text[i] == ',') {
      out.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::string unescape(std::string_view text) { return split_escaped(text, '\0').front(); }

}  // namespace

OverlayLayers parse_overlay_options(std::string_view options) {
  OverlayLayers out;
  for (std::string_view option : split_options(options)) {
    auto eq = option.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = option.substr(0, eq);
    std::string_view value = option.substr(eq + 1);
    if (key == "lowerdir") {
      // Legacy spelling: "::" starts data-only layers (overlayfs(5), "Data-only lower
      // layers"); none of rootfsctl's own, but a live mount may have them.
      bool data = false;
      for (auto& dir : split_escaped(value, ':')) {
        if (dir.empty()) {
          data = true;
          continue;
        }
        (data ? out.data_only : out.lower).push_back(std::move(dir));
      }
    } else if (key == "lowerdir+") {
      out.lower.push_back(unescape(value));
    } else if (key == "datadir+") {
      out.data_only.push_back(unescape(value));
    } else if (key == "upperdir") {
      out.upper = unescape(value);
    } else if (key == "workdir") {
      out.work = unescape(value);
    }
  }
  return out;
}

std::string overlay_escape(std::string_view dir) {
  std::string out;
  for (char c : dir) {
    if (c == ':' || c == ',' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string overlay_options(const OverlayLayers& layers) {
  std::string out = "lowerdir=";
  for (std::size_t i = 0; i < layers.lower.size(); ++i) {
    out += (i ? ":" : "") + overlay_escape(layers.lower[i]);
  }
  if (layers.upper) out += ",upperdir=" + overlay_escape(*layers.upper);
  if (layers.work) out += ",workdir=" + overlay_escape(*layers.work);
  for (const auto& dir : layers.data_only) out += ",datadir+=" + overlay_escape(dir);
  return out;
}

std::string overlay_work_dir(std::string_view create) {
  return path::join(path::parent(create), "." + std::string(path::basename(create)) + ".work");
}

}  // namespace rootfsctl::plan
