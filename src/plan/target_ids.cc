#include "plan/target_ids.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>

namespace rootfsctl::plan {
namespace {

std::optional<std::uint64_t> ns_inode(const std::string& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_ino);
}

/// The next space-separated decimal number of `line`, consumed.
std::optional<std::uint32_t> next_number(std::string_view& line) {
  const auto begin = line.find_first_not_of(' ');
  if (begin == std::string_view::npos) return std::nullopt;
  line.remove_prefix(begin);
  std::uint32_t value = 0;
  auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
  if (ec != std::errc{} || (end != line.data() + line.size() && *end != ' ')) return std::nullopt;
  line.remove_prefix(static_cast<std::size_t>(end - line.data()));
  return value;
}

Error malformed(int line_number, std::string_view why) {
  return make_error(Stage::kParse, "malformed id map, line " + std::to_string(line_number) + ": " +
                                       std::string(why));
}

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

}  // namespace

std::optional<std::uint32_t> IdMap::outside_of(std::uint32_t inside) const {
  for (const auto& range : ranges) {
    if (inside >= range.inside && inside - range.inside < range.count) {
      return range.outside + (inside - range.inside);
    }
  }
  return std::nullopt;
}

bool IdMap::maps_outside(std::uint32_t outside) const {
  for (const auto& range : ranges) {
    if (outside >= range.outside && outside - range.outside < range.count) return true;
  }
  return false;
}

std::string IdMap::to_string() const {
  if (ranges.empty()) return "an empty map";
  std::string out;
  for (const auto& range : ranges) {
    if (!out.empty()) out += "; ";
    out += std::to_string(range.inside) + " " + std::to_string(range.outside) + " " +
           std::to_string(range.count);
  }
  return out;
}

Result<IdMap> parse_id_map(std::string_view text) {
  IdMap map;
  int line_number = 0;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++line_number;
    if (line.find_first_not_of(' ') == std::string_view::npos) continue;
    IdRange range;
    std::uint32_t* fields[] = {&range.inside, &range.outside, &range.count};
    for (auto* field : fields) {
      auto value = next_number(line);
      if (!value) return std::unexpected(malformed(line_number, "expected three numbers"));
      *field = *value;
    }
    if (line.find_first_not_of(' ') != std::string_view::npos) {
      return std::unexpected(malformed(line_number, "more than three fields"));
    }
    // As the kernel checks a map it is given (map_write): first + count may not wrap.
    constexpr std::uint64_t kLast = std::numeric_limits<std::uint32_t>::max();
    if (range.count == 0 || range.inside + std::uint64_t{range.count} > kLast ||
        range.outside + std::uint64_t{range.count} > kLast) {
      return std::unexpected(malformed(line_number, "empty range or past the last id"));
    }
    map.ranges.push_back(range);
  }
  return map;
}

std::optional<TargetIds> read_target_ids(pid_t pid) {
  const std::string proc = "/proc/" + std::to_string(pid);
  auto theirs = ns_inode(proc + "/ns/user");
  auto mine = ns_inode("/proc/self/ns/user");
  if (!theirs || !mine || *theirs == *mine) return std::nullopt;
  auto uid_text = read_text(proc + "/uid_map");
  auto gid_text = read_text(proc + "/gid_map");
  if (!uid_text || !gid_text) return std::nullopt;
  auto uids = parse_id_map(*uid_text);
  auto gids = parse_id_map(*gid_text);
  // The kernel writes these files itself: malformed means something unexpected, treated
  // as unknown rather than as a namespace without a root.
  if (!uids || !gids) return std::nullopt;
  return TargetIds{std::move(*uids), std::move(*gids)};
}

std::optional<TargetIds> read_namespace_ids(int user_ns_fd) {
  struct stat theirs {};
  struct stat mine {};
  if (::fstat(user_ns_fd, &theirs) != 0 || ::stat("/proc/self/ns/user", &mine) != 0) {
    return std::nullopt;
  }
  if (theirs.st_ino == mine.st_ino && theirs.st_dev == mine.st_dev) return std::nullopt;
  // ready: the child says it has joined; hold: it waits for EOF there, so it stays in the
  // namespace while its maps are read.
  int ready[2];
  int hold[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return std::nullopt;
  if (::pipe2(hold, O_CLOEXEC) != 0) {
    ::close(ready[0]);
    ::close(ready[1]);
    return std::nullopt;
  }
  // Every signal blocked across the fork and in the child: a handler of the caller's (a Go
  // runtime installs one for each) must not run in a one-thread copy of it.
  sigset_t all;
  sigset_t saved;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &saved);
  const pid_t child = ::fork();
  if (child != 0) ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (child == 0) {
    // Only async-signal-safe calls from here to _exit: the caller may have threads. Its
    // copy of hold's write end goes first, or the read below would never see EOF.
    ::close(hold[1]);
    ::close(ready[0]);
    char ok = ::setns(user_ns_fd, CLONE_NEWUSER) == 0 ? '1' : '0';
    (void)!::write(ready[1], &ok, 1);
    char byte;
    while (::read(hold[0], &byte, 1) < 0 && errno == EINTR) {
    }
    ::_exit(0);
  }
  ::close(ready[1]);
  ::close(hold[0]);
  std::optional<TargetIds> ids;
  char ok = '0';
  if (child > 0 && ::read(ready[0], &ok, 1) == 1 && ok == '1') ids = read_target_ids(child);
  ::close(ready[0]);
  ::close(hold[1]);
  if (child > 0) {
    while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  return ids;
}

}  // namespace rootfsctl::plan
