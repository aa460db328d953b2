// The helper's wire format (nshelper_protocol.h).
#include "exec/nshelper_protocol.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace rootfsctl::exec::nshelper {
namespace {

constexpr std::array<std::string_view, static_cast<std::size_t>(Method::kLast)> kMethodNames = {
    "enter",
    "pidfd_open",
    "pidfd_send_signal",
    "open_path",
    "setns",
    "unshare",
    "umask",
    "clear_groups",
    "setresgid",
    "setresuid",
    "openat2",
    "mkdirat",
    "symlinkat",
    "unlinkat",
    "fstatat",
    "fchmodat",
    "write_all",
    "read_all",
    "fchdir",
    "chdir",
    "chroot",
    "sethostname",
    "fsopen",
    "fsconfig",
    "fsmount",
    "open_tree_clone",
    "move_mount",
    "move_mount_set_group",
    "mount_setattr",
    "mount_setattr_idmap",
    "user_namespace_with_maps",
    "set_propagation",
    "mount_flags",
    "mount_id",
    "umount",
    "umount_fd",
    "open_procfs",
    "reopen",
    "fs_type",
    "replace_content",
    "pivot_root"};

/// Bounds for an error's strings: an Error from a syscall is a few lines.
constexpr std::uint32_t kMaxContextLayers = 64;

Error transport_error(std::string message, int errno_value = 0) {
  return make_error(Stage::kFork, "namespace helper: " + std::move(message), errno_value);
}

Result<void> send_all(int sock, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(sock, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(transport_error("send", errno));
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

/// The header, with the descriptors that ride on its first byte.
Result<std::size_t> receive_header(int sock, char* header, std::vector<UniqueFd>& fds) {
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int) * kMaxFds)> control{};
  iovec iov{header, kHeaderSize};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  ssize_t n;
  do {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return std::unexpected(transport_error("receive", errno));
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      fds.emplace_back(fd);
    }
  }
  if (msg.msg_flags & MSG_CTRUNC) {
    return std::unexpected(transport_error("a message came with too many descriptors"));
  }
  return static_cast<std::size_t>(n);
}

Result<void> receive_exactly(int sock, char* into, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::recv(sock, into, size, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(transport_error("receive", errno));
    if (n == 0) return std::unexpected(transport_error("the message ends early"));
    into += n;
    size -= static_cast<std::size_t>(n);
  }
  return {};
}

/// The payload, appended as it arrives: a lying length costs nothing until bytes come.
Result<std::string> receive_payload(int sock, std::size_t length) {
  std::string payload;
  std::array<char, 65536> chunk{};
  while (payload.size() < length) {
    const std::size_t want = std::min(chunk.size(), length - payload.size());
    if (auto got = receive_exactly(sock, chunk.data(), want); !got) {
      return std::unexpected(got.error());
    }
    payload.append(chunk.data(), want);
  }
  return payload;
}

}  // namespace

Writer& Writer::str(std::string_view s) {
  u32(static_cast<std::uint32_t>(s.size()));
  out_.append(s);
  return *this;
}

Writer& Writer::put(std::uint64_t v, int width) {
  for (int i = 0; i < width; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return *this;
}

std::uint64_t Reader::get(int width) {
  if (failed_ || in_.size() < static_cast<std::size_t>(width)) {
    failed_ = true;
    return 0;
  }
  std::uint64_t v = 0;
  for (int i = 0; i < width; ++i) {
    v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in_[i])) << (8 * i);
  }
  in_.remove_prefix(static_cast<std::size_t>(width));
  return v;
}

std::string_view Reader::str() {
  const std::uint32_t size = u32();
  if (failed_ || in_.size() < size) {
    failed_ = true;
    return {};
  }
  std::string_view s = in_.substr(0, size);
  in_.remove_prefix(size);
  return s;
}

std::string encode_header(std::size_t payload_size, std::size_t fd_count) {
  Writer w;
  w.u32(kMagic).u32(static_cast<std::uint32_t>(kVersion) |
                    (static_cast<std::uint32_t>(fd_count) << 16));
  w.u32(static_cast<std::uint32_t>(payload_size));
  return w.take();
}

