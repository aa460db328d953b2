// The intent log's format, its file in the state directory, and the recovery decisions
// that depend only on what the log says (intent_log.h).
#include "exec/intent_log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace rootfsctl::exec {
namespace {

using json = nlohmann::ordered_json;

constexpr std::size_t kMaxLog = 256u << 20;

/// FNV-1a, 64 bits: enough to tell a torn or damaged line from a whole one.
std::string hash_of(std::string_view text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

std::string line_of(const json& record) {
  std::string body = record.dump(-1, ' ', true);
  return body + " " + hash_of(body) + "\n";
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

json facts_json(const Facts& f) {
  json out = json::object();
  if (f.exists) {
    out["exists"] = true;
    out["dev"] = f.dev;
    out["ino"] = f.ino;
  }
  if (f.mode) out["mode"] = *f.mode;
  if (f.mount_id) out["mount_id"] = *f.mount_id;
  if (f.flags) out["flags"] = *f.flags;
  if (f.content) out["content_hex"] = to_hex(*f.content);
  if (!f.propagation.empty()) out["propagation"] = f.propagation;
  if (f.new_root_id) out["new_root_id"] = *f.new_root_id;
  return out;
}

Facts facts_from(const json& in) {
  Facts f;
  f.exists = in.value("exists", false);
  f.dev = in.value("dev", std::uint64_t{0});
  f.ino = in.value("ino", std::uint64_t{0});
  if (in.contains("mode")) f.mode = in["mode"].get<std::uint32_t>();
  if (in.contains("mount_id")) f.mount_id = in["mount_id"].get<std::uint64_t>();
  if (in.contains("flags")) f.flags = in["flags"].get<std::uint64_t>();
  if (in.contains("content_hex")) {
    f.content = from_hex(in["content_hex"].get<std::string>());
    if (!f.content) throw std::invalid_argument("content_hex is not hex");
  }
  f.propagation = in.value("propagation", std::string());
  if (in.contains("new_root_id")) f.new_root_id = in["new_root_id"].get<std::uint64_t>();
  return f;
}

json op_json(const plan::Op& op) {
  json out;
  out["index"] = op.index;
  out["op"] = plan::op_name(op.kind);
  out["scope"] = plan::scope_name(op.scope);
  out["target"] = op.target;
  if (!op.source.empty()) out["source"] = op.source;
  if (!op.fstype.empty()) out["fstype"] = op.fstype;
  if (!op.flags.empty()) out["flags"] = plan::flag_names(op.flags);
  if (auto entry = op.entry_name(); !entry.empty()) out["entry"] = entry;
  out["role"] = plan::role_name(op.role);
  if (op.entry_index >= 0) out["entry_index"] = op.entry_index;
  if (op.mode) out["mode"] = *op.mode;
  if (op.commit) out["commit"] = true;
  return out;
}

/// The op's role and entry kind back from a record. A journal written before records named
/// the role says only the entry ("root", "sysctl", "bind", ...); the op's kind and scope
/// tell the rest, except a mount point from a parent, which recovery treats alike.
void set_role(plan::Op& op, const std::string& role, const std::string& entry) {
  using plan::Role;
  if (auto kind = layout::kind_from_name(entry)) op.entry_kind = *kind;
  if (auto named = plan::role_from_name(role)) {
    op.role = *named;
  } else if (entry == "root") {
    op.role = op.kind == plan::OpKind::kPivotRoot ? Role::kPivot
              : op.scope == plan::Scope::kOldRoot ? Role::kOldRoot
                                                  : Role::kRoot;
  } else if (entry == "sysctl") {
    op.role = Role::kSysctl;
  } else if (entry == "hostname") {
    op.role = Role::kHostname;
  } else if (entry == "devpts" && op.kind == plan::OpKind::kSymlink) {
    op.role = Role::kPtmx;
  } else if (entry == "overlay" && op.kind == plan::OpKind::kMkdir) {
    op.role = Role::kOverlayWorkDir;
  } else if (entry.empty()) {
    op.role = op.kind == plan::OpKind::kPropagation ? Role::kPropagation
              : op.kind == plan::OpKind::kRemount   ? Role::kKeepWritable
                                                    : Role::kMountPoint;
  } else if (!layout::kind_from_name(entry)) {
    throw std::invalid_argument("unknown entry '" + entry + "'");
  }
}

plan::Op op_from(const json& in) {
  plan::Op op;
  op.index = in.at("index").get<int>();
  const auto kind = in.at("op").get<std::string>();
  bool known = false;
  for (int k = 0; k <= static_cast<int>(plan::OpKind::kUmount); ++k) {
    if (plan::op_name(static_cast<plan::OpKind>(k)) != kind) continue;
    op.kind = static_cast<plan::OpKind>(k);
    known = true;
  }
  if (!known) throw std::invalid_argument("unknown op '" + kind + "'");
  const auto scope = in.at("scope").get<std::string>();
  known = false;
  for (auto s : {plan::Scope::kCurrent, plan::Scope::kNewRoot, plan::Scope::kOldRoot}) {
    if (plan::scope_name(s) != scope) continue;
    op.scope = s;
    known = true;
  }
  if (!known) throw std::invalid_argument("unknown scope '" + scope + "'");
  op.target = in.at("target").get<std::string>();
  op.source = in.value("source", std::string());
  op.fstype = in.value("fstype", std::string());
  const auto names = in.value("flags", std::vector<std::string>{});
  auto flags = plan::flags_from_names(names);
  if (!flags) throw std::invalid_argument("unknown flag in " + json(names).dump());
  op.flags = *flags;
  set_role(op, in.value("role", std::string()), in.value("entry", std::string()));
  op.entry_index = in.value("entry_index", -1);
  if (in.contains("mode")) op.mode = in["mode"].get<std::uint32_t>();
  op.commit = in.value("commit", false);
  return op;
}

Error log_error(std::string message, int errno_value = 0) {
  Error error = make_error(Stage::kRead, std::move(message), errno_value);
  error.code = "intent-log-damaged";
  return error;
}

/// One line without its newline: the JSON record, if the hash matches.
std::optional<json> record_of(std::string_view line) {
  auto space = line.rfind(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::string_view body = line.substr(0, space);
  if (hash_of(body) != line.substr(space + 1)) return std::nullopt;
  auto parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  return parsed;
}

Error io_error(std::string what, int errno_value) {
  return make_error(Stage::kCreate, std::move(what), errno_value);
}

}  // namespace

std::string header_line(const LogHeader& h) {
  json out;
  out["record"] = "header";
  out["version"] = h.version;
  out["boot_id"] = h.boot_id;
  out["mnt_ns_id"] = h.mnt_ns_id;
  out["pid"] = h.pid;
  out["start_time"] = h.start_time;
  out["layout"] = h.layout;
  out["ops_total"] = h.ops_total;
  out["writer"] = h.writer;
  return line_of(out);
}

std::string intent_line(const plan::Op& op, const Facts& before) {
  json out;
  out["record"] = "intent";
  out["index"] = op.index;
  out["op"] = op_json(op);
  out["before"] = facts_json(before);
  return line_of(out);
}

std::string done_line(int index, const Facts& made) {
  json out;
  out["record"] = "done";
  out["index"] = index;
  out["made"] = facts_json(made);
  return line_of(out);
}

Result<ParsedLog> parse_intent_log(std::string_view text) {
  ParsedLog log;
  bool have_header = false;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    auto newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    const bool last = newline == std::string_view::npos || newline + 1 == text.size();
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    auto record = record_of(line);
    if (!record) {
      // Only the line being written when rootfsctl was killed may be cut short.
      if (last) {
        log.torn_tail = true;
        break;
      }
      return std::unexpected(log_error("line " + std::to_string(line_no) + " is damaged"));
    }
    try {
      const auto kind = record->at("record").get<std::string>();
      if (kind == "header") {
        if (have_header) throw std::invalid_argument("a second header");
        have_header = true;
        log.header.version = record->at("version").get<int>();
        if (log.header.version != 1) throw std::invalid_argument("unknown version");
        log.header.boot_id = record->at("boot_id").get<std::string>();
        log.header.mnt_ns_id = record->at("mnt_ns_id").get<std::uint64_t>();
        log.header.pid = record->at("pid").get<pid_t>();
        log.header.start_time = record->at("start_time").get<std::uint64_t>();
        log.header.layout = record->at("layout").get<std::string>();
        log.header.ops_total = record->at("ops_total").get<int>();
        log.header.writer = record->at("writer").get<pid_t>();
      } else if (!have_header) {
        throw std::invalid_argument("a record before the header");
      } else if (kind == "intent") {
        OpRecord op{op_from(record->at("op")), facts_from(record->at("before")), std::nullopt};
        if (op.op.index != record->at("index").get<int>()) throw std::invalid_argument("index");
        log.ops.push_back(std::move(op));
      } else if (kind == "done") {
        const int index = record->at("index").get<int>();
        if (log.ops.empty() || log.ops.back().op.index != index || log.ops.back().done) {
          throw std::invalid_argument("a done record without its intent");
        }
        log.ops.back().done = facts_from(record->at("made"));
      } else {
        throw std::invalid_argument("unknown record '" + kind + "'");
      }
    } catch (const std::exception& e) {
      return std::unexpected(
          log_error("line " + std::to_string(line_no) + ": " + std::string(e.what())));
    }
  }
  if (!have_header) return std::unexpected(log_error("no header"));
  return log;
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
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    Error error = make_error(Stage::kUsage,
                             "the state directory " + path + " is not private (owner uid " +
                                 std::to_string(st.st_uid) + ", mode " + mode + ")",
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
      return std::unexpected(log_error(name + " is not an intent log rootfsctl wrote"));
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
