// rootfsctl run [LAYOUT | -] [options] -- CMD [ARGS...]
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <string_view>

#include "cli/apply_shared.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "core/write_file.h"
#include "exec/executor.h"
#include "exec/spawn.h"
#include "render/render.h"

namespace rootfsctl::cli {
namespace {

/// `run`'s own failures, whatever the stage: CMD's statuses own every other code
/// (docs/commands.md, as env(1), chroot(8) and timeout(1) do).
constexpr int kExitRunFailed = 125;

constexpr const char* kRunHelp = R"help(
Runs CMD in a sandbox assembled from LAYOUT, a file, a profile name or - (stdin; a pipe
such as <(...) works too); without one, the
bundled `sandbox` profile: a tmpfs root holding the host's /usr read-only (with /bin,
/lib, /lib64, /sbin links into it), and a private /proc, /dev and /tmp.

How: rootfsctl spawns a child in new namespaces (those the layout lists, mount always,
plus a user namespace mapping you to its root when you are not root), parks it,
applies the layout inside it exactly as `rootfsctl apply --pid` does, and only when the
tree is assembled and verified lets it exec CMD, in "/" (or --chdir DIR), no capabilities (bounding
set included) and no_new_privs set, as root and rootless alike: CMD cannot remount what
the layout made read-only, and no setuid binary gives it privileges back. --cap-add CAP
keeps CAP (a name from capabilities(7), with or without "CAP_"; ALL keeps every one).
If anything fails, the child is killed and CMD never runs. In a pid namespace the child
stays as pid 1: it passes SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 on to
CMD, reaps orphans, and exits when CMD exits (whatever CMD left running is killed with
it). rootfsctl passes the same signals on. CMD gets file descriptors 0, 1 and 2 and no others
(--keep-fd FD passes FD too).

CMD runs as your own uid and gid, rootless too (as under bubblewrap: a second user
namespace maps them onto the first one's root); --uid N --gid N choose others, and
--uid 0 --gid 0 make CMD root of the sandbox (rootless: of its user namespace, which is
you outside), as dpkg and apt in an image root want. --new-session runs CMD in a new
session (setsid): no controlling terminal, so it cannot inject input into yours, and
Ctrl-C in your terminal no longer reaches it. When stdin is a terminal and the layout
has a private /dev, the terminal is bound on /dev/console, as bubblewrap does.
--info-fd FD gets {"child-pid": N} (N: the sandbox's pid 1, as seen from here) once the
sandbox is assembled, and is closed; --json-status-fd FD gets the same line, then
{"exit-code": N} when CMD is done.

CMD gets rootfsctl's environment, less what --clearenv (everything) and --unsetenv VAR
remove, then PWD set to its working directory (as bubblewrap does), plus what --setenv
VAR VALUE sets, in that order whatever the order given.
Everything after `--` is CMD and its arguments, verbatim; CMD is looked up inside the
sandbox on the PATH of its own environment.

Examples:
  rootfsctl run -- ls /                          # the sandbox profile
  rootfsctl run sandbox -- sh -c 'cat /proc/self/mountinfo'
  rootfsctl run manifests/image.yaml --set rootfs=/srv/debian -- /bin/bash
  rootfsctl run --fail-at 5 --format json -- true     # rollback drill: exits 125
  rootfsctl run --timings -- true                # milliseconds per phase, on stderr
  rootfsctl run --cap-add CAP_NET_RAW -- ping -c1 127.0.0.1
  rootfsctl run --chdir /tmp --clearenv --setenv PATH /usr/bin --setenv HOME /tmp -- env
  rootfsctl run --unsetenv DISPLAY --unsetenv XAUTHORITY -- env
  setpriv --reuid=nobody --regid=nogroup --clear-groups rootfsctl run -- id   # rootless
  rootfsctl run manifests/image.yaml --set rootfs=/srv/debian --uid 0 --gid 0 -- apt update
  rootfsctl run --new-session -- sh -c 'ps -o sid= $$'
  rootfsctl run --info-fd 3 -- sleep 10 3>info.json     # {"child-pid": 4242}
  rootfsctl run --json-status-fd 3 -- false 3>&1        # child-pid, then {"exit-code": 1}
  rootfsctl run --keep-fd 3 -- sh -c 'cat <&3' 3<input.txt  # only 0-2 otherwise
  rootfsctl run --ro-bind "$PWD" /src --chdir /src -- ls
  printf 'version: 1\nextends: [sandbox]\n' | rootfsctl run - -- true

Exit codes: CMD's status (128+N when signal N killed it); 125 rootfsctl itself failed
(usage, layout, validation or apply error; CMD did not run); 126 CMD could not be
executed; 127 CMD was not found. When SIGINT or SIGQUIT killed CMD, rootfsctl kills
itself with the same signal, as env and sudo do, so that one Ctrl-C stops a shell loop.
With --format json, rootfsctl's own report of a 125, 126 or 127 is one JSON document on
stderr ({"error": ...}, an apply outcome, or the plan with its diagnostics): stdout is
CMD's alone.
)help";

cxxopts::Options run_options() {
  cxxopts::Options options("run", "rootfsctl run: run a command in a sandbox from a layout");
  options.custom_help(
      "[LAYOUT | -] [--set K=V]... [--bind SRC DST]... [--cap-add CAP]... [--chdir DIR] "
      "[--uid N] [--gid N] [--new-session] [--clearenv] [--unsetenv VAR]... "
      "[--setenv VAR VALUE]... [--info-fd FD] [--json-status-fd FD] [--keep-fd FD]... "
      "[--fail-at K[:ERRNO]] [-v] [--timings] [--format F] -- CMD [ARGS...]");
  options.positional_help("");
  // One option a line reads as the table it is.
  // clang-format off
  options.add_options()
      ("layout", "layout file or profile name (default: sandbox)", cxxopts::value<std::string>())
      ("set", "set a layout variable, NAME=VALUE (repeatable)",
       cxxopts::value<std::vector<std::string>>())
      ("fail-at", "make op K fail with ERRNO (default EIO), to test the rollback",
       cxxopts::value<std::string>())
      ("cap-add", "let CMD keep capability CAP, e.g. CAP_NET_ADMIN, or ALL (repeatable)",
       cxxopts::value<std::vector<std::string>>())
      ("chdir", "run CMD in DIR inside the sandbox (default /)", cxxopts::value<std::string>())
      ("uid", "CMD's uid inside (default: yours; 0 is root of the sandbox)",
       cxxopts::value<std::string>())
      ("gid", "CMD's gid inside (default: yours)", cxxopts::value<std::string>())
      ("new-session", "start CMD in a new session (setsid), cut off from the terminal")(
          "keep-fd", "let CMD have open descriptor FD (repeatable; by default only 0, 1, 2)",
          cxxopts::value<std::vector<std::string>>())
      ("info-fd", "write {\"child-pid\": N} to descriptor FD once the sandbox is ready",
       cxxopts::value<std::string>())
      ("json-status-fd", "write {\"child-pid\": N} then {\"exit-code\": N} to descriptor FD",
       cxxopts::value<std::string>())
      ("setenv", "--setenv VAR VALUE: set VAR in CMD's environment (repeatable)",
       cxxopts::value<std::vector<std::string>>())
      ("unsetenv", "remove VAR from CMD's environment (repeatable)",
       cxxopts::value<std::vector<std::string>>())
      ("clearenv", "start CMD's environment empty, but for --setenv")
      ("v,verbose", "print each op as it runs, on stderr")
      ("timings", "print where the time went, phase by phase, on stderr when done")
      ("format", "how its own failures are printed, on stderr: text or json",
       cxxopts::value<std::string>()->default_value("text"))
      ("h,help", "show this help");
  // clang-format on
  add_load_options(options);
  options.parse_positional({"layout"});
  return options;
}

/// `--setenv VAR VALUE` takes two words, which cxxopts cannot: each becomes the single
/// word `--setenv=VAR=VALUE` (VAR holds no '=', as environ(7) requires) before parsing.
/// `storage` keeps the new words alive while `own` points at them.
Result<void> join_setenv_pairs(std::vector<char*>& own, std::vector<std::string>& storage) {
  std::vector<char*> joined;
  storage.reserve(own.size());
  for (std::size_t i = 0; i < own.size(); ++i) {
    if (std::string_view(own[i]) != "--setenv") {
      joined.push_back(own[i]);
      continue;
    }
    if (i + 2 >= own.size()) {
      Error error = make_error(Stage::kUsage, "--setenv needs two words, VAR and VALUE");
      error.hint = "for example: --setenv HOME /tmp (an empty value is '')";
      return std::unexpected(error);
    }
    std::string_view name = own[i + 1];
    if (name.empty() || name.find('=') != std::string_view::npos) {
      return std::unexpected(
          make_error(Stage::kUsage, "--setenv: '" + std::string(name) + "' is no variable name"));
    }
    storage.push_back("--setenv=" + std::string(name) + "=" + own[i + 2]);
    joined.push_back(storage.back().data());
    i += 2;
  }
  own = std::move(joined);
  return {};
}

/// CMD's environment: rootfsctl's own, less --clearenv and --unsetenv, with PWD saying
/// where CMD starts (`cwd`, as bubblewrap sets it: the caller's PWD is a path outside),
/// plus --setenv.
Result<std::vector<std::string>> command_environment(const cxxopts::ParseResult& args,
                                                     const std::string& cwd) {
  std::map<std::string, std::string> vars;
  if (!args.count("clearenv")) {
    for (char** entry = environ; *entry != nullptr; ++entry) {
      std::string_view text = *entry;
      auto eq = text.find('=');
      if (eq != std::string_view::npos) vars.emplace(text.substr(0, eq), text.substr(eq + 1));
    }
  }
  if (args.count("unsetenv")) {
    for (const auto& name : args["unsetenv"].as<std::vector<std::string>>()) {
      if (name.empty() || name.find('=') != std::string::npos) {
        return std::unexpected(
            make_error(Stage::kUsage, "--unsetenv: '" + name + "' is no variable name"));
      }
      vars.erase(name);
    }
  }
  vars["PWD"] = cwd.starts_with('/') ? cwd : "/" + cwd;
  if (args.count("setenv")) {
    for (const auto& pair : args["setenv"].as<std::vector<std::string>>()) {
      auto eq = pair.find('=');
      if (eq == 0 || eq == std::string::npos) {
        return std::unexpected(
            make_error(Stage::kUsage, "--setenv: '" + pair + "' is no VAR VALUE pair"));
      }
      vars[pair.substr(0, eq)] = pair.substr(eq + 1);
    }
  }
  std::vector<std::string> environment;
  for (const auto& [name, value] : vars) environment.push_back(name + "=" + value);
  return environment;
}

/// Prints `error` and gives `run`'s status for it. stdout belongs to CMD, so with --format
/// json the error document goes to stderr, alone (no text around it), on every exit.
int fail(const Error& error, bool json) {
  if (!json) {
    report_error(error, false);
  } else {
    std::cerr << render::error_json(error);
  }
  return kExitRunFailed;
}

struct Request {
  layout::Layout layout;
  exec::SpawnOptions spawn;
  exec::ApplyOptions apply;
  int info_fd = -1;         // --info-fd
  int json_status_fd = -1;  // --json-status-fd
};

/// A non-negative decimal number of at most `max`, for --uid, --gid and the fd options.
Result<unsigned> parse_number(const cxxopts::ParseResult& args, const std::string& name,
                              unsigned max) {
  const std::string text = args[name].as<std::string>();
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > max) {
    return std::unexpected(make_error(Stage::kUsage, "--" + name + " expects a number from 0 to " +
                                                         std::to_string(max) + ", got '" + text +
                                                         "'"));
  }
  return value;
}

/// --info-fd and --json-status-fd: an open descriptor the caller passed, else -1.
Result<int> status_fd(const cxxopts::ParseResult& args, const std::string& name) {
  if (!args.count(name)) return -1;
  auto fd = parse_number(args, name, std::numeric_limits<int>::max());
  if (!fd) return std::unexpected(fd.error());
  if (::fcntl(static_cast<int>(*fd), F_GETFD) < 0) {
    return std::unexpected(make_error(
        Stage::kUsage, "--" + name + " " + std::to_string(*fd) + ": no such open descriptor"));
  }
  return static_cast<int>(*fd);
}

/// --keep-fd FD...: open descriptors above 2 that CMD gets (everything else is closed).
Result<void> keep_fds(const cxxopts::ParseResult& args, Request& request) {
  if (!args.count("keep-fd")) return {};
  const auto& texts = args["keep-fd"].as<std::vector<std::string>>();
  if (texts.size() > static_cast<std::size_t>(exec::kMaxKeptFds)) {
    return std::unexpected(make_error(
        Stage::kUsage, "--keep-fd: at most " + std::to_string(exec::kMaxKeptFds) + " descriptors"));
  }
  for (const auto& text : texts) {
    int fd = -1;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), fd);
    if (ec != std::errc{} || end != text.data() + text.size() || fd < 3) {
      return std::unexpected(make_error(
          Stage::kUsage, "--keep-fd expects a descriptor number from 3 up, got '" + text + "'"));
    }
    if (::fcntl(fd, F_GETFD) < 0) {
      return std::unexpected(
          make_error(Stage::kUsage, "--keep-fd " + text + ": no such open descriptor"));
    }
    request.spawn.keep_fds.push_back(fd);
  }
  std::sort(request.spawn.keep_fds.begin(), request.spawn.keep_fds.end());
  return {};
}

