// rootfsctl oci import CONFIG.json [--output FILE] [--bundle DIR] [--format text|json]
// rootfsctl oci export LAYOUT [--set K=V]... [--base CONFIG.json [--bundle DIR]] [--format
// text|json] rootfsctl oci hook LAYOUT [--set K=V]... [--fail-at K[:ERRNO]] [--format text|json]
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <iostream>

#include "cli/apply_shared.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "core/path.h"
#include "core/read_file.h"
#include "core/suggest.h"
#include "core/write_file.h"
#include "layout/writer.h"
#include "oci/oci.h"
#include "render/oci_export.h"
#include "render/render.h"

namespace rootfsctl::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kOciUsage =
    R"(rootfsctl oci: use layouts with OCI runtimes (runc, crun, and Kubernetes through them)

Usage: rootfsctl oci SUBCOMMAND [ARGS...]

Subcommands:
  import CONFIG.json   write a runtime spec's mounts and root as a layout
  export LAYOUT        write a layout's mounts as OCI "mounts" (JSON), or a config with --base
  hook LAYOUT          apply a layout to the container a runtime names on stdin (a hook)

Examples:
  rootfsctl oci import bundle/config.json --output container.yaml
  rootfsctl oci export sandbox > mounts.json
  rootfsctl oci export container.yaml --base bundle/config.json > new-config.json
  # in config.json: "hooks": {"createRuntime": [{"path": "/usr/bin/rootfsctl",
  #                  "args": ["rootfsctl", "oci", "hook", "/etc/rootfsctl/extra.yaml"]}]}

Run 'rootfsctl oci SUBCOMMAND --help' for a subcommand's options.
)";

constexpr const char* kImportHelp = R"(
Reads an OCI runtime spec and writes its `root` and `mounts` as a layout: root.path (taken
relative to the bundle, the directory holding CONFIG.json unless --bundle says otherwise)
becomes `root: bind:`, each mount an entry: bind/rbind (ro, rro, nosuid, nodev, noexec and
the other flag names), tmpfs (size=, mode=, uid=, gid=, nr_inodes=), proc, sysfs, devpts
(gid=, ptmxmode=), mqueue, cgroup (type cgroup or cgroup2), overlay (lowerdir= as `before`,
upperdir= as `create`); linux.namespaces, hostname, linux.sysctl, linux.maskedPaths and
linux.readonlyPaths too. Whatever a layout cannot say (propagation options, idmapped
mounts, other filesystem types, ...) is reported on stderr with the mount's index and
destination, and as a comment in the layout.

Examples:
  rootfsctl oci import bundle/config.json                       # layout on stdout
  rootfsctl oci import bundle/config.json --output c.yaml --format json   # report as JSON
  rootfsctl plan c.yaml --mountinfo captured.txt

Exit codes: 0 the layout was written (warnings or not); 1 nothing in CONFIG.json could be
expressed; 2 usage error, unreadable file or malformed JSON (with line:col and byte).
)";

constexpr const char* kExportHelp = R"(
Writes LAYOUT's mounts as an OCI runtime spec `mounts` array on stdout, for config.json.
Binds become bind/rbind (a read-only recursive bind is rro), tmpfs, proc, sysfs, devpts,
mqueue, cgroup and overlay mounts their types with the layout's options, in the order runc
writes them. Entries OCI mounts cannot say (symlink, dir, file, remount), and root,
hostname and sysctls, are reported on stderr; with --format json both are one document on
stdout: {"mounts": [...], "findings": [...]}.

With --base CONFIG.json, writes that whole config instead, with root, mounts, hostname and
linux.namespaces, maskedPaths, readonlyPaths, sysctl, uidMappings and gidMappings rewritten
from LAYOUT and every other key (process, annotations, hooks, linux.resources, seccomp, ...)
left as it was. Where the base already says what the layout says, its spelling stays (a
relative root.path, a mount's source name, the order of its namespaces), so a config
imported with 'oci import' comes back unchanged. A relative root.path or bind source is
taken relative to the bundle: the directory holding CONFIG.json unless --bundle says
otherwise. With --format json: {"config": {...}, "findings": [...]}.

Examples:
  rootfsctl oci export sandbox
  rootfsctl oci export layout.yaml --set usr=/opt/usr | jq '. | length'
  rootfsctl oci export sandbox --format json | jq '.findings[].message'
  rootfsctl oci import bundle/config.json --output c.yaml     # edit c.yaml, then:
  rootfsctl oci export c.yaml --base bundle/config.json > config.new && mv config.new bundle/config.json

Exit codes: 0 written; 2 usage or manifest error, or a missing or malformed base file.
)";

