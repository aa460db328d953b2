// mountinfo text -> MountTable, per proc(5) "/proc/pid/mountinfo":
//
//   36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//   (1)(2) (3)   (4)     (5)        (6)      (7)    (8) (9)   (10)      (11)
//
// Speed matters (a 20k-entry table is parsed on every plan and verify): the text is copied
// once into a buffer the table owns, fields are found with memchr and unescaped in place
// (unescaping only shrinks a field), numbers go through std::from_chars, and nothing is
// allocated per field.
#include <charconv>
#include <climits>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "mountinfo/mountinfo.h"
#include "mountinfo/table_impl.h"

namespace rootfsctl::mountinfo {
namespace {

// Longest piece of an offending field quoted in an error message; lines are unbounded.
constexpr std::size_t kMaxQuoted = 64;
constexpr std::size_t kMaxExcerpt = 256;

bool is_octal(char c) { return c >= '0' && c <= '7'; }

// The kernel escapes ' ', '\t', '\n' and '\\' as \ooo (fs/proc_namespace.c, mangle()), and
// filesystems' show_options may escape more (seq_show_option: ",= \t\n\\"). A backslash
// that does not start three octal digits of at most \377 is an ordinary byte.
bool is_escape(const char* p, const char* end) {
  return end - p >= 4 && p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && is_octal(p[2]) &&
         is_octal(p[3]);
}

char decode_escape(const char* p) {
  return static_cast<char>(((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0'));
}

/// Unescapes [begin, begin + size) in place, starting at the first backslash `first`;
/// returns the new size.
std::size_t unescape_in_place(char* begin, std::size_t size, char* first) {
  const char* end = begin + size;
  const char* in = first;
  char* out = first;
  while (in < end) {
    if (*in == '\\' && is_escape(in, end)) {
      *out++ = decode_escape(in);
      in += 4;
    } else {
      *out++ = *in++;
    }
  }
  return static_cast<std::size_t>(out - begin);
}

template <typename Unsigned>
bool parse_unsigned(std::string_view text, Unsigned& out) {
  const char* end = text.data() + text.size();
  auto [stop, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc{} && stop == end && !text.empty();
}

bool parse_id(std::string_view text, int& out) {
  unsigned value = 0;
  if (!parse_unsigned(text, value) || value > static_cast<unsigned>(INT_MAX)) return false;
  out = static_cast<int>(value);
  return true;
}

bool parse_device(std::string_view text, unsigned& major, unsigned& minor) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  return parse_unsigned(text.substr(0, colon), major) &&
         parse_unsigned(text.substr(colon + 1), minor);
}

/// Splits one line (without its newline) into space-separated fields. The kernel writes
/// exactly one space between fields, so two spaces mean an empty field (an empty source).
class LineParser {
 public:
  LineParser(char* begin, char* end, int line_no)
      : line_begin_(begin), pos_(begin), end_(end), line_no_(line_no) {}

  /// Fills `entry`; on a malformed line returns false and leaves the reason in error().
  bool parse(MountEntry& entry);
  Error take_error() { return std::move(error_); }

 private:
  struct Field {
    char* begin;
    char* end;
    std::string_view view() const { return {begin, static_cast<std::size_t>(end - begin)}; }
  };

  Field take();
  bool take_number_fields(MountEntry& entry);
  bool take_string(std::string_view what, std::string_view& out, bool allow_empty = false);
  bool take_optional_fields(MountEntry& entry);
  bool expect_line_end();
  bool fail(std::string_view what, const Field* got);

  char* line_begin_;
  char* pos_;
  char* end_;
  bool done_ = false;  // every field of the line has been taken
  int line_no_;
  Error error_;
};

LineParser::Field LineParser::take() {
  char* begin = pos_;
  auto* space = static_cast<char*>(std::memchr(begin, ' ', static_cast<std::size_t>(end_ - begin)));
  if (space == nullptr) {
    done_ = true;
    pos_ = end_;
    return {begin, end_};
  }
  pos_ = space + 1;
  return {begin, space};
}

bool LineParser::parse(MountEntry& entry) {
  return take_number_fields(entry) && take_string("root", entry.root) &&
         take_string("mount point", entry.target) && take_string("mount options", entry.options) &&
         take_optional_fields(entry) && take_string("filesystem type", entry.fstype) &&
         take_string("source", entry.source, /*allow_empty=*/true) &&
         take_string("super options", entry.super_options) && expect_line_end();
}

bool LineParser::take_number_fields(MountEntry& entry) {
  Field id = take();
  if (!parse_id(id.view(), entry.id)) return fail("mount ID", &id);
  if (done_) return fail("parent ID", nullptr);
  Field parent = take();
  if (!parse_id(parent.view(), entry.parent)) return fail("parent ID", &parent);
  if (done_) return fail("major:minor", nullptr);
  Field device = take();
  if (!parse_device(device.view(), entry.major, entry.minor)) {
    return fail("major:minor", &device);
  }
  return true;
}

bool LineParser::take_string(std::string_view what, std::string_view& out, bool allow_empty) {
  if (done_) return fail(what, nullptr);
  Field field = take();
  if (field.begin == field.end && !allow_empty) return fail(what, &field);
  auto size = static_cast<std::size_t>(field.end - field.begin);
  // Most fields hold no escape at all; memchr finds that out at vector speed.
  if (auto* slash = static_cast<char*>(std::memchr(field.begin, '\\', size))) {
    size = unescape_in_place(field.begin, size, slash);
  }
  out = std::string_view(field.begin, size);
  return true;
}

// Optional fields (7) are zero or more "tag[:value]" words ended by a lone "-" (8). They
// are kept as written, not unescaped: the kernel prints only tags and numbers there.
bool LineParser::take_optional_fields(MountEntry& entry) {
  char* first = pos_;
  char* last = pos_;
  for (;;) {
    if (done_) return fail("'-' after the optional fields", nullptr);
    Field field = take();
    if (field.view() == "-") break;
    if (field.begin == field.end) return fail("optional field or '-'", &field);
    last = field.end;
  }
  entry.optional_fields = std::string_view(first, static_cast<std::size_t>(last - first));
  return true;
}

bool LineParser::expect_line_end() {
  if (done_) return true;
  Field rest{pos_, end_};
  return fail("end of line after super options", &rest);
}

bool LineParser::fail(std::string_view what, const Field* got) {
  std::string message = "line " + std::to_string(line_no_) + ": expected ";
  message += what;
  if (got == nullptr) {
    message += ", got end of line";
  } else {
    std::string_view quoted = got->view().substr(0, kMaxQuoted);
    message += ", got '";
    message += quoted;
    message += quoted.size() < got->view().size() ? "...'" : "'";
  }
  error_ = make_error(Stage::kParse, std::move(message));
  error_.where.line = line_no_;
  char* at = got != nullptr ? got->begin : end_;
  error_.where.column = static_cast<int>(at - line_begin_) + 1;
  std::string_view line(line_begin_, static_cast<std::size_t>(end_ - line_begin_));
  error_.excerpt = std::string(line.substr(0, kMaxExcerpt));
  return false;
}

std::size_t count_lines(const char* text, std::size_t size) {
  std::size_t lines = 0;
  const char* end = text + size;
  for (const char* p = text; p < end; ++lines) {
    const void* newline = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
    if (newline == nullptr) return lines + 1;
    p = static_cast<const char*>(newline) + 1;
  }
  return lines;
}

}  // namespace

Result<MountTable> parse_owned(std::unique_ptr<char[]> storage, std::size_t size) {
  auto impl = std::make_unique<MountTable::Impl>();
  char* text = storage.get();
  impl->entries.reserve(count_lines(text, size));
  char* const text_end = text + size;
  int line_no = 0;
  for (char* line = text; line < text_end;) {
    ++line_no;
    auto* newline =
        static_cast<char*>(std::memchr(line, '\n', static_cast<std::size_t>(text_end - line)));
    char* line_end = newline != nullptr ? newline : text_end;
    // An empty line carries no mount; tolerate them so hand-edited captures still parse.
    if (line_end != line) {
      LineParser parser(line, line_end, line_no);
      if (!parser.parse(impl->entries.emplace_back())) {
        return std::unexpected(parser.take_error());
      }
    }
    if (newline == nullptr) break;  // a last line without '\n' is fine
    line = newline + 1;
  }
  impl->storage = std::move(storage);
  impl->storage_size = size;
  return MountTable::Impl::adopt(std::move(impl));
}

Result<MountTable> parse_mountinfo(std::string_view text) {
  auto storage = std::make_unique_for_overwrite<char[]>(text.size());
  if (!text.empty()) std::memcpy(storage.get(), text.data(), text.size());
  return parse_owned(std::move(storage), text.size());
}

}  // namespace rootfsctl::mountinfo
