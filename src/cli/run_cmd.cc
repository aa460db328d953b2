// rootfsctl run [LAYOUT] [--set K=V]... [--fail-at K[:ERRNO]] [--format F] -- CMD [ARGS...]
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <string_view>

#include "cli/commands.h"
#include "cli/options.h"
#include "exec/executor.h"
#include "exec/spawn.h"
#include "render/render.h"

namespace rootfsctl::cli {
namespace {

/// `run`'s own failures, whatever the stage: CMD's statuses own every other code
/// (DESIGN §5, as env(1), chroot(8) and timeout(1) do).
constexpr int kExitRunFailed = 125;

constexpr const char* kRunHelp = R"help(
Runs CMD in a sandbox assembled from LAYOUT, a file or a profile name; without one, the
bundled `sandbox` profile: a tmpfs root holding the host's /usr read-only (with /bin,
/lib, /lib64, /sbin links into it), and a private /proc, /dev and /tmp.

How: rootfsctl spawns a child in new namespaces (those the layout lists, mount always,
plus a user namespace mapping you to root inside when you are not root), parks it,
applies the layout inside it exactly as `rootfsctl apply --pid` does, and only when the
tree is assembled and verified lets it exec CMD, in "/" (or --chdir DIR), no capabilities (bounding
set included) and no_new_privs set, as root and rootless alike: CMD cannot remount what
the layout made read-only, and no setuid binary gives it privileges back. --cap-add CAP
keeps CAP (a name from capabilities(7), with or without "CAP_"; ALL keeps every one).
If anything fails, the child is killed and CMD never runs. In a pid namespace the child
stays as pid 1: it passes SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 on to
CMD, reaps orphans, and exits when CMD exits (whatever CMD left running is killed with
it). rootfsctl passes the same signals on. CMD gets file descriptors 0, 1 and 2 and no others.

CMD gets rootfsctl's environment, less what --clearenv (everything) and --unsetenv VAR
remove, plus what --setenv VAR VALUE sets, in that order whatever the order given.
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
  setpriv --reuid=nobody --regid=nogroup --clear-groups rootfsctl run -- id   # rootless

Exit codes: CMD's status (128+N when signal N killed it); 125 rootfsctl itself failed
(usage, layout, validation or apply error; CMD did not run); 126 CMD could not be
executed; 127 CMD was not found. When SIGINT or SIGQUIT killed CMD, rootfsctl kills
itself with the same signal, as env and sudo do, so that one Ctrl-C stops a shell loop.
)help";

cxxopts::Options run_options() {
  cxxopts::Options options("run", "rootfsctl run: run a command in a sandbox from a layout");
  options.custom_help(
      "[LAYOUT] [--set K=V]... [--cap-add CAP]... [--chdir DIR] [--clearenv] [--unsetenv VAR]... "
      "[--setenv VAR VALUE]... [--fail-at K[:ERRNO]] [--timings] [--format F] -- CMD [ARGS...]");
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
      ("setenv", "--setenv VAR VALUE: set VAR in CMD's environment (repeatable)",
       cxxopts::value<std::vector<std::string>>())
      ("unsetenv", "remove VAR from CMD's environment (repeatable)",
       cxxopts::value<std::vector<std::string>>())
      ("clearenv", "start CMD's environment empty, but for --setenv")
      ("v,verbose", "print each op as it runs, on stderr")
      ("timings", "print where the time went, phase by phase, on stderr when done")
      ("format", "how its own failures are printed: text or json",
       cxxopts::value<std::string>()->default_value("text"))
      ("h,help", "show this help");
  // clang-format on
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

/// CMD's environment from --clearenv, --unsetenv and --setenv; nullopt: rootfsctl's own.
Result<std::optional<std::vector<std::string>>> command_environment(
    const cxxopts::ParseResult& args) {
  if (!args.count("clearenv") && !args.count("unsetenv") && !args.count("setenv")) {
    return std::nullopt;
  }
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

/// Prints `error` as every command does, and gives `run`'s status for it.
int fail(const Error& error, bool json) {
  report_error(error, json);
  return kExitRunFailed;
}

struct Request {
  layout::Layout layout;
  exec::SpawnOptions spawn;
  exec::ApplyOptions apply;
};

Result<Request> request_from(const cxxopts::ParseResult& args, const exec::CommandLine& line) {
  if (!args.unmatched().empty()) {
    Error error = make_error(Stage::kUsage, "unexpected argument '" + args.unmatched()[0] + "'");
    error.hint = "the command goes after `--`: rootfsctl run [LAYOUT] -- CMD [ARGS...]";
    return std::unexpected(error);
  }
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
  auto layout = layout::load_profile(*file, {*sets});
  if (!layout) return std::unexpected(layout.error());
  request.layout = std::move(*layout);
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
  auto environment = command_environment(args);
  if (!environment) return std::unexpected(environment.error());
  request.spawn.environment = std::move(*environment);
  request.spawn.user_namespace = ::geteuid() != 0 || std::find(namespaces.begin(), namespaces.end(),
                                                               "user") != namespaces.end();
  // The layout's hostname and sysctls are ops of the plan, written by apply() inside the
  // child's namespaces before the commit point, so a failed apply restores them too.
  return request;
}

/// A failed apply: what failed and what the rollback did, on stderr; with --format json
/// also the outcome on stdout (CMD never ran, so stdout carries nothing else).
void print_failure(const exec::ApplyOutcome& outcome, bool json) {
  if (json) std::cout << exec::outcome_to_json(outcome) << "\n";
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

/// A command that could not be executed, said the way env(1) says it.
void print_exec_failure(const std::string& command, int errno_value) {
  std::cerr << "rootfsctl: run: " << command << ": " << std::strerror(errno_value);
  if (errno_value == ENOENT && command.find('/') == std::string::npos) {
    std::cerr << " (not found on PATH inside the sandbox)";
  }
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
  auto options = run_options();
  int exit_code = kExitOk;
  auto args = parse_or_explain(options, static_cast<int>(line.own.size()), line.own.data(),
                               exit_code, kRunHelp);
  if (!args) {
    return exit_code == kExitOk ? kExitOk : kExitRunFailed;
  }
  auto format = parse_format((*args)["format"].as<std::string>(), {"text", "json"});
  if (!format) return fail(format.error(), false);
  bool json = *format == Format::kJson;
  const bool show_timings = args->count("timings") > 0;
  timings.mark("options");
  // 2. Load the layout; the spawn and apply options follow from it.
  auto request = request_from(*args, line);
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
    if (json) std::cout << render::plan_json(result->plan, result->diagnostics);
    std::cerr << render::diagnostics_text(result->diagnostics, use_color(2));
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
  // 7. Let the command run, and give its status.
  if (auto released = child->release(); !released) return fail(released.error(), json);
  timings.mark("release");
  auto status = child->wait();
  if (!status) return fail(status.error(), json);
  timings.mark("command");  // from release until it and its namespaces were gone
  if (child->exec_errno() != 0) print_exec_failure(line.command.front(), child->exec_errno());
  if (show_timings) print_timings(timings);
  if (child->term_signal() == SIGINT || child->term_signal() == SIGQUIT) {
    return die_of(child->term_signal());
  }
  return *status;
}

}  // namespace rootfsctl::cli
