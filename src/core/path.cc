#include "core/path.h"

namespace rootfsctl::path {

std::string lexically_normal(std::string_view p) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < p.size()) {
    std::size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    std::string_view part = p.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out;
  for (auto part : parts) {
    out += '/';
    out += part;
  }
  return out.empty() ? "/" : out;
}

std::optional<std::string> check_normalized(std::string_view p) {
  if (p.empty()) return "path is empty";
  if (p.front() != '/') {
    return "path '" + std::string(p) + "' is not absolute (write '" + lexically_normal(p) + "')";
  }
  if (p.find('\0') != std::string_view::npos) return "path contains a NUL byte";
  if (p == "/") return std::nullopt;
  auto fix = [&](std::string_view what) {
    return "path '" + std::string(p) + "' " + std::string(what) + " (write '" +
           lexically_normal(p) + "')";
  };
  if (p.back() == '/') return fix("has a trailing '/'");
  if (p.find("//") != std::string_view::npos) return fix("contains '//'");
  std::size_t i = 1;
  while (i <= p.size()) {
    std::size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    std::string_view part = p.substr(i, j - i);
    if (part == "..") return fix("contains '..'");
    if (part == ".") return fix("contains '.'");
    i = j + 1;
  }
  return std::nullopt;
}

bool is_under(std::string_view p, std::string_view dir) {
  if (dir == "/") return !p.empty() && p.front() == '/';
  if (!p.starts_with(dir)) return false;
  return p.size() == dir.size() || p[dir.size()] == '/';
}

bool is_strictly_under(std::string_view p, std::string_view dir) {
  return p != dir && is_under(p, dir);
}

std::string_view parent(std::string_view p) {
  auto slash = p.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return "/";
  return p.substr(0, slash);
}

std::string_view basename(std::string_view p) {
  auto slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

std::string join(std::string_view base, std::string_view rel) {
  std::string out(base);
  if (rel.empty()) return out;
  if (out.empty() || out.back() != '/') out += '/';
  out += rel;
  return out;
}

std::vector<std::string_view> ancestors(std::string_view p) {
  std::vector<std::string_view> out;
  for (std::size_t i = 1; i < p.size(); ++i) {
    if (p[i] == '/') out.push_back(p.substr(0, i));
  }
  return out;
}

int depth(std::string_view p) {
  if (p == "/") return 0;
  int n = 0;
  for (char c : p) n += c == '/';
  return n;
}

}  // namespace rootfsctl::path