/// --uid, --gid, --new-session and the status descriptors. Rootless, CMD is the caller's
/// own uid and gid by default, as under bubblewrap; --uid 0 --gid 0 makes it root of the
/// sandbox (the maps make it the caller outside).
Result<void> process_options(const cxxopts::ParseResult& args, Request& request) {
  constexpr unsigned kMaxId = 0xFFFFFFFEu;  // (uid_t) -1 means "unchanged" to setresuid(2)
  if (args.count("uid")) {
    auto uid = parse_number(args, "uid", kMaxId);
    if (!uid) return std::unexpected(uid.error());
    request.spawn.uid = *uid;
  } else {
    request.spawn.uid = ::geteuid();
  }
  if (args.count("gid")) {
    auto gid = parse_number(args, "gid", kMaxId);
    if (!gid) return std::unexpected(gid.error());
    request.spawn.gid = *gid;
  } else {
    request.spawn.gid = ::getegid();
  }
  request.spawn.new_session = args.count("new-session") > 0;
  auto info = status_fd(args, "info-fd");
  if (!info) return std::unexpected(info.error());
  auto status = status_fd(args, "json-status-fd");
  if (!status) return std::unexpected(status.error());
  request.info_fd = *info;
  request.json_status_fd = *status;
  return keep_fds(args, request);
}