constexpr const char* kHookHelp = R"(
An OCI hook: reads the container state a runtime writes on stdin ({"pid": N, "bundle": ...,
"status": ...}) and applies LAYOUT to that process exactly as 'rootfsctl apply LAYOUT
--pid N' does (validation, rollback on failure, same exit codes); a non-zero exit makes
the runtime fail the container. LAYOUT must have no `root:` (the runtime makes the root).

Which hook: createRuntime (or the older prestart). The runtime calls it in its own
namespaces after it has created the container's mount namespace and mounted config.json's
mounts, before it pivots into the rootfs; the pid is the container's init, parked.
Seeing that the container's root is not yet the bundle's root.path, rootfsctl applies the
layout beneath it, so the mounts are in place when the container's process starts; bind
sources are host paths, since the container's namespace still shows the host's tree.
Paths in the image that are symlinks are refused there. poststart runs after the pivot:
the layout applies to the container's tree as it is, where bind sources are paths inside the container (runc 1.1
runs it during 'runc create'; later runtimes once the process has started).
createContainer and startContainer run inside the container, where runc's state pid
names no process rootfsctl can see; the hook refuses to run there.

Examples:
  "hooks": {"createRuntime": [{"path": "/usr/bin/rootfsctl",
            "args": ["rootfsctl", "oci", "hook", "/etc/rootfsctl/extra.yaml"]}]}
  echo '{"pid": 4242, "status": "running"}' | rootfsctl oci hook extra.yaml

Exit codes: as 'rootfsctl apply': 0 applied and verified; 1 validation errors (nothing
done); 2 usage, manifest or state error; 3 failed and rolled back; 4 rollback incomplete.
)";

/// The largest runtime spec read: runc's default is 4 kB; 16 MiB is far beyond any real one.
constexpr std::size_t kMaxConfigBytes = 16u << 20;

/// The largest container state read from stdin: a runtime's is a few hundred bytes, and
/// without a bound whoever feeds the hook decides how much memory it takes.
constexpr std::size_t kMaxStateBytes = 1u << 20;

Result<std::string> read_config(const std::string& path) {
  return read_regular_file(path, kMaxConfigBytes, "runtime spec");
}

Result<layout::Layout> load_named_layout(const cxxopts::ParseResult& args, std::string_view what) {
  if (!args.count("layout")) {
    return std::unexpected(
        make_error(Stage::kUsage, "oci " + std::string(what) + " needs a LAYOUT"));
  }
  if (!args.unmatched().empty()) {
    return std::unexpected(
        make_error(Stage::kUsage, "unexpected argument '" + args.unmatched().front() + "'"));
  }
  auto sets = sets_from(args);
  if (!sets) return std::unexpected(sets.error());
  auto file = find_layout(args["layout"].as<std::string>());
  if (!file) return std::unexpected(file.error());
  return layout::load_profile(*file, {*sets, {}, {}});
}

void print_findings(std::string_view source, const std::vector<oci::Finding>& findings) {
  for (const auto& finding : findings) {
    std::cerr << "rootfsctl: " << source << ": " << finding.to_string() << "\n";
  }
}

// ---- import ----

