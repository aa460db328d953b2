// rootfsctl-nshelper: the process that stands inside a target's user and mount namespaces
// for a rootfsctl that cannot go there itself (docs/architecture.md §4). rootfsctl and
// librootfsctl start it with posix_spawn, its socket on fd 3 and the caller's pid as its
// argument; it enters the namespaces the first request names, then performs each syscall
// the caller sends (exec/nshelper_server.h) until the caller hangs up. Nothing of the
// caller's code runs here: a multithreaded caller (a Go program always is) is never forked
// and left to run on in a copy.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "exec/nshelper_protocol.h"
#include "exec/nshelper_server.h"
#include "exec/syscalls.h"

namespace {

// Exit code of a helper whose caller died before it started (the PR_SET_PDEATHSIG race).
constexpr int kOrphanedExit = 125;
constexpr int kUsageExit = 64;

bool parse_pid(std::string_view text, pid_t& pid) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  return ec == std::errc() && end == text.data() + text.size() && pid > 0;
}

bool socket_on(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

}  // namespace

int main(int argc, char** argv) {
  using rootfsctl::exec::nshelper::kSocketFd;
  pid_t caller = 0;
  if (argc != 2 || !parse_pid(argv[1], caller) || !socket_on(kSocketFd)) {
    std::fputs("rootfsctl-nshelper: started by rootfsctl, not by hand\n", stderr);
    return kUsageExit;
  }
  // Die with the caller rather than run on unsupervised (prctl(2): PR_SET_PDEATHSIG; the
  // getppid check closes the race with a caller that died before the prctl). The signal
  // follows the thread that spawned the helper, which is the one waiting on its answers.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != caller) return kOrphanedExit;
  // _exit: nothing is buffered, and a leak check at exit (the sanitizer build's LSan)
  // would try to stop the world from inside the target's user namespace, where it cannot
  // read /proc/N/task and says so on stderr, which is rootfsctl's.
  ::_exit(rootfsctl::exec::nshelper::serve(rootfsctl::exec::linux_syscalls(), kSocketFd));
}