/// The caller's terminal goes on /dev/console, so that `tty` (which finds stdin's device
/// there: the sandbox's devpts is not the one it came from) and programs that open the
/// console work: stdin's, else stdout's (bubblewrap looks at stdout only). Only into a
/// private /dev (an entry on /dev that mounts something), and not over an entry the
/// layout has there already.
void add_console(layout::Layout& layout) {
  char name[256];
  const bool found =
      (::isatty(STDIN_FILENO) == 1 && ::ttyname_r(STDIN_FILENO, name, sizeof name) == 0) ||
      (::isatty(STDOUT_FILENO) == 1 && ::ttyname_r(STDOUT_FILENO, name, sizeof name) == 0);
  if (!found) return;
  bool private_dev = false;
  for (const auto& entry : layout.mounts) {
    if (entry.target == "/dev/console") return;
    private_dev = private_dev || (entry.target == "/dev" && layout::is_mount_kind(entry.kind));
  }
  if (!private_dev) return;
  layout::Entry console;
  console.kind = layout::EntryKind::kDevice;
  console.target = "/dev/console";
  console.from = name;
  console.origin = Origin::implicit("the caller's terminal (stdin is a tty)");
  layout.mounts.push_back(std::move(console));
}

Result<Request> request_from(const cxxopts::ParseResult& args, const exec::CommandLine& line,
                             std::vector<layout::CommandLineEntry> entries) {
  if (!line.has_separator || line.command.empty()) {
    Error error = make_error(Stage::kUsage, "run needs a command after `--`");
    error.hint = "for example: rootfsctl run sandbox -- ls /";
    return std::unexpected(error);
  }
  Request request;
  auto sets = sets_from(args);
  if (!sets) return std::unexpected(sets.error());
  auto file = find_layout(args.count("layout") ? args["layout"].as<std::string>() : "sandbox");
  if (!file) return std::unexpected(file.error());
  auto layout = load_layout_from(args, *file, std::move(*sets), std::move(entries));
  if (!layout) return std::unexpected(layout.error());
  request.layout = std::move(*layout);
  add_console(request.layout);
  // The sandbox is rootfsctl's own child and dies with it: no intent log to keep.
  request.apply.intent_log = false;
  if (auto ok = process_options(args, request); !ok) return std::unexpected(ok.error());
  if (args.count("fail-at")) {
    auto fail_at = exec::parse_fail_at(args["fail-at"].as<std::string>());
    if (!fail_at) return std::unexpected(fail_at.error());
    request.apply.exec.fail_at = *fail_at;
  }
  if (args.count("verbose")) {
    request.apply.exec.progress = [](const plan::Op& op, std::string_view status) {
      if (status != "run") std::cerr << "  " << op.to_string() << ": " << status << "\n";
    };
  }
  // The child's namespaces come from the layout; without root, a user namespace makes
  // the rest possible (user_namespaces(7)).
  const auto& namespaces = request.layout.namespaces;
  request.spawn.namespaces = namespaces;
  if (args.count("cap-add")) {
    const auto& names = args["cap-add"].as<std::vector<std::string>>();
    auto keep = exec::parse_capabilities(names, exec::last_cap());
    if (!keep) return std::unexpected(keep.error());
    request.spawn.keep_capabilities = *keep;
    request.spawn.keep_all_capabilities =
        std::any_of(names.begin(), names.end(), exec::names_all_capabilities);
  }
  if (args.count("chdir")) {
    request.spawn.cwd = args["chdir"].as<std::string>();
    if (request.spawn.cwd.empty()) {
      return std::unexpected(make_error(Stage::kUsage, "--chdir needs a directory"));
    }
  }
  auto environment = command_environment(args, request.spawn.cwd);
  if (!environment) return std::unexpected(environment.error());
  request.spawn.environment = std::move(*environment);
  request.spawn.user_namespace = ::geteuid() != 0 || std::find(namespaces.begin(), namespaces.end(),
                                                               "user") != namespaces.end();
  // The layout's hostname and sysctls are ops of the plan, written by apply() inside the
  // child's namespaces before the commit point, so a failed apply restores them too.
  return request;
}

