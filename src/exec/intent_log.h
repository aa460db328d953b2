// The intent log: what a live apply is about to do, persisted before each op, so that a
// rollback is still possible when rootfsctl itself is killed (docs/crash-recovery.md).
//
// One file per target mount namespace, `mntns-<ID>.log` in the state directory
// (state_dir_path()), ID from ioctl(NS_GET_MNTNS_ID): 64-bit ids
// the kernel never reuses while it runs. Each line is one JSON record followed by a
// space and its FNV-1a hash in hex, appended with one write(2) and fdatasync(2):
//
//   {"record":"header",...} 9f3c...      the target, the boot, the layout
//   {"record":"intent","index":3,...} .. op 3 is about to run; what was there before
//   {"record":"done","index":3,...} ...  op 3 ran; what it made (mount id, dev+ino)
//
// A last line without its newline or hash is a write cut short by the kill: ignored. Any
// other damaged line makes the whole log unusable (nothing is undone from it). The file
// is removed when the apply finishes cleanly (applied, or rolled back completely).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/unique_fd.h"
#include "plan/op.h"

namespace rootfsctl::exec {

/// What one observation found at an op's target, before it ran or after. Every field is
/// optional: what is not known is not used to decide anything.
struct Facts {
  bool exists = false;    // the name was there (mkdir, mkfile, symlink)
  std::uint64_t dev = 0;  // its device and inode, when it exists
  std::uint64_t ino = 0;
  std::optional<std::uint32_t> mode;         // chmod: the mode before
  std::optional<std::uint64_t> mount_id;     // the mount the target resolves into
  std::optional<std::uint64_t> flags;        // remount: per-mount flags before
  std::optional<std::string> content;        // write: the file's content before
  std::string propagation;                   // propagation: "private", "shared", ...
  std::optional<std::uint64_t> new_root_id;  // pivot: the new root's mount id

  bool operator==(const Facts&) const = default;
};

/// The first record: which target and which run the log is about.
struct LogHeader {
  int version = 1;
  std::string boot_id;           // /proc/sys/kernel/random/boot_id of the writer
  std::uint64_t mnt_ns_id = 0;   // NS_GET_MNTNS_ID of the target's mount namespace
  pid_t pid = 0;                 // the target process, 0 for a namespace file
  std::uint64_t start_time = 0;  // its start time (proc(5) stat field 22)
  std::string layout;            // the layout's source, for messages
  int ops_total = 0;
  pid_t writer = 0;  // the rootfsctl process that wrote it

  bool operator==(const LogHeader&) const = default;
};

/// One op as the log knows it: the op (what recovery needs of it), what was there before,
/// and, once it ran, what it made.
struct OpRecord {
  plan::Op op;
  Facts before;
  std::optional<Facts> done;
};

struct ParsedLog {
  LogHeader header;
  std::vector<OpRecord> ops;  // in the order they were started
  bool torn_tail = false;     // the last line was cut short (ignored)
};

// --- the format (pure, for tests; written and read in outcome.cc, exec's serialiser) ---
// Strings follow the byte rule of every JSON rootfsctl writes: one that is not UTF-8 is
// written with U+FFFD and a "<name>_hex" companion holding its bytes, read back from it.

std::string header_line(const LogHeader& header);
std::string intent_line(const plan::Op& op, const Facts& before);
std::string done_line(int index, const Facts& made);
/// Parses a whole log. Errors: a damaged line other than the last, a record out of
/// order, no header.
Result<ParsedLog> parse_intent_log(std::string_view text);
/// The error of a log that cannot be used (code "intent-log-damaged").
Error intent_log_error(std::string message);

// --- recovery decisions (pure, for tests) ----------------------------------------------

/// What rollback does with one mount-making op, given the mount id the target resolves
/// into now: undo it (the mount there is the one the op made), or leave it.
enum class MountVerdict { kDetach, kNothing, kReplaced };
/// `done`: the op's done record, if written. Without one, the op may or may not have
/// attached its mount before the kill: a mount other than the one there before is taken
/// as its own (the kill leaves no time for anything else to mount there in between).
MountVerdict mount_verdict(const OpRecord& record, std::uint64_t id_now);

/// The same for a name an op created (mkdir, mkfile, symlink), given what is there now
/// (nullopt: nothing). `type_ok`: it is of the kind the op makes.
enum class NameVerdict { kRemove, kNothing, kReplaced };
NameVerdict name_verdict(const OpRecord& record,
                         std::optional<std::pair<std::uint64_t, std::uint64_t>> dev_ino_now,
                         bool type_ok);

// --- the state directory and the log file ----------------------------------------------

/// $ROOTFSCTL_STATE_DIR when set (tests, admins), else /run/rootfsctl for root; for
/// another caller $XDG_RUNTIME_DIR/rootfsctl, or /tmp/rootfsctl-UID without one.
std::string state_dir_path();

/// "mntns-<id>.log".
std::string log_name(std::uint64_t mnt_ns_id);

/// The state directory, made 0700 when missing, refused unless it is a real directory
/// (no symlink) owned by the caller's euid with no permission for group or others.
Result<UniqueFd> open_state_dir(const std::string& path);

/// An intent log open for appending, exclusively locked (flock) for as long as it lives.
class IntentLog {
 public:
  IntentLog() = default;
  /// Appends one line and makes it durable (one write, then fdatasync).
  Result<void> append(std::string_view line);
  /// Removes the file (it is finished) and closes it.
  Result<void> remove();
  bool is_open() const { return fd_.get() >= 0; }
  /// Whether anything past the header was appended (by this process or a helper).
  bool has_intents() const;
  int fd() const { return fd_.get(); }

  /// Creates the log for `header.mnt_ns_id` in `dir` with the header written. Refused
  /// when one exists already (a leftover, or an apply running now).
  static Result<IntentLog> create(int dir, const LogHeader& header);

 private:
  IntentLog(int dir, std::string name, UniqueFd fd);
  int dir_ = -1;
  std::size_t header_size_ = 0;
  std::string name_;
  UniqueFd fd_;
};

/// What the state directory holds for one mount namespace.
enum class LogState { kNone, kLeftover, kBusy };

/// Looks for the log of `mnt_ns_id` in `dir`: none; a leftover (no apply holds its lock);
/// or busy (an apply runs now). For kLeftover, `locked` receives the file, locked, and
/// `text` its content.
Result<LogState> find_log(int dir, std::uint64_t mnt_ns_id, UniqueFd* locked = nullptr,
                          std::string* text = nullptr);

/// Removes the leftover log of `mnt_ns_id` (after a rollback finished it).
Result<void> remove_log(int dir, std::uint64_t mnt_ns_id);

/// This boot's id (/proc/sys/kernel/random/boot_id), "" when unreadable.
std::string current_boot_id();

/// Receives what the executor observes around each op (exec::ExecOptions::intents).
class IntentSink {
 public:
  virtual ~IntentSink() = default;
  /// Before op runs: must be durable when it returns. An error stops the apply.
  virtual Result<void> before(const plan::Op& op, const Facts& facts) = 0;
  /// After op ran.
  virtual Result<void> after(const plan::Op& op, const Facts& made) = 0;
};

/// The sink that writes an IntentLog.
class LogSink final : public IntentSink {
 public:
  explicit LogSink(IntentLog& log) : log_(log) {}
  Result<void> before(const plan::Op& op, const Facts& facts) override {
    return log_.append(intent_line(op, facts));
  }
  Result<void> after(const plan::Op& op, const Facts& made) override {
    return log_.append(done_line(op.index, made));
  }

 private:
  IntentLog& log_;
};

}  // namespace rootfsctl::exec