/// The findings as layout comments: each before the entry its mount became, or, for a
/// mount that was not imported, where it would have been.
layout::WriteOptions import_comments(const oci::Import& import, const std::string& source) {
  layout::WriteOptions options;
  options.header = {"Imported from " + source + " by rootfsctl oci import.",
                    "What a layout cannot say is listed as comments where it was."};
  for (const auto& finding : import.findings) {
    std::size_t position = import.layout.mounts.size();
    for (std::size_t i = 0; i < import.from_index.size(); ++i) {
      if (finding.index >= 0 && import.from_index[i] >= finding.index) {
        position = i;
        break;
      }
    }
    if (finding.index < 0) {
      options.header.push_back(finding.to_string());
    } else {
      options.before_entry[position].push_back(finding.to_string());
    }
  }
  return options;
}

int import_main(int argc, char** argv) {
  cxxopts::Options options("oci import",
                           "rootfsctl oci import: a runtime spec's mounts as a layout");
  options.custom_help("CONFIG.json [--output FILE] [--bundle DIR] [--format text|json]");
  options.positional_help("");
  options.add_options()("config", "the runtime spec", cxxopts::value<std::string>())(
      "o,output", "write the layout here instead of stdout", cxxopts::value<std::string>())(
      "bundle", "the bundle directory (default: the directory holding CONFIG.json)",
      cxxopts::value<std::string>())("format", "text or json (the report)",
                                     cxxopts::value<std::string>()->default_value("text"))(
      "h,help", "show this help");
  options.parse_positional({"config"});
  int exit_code = kExitOk;
  auto args = parse_or_explain(options, argc, argv, exit_code, kImportHelp);
  if (!args) return exit_code;
  auto format = parse_format((*args)["format"].as<std::string>(), {"text", "json"});
  if (!format) return report_error(format.error(), false);
  bool json = *format == Format::kJson;
  if (!args->count("config") || !args->unmatched().empty()) {
    std::string what = args->count("config")
                           ? "unexpected argument '" + args->unmatched().front() + "'"
                           : std::string("oci import needs CONFIG.json");
    return report_error(make_error(Stage::kUsage, what), json);
  }
  // 1. Read the spec; the bundle is the directory holding it unless told otherwise.
  std::string config = (*args)["config"].as<std::string>();
  auto text = read_config(config);
  if (!text) return report_error(text.error(), json);
  std::string bundle = args->count("bundle") ? (*args)["bundle"].as<std::string>()
                                             : fs::path(config).parent_path().string();
  oci::ImportOptions import_options{
      config, fs::absolute(bundle.empty() ? "." : bundle).lexically_normal().string()};
  while (import_options.bundle_dir.size() > 1 && import_options.bundle_dir.back() == '/') {
    import_options.bundle_dir.pop_back();
  }
  // 2. Convert, and check that what is written loads back.
  auto import = oci::import_config(*text, import_options);
  if (!import) return report_error(import.error(), json);
  std::string yaml = layout::write_layout(import->layout, import_comments(*import, config));
  if (auto loaded = layout::load_layout(yaml, "imported.yaml"); !loaded) {
    return report_error(loaded.error().wrap("internal: the imported layout does not load"), json);
  }
  bool empty = import->layout.mounts.empty() && !import->layout.root;
  // 3. Write it and report.
  print_findings(config, import->findings);
  if (empty) {
    std::cerr << "rootfsctl: " << config << ": nothing could be expressed as a layout (no root, "
              << "no importable mount); nothing written\n";
  } else if (args->count("output")) {
    // Never through what is already there: a FIFO would block, a symlink lead elsewhere.
    auto written = replace_file((*args)["output"].as<std::string>(), yaml, "output");
    if (!written) return report_error(written.error(), json);
  } else if (!json) {
    std::cout << yaml;
  }
  if (json) {
    render::OciImportReport report;
    if (args->count("output")) report.output = (*args)["output"].as<std::string>();
    if (!empty) report.layout_yaml = yaml;
    report.entries = import->layout.mounts.size();
    report.findings = import->findings;
    std::cout << render::oci_import_json(report);
  }
  return empty ? kExitValidation : kExitOk;
}

// ---- export ----