/// A failed apply: what failed and what the rollback did, on stderr; with --format json
/// the outcome document instead (stdout is CMD's, even when CMD never ran).
void print_failure(const exec::ApplyOutcome& outcome, bool json) {
  if (json) {
    std::cerr << exec::outcome_to_json(outcome) << "\n";
    return;
  }
  std::cerr << "rootfsctl: run: apply failed: " << failure_text(*outcome.error);
  for (const auto& mismatch : outcome.verify_mismatches) {
    std::cerr << "  verify: " << mismatch << "\n";
  }
  if (!outcome.rolled_back) {
    std::cerr << "rollback: none was needed; the command was not run\n";
  } else if (outcome.rollback_clean) {
    std::cerr << "rollback: clean (" << outcome.ops_done
              << " op(s) undone); the command was not run\n";
  } else {
    std::cerr << "rollback: INCOMPLETE (the sandbox is discarded anyway); left behind:\n";
    for (const auto& left : outcome.left) std::cerr << "  " << left << "\n";
  }
}

/// `--timings`: one line a phase, then the total, after everything else run printed.
void print_timings(const exec::Timings& timings) {
  std::cerr << "rootfsctl: timings (ms, wall clock, from the start of `run`):\n";
  char line[96];
  for (const auto& [name, ms] : timings.phases()) {
    std::snprintf(line, sizeof line, "  %-16s %8.3f\n", name.c_str(), ms);
    std::cerr << line;
  }
  std::snprintf(line, sizeof line, "  %-16s %8.3f\n", "total", timings.total_ms());
  std::cerr << line;
}

