// mountinfo text -> MountTable, per proc(5) "/proc/pid/mountinfo":
//
//   36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//   (1)(2) (3)   (4)     (5)        (6)      (7)    (8) (9)   (10)      (11)
//
// Speed matters (a 20k-entry table is parsed on every plan and verify): the text is copied
// once into a buffer the table owns (or read straight into it), delimiters are found 64
// bytes at a time in a single pass, fields are unescaped in place (unescaping only shrinks
// a field), numbers of up to eight digits are converted without a loop (longer ones go
// through std::from_chars), and nothing is allocated per field.
#include <algorithm>
#include <bit>
#include <charconv>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/prefault.h"
#include "mountinfo/mountinfo.h"
#include "mountinfo/table_impl.h"

namespace rootfsctl::mountinfo {
namespace {

// Longest piece of an offending field quoted in an error message; lines are unbounded.
constexpr std::size_t kMaxQuoted = 64;
constexpr std::size_t kMaxExcerpt = 256;

bool is_octal(char c) { return c >= '0' && c <= '7'; }

/// A piece of the file quoted in an error message, safe for a terminal: control bytes and
/// bytes >= 0x80 as `\xNN` (the file's bytes are not trusted to be text).
std::string escape_bytes(std::string_view bytes) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out += c;
      continue;
    }
    out += "\\x";
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0xF];
  }
  return out;
}

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

/// Eight bytes at `p` with the first in the lowest byte. Fields lie in storage padded by
/// kScanPadding bytes, so this never reads past the allocation.
std::uint64_t load8(const char* p) {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);
  if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
  return word;
}

/// 1 to 8 decimal digits with no branch per digit (Lemire, "Faster parsing of
/// integers"): the digits are right-aligned in a word, padded with '0', checked and
/// converted with a few multiplies. from_chars's digit loop mispredicted its exit on
/// about every number, four numbers a line.
bool parse_short_unsigned(const char* p, std::size_t size, unsigned& out) {
  constexpr std::uint64_t kZeros = 0x3030303030303030ull;
  constexpr std::uint64_t kHighNibbles = 0xf0f0f0f0f0f0f0f0ull;
  const auto shift = static_cast<unsigned>(8 - size) * 8;  // size >= 1, so shift <= 56
  std::uint64_t word = (load8(p) << shift) | (kZeros & ((std::uint64_t{1} << shift) - 1));
  // Every byte in '0'..'9': high nibble 3 before and after adding 6 (a byte that carries
  // fails its own check first, so carries cannot fake a pass).
  bool digits = ((word & kHighNibbles) == kZeros) &
                (((word + 0x0606060606060606ull) & kHighNibbles) == kZeros);
  word -= kZeros;
  word = word * 10 + (word >> 8);
  word = (((word & 0x000000ff000000ffull) * 0x000f424000000064ull) +
          (((word >> 16) & 0x000000ff000000ffull) * 0x0000271000000001ull)) >>
         32;
  out = static_cast<unsigned>(word);
  return digits;
}

