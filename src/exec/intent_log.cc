// The intent log's file in the state directory, and the recovery decisions that depend
// only on what the log says (intent_log.h). Its records are written and read by the
// serialiser in outcome.cc.
#include "exec/intent_log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "core/mode.h"

namespace rootfsctl::exec {
namespace {

constexpr std::size_t kMaxLog = 256u << 20;

Error io_error(std::string what, int errno_value) {
  return make_error(Stage::kCreate, std::move(what), errno_value);
}

}  // namespace

Error intent_log_error(std::string message) {
  Error error = make_error(Stage::kRead, std::move(message));
  error.code = "intent-log-damaged";
  return error;
}

MountVerdict mount_verdict(const OpRecord& record, std::uint64_t id_now) {
  if (record.done && record.done->mount_id) {
    if (id_now == *record.done->mount_id) return MountVerdict::kDetach;
    if (record.before.mount_id && id_now == *record.before.mount_id) return MountVerdict::kNothing;
    return MountVerdict::kReplaced;
  }
  // Killed between the intent and the done record: the op attached its mount or did not.
  if (!record.before.mount_id || id_now == *record.before.mount_id) return MountVerdict::kNothing;
  return MountVerdict::kDetach;
}

NameVerdict name_verdict(const OpRecord& record,
                         std::optional<std::pair<std::uint64_t, std::uint64_t>> now, bool type_ok) {
  if (record.before.exists || !now) return NameVerdict::kNothing;
  if (record.done && record.done->exists) {
    return now->first == record.done->dev && now->second == record.done->ino
               ? NameVerdict::kRemove
               : NameVerdict::kReplaced;
  }
  return type_ok ? NameVerdict::kRemove : NameVerdict::kReplaced;
}

std::string state_dir_path() {
  const char* dir = std::getenv("ROOTFSCTL_STATE_DIR");
  if (dir && *dir) return dir;
  if (::geteuid() == 0) return "/run/rootfsctl";
  // A rootless caller cannot write /run: its runtime directory, else a directory of its
  // own in /tmp (open_state_dir refuses one someone else made there).
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  if (runtime && *runtime == '/') return std::string(runtime) + "/rootfsctl";
  return "/tmp/rootfsctl-" + std::to_string(::geteuid());
}

std::string log_name(std::uint64_t mnt_ns_id) {
  return "mntns-" + std::to_string(mnt_ns_id) + ".log";
}

Result<UniqueFd> open_state_dir(const std::string& path) {
  if (path.empty() || path.front() != '/') {
    return std::unexpected(make_error(Stage::kUsage,
                                      "the state directory must be an absolute "
                                      "path, got '" +
                                          path + "'"));
  }
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return std::unexpected(io_error("make the state directory " + path, errno));
  }
  UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (dir.get() < 0) return std::unexpected(io_error("open the state directory " + path, errno));
  struct stat st {};
  if (::fstat(dir.get(), &st) != 0) return std::unexpected(io_error("stat " + path, errno));
  // Whoever can write here can forge what a rollback undoes.
  if (st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
    Error error =
        make_error(Stage::kUsage,
                   "the state directory " + path + " is not private (owner uid " +
                       std::to_string(st.st_uid) + ", mode " + octal_mode(st.st_mode & 07777) + ")",
                   EPERM);
    error.code = "state-dir-unsafe";
    error.hint = "it must be a directory owned by the caller with mode 0700";
    return std::unexpected(error);
  }
  return dir;
}

IntentLog::IntentLog(int dir, std::string name, UniqueFd fd)
    : dir_(dir), name_(std::move(name)), fd_(std::move(fd)) {}

