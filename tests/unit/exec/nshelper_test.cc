// The namespace helper's protocol and both its ends: the wire format (round trips, and
// malformed, truncated or oversized input refused), and the proxy talking to serve() over
// a socketpair, with the recording fake standing in for the kernel on the helper's side.
// (The real helper in real namespaces: tests/e2e/exec_plumbing_test.cc.)
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <regex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "exec/nshelper_protocol.h"
#include "exec/nshelper_proxy.h"
#include "exec/nshelper_server.h"
#include "fake_syscalls.h"

namespace rootfsctl::exec::nshelper {
namespace {

using testing::FakeSyscalls;

struct Pair {
  UniqueFd a;
  UniqueFd b;
};

Pair socket_pair() {
  std::array<int, 2> fds{};
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data()), 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

UniqueFd dev_null() { return UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)); }

// --- the format -----------------------------------------------------------------------

TEST(NshelperProtocol, WriterAndReaderRoundTrip) {
  Writer out;
  out.u8(7)
      .u32(0xdeadbeef)
      .i32(-100)
      .u64(1ull << 40)
      .str(std::string_view("caf\xe9\0x", 6))
      .str("");
  Reader in(out.bytes());
  EXPECT_EQ(in.u8(), 7);
  EXPECT_EQ(in.u32(), 0xdeadbeefu);
  EXPECT_EQ(in.i32(), -100);
  EXPECT_EQ(in.u64(), 1ull << 40);
  EXPECT_EQ(in.str(), std::string_view("caf\xe9\0x", 6));
  EXPECT_EQ(in.str(), "");
  EXPECT_TRUE(in.done());
}

TEST(NshelperProtocol, ReaderRefusesWhatIsNotThere) {
  Writer out;
  out.u32(1000).str("short");  // a string claiming 1000 bytes, then 9 more
  Reader in(out.bytes());
  EXPECT_EQ(in.str(), "");
  EXPECT_TRUE(in.failed());
  EXPECT_EQ(in.u64(), 0u) << "a failed reader stays failed";
  Reader empty("");
  empty.u8();
  EXPECT_TRUE(empty.failed());
  Reader leftover("ab");
  leftover.u8();
  EXPECT_FALSE(leftover.done());
}

TEST(NshelperProtocol, HeaderRoundTripAndRefusals) {
  auto header = decode_header(encode_header(1234, 2));
  ASSERT_TRUE(header) << header.error().to_string();
  EXPECT_EQ(header->length, 1234u);
  EXPECT_EQ(header->fds, 2);

  std::string bad_magic = encode_header(1, 0);
  bad_magic[0] ^= 1;
  std::string other_version = encode_header(1, 0);
  other_version[4] = static_cast<char>(kVersion + 1);
  for (const auto& [bytes, why] :
       {std::pair{bad_magic, "bad magic"}, std::pair{other_version, "protocol version 2"},
        std::pair{encode_header(1, kMaxFds + 1), "too many descriptors"},
        std::pair{encode_header(kMaxPayload + 1, 0), "too long"},
        std::pair{encode_header(1, 0).substr(0, 11), "bad magic"}}) {
    auto refused = decode_header(bytes);
    ASSERT_FALSE(refused) << why;
    EXPECT_EQ(refused.error().stage, Stage::kFork);
    EXPECT_NE(refused.error().message.find(why), std::string::npos) << refused.error().message;
  }
}

TEST(NshelperProtocol, ErrorRoundTrip) {
  Error error = make_error(Stage::kMount, "fsconfig size=lots", EINVAL);
  error.hint = "tmpfs: Bad value for 'size'";
  error.code = "some-code";
  error.context = {"op 2/3 tmpfs /tmp", "apply"};
  Writer out;
  put_error(out, error);
  Reader in(out.bytes());
  auto back = get_error(in);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, error);
  EXPECT_TRUE(in.done());

  Writer bad_stage;
  bad_stage.u8(200).i32(0).str("").str("").str("").u32(0);
  Reader bad(bad_stage.bytes());
  EXPECT_FALSE(get_error(bad));
  Writer too_deep;
  too_deep.u8(0).i32(0).str("").str("").str("").u32(1000000);
  Reader deep(too_deep.bytes());
  EXPECT_FALSE(get_error(deep)) << "a layer count is bounded before anything is read";
  Writer cut = out;
  std::string truncated = cut.take();
  truncated.pop_back();
  Reader short_in(truncated);
  EXPECT_FALSE(get_error(short_in));
}