/// A command that could not be executed, said the way env(1) says it (126 and 127), or
/// with --format json as an error document with stage "exec".
void print_exec_failure(const std::string& command, int errno_value, bool json) {
  const bool not_on_path = errno_value == ENOENT && command.find('/') == std::string::npos;
  if (json) {
    Error error = make_error(Stage::kExec, command, errno_value);
    if (not_on_path) error.hint = "not found on PATH inside the sandbox";
    std::cerr << render::error_json(error);
    return;
  }
  std::cerr << "rootfsctl: run: " << command << ": " << std::strerror(errno_value);
  if (not_on_path) std::cerr << " (not found on PATH inside the sandbox)";
  std::cerr << "\n";
}

/// CMD died of SIGINT or SIGQUIT: die of it too, as env(1), sudo(8) and bwrap do. A
/// shell running rootfsctl in a loop only stops when its child was killed by the signal
/// (an exit status of 130 reads as "handled it"), so one Ctrl-C ends the loop. Returns
/// 128+N should the signal not end this process.
int die_of(int sig) {
  std::cout.flush();
  std::cerr.flush();
  ::signal(sig, SIG_DFL);
  sigset_t only;
  ::sigemptyset(&only);
  ::sigaddset(&only, sig);
  ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
  ::raise(sig);
  return 128 + sig;
}