Result<IntentLog> IntentLog::create(int dir, const LogHeader& header) {
  // The directory's lock makes "is there one? then create it" one step against another
  // rootfsctl doing the same.
  if (::flock(dir, LOCK_EX) != 0)
    return std::unexpected(io_error("lock the state directory", errno));
  const std::string name = log_name(header.mnt_ns_id);
  UniqueFd fd(::openat(dir, name.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600));
  const int err = errno;
  if (fd.get() >= 0 && ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) fd.reset();
  ::flock(dir, LOCK_UN);
  if (fd.get() < 0) {
    Error error = io_error("create the intent log " + name, err);
    if (err == EEXIST) error.code = "interrupted-apply";
    return std::unexpected(error);
  }
  IntentLog log(dir, name, std::move(fd));
  const std::string first = header_line(header);
  if (auto ok = log.append(first); !ok) return std::unexpected(ok.error());
  log.header_size_ = first.size();
  return log;
}

Result<void> IntentLog::append(std::string_view line) {
  // One write(2) of the whole line with O_APPEND: a kill lands before or after it, and a
  // line cut short by anything else is seen by its hash.
  const ssize_t n = ::write(fd_.get(), line.data(), line.size());
  if (n < 0) return std::unexpected(io_error("append to the intent log " + name_, errno));
  if (static_cast<std::size_t>(n) != line.size()) {
    return std::unexpected(io_error("append to the intent log " + name_ + ": short write", EIO));
  }
  if (::fdatasync(fd_.get()) != 0) {
    return std::unexpected(io_error("fdatasync the intent log " + name_, errno));
  }
  return {};
}

bool IntentLog::has_intents() const {
  struct stat st {};
  // When unknown, assume so: a log is only ever removed when it is known to be finished.
  if (::fstat(fd_.get(), &st) != 0) return true;
  return static_cast<std::size_t>(st.st_size) > header_size_;
}

Result<void> IntentLog::remove() {
  if (!is_open()) return {};
  ::flock(dir_, LOCK_EX);
  const int done = ::unlinkat(dir_, name_.c_str(), 0);
  const int err = errno;
  ::flock(dir_, LOCK_UN);
  fd_.reset();
  if (done != 0) return std::unexpected(io_error("remove the intent log " + name_, err));
  return {};
}

Result<LogState> find_log(int dir, std::uint64_t mnt_ns_id, UniqueFd* locked, std::string* text) {
  const std::string name = log_name(mnt_ns_id);
  if (::flock(dir, LOCK_EX) != 0)
    return std::unexpected(io_error("lock the state directory", errno));
  UniqueFd fd(::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  const int err = errno;
  LogState state = LogState::kNone;
  if (fd.get() >= 0) {
    state = ::flock(fd.get(), LOCK_EX | LOCK_NB) == 0 ? LogState::kLeftover : LogState::kBusy;
  }
  ::flock(dir, LOCK_UN);
  if (fd.get() < 0 && err != ENOENT) {
    return std::unexpected(io_error("open the intent log " + name, err));
  }
  if (state != LogState::kLeftover) return state;
  if (text) {
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return std::unexpected(io_error("stat " + name, errno));
    if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid() ||
        static_cast<std::size_t>(st.st_size) > kMaxLog) {
      return std::unexpected(intent_log_error(name + " is not an intent log rootfsctl wrote"));
    }
    text->assign(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < text->size()) {
      const ssize_t n =
          ::pread(fd.get(), text->data() + got, text->size() - got, static_cast<off_t>(got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return std::unexpected(io_error("read " + name, errno));
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    text->resize(got);
  }
  if (locked) *locked = std::move(fd);
  return state;
}

Result<void> remove_log(int dir, std::uint64_t mnt_ns_id) {
  const std::string name = log_name(mnt_ns_id);
  ::flock(dir, LOCK_EX);
  const int done = ::unlinkat(dir, name.c_str(), 0);
  const int err = errno;
  ::flock(dir, LOCK_UN);
  if (done != 0 && err != ENOENT) return std::unexpected(io_error("remove " + name, err));
  return {};
}

std::string current_boot_id() {
  std::string id;
  if (FILE* f = std::fopen("/proc/sys/kernel/random/boot_id", "re")) {
    char buffer[64] = {};
    if (std::fgets(buffer, sizeof buffer, f)) id = buffer;
    std::fclose(f);
  }
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  return id;
}

}  // namespace rootfsctl::exec