TEST(NshelperProtocol, MessagesCarryPayloadAndDescriptors) {
  auto [a, b] = socket_pair();
  auto null = dev_null();
  const std::string big(200000, 'x');  // more than one send, more than one socket buffer
  std::thread sender([&, &a = a] {
    const std::array<int, 2> fds{null.get(), null.get()};
    EXPECT_TRUE(send_message(a.get(), "hello", fds));
    EXPECT_TRUE(send_message(a.get(), big, {}));
    a.reset();
  });
  auto first = receive_message(b.get());
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((*first)->payload, "hello");
  ASSERT_EQ((*first)->fds.size(), 2u);
  EXPECT_NE((*first)->fds[0].get(), null.get()) << "the receiver's own copies";
  auto second = receive_message(b.get());
  ASSERT_TRUE(second && *second);
  EXPECT_EQ((*second)->payload, big);
  EXPECT_TRUE((*second)->fds.empty());
  auto end = receive_message(b.get());
  ASSERT_TRUE(end);
  EXPECT_FALSE(*end) << "end of stream between messages is a clean end";
  sender.join();
}

TEST(NshelperProtocol, TruncatedAndLyingMessagesAreRefused) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {encode_header(100, 0) + "only some", "ends early"},
      {encode_header(4, 0).substr(0, 6), "ends early"},
      {encode_header(0, 1), "do not match"},
      {std::string(12, 'z'), "bad magic"},
      {encode_header(kMaxPayload + 1, 0), "too long"},
  };
  for (const auto& [bytes, why] : cases) {
    auto [a, b] = socket_pair();
    ASSERT_EQ(::write(a.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    a.reset();
    auto received = receive_message(b.get());
    ASSERT_FALSE(received) << why;
    EXPECT_EQ(received.error().stage, Stage::kFork);
    EXPECT_NE(received.error().message.find(why), std::string::npos)
        << why << ": " << received.error().message;
  }
}

TEST(NshelperProtocol, OversizedMessagesAreNotSent) {
  auto [a, b] = socket_pair();
  std::array<int, kMaxFds + 1> fds{};
  fds.fill(0);
  auto refused = send_message(a.get(), "x", fds);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errno_value, E2BIG);
}

TEST(NshelperProtocol, EveryMethodHasAName) {
  for (int m = 1; m <= static_cast<int>(Method::kLast); ++m) {
    EXPECT_NE(method_name(static_cast<Method>(m)), "unknown") << m;
  }
  EXPECT_EQ(method_name(Method::kPivotRoot), "pivot_root");
  EXPECT_EQ(method_name(static_cast<Method>(0)), "unknown");
}

// --- the proxy and the server -----------------------------------------------------------

/// serve() on a thread with the fake, the proxy on this one: the helper without a process.
class Served {
 public:
  Served() : pair_(socket_pair()), proxy_(pair_.a.get()) {}
  ~Served() { finish(); }
  void start() {
    server_ = std::thread([this] { exit_code_ = serve(helper, pair_.b.get()); });
  }
  int finish() {
    pair_.a.reset();
    if (server_.joinable()) server_.join();
    return exit_code_;
  }
  Result<void> enter() {
    start();
    return proxy_.enter(user_ns_.get(), mnt_ns_.get(), "process 42");
  }
  ProxySyscalls& proxy() { return proxy_; }
  int raw() const { return pair_.a.get(); }
  /// The helper's lines with its descriptor numbers (copies, "?N") made comparable.
  std::vector<std::string> calls() const {
    std::vector<std::string> out;
    for (const auto& line : helper.calls()) {
      out.push_back(std::regex_replace(line, std::regex(R"(\?\d+)"), "fd"));
    }
    return out;
  }