/// --info-fd gets the child's pid and is closed, as bubblewrap does; --json-status-fd
/// gets it and stays open for the exit code. The sandbox is assembled: the pid is one
/// to nsenter or `rootfsctl mounts --pid`. A reader that went away is no reason to fail
/// the run: the writes' results are ignored.
void report_child(const Request& request, pid_t pid) {
  const std::string line = render::child_pid_json(pid);
  if (request.info_fd >= 0) {
    (void)write_fully(request.info_fd, line);
    ::close(request.info_fd);
  }
  if (request.json_status_fd >= 0) (void)write_fully(request.json_status_fd, line);
}

}  // namespace

int run_main(int argc, char** argv) {
  exec::Timings timings;
  // An ignored SIGCHLD is inherited through exec (a parent may leave it so); the kernel
  // would then reap the child before wait() could read the command's status.
  ::signal(SIGCHLD, SIG_DFL);
  // 1. Split at `--` first: the command's words are never rootfsctl's options.
  auto line = exec::split_command_line(argc, argv);
  std::vector<std::string> joined_words;
  if (auto joined = join_setenv_pairs(line.own, joined_words); !joined) {
    return fail(joined.error(), false);
  }
  auto entries = take_entry_options(line.own);
  if (!entries) return fail(entries.error(), false);
  auto options = run_options();
  int exit_code = kExitOk;
  const std::string help = kRunHelp + entry_options_help();
  auto args = parse_or_explain(options, static_cast<int>(line.own.size()), line.own.data(),
                               exit_code, help);
  if (!args) {
    return exit_code == kExitOk ? kExitOk : kExitRunFailed;
  }
  auto format = parse_format((*args)["format"].as<std::string>(), {"text", "json"});
  if (!format) return fail(format.error(), false);
  bool json = *format == Format::kJson;
  const bool show_timings = args->count("timings") > 0;
  timings.mark("options");
  // 2. Load the layout; the spawn and apply options follow from it.
  auto request = request_from(*args, line, std::move(*entries));
  if (!request) return fail(request.error(), json);
  timings.mark("load");
  // 3. Spawn the child parked in its new namespaces.
  auto child = exec::spawn_parked(request->spawn, line.command);
  if (!child) return fail(child.error(), json);
  timings.mark("spawn");
  // 4. Apply the layout inside it: the same pipeline as `apply --pid`.
  auto result = exec::apply(exec::linux_syscalls(), request->layout, child->pid(), request->apply);
  if (!result) return fail(result.error().wrap("child " + std::to_string(child->pid())), json);
  timings.append(result->timings);
  // 5. Validation errors: nothing was done; say why. (~ParkedChild kills the child.)
  if (!result->outcome) {
    if (json) {
      std::cerr << render::plan_json(result->plan, result->diagnostics);
    } else {
      std::cerr << render::diagnostics_text(result->diagnostics, use_color(2));
    }
    if (show_timings) print_timings(timings);
    return kExitRunFailed;
  }
  // 6. A failed apply was rolled back inside the child; the child goes with it.
  if (!result->outcome->ok()) {
    child->abort();
    print_failure(*result->outcome, json);
    if (show_timings) print_timings(timings);
    return kExitRunFailed;
  }
  // 7. What validation warned about was applied anyway: say so before the command's own
  // output (with --format json stderr is kept for rootfsctl's failures; `plan` lists them).
  if (auto warnings = warnings_of(result->diagnostics); !warnings.empty() && !json) {
    std::cerr << render::diagnostics_text(warnings, use_color(2));
  }
  // 8. Say who the child is, let the command run, and give its status.
  report_child(*request, child->pid());
  if (auto released = child->release(); !released) return fail(released.error(), json);
  timings.mark("release");
  auto status = child->wait();
  if (!status) return fail(status.error(), json);
  if (request->json_status_fd >= 0)
    (void)write_fully(request->json_status_fd, render::exit_code_json(*status));
  timings.mark("command");  // from release until it and its namespaces were gone
  if (child->exec_errno() != 0) {
    print_exec_failure(line.command.front(), child->exec_errno(), json);
  }
  if (show_timings) print_timings(timings);
  if (child->term_signal() == SIGINT || child->term_signal() == SIGQUIT) {
    return die_of(child->term_signal());
  }
  return *status;
}

}  // namespace rootfsctl::cli
