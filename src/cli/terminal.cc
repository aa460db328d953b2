#include "cli/terminal.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <string>

namespace rootfsctl::cli {
namespace {

std::string_view env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::string_view(value) : std::string_view();
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

ColorWhen g_color_when = ColorWhen::kAuto;

}  // namespace

void set_color_when(ColorWhen when) { g_color_when = when; }

ColorWhen color_when() { return g_color_when; }

Result<void> take_color_option(int& argc, char** argv) {
  int out = 1;
  for (int in = 1; in < argc; ++in) {
    const std::string_view word = argv[in];
    if (word == "--") {
      while (in < argc) argv[out++] = argv[in++];
      break;
    }
    std::optional<std::string_view> value;
    if (word.starts_with("--color=")) {
      value = word.substr(8);
    } else if (word == "--color") {
      if (in + 1 >= argc) {
        Error error = make_error(Stage::kUsage, "--color needs a value");
        error.hint = "--color=auto, --color=always or --color=never";
        return std::unexpected(error);
      }
      value = argv[++in];
    } else {
      argv[out++] = argv[in];
      continue;
    }
    auto when = parse_color_when(*value);
    if (!when) return std::unexpected(when.error());
    set_color_when(*when);
  }
  argv[out] = nullptr;
  argc = out;
  return {};
}

Result<ColorWhen> parse_color_when(std::string_view text) {
  if (text == "auto") return ColorWhen::kAuto;
  if (text == "always") return ColorWhen::kAlways;
  if (text == "never") return ColorWhen::kNever;
  Error error = make_error(
      Stage::kUsage, "--color expects auto, always or never, got '" + std::string(text) + "'");
  error.hint = "for example --color=never";
  return std::unexpected(error);
}

bool locale_is_utf8() {
  // The first of these that is set and non-empty decides, as in setlocale(LC_CTYPE, "").
  std::string_view name = env("LC_ALL");
  if (name.empty()) name = env("LC_CTYPE");
  if (name.empty()) name = env("LANG");
  const auto folded = lower(name);
  return folded.find("utf-8") != std::string::npos || folded.find("utf8") != std::string::npos;
}

std::size_t output_width(int fd) {
  struct winsize size {};
  if (::isatty(fd) == 1 && ::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    return size.ws_col;
  }
  const auto columns = env("COLUMNS");
  std::size_t width = 0;
  auto [end, ec] = std::from_chars(columns.data(), columns.data() + columns.size(), width);
  if (ec != std::errc{} || end != columns.data() + columns.size()) return 0;
  return width;
}

bool color_for(ColorWhen when, int fd) {
  if (when == ColorWhen::kAlways) return true;
  if (when == ColorWhen::kNever) return false;
  if (!env("NO_COLOR").empty() || env("TERM") == "dumb") return false;
  return ::isatty(fd) == 1;
}

render::Terminal terminal_for(int fd, ColorWhen when) {
  return {color_for(when, fd), locale_is_utf8(), output_width(fd)};
}

}  // namespace rootfsctl::cli