Result<Header> decode_header(std::string_view bytes) {
  Reader in(bytes);
  const std::uint32_t magic = in.u32();
  const std::uint32_t version_and_fds = in.u32();
  Header header;
  header.length = in.u32();
  header.fds = static_cast<std::uint16_t>(version_and_fds >> 16);
  if (!in.done() || magic != kMagic) {
    return std::unexpected(transport_error("not a helper message (bad magic)"));
  }
  if ((version_and_fds & 0xffff) != kVersion) {
    return std::unexpected(transport_error(
        "protocol version " + std::to_string(version_and_fds & 0xffff) + ", expected " +
        std::to_string(kVersion) + " (a helper from another build?)"));
  }
  if (header.fds > kMaxFds) return std::unexpected(transport_error("too many descriptors"));
  if (header.length > kMaxPayload) {
    return std::unexpected(
        transport_error("a message of " + std::to_string(header.length) + " bytes is too long"));
  }
  return header;
}

void put_error(Writer& out, const Error& error) {
  out.u8(static_cast<std::uint8_t>(error.stage)).i32(error.errno_value);
  out.str(error.message).str(error.hint).str(error.code);
  out.u32(static_cast<std::uint32_t>(error.context.size()));
  for (const auto& layer : error.context) out.str(layer);
}

std::optional<Error> get_error(Reader& in) {
  Error error;
  const std::uint8_t stage = in.u8();
  error.stage = static_cast<Stage>(stage);
  error.errno_value = in.i32();
  error.message = in.str();
  error.hint = in.str();
  error.code = in.str();
  const std::uint32_t layers = in.u32();
  if (in.failed() || stage > static_cast<std::uint8_t>(Stage::kInternal) ||
      layers > kMaxContextLayers) {
    return std::nullopt;
  }
  for (std::uint32_t i = 0; i < layers && !in.failed(); ++i) error.context.emplace_back(in.str());
  if (in.failed()) return std::nullopt;
  return error;
}

Result<void> send_message(int sock, std::string_view payload, std::span<const int> fds) {
  if (payload.size() > kMaxPayload || fds.size() > kMaxFds) {
    return std::unexpected(transport_error("a message too large to send", E2BIG));
  }
  const std::string header = encode_header(payload.size(), fds.size());
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int) * kMaxFds)> control{};
  iovec iov{const_cast<char*>(header.data()), header.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (!fds.empty()) {
    msg.msg_control = control.data();
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t n;
  do {
    n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return std::unexpected(transport_error("send", errno));
  // The descriptors went with the first byte; the rest of the header and the payload follow.
  if (auto rest = send_all(sock, std::string_view(header).substr(static_cast<std::size_t>(n)));
      !rest) {
    return rest;
  }
  return send_all(sock, payload);
}

Result<std::optional<Message>> receive_message(int sock) {
  Message message;
  std::array<char, kHeaderSize> header_bytes{};
  auto first = receive_header(sock, header_bytes.data(), message.fds);
  if (!first) return std::unexpected(first.error());
  if (*first == 0) return std::nullopt;
  if (auto rest = receive_exactly(sock, header_bytes.data() + *first, kHeaderSize - *first);
      !rest) {
    return std::unexpected(rest.error());
  }
  auto header = decode_header(std::string_view(header_bytes.data(), kHeaderSize));
  if (!header) return std::unexpected(header.error());
  if (header->fds != message.fds.size()) {
    return std::unexpected(transport_error("a message's descriptors do not match its header"));
  }
  auto payload = receive_payload(sock, header->length);
  if (!payload) return std::unexpected(payload.error());
  message.payload = std::move(*payload);
  return message;
}

std::string_view method_name(Method method) {
  const auto index = static_cast<std::size_t>(method);
  if (index == 0 || index > kMethodNames.size()) return "unknown";
  return kMethodNames[index - 1];
}

}  // namespace rootfsctl::exec::nshelper