  FakeSyscalls helper;

 private:
  Pair pair_;
  ProxySyscalls proxy_;
  UniqueFd user_ns_ = dev_null();
  UniqueFd mnt_ns_ = dev_null();
  std::thread server_;
  int exit_code_ = -1;
};

TEST(NshelperServe, EntersThenServesUntilTheCallerHangsUp) {
  Served served;
  ASSERT_TRUE(served.enter());
  // Groups dropped before entering, ids switched to the namespace's root after (issue 17).
  EXPECT_EQ(served.calls(),
            (std::vector<std::string>{"setgroups(0, NULL)", "setns(fd, CLONE_NEWUSER)",
                                      "setns(fd, CLONE_NEWNS)", "setresgid(0, 0, 0)",
                                      "setresuid(0, 0, 0)"}));
  EXPECT_EQ(served.finish(), kServedToTheEnd);
}

TEST(NshelperServe, FailuresToEnterAreTheHelpersErrors) {
  for (auto [call, context] :
       {std::pair{"setgroups", "helper: drop the supplementary groups"},
        std::pair{"CLONE_NEWUSER", "helper: enter the user namespace of process 42"},
        std::pair{"CLONE_NEWNS", "helper: enter the mount namespace of process 42"},
        std::pair{"setresgid", "helper: act as root of the user namespace of process 42"},
        std::pair{"setresuid", "helper: act as root of the user namespace of process 42"}}) {
    Served served;
    // EPERM from setgroups is a caller's own groups it may keep (below): EINVAL here.
    served.helper.fail_matching(call, EINVAL);
    auto entered = served.enter();
    ASSERT_FALSE(entered) << call;
    EXPECT_EQ(entered.error().stage, Stage::kSetns) << call;
    EXPECT_EQ(entered.error().errno_value, EINVAL) << call;
    EXPECT_EQ(entered.error().context, std::vector<std::string>{context}) << call;
    EXPECT_FALSE(served.proxy().broken()) << "an answer, not a broken helper";
    EXPECT_EQ(served.finish(), kEnterFailed) << call;
  }
}

TEST(NshelperServe, KeepsGroupsACallerCannotDrop) {
  // A rootless caller (no CAP_SETGID) entering its own user namespace: its groups are its
  // own, so setgroups' EPERM does not stop it.
  Served served;
  served.helper.fail_matching("setgroups", EPERM);
  ASSERT_TRUE(served.enter());
  EXPECT_EQ(served.calls().front(), "setgroups(0, NULL) = -1 EPERM");
  EXPECT_EQ(served.calls().size(), 5u);
}

/// The name of the call a fake's line records.
std::string call_name(const std::string& line) { return line.substr(0, line.find('(')); }

