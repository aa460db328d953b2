// What the reader's terminal can take: colour (--color, NO_COLOR, TERM=dumb), box drawing
// (the locale's charset) and width (the tty, else $COLUMNS), decided once per command.
#pragma once

#include <optional>
#include <string_view>

#include "core/error.h"
#include "render/render.h"

namespace rootfsctl::cli {

enum class ColorWhen { kAuto, kAlways, kNever };

/// --color's value: "auto", "always" or "never" (a usage error names the choices).
Result<ColorWhen> parse_color_when(std::string_view text);

/// The --color of this run (every command takes it; main takes it out of argv before
/// the command parses its own options). kAuto until set.
void set_color_when(ColorWhen when);
ColorWhen color_when();

/// Takes every `--color=WHEN` and `--color WHEN` out of argv[1..argc) up to a "--" (after
/// which the words are a command's, as in `run -- ls --color`), sets the last one, and
/// shortens argc. A bad value is a usage error.
Result<void> take_color_option(int& argc, char** argv);

/// True when the locale (LC_ALL, else LC_CTYPE, else LANG, as setlocale(3) reads them)
/// names UTF-8; an unset locale is "C", which is not.
bool locale_is_utf8();

/// Columns a line may take on `fd`: the tty's width, else a positive $COLUMNS, else 0
/// (unlimited: a pipe or a file gets whole lines).
std::size_t output_width(int fd);

/// Colour for `when` on `fd`: never with NO_COLOR set (no-color.org) or TERM=dumb unless
/// asked for with --color=always; otherwise on a terminal only.
bool color_for(ColorWhen when, int fd);

/// The three together for output on `fd`.
render::Terminal terminal_for(int fd, ColorWhen when);

}  // namespace rootfsctl::cli