bool parse_unsigned(std::string_view text, unsigned& out) {
  if (text.size() - 1 < 8) return parse_short_unsigned(text.data(), text.size(), out);
  // Empty, or longer than any number the kernel prints in practice: the general path.
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

/// Yields the offsets of ' ' and '\n' in order, from a bit mask built 64 bytes at a time:
/// one pass over the text instead of a memchr call per field, which dominated the parse
/// profile. (Decoding whole chunks of masks into offset lists up front, as simdjson does,
/// measured slower here: lines are short and baseline x86-64 has no POPCNT.) Needs
/// kScanPadding readable bytes after the text that are neither ' ' nor '\n'.
class DelimiterScanner {
 public:
  static constexpr std::size_t kBlock = 64;
  static_assert(kScanPadding >= kBlock);

  DelimiterScanner(const char* text, std::size_t size)
      : text_(text), size_(size), mask_(size > 0 ? block_mask(text) : 0) {}

  /// The next delimiter's offset, or size at the end of the text.
  [[gnu::always_inline]] std::size_t next() {
    while (mask_ == 0) {
      block_ += kBlock;
      if (block_ >= size_) return size_;
      mask_ = block_mask(text_ + block_);
    }
    // Always inside the text: the padding past it holds no delimiter.
    std::size_t at = block_ + static_cast<std::size_t>(std::countr_zero(mask_));
    mask_ &= mask_ - 1;
    return at;
  }

 private:
#if defined(__SSE2__) && !defined(ROOTFSCTL_PORTABLE_SCAN)
  // SSE2 is part of x86-64 itself, so this needs no CPU dispatch.
  static std::uint64_t block_mask(const char* p) {
    const __m128i space = _mm_set1_epi8(' ');
    const __m128i newline = _mm_set1_epi8('\n');
    std::uint64_t mask = 0;
    for (int i = 0; i < 4; ++i) {
      __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
      __m128i hits = _mm_or_si128(_mm_cmpeq_epi8(bytes, space), _mm_cmpeq_epi8(bytes, newline));
      auto bits = static_cast<std::uint32_t>(_mm_movemask_epi8(hits));
      mask |= static_cast<std::uint64_t>(bits) << (16 * i);
    }
    return mask;
  }
#else
  // Elsewhere, eight bytes per word (SWAR). zero_bytes sets the high bit of each zero
  // byte exactly (no false positives from borrows, unlike (x - 0x01..) & ~x); the
  // multiply gathers those eight bits into one byte, byte k -> bit k.
  static constexpr std::uint64_t kLow7 = 0x7f7f7f7f7f7f7f7full;
  static constexpr std::uint64_t kBytes = 0x0101010101010101ull;

  static std::uint64_t zero_bytes(std::uint64_t x) {
    std::uint64_t t = (x & kLow7) + kLow7;
    return ~(t | x | kLow7);
  }

  static std::uint64_t block_mask(const char* p) {
    std::uint64_t mask = 0;
    for (int i = 0; i < 8; ++i) {
      std::uint64_t word;
      std::memcpy(&word, p + 8 * i, sizeof word);
      if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
      std::uint64_t hits = zero_bytes(word ^ (kBytes * ' ')) | zero_bytes(word ^ (kBytes * '\n'));
      mask |= (((hits >> 7) * 0x0102040810204080ull) >> 56) << (8 * i);
    }
    return mask;
  }
#endif

  const char* text_;
  std::size_t size_;
  std::size_t block_ = 0;  // offset of the block `mask_` came from
  std::uint64_t mask_;     // delimiters of that block not yet returned, bit k = byte k
};

/// Splits the text into lines and lines into fields. The kernel writes exactly one space
/// between fields, so two spaces mean an empty field (an empty source).
class Parser {
 public:
  Parser(char* text, std::size_t size)
      : text_(text), end_(text + size), scanner_(text, size), backslash_(find_backslash(text)) {}

  /// Appends an entry per line; on a malformed line returns false, reason in take_error().
  bool parse(std::vector<MountEntry>& entries);
  Error take_error() { return std::move(error_); }

 private:
  struct Field {
    char* begin;
    char* end;
    std::string_view view() const { return {begin, static_cast<std::size_t>(end - begin)}; }
  };

  bool parse_line(MountEntry& entry);
  bool is_blank_or_comment() const;
  void skip_line();
  // take() and take_string() are inlined into the line parser, and fail() kept out of
  // line: the calls, and the registers they saved, were a quarter of the parse's
  // instructions (22M of them for a 20,000-entry table, callgrind).
  [[gnu::always_inline]] Field take();
  char* find_backslash(char* from) const {
    auto* found =
        static_cast<char*>(std::memchr(from, '\\', static_cast<std::size_t>(end_ - from)));
    return found != nullptr ? found : end_;
  }
  bool take_number_fields(MountEntry& entry);
  [[gnu::always_inline]] bool take_string(std::string_view what, std::string_view& out,
                                          bool allow_empty = false);
  bool take_optional_fields(MountEntry& entry);
  bool expect_line_end();
  // Out of line and cold, so the field readers keep their registers to themselves.
  [[gnu::cold, gnu::noinline]] bool fail(std::string_view what, const Field* got);

  char* text_;
  char* end_;
  DelimiterScanner scanner_;
  // The first backslash at or after the current field: searched once per backslash, so
  // the usual escape-free text costs one memchr pass in all.
  char* backslash_;
  char* pos_ = text_;         // start of the next field
  char* line_begin_ = text_;  // start of the current line
  char* line_end_ = nullptr;  // the line's '\n' (or end_), once take() reached it
  int line_no_ = 0;
  bool parsed_a_line_ = false;  // the text is a mountinfo table, so its lines may be quoted
  Error error_;
};

bool Parser::parse(std::vector<MountEntry>& entries) {
  while (pos_ < end_) {
    ++line_no_;
    line_begin_ = pos_;
    line_end_ = nullptr;
    // Blank lines and '#' comments carry no mount: libmount skips them (leading blanks
    // and all), so hand-edited or annotated captures parse as findmnt reads them.
    if (is_blank_or_comment()) {
      skip_line();
      continue;
    }
    // Filled on the stack and copied: emplace_back() would zero the 128-byte slot with
    // `rep stos`, which cost more than the rest of the bookkeeping together.
    MountEntry entry;
    if (!parse_line(entry)) return false;
    entries.push_back(entry);
    parsed_a_line_ = true;
  }
  return true;
}

bool Parser::is_blank_or_comment() const {
  const char* p = pos_;
  while (p < end_ && (*p == ' ' || *p == '\t')) ++p;
  if (p < end_ && *p == '\r' && p + 1 < end_ && p[1] == '\n') ++p;  // a CRLF blank line
  return p == end_ || *p == '\n' || *p == '#';
}

// Consumes the scanner's delimiters up to and including the line's '\n', so scanner and
// pos_ stay together.
void Parser::skip_line() {
  std::size_t at = scanner_.next();
  while (at < static_cast<std::size_t>(end_ - text_) && text_[at] != '\n') at = scanner_.next();
  pos_ = text_ + at + 1;
}

// The scanner and pos_ move together: every delimiter it yields ends the field at pos_.
// Past the last line pos_ may point one byte into the padding, which is allocated.
inline Parser::Field Parser::take() {
  char* begin = pos_;
  char* stop = text_ + scanner_.next();
  // Branch-free: whether a field ends its line is a coin toss for the predictor, and
  // *end_ is readable (padding, zero).
  bool ends_line = (stop == end_) | (*stop == '\n');
  line_end_ = ends_line ? stop : line_end_;
  pos_ = stop + 1;
  return {begin, stop};
}

bool Parser::parse_line(MountEntry& entry) {
  return take_number_fields(entry) && take_string("root", entry.root) &&
         take_string("mount point", entry.target) && take_string("mount options", entry.options) &&
         take_optional_fields(entry) && take_string("filesystem type", entry.fstype) &&
         take_string("source", entry.source, /*allow_empty=*/true) &&
         take_string("super options", entry.super_options) && expect_line_end();
}

bool Parser::take_number_fields(MountEntry& entry) {
  Field id = take();
  if (!parse_id(id.view(), entry.id)) return fail("mount ID", &id);
  if (line_end_ != nullptr) return fail("parent ID", nullptr);
  Field parent = take();
  if (!parse_id(parent.view(), entry.parent)) return fail("parent ID", &parent);
  if (line_end_ != nullptr) return fail("major:minor", nullptr);
  Field device = take();
  if (!parse_device(device.view(), entry.major, entry.minor)) {
    return fail("major:minor", &device);
  }
  return true;
}

inline bool Parser::take_string(std::string_view what, std::string_view& out, bool allow_empty) {
  if (line_end_ != nullptr) return fail(what, nullptr);
  Field field = take();
  // A capture saved with CRLF line ends: libmount drops the '\r' before the '\n'.
  if (line_end_ != nullptr && field.end > field.begin && field.end[-1] == '\r') --field.end;
  if (field.begin == field.end && !allow_empty) return fail(what, &field);
  auto size = static_cast<std::size_t>(field.end - field.begin);
  if (backslash_ < field.begin) backslash_ = find_backslash(field.begin);
  if (backslash_ < field.end) size = unescape_in_place(field.begin, size, backslash_);
  out = std::string_view(field.begin, size);
  return true;
}

// Optional fields (7) are zero or more "tag[:value]" words ended by a lone "-" (8). They
// are kept as written, not unescaped: the kernel prints only tags and numbers there.
bool Parser::take_optional_fields(MountEntry& entry) {
  char* first = pos_;
  char* last = pos_;
  for (;;) {
    if (line_end_ != nullptr) return fail("'-' after the optional fields", nullptr);
    Field field = take();
    if (field.view() == "-") break;
    if (field.begin == field.end) return fail("optional field or '-'", &field);
    last = field.end;
  }
  entry.optional_fields = std::string_view(first, static_cast<std::size_t>(last - first));
  return true;
}

bool Parser::expect_line_end() {
  if (line_end_ != nullptr) return true;
  auto* newline =
      static_cast<char*>(std::memchr(pos_, '\n', static_cast<std::size_t>(end_ - pos_)));
  Field rest{pos_, newline != nullptr ? newline : end_};
  return fail("end of line after super options", &rest);
}

bool Parser::fail(std::string_view what, const Field* got) {
  std::string message = "line " + std::to_string(line_no_) + ": expected ";
  message += what;
  // Nothing of the text is quoted until a line of it has parsed: a file that is not a
  // mountinfo table at all (--mountinfo /etc/shadow) must not have its first line
  // printed to whoever reads the error.
  const bool quote = parsed_a_line_;
  if (got == nullptr) {
    message += ", got end of line";
  } else if (quote) {
    std::string_view quoted = got->view().substr(0, kMaxQuoted);
    message += ", got '";
    message += escape_bytes(quoted);
    message += quoted.size() < got->view().size() ? "...'" : "'";
  }
  if (line_end_ == nullptr) {
    auto* newline =
        static_cast<char*>(std::memchr(pos_, '\n', static_cast<std::size_t>(end_ - pos_)));
    line_end_ = newline != nullptr ? newline : end_;
  }
  error_ = make_error(Stage::kParse, std::move(message));
  error_.where.line = line_no_;
  char* at = got != nullptr ? got->begin : line_end_;
  error_.where.column = static_cast<int>(at - line_begin_) + 1;
  std::string_view line(line_begin_, static_cast<std::size_t>(line_end_ - line_begin_));
  if (quote) error_.excerpt = std::string(line.substr(0, kMaxExcerpt));
  return false;
}

/// A guess at the number of entries from the first 16 KiB, so the entry vector is
/// allocated about once without a full counting pass over the text. Bounded, so text
/// that is mostly empty or very short lines cannot make it reserve gigabytes up front.
std::size_t estimate_entries(const char* text, std::size_t size) {
  constexpr std::size_t kShortestLine = 20;  // "1 1 0:0 / / rw - t  rw"
  constexpr std::size_t kMaxReserve = std::size_t{1} << 20;
  std::size_t sample = std::min<std::size_t>(size, 16 * 1024);
  auto newlines = static_cast<std::size_t>(std::count(text, text + sample, '\n'));
  std::size_t line_length = std::max(sample / (newlines + 1), kShortestLine);
  return std::min(size / line_length * 9 / 8 + 16, kMaxReserve);
}

}  // namespace

Result<MountTable> parse_owned(ByteBuffer storage, std::size_t size) {
  auto impl = std::make_unique<MountTable::Impl>();
  char* text = storage.get();
  std::memset(text + size, 0, kScanPadding);
  impl->entries.reserve(estimate_entries(text, size));
  prefault(impl->entries.data(), impl->entries.capacity() * sizeof(impl->entries[0]));
  Parser parser(text, size);
  if (!parser.parse(impl->entries)) return std::unexpected(parser.take_error());
  impl->storage = std::move(storage);
  impl->storage_size = size;
  return MountTable::Impl::adopt(std::move(impl));
}

std::size_t unescape_octal(char* text, std::size_t size) {
  auto* first = static_cast<char*>(std::memchr(text, '\\', size));
  return first == nullptr ? size : unescape_in_place(text, size, first);
}

Result<MountTable> parse_mountinfo(std::string_view text) {
  ByteBuffer storage(text.size() + kScanPadding);
  if (!text.empty()) std::memcpy(storage.get(), text.data(), text.size());
  return parse_owned(std::move(storage), text.size());
}

}  // namespace rootfsctl::mountinfo