/// `oci export --base`: the base config with the layout's parts rewritten.
int export_config_main(const layout::Layout& layout, const cxxopts::ParseResult& args, bool json) {
  const std::string base = args["base"].as<std::string>();
  auto text = read_config(base);
  if (!text) return report_error(text.error(), json);
  std::string bundle = args.count("bundle") ? args["bundle"].as<std::string>()
                                            : fs::path(base).parent_path().string();
  render::BaseOptions options;
  options.source_name = base;
  options.bundle_dir = fs::absolute(bundle.empty() ? "." : bundle).lexically_normal().string();
  while (options.bundle_dir.size() > 1 && options.bundle_dir.back() == '/') {
    options.bundle_dir.pop_back();
  }
  options.uid = ::geteuid();
  options.gid = ::getegid();
  auto exported = render::export_config(layout, *text, options);
  if (!exported) return report_error(exported.error(), json);
  if (json) {
    std::cout << render::oci_export_config_json(exported->config_json, exported->findings);
    return kExitOk;
  }
  print_findings(layout.source, exported->findings);
  std::cout << exported->config_json;
  return kExitOk;
}

int export_main(int argc, char** argv) {
  cxxopts::Options options("oci export", "rootfsctl oci export: a layout's mounts as OCI mounts");
  options.custom_help(
      "LAYOUT [--set K=V]... [--base CONFIG.json [--bundle DIR]] [--format text|json]");
  options.positional_help("");
  options.add_options()("layout", "layout file or profile name", cxxopts::value<std::string>())(
      "set", "set a layout variable, NAME=VALUE (repeatable)",
      cxxopts::value<std::vector<std::string>>())(
      "base", "write this config.json with the layout's parts rewritten",
      cxxopts::value<std::string>())(
      "bundle", "with --base: the bundle directory (default: the directory holding the base)",
      cxxopts::value<std::string>())(
      "format", "text (the mounts array; findings on stderr) or json (both, one document)",
      cxxopts::value<std::string>()->default_value("text"))("h,help", "show this help");
  options.parse_positional({"layout"});
  int exit_code = kExitOk;
  auto args = parse_or_explain(options, argc, argv, exit_code, kExportHelp);
  if (!args) return exit_code;
  auto format = parse_format((*args)["format"].as<std::string>(), {"text", "json"});
  if (!format) return report_error(format.error(), false);
  const bool json = *format == Format::kJson;
  if (args->count("bundle") && !args->count("base")) {
    return report_error(make_error(Stage::kUsage, "--bundle goes with --base"), json);
  }
  auto layout = load_named_layout(*args, "export");
  if (!layout) return report_error(layout.error(), json);
  if (args->count("base")) return export_config_main(*layout, *args, json);
  auto exported = render::export_mounts(*layout);
  if (json) {
    std::cout << render::oci_export_json(exported.mounts_json, exported.findings);
    return kExitOk;
  }
  print_findings(layout->source, exported.findings);
  std::cout << exported.mounts_json;
  return kExitOk;
}

// ---- hook ----

/// Refuses a rebased target whose path inside the rootfs passes through a symlink: the
/// container's image is not trusted, and before the pivot a link there could lead the
/// mount (or the directory made for it) out of the rootfs. Looked at through
/// /proc/PID/root, the container's own view; nothing in the container runs yet.
Result<void> check_no_symlinks(pid_t pid, const std::string& rootfs,
                               const layout::Layout& rebased) {
  std::string view = "/proc/" + std::to_string(pid) + "/root";
  for (const auto& entry : rebased.mounts) {
    std::vector<std::string> walk;
    for (auto part : path::ancestors(entry.target)) walk.emplace_back(part);
    walk.push_back(entry.target);
    for (const auto& walked : walk) {
      if (walked.size() <= rootfs.size()) continue;  // the rootfs and what holds it
      struct stat st {};
      if (::lstat((view + walked).c_str(), &st) != 0) break;  // made by the apply, in the rootfs
      if (S_ISLNK(st.st_mode)) {
        return std::unexpected(make_error(
            Stage::kValidate, walked.substr(rootfs.size()) + " (on the way to " +
                                  entry.target.substr(rootfs.size()) +
                                  ") is a symlink in the container's rootfs " + rootfs +
                                  ": before the pivot a hook does not follow links in the image; "
                                  "name the path the link points to instead"));
      }
    }
  }
  return {};
}

