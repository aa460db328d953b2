#include "layout/loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "core/unique_fd.h"
#include "layout/compose.h"
#include "layout/source_text.h"
#include "layout/vars.h"

namespace rootfsctl::layout {

extern const std::string_view kLayoutSchemaText;

namespace {

Error file_error(const std::string& path, std::string message, int errno_value = 0,
                 std::string hint = {}) {
  Error error = make_error(errno_value != 0 ? Stage::kRead : Stage::kManifest, std::move(message),
                           errno_value);
  error.where = Location{path, 0, 0};
  error.hint = std::move(hint);
  return error;
}

std::string_view file_type_name(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

Result<void> check_file(const std::string& path, const struct stat& st) {
  if (!S_ISREG(st.st_mode)) {
    return std::unexpected(file_error(
        path, "layout is " + std::string(file_type_name(st.st_mode)) + ", not a regular file"));
  }
  if (static_cast<std::uintmax_t>(st.st_size) > kMaxLayoutBytes) {
    return std::unexpected(file_error(path,
                                      "layout is " + std::to_string(st.st_size) +
                                          " bytes, more than the limit of " +
                                          std::to_string(kMaxLayoutBytes),
                                      0, "a layout is a short text file; is this the right file?"));
  }
  return {};
}

// Reads at most kMaxLayoutBytes + 1 bytes: a file that grew after fstat (or a /proc file
// that reports size 0) is still refused by load_layout's own size check.
Result<std::string> read_all(const std::string& path, int fd) {
  std::string text;
  char buffer[64 * 1024];
  while (text.size() <= kMaxLayoutBytes) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(file_error(path, "cannot read layout", errno));
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

}  // namespace

Result<void> check_set_vars(const std::map<std::string, std::string>& set_vars) {
  for (const auto& [name, value] : set_vars) {
    if (is_var_name(name)) continue;
    Error error = make_error(Stage::kUsage, "invalid variable name '" + name + "' in --set");
    error.hint = "names are letters, digits and '_', and do not start with a digit";
    return std::unexpected(std::move(error));
  }
  return {};
}

Result<Layout> load_layout(std::string_view text, std::string_view source_name,
                           const LoadOptions& options) {
  // Refuse oversized text before copying it.
  const SourceText source{text, std::string(source_name)};
  if (auto ok = check_size(source, kMaxLayoutBytes); !ok) return std::unexpected(ok.error());
  if (auto ok = check_set_vars(options.set_vars); !ok) return std::unexpected(ok.error());
  auto file = parse_file(std::string(text), std::string(source_name), options.set_vars);
  if (!file) return std::unexpected(file.error());
  // A file on its own is a profile of one: the same expansion, nothing to merge, and its
  // removals kept (they apply to parents this function does not load).
  auto composed = compose(std::span(&*file, 1), options.set_vars, false);
  if (!composed) return std::unexpected(composed.error());
  return std::move(composed->layout);
}

Result<std::string> read_layout_text(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat refuses it right after.
  // O_NOCTTY: opening a terminal must not make it our controlling terminal.
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) return std::unexpected(file_error(path, "cannot open layout", errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return std::unexpected(file_error(path, "cannot stat layout", errno));
  }
  if (auto ok = check_file(path, st); !ok) return std::unexpected(ok.error());
  return read_all(path, fd.get());
}

Result<Layout> load_layout_file(const std::string& path, const LoadOptions& options) {
  auto text = read_layout_text(path);
  if (!text) return std::unexpected(text.error());
  return load_layout(*text, path, options);
}

std::string_view layout_schema_text() { return kLayoutSchemaText; }

}  // namespace rootfsctl::layout