TEST(NshelperServe, CallsAndAnswersOfEveryKind) {
  // The helper works on its own copies of the caller's descriptors, and closes the ones it
  // answers with once sent, so the fake (which knows handles by fd number) cannot tell
  // its handles again: what is checked by value here goes by name.
  Served served;
  served.helper.stat_answer("file", S_IFREG | 0640, 0, 99);
  ASSERT_TRUE(served.enter());
  auto& sys = served.proxy();
  // Answers: nothing, a descriptor, a number, bytes, a struct stat.
  EXPECT_TRUE(sys.mkdirat(AT_FDCWD, "work", 0755));
  auto file = sys.open_path("/etc/hostname", O_RDONLY);
  ASSERT_TRUE(file) << file.error().to_string();
  EXPECT_NE(file->get(), -1);
  EXPECT_TRUE(sys.read_all(file->get(), 4096));
  auto mnt = sys.openat2(AT_FDCWD, "/mnt", O_PATH | O_DIRECTORY, 0, kResolveNoSymlinks);
  ASSERT_TRUE(mnt);
  EXPECT_TRUE(sys.mount_flags(mnt->get()));
  EXPECT_TRUE(sys.mount_id(mnt->get()));
  auto st = sys.fstatat(AT_FDCWD, "file");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->st_mode, S_IFREG | 0640);
  EXPECT_EQ(st->st_ino, 99u);
  // Arguments of each shape, descriptors among them.
  auto fs = sys.fsopen("proc");
  ASSERT_TRUE(fs);
  EXPECT_TRUE(sys.fsconfig(fs->get(), FsConfig::kSetFd, "pidns", "", file->get()));
  EXPECT_TRUE(sys.fsconfig(fs->get(), FsConfig::kSetString, "size", "1m", -1));
  EXPECT_TRUE(sys.mount_setattr(mnt->get(), true, kMountReadOnly, 0, Propagation::kSlave));
  EXPECT_TRUE(sys.mount_setattr(mnt->get(), false, 0, kMountReadOnly, std::nullopt));
  EXPECT_TRUE(sys.umount_fd(file->get(), mnt->get(), true));
  EXPECT_TRUE(sys.symlinkat("/target", AT_FDCWD, "link"));
  EXPECT_TRUE(sys.set_propagation("/", Propagation::kPrivate, true));
  EXPECT_TRUE(sys.pivot_root(".", "."));
  sys.umask(027);
  EXPECT_EQ(sys.umask(022), 027u);
  const auto calls = served.calls();
  ASSERT_EQ(calls.size(), 23u);
  std::vector<std::string> names;
  for (std::size_t i = 5; i < calls.size(); ++i) names.push_back(call_name(calls[i]));
  EXPECT_EQ(names,
            (std::vector<std::string>{"mkdirat", "open", "read_all", "openat2", "mount_flags",
                                      "mount_id", "fstatat", "fsopen", "fsconfig", "fsconfig",
                                      "mount_setattr", "mount_setattr", "umount_fd", "symlinkat",
                                      "set_propagation", "pivot_root", "umask", "umask"}));
  EXPECT_EQ(calls[5], "mkdirat(AT_FDCWD, \"work\", 0755)");
  EXPECT_EQ(calls[6], "open(\"/etc/hostname\", O_RDONLY) = 3");
  EXPECT_TRUE(calls[7].ends_with(", 4096)")) << calls[7];
  EXPECT_EQ(calls[8], "openat2(AT_FDCWD, \"/mnt\", O_PATH|O_DIRECTORY, no_symlinks) = 4");
  EXPECT_EQ(calls[11], "fstatat(AT_FDCWD, \"file\")");
  EXPECT_NE(calls[13].find(", set_fd, \"pidns\", "), std::string::npos) << calls[13];
  EXPECT_TRUE(calls[14].ends_with(", set_string, \"size\", \"1m\")")) << calls[14];
  EXPECT_TRUE(calls[15].ends_with(", rec, set=ro, clear=0, slave)")) << calls[15];
  EXPECT_TRUE(calls[16].ends_with(", set=0, clear=ro)")) << calls[16];
  EXPECT_TRUE(calls[17].ends_with(", detach)")) << calls[17];
  EXPECT_EQ(calls[18], "symlinkat(\"/target\", AT_FDCWD, \"link\")");
  EXPECT_EQ(calls[20], "pivot_root(\".\", \".\")");
  EXPECT_EQ(calls[22], "umask(0022)") << "umask answers the helper's old mask";
  EXPECT_EQ(served.finish(), kServedToTheEnd);
}

TEST(NshelperServe, TheHelpersErrorsComeBackWhole) {
  Served served;
  served.helper.fail_matching("fsmount", ENODEV);
  ASSERT_TRUE(served.enter());
  auto fs = served.proxy().fsopen("tmpfs");
  ASSERT_TRUE(fs);
  auto failed = served.proxy().fsmount(fs->get(), kMountNoSuid);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error(), served.helper.injected().back());
  EXPECT_FALSE(served.proxy().broken());
  EXPECT_TRUE(served.proxy().mkdirat(AT_FDCWD, "after", 0755)) << "the helper serves on";
}