/// True when process `pid` has pivoted into `rootfs`: its root directory is the rootfs
/// directory (a bind mount shows the same device and inode).
bool has_pivoted_into(pid_t pid, const std::string& rootfs) {
  struct stat root {};
  struct stat dir {};
  std::string proc_root = "/proc/" + std::to_string(pid) + "/root/";
  if (::stat(proc_root.c_str(), &root) != 0 || ::stat(rootfs.c_str(), &dir) != 0) return false;
  return root.st_dev == dir.st_dev && root.st_ino == dir.st_ino;
}

/// `rootfs` (inside `bundle` as written, see oci::rootfs_path) with symlinks resolved, as
/// the runtime mounts it. An error unless it is a directory strictly inside the bundle,
/// also resolved: a link in the bundle (rootfs -> /) would otherwise have the hook take
/// the host's root for the container's, see it "already pivoted" and apply the layout
/// to the host's tree.
Result<std::string> resolved_rootfs(const std::string& rootfs, const std::string& bundle,
                                    const std::string& config_path) {
  std::error_code ec;
  const std::string real_bundle = fs::canonical(bundle, ec).string();
  if (ec) {
    return std::unexpected(
        make_error(Stage::kRead, "cannot resolve the bundle directory " + bundle, ec.value()));
  }
  const std::string real_rootfs = fs::canonical(rootfs, ec).string();
  if (ec) {
    return std::unexpected(
        make_error(Stage::kRead, "cannot resolve the container's root " + rootfs, ec.value()));
  }
  // A root named inside the bundle must still be inside it with symlinks resolved; one
  // named elsewhere (podman's) must not resolve to the host's root, by path or by inode.
  const bool in_bundle =
      path::is_strictly_under(path::lexically_normal(rootfs), path::lexically_normal(bundle));
  struct stat st {};
  struct stat host_root {};
  const bool is_dir = ::stat(real_rootfs.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  const bool is_host_root = ::stat("/", &host_root) == 0 && st.st_dev == host_root.st_dev &&
                            st.st_ino == host_root.st_ino;
  const bool escapes = in_bundle && !path::is_strictly_under(real_rootfs, real_bundle);
  if (!is_dir || is_host_root || escapes || real_rootfs == "/") {
    Error error = make_error(Stage::kManifest,
                             "/root/path: " + rootfs + " resolves to " + real_rootfs + ", " +
                                 (is_host_root || real_rootfs == "/"
                                      ? std::string("the host's root")
                                      : "not a directory inside the bundle " + real_bundle));
    error.where = Location{config_path, 0, 0};
    error.hint =
        "a hook applies the layout beneath the container's root: a directory inside its "
        "bundle, or elsewhere but never the host's root";
    return std::unexpected(std::move(error));
  }
  return real_rootfs;
}

/// The layout as the hook applies it: before the pivot, moved beneath the bundle's rootfs
/// as the container's namespace shows it; after it, as written. Which one is decided by
/// looking at the container's root, not by the state's status, whose value at each hook
/// point differs between runtimes.
Result<layout::Layout> hook_layout(layout::Layout layout, const oci::State& state) {
  if (layout.root) {
    return oci::rebase(std::move(layout), "/");  // refuses, with the reason
  }
  if (state.bundle.empty()) {
    if (state.status == "creating") {
      return std::unexpected(make_error(Stage::kParse,
                                        "stdin: /bundle: the state of a \"creating\" container "
                                        "must name its bundle, where its rootfs is"));
    }
    return layout;
  }
  std::string config_path = state.bundle + "/config.json";
  auto config = read_config(config_path);
  if (!config) return std::unexpected(config.error());
  auto rootfs = oci::rootfs_path(*config, state.bundle, config_path);
  if (!rootfs) return std::unexpected(rootfs.error());
  auto base = resolved_rootfs(*rootfs, state.bundle, config_path);
  if (!base) return std::unexpected(base.error());
  if (has_pivoted_into(state.pid, *base)) return layout;
  auto rebased = oci::rebase(std::move(layout), *base);
  if (!rebased) return std::unexpected(rebased.error());
  if (auto checked = check_no_symlinks(state.pid, *base, *rebased); !checked) {
    return std::unexpected(checked.error());
  }
  return rebased;
}

int hook_main(int argc, char** argv) {
  cxxopts::Options options("oci hook", "rootfsctl oci hook: apply a layout from an OCI hook");
  options.custom_help(
      "LAYOUT [--set K=V]... [--fail-at K[:ERRNO]] [--dry-run] [--format text|json] "
      "< state.json");
  options.positional_help("");
  options.add_options()("layout", "layout file or profile name", cxxopts::value<std::string>())(
      "set", "set a layout variable, NAME=VALUE (repeatable)",
      cxxopts::value<std::vector<std::string>>())(
      "fail-at", "make op K fail with ERRNO (default EIO), to test the rollback",
      cxxopts::value<std::string>())("dry-run",
                                     "plan and validate against the container; change nothing")(
      "format", "text or json", cxxopts::value<std::string>()->default_value("text"))(
      "h,help", "show this help");
  options.parse_positional({"layout"});
  int exit_code = kExitOk;
  auto args = parse_or_explain(options, argc, argv, exit_code, kHookHelp);
  if (!args) return exit_code;
  auto format = parse_format((*args)["format"].as<std::string>(), {"text", "json"});
  if (!format) return report_error(format.error(), false);
  bool json = *format == Format::kJson;
  // 1. The layout and the options, as apply takes them.
  auto layout = load_named_layout(*args, "hook");
  if (!layout) return report_error(layout.error(), json);
  exec::ApplyOptions apply_options;
  if (args->count("fail-at")) {
    auto fail = exec::parse_fail_at((*args)["fail-at"].as<std::string>());
    if (!fail) return report_error(fail.error(), json);
    apply_options.exec.fail_at = *fail;
  }
  apply_options.dry_run = args->count("dry-run") > 0;
  // 2. The state on stdin.
  auto input = read_stream(STDIN_FILENO, "stdin", kMaxStateBytes, "container state",
                           "a runtime writes a few hundred bytes of JSON; is stdin the state?");
  if (!input) return report_error(input.error(), json);
  auto state = oci::parse_state(*input, "stdin");
  if (!state) return report_error(state.error(), json);
  if (state->pid == getppid()) {
    // runc runs createContainer/startContainer hooks from the container's init, and gives
    // its pid as the container's pid namespace numbers it: our parent. /proc here is not
    // that namespace's, so the pid cannot be pinned.
    return report_error(
        make_error(Stage::kUsage, "pid " + std::to_string(state->pid) +
                                      " is this hook's parent: called from inside the "
                                      "container (createContainer/startContainer); "
                                      "register 'oci hook' as a createRuntime hook"),
        json);
  }
  // 3. Where the layout goes, then the apply pipeline itself.
  auto placed = hook_layout(std::move(*layout), *state);
  if (!placed) return report_error(placed.error().wrap("container " + state->id), json);
  return apply_and_report(*placed, exec::TargetName{state->pid, std::nullopt}, apply_options, json);
}

struct Subcommand {
  std::string_view name;
  int (*run)(int argc, char** argv);
};

constexpr std::array kSubcommands{Subcommand{"import", import_main},
                                  Subcommand{"export", export_main}, Subcommand{"hook", hook_main}};

}  // namespace

int oci_main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kOciUsage;
    return kExitUsage;
  }
  std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    std::cout << kOciUsage;
    return kExitOk;
  }
  std::array<std::string_view, kSubcommands.size()> names{};
  for (std::size_t i = 0; i < kSubcommands.size(); ++i) {
    if (kSubcommands[i].name == name) return kSubcommands[i].run(argc - 1, argv + 1);
    names[i] = kSubcommands[i].name;
  }
  std::cerr << "rootfsctl: unknown oci subcommand '" << name << "'";
  if (auto hint = did_you_mean(name, names); !hint.empty()) std::cerr << " (" << hint << ")";
  std::cerr << "\nRun 'rootfsctl oci --help' for the list.\n";
  return kExitUsage;
}

}  // namespace rootfsctl::cli
