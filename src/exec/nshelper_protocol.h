// The wire protocol between rootfsctl and its namespace helper, rootfsctl-nshelper
// (docs/architecture.md §4): the caller runs the work, the helper (inside the target's user
// and mount namespaces) performs each Syscalls call and answers.
//
// A message is a 12-byte header (magic, version, fd count, payload length) and a payload,
// sent over a SOCK_STREAM unix socket with up to kMaxFds descriptors as SCM_RIGHTS on its
// first byte. A request's payload is a Method byte and the call's arguments; an answer's is
// a status byte, then the value or the Error. Integers are little-endian fixed width,
// strings a u32 length and bytes. Both ends are built from one tree, so a version or
// magic mismatch means the wrong helper binary: it is refused, never guessed at.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/unique_fd.h"
#include "mountinfo/mountinfo.h"

namespace rootfsctl::exec::nshelper {

inline constexpr std::uint32_t kMagic = 0x68736672;  // "rfsh"
inline constexpr std::uint16_t kVersion = 1;
inline constexpr std::size_t kHeaderSize = 12;
/// The largest call the seam makes is a mount table read (read_all up to
/// kMaxMountinfoBytes); anything longer is a broken or hostile peer.
inline constexpr std::size_t kMaxPayload = mountinfo::kMaxMountinfoBytes + 4096;
/// No call takes more than two descriptors; a little slack, and no more.
inline constexpr std::size_t kMaxFds = 4;
/// The fd the helper finds its socket on (posix_spawn's dup2 puts it there).
inline constexpr int kSocketFd = 3;

/// Every call of the Syscalls interface, and kEnter, the helper's first request.
enum class Method : std::uint8_t {
  kEnter = 1,
  kPidfdOpen,
  kPidfdSendSignal,
  kOpenPath,
  kSetns,
  kUnshare,
  kUmask,
  kClearGroups,
  kSetresgid,
  kSetresuid,
  kOpenat2,
  kMkdirat,
  kSymlinkat,
  kUnlinkat,
  kFstatat,
  kFchmodat,
  kWriteAll,
  kReadAll,
  kFchdir,
  kChdir,
  kChroot,
  kSethostname,
  kFsopen,
  kFsconfig,
  kFsmount,
  kOpenTreeClone,
  kMoveMount,
  kMoveMountSetGroup,
  kMountSetattr,
  kMountSetattrIdmap,
  kUserNamespaceWithMaps,
  kSetPropagation,
  kMountFlags,
  kMountId,
  kUmount,
  kUmountFd,
  kOpenProcfs,
  kReopen,
  kFsType,
  kReplaceContent,
  kPivotRoot,
  kLast = kPivotRoot,
};

/// An answer's first byte.
enum class Status : std::uint8_t { kOk = 0, kError = 1 };

/// Builds a payload.
class Writer {
 public:
  Writer& u8(std::uint8_t v) { return put(v, 1); }
  Writer& u32(std::uint32_t v) { return put(v, 4); }
  Writer& i32(std::int32_t v) { return put(static_cast<std::uint32_t>(v), 4); }
  Writer& u64(std::uint64_t v) { return put(v, 8); }
  Writer& str(std::string_view s);
  const std::string& bytes() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  Writer& put(std::uint64_t v, int width);
  std::string out_;
};

/// Reads a payload; any read past the end (or a string longer than what is left) sets
/// failed() and returns zeros, so a decoder checks once at the end.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  std::uint8_t u8() { return static_cast<std::uint8_t>(get(1)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(get(4)); }
  std::int32_t i32() { return static_cast<std::int32_t>(u32()); }
  std::uint64_t u64() { return get(8); }
  std::string_view str();
  bool failed() const { return failed_; }
  /// Everything read, nothing left over.
  bool done() const { return !failed_ && in_.empty(); }

 private:
  std::uint64_t get(int width);
  std::string_view in_;
  bool failed_ = false;
};

struct Header {
  std::uint16_t fds = 0;
  std::uint32_t length = 0;
};

std::string encode_header(std::size_t payload_size, std::size_t fd_count);
/// The header's fields, or why they are refused (bad magic, version, too many fds, too long).
Result<Header> decode_header(std::string_view bytes);

void put_error(Writer& out, const Error& error);
std::optional<Error> get_error(Reader& in);

/// A message as received: its payload and the descriptors that came with it.
struct Message {
  std::string payload;
  std::vector<UniqueFd> fds;
};

/// Sends one message. Stage kFork errors (the peer is gone: EPIPE).
Result<void> send_message(int sock, std::string_view payload, std::span<const int> fds);
/// Receives one message; nullopt at a clean end of stream before a header. Stage kFork
/// errors for everything malformed, truncated or oversized.
Result<std::optional<Message>> receive_message(int sock);

/// "fsopen", "setns", ...: what a malformed answer is reported about.
std::string_view method_name(Method method);

}  // namespace rootfsctl::exec::nshelper