TEST(NshelperServe, MalformedRequestsEndTheHelper) {
  for (const std::string& payload :
       {std::string("\x0b", 1), std::string("\x01", 1), std::string("\xff", 1), std::string()}) {
    Served served;
    ASSERT_TRUE(served.enter());
    ASSERT_TRUE(send_message(served.raw(), payload, {}));
    EXPECT_EQ(served.finish(), kProtocolError) << "payload " << payload.size();
  }
  // A descriptor index past the ones sent.
  Served served;
  ASSERT_TRUE(served.enter());
  Writer request;
  request.u8(static_cast<std::uint8_t>(Method::kFchdir)).i32(0);
  ASSERT_TRUE(send_message(served.raw(), request.bytes(), {}));
  EXPECT_EQ(served.finish(), kProtocolError);
  EXPECT_EQ(served.calls().size(), 5u) << "nothing was called";
}

/// A peer that answers `answer` to the first request, whatever it was.
void fake_helper(int sock, const std::string& answer, std::span<const int> fds = {}) {
  auto request = receive_message(sock);
  ASSERT_TRUE(request && *request);
  ASSERT_TRUE(send_message(sock, answer, fds));
}

TEST(NshelperProxy, MalformedOrMissingAnswersAreForkErrors) {
  auto null = dev_null();
  const std::array<int, 1> one_fd{null.get()};
  Writer trailing;
  trailing.u8(0).u8(1);
  Writer bad_status;
  bad_status.u8(9);
  Writer bad_error;
  bad_error.u8(1).u8(200);
  const std::vector<std::tuple<std::string, std::vector<int>, std::string>> cases = {
      {"", {}, "malformed answer to mkdirat"},
      {trailing.bytes(), {}, "malformed answer to mkdirat"},
      {bad_status.bytes(), {}, "malformed answer to mkdirat"},
      {bad_error.bytes(), {}, "malformed answer to mkdirat"},
      {std::string(1, '\0'), {one_fd.begin(), one_fd.end()}, "malformed answer to mkdirat"},
  };
  for (const auto& [answer, fds, why] : cases) {
    auto [a, b] = socket_pair();
    ProxySyscalls proxy(a.get());
    std::thread peer([&, &b = b] { fake_helper(b.get(), answer, fds); });
    auto made = proxy.mkdirat(AT_FDCWD, "x", 0755);
    peer.join();
    ASSERT_FALSE(made) << why;
    EXPECT_EQ(made.error().stage, Stage::kFork);
    EXPECT_NE(made.error().message.find(why), std::string::npos) << made.error().message;
    ASSERT_TRUE(proxy.broken());
    auto later = proxy.chdir("/");
    ASSERT_FALSE(later) << "a broken helper is not asked again";
    EXPECT_EQ(later.error(), *proxy.broken());
  }
  // No descriptor where one is due.
  auto [a, b] = socket_pair();
  ProxySyscalls proxy(a.get());
  std::thread peer([&, &b = b] { fake_helper(b.get(), std::string(1, '\0')); });
  auto opened = proxy.fsopen("tmpfs");
  peer.join();
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().message, "namespace helper: a malformed answer to fsopen");
}

TEST(NshelperProxy, AHelperThatIsGoneIsAForkError) {
  auto [a, b] = socket_pair();
  ProxySyscalls proxy(a.get());
  std::thread peer([&, &b = b] {
    auto request = receive_message(b.get());
    b.reset();  // hangs up without answering
  });
  auto made = proxy.mkdirat(AT_FDCWD, "x", 0755);
  peer.join();
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().stage, Stage::kFork);
  EXPECT_EQ(made.error().message, "namespace helper: gone before answering mkdirat");
  auto again = proxy.mkdirat(AT_FDCWD, "y", 0755);
  ASSERT_FALSE(again);
  EXPECT_EQ(proxy.umask(022), 022u) << "umask cannot fail: the mask asked for";
}

}  // namespace
}  // namespace rootfsctl::exec::nshelper
