// rootfsctl mounts: findmnt's everyday command line over a live or captured table.
#include <unistd.h>

#include <iostream>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/terminal.h"
#include "mountinfo/select.h"
#include "render/render.h"

namespace rootfsctl::cli {
namespace {

constexpr const char* kMountsHelp = R"(
Shows a mount table the way findmnt does: this process's by default, a live process's
with --pid, a mount namespace's with --ns mnt=FILE (its ns file, no process needed), or a
captured /proc/N/mountinfo file with --mountinfo (`-` reads it from
standard input). The default is findmnt's tree of TARGET SOURCE FSTYPE OPTIONS; -l lists,
-r and -P print for scripts, -o picks columns, and the filters select mounts as findmnt's
do. OPTIONS says `ro` when either the mount or its filesystem is read-only; SOURCE is
`source[/dir]` for a mount of a subdirectory (a bind of one). Exit status 1 when a filter
matches nothing.

Columns (-o, case-insensitive; `+COL` adds to the default ones):
  TARGET SOURCE FSTYPE OPTIONS VFS-OPTIONS FS-OPTIONS FSROOT PROPAGATION OPT-FIELDS
  ID PARENT MAJ:MIN

In text, control bytes and bytes that are not UTF-8 show as \xNN (a backslash only when
an `x` follows it); -r also escapes spaces and backslashes, -P quotes, `$` and backquotes;
without a UTF-8 locale the tree is ASCII and non-ASCII bytes are \xNN. JSON is always
valid, with a "<field>_hex" companion holding the raw bytes of any field that is not
UTF-8, and a "propagation" field (findmnt's words, with the peer group numbers).

Examples:
  rootfsctl mounts
  rootfsctl mounts -T /usr/lib -o TARGET,SOURCE,FSROOT
  rootfsctl mounts -t notmpfs,proc -l
  rootfsctl mounts --pid 4242 --format json
  rootfsctl mounts --ns mnt=/run/ns/mnt -l
  rootfsctl mounts --mountinfo - -r -o TARGET,FSROOT < captured.txt
)";

cxxopts::Options mounts_options() {
  cxxopts::Options options("mounts", "rootfsctl mounts: show a mount table, as findmnt");
  options.custom_help(
      "[--pid N | --ns mnt=FILE | --mountinfo FILE|-] [-l|-r|-P] [-n] [-o COLUMNS] [-T PATH] [-S "
      "SOURCE]\n"
      "       [-t TYPES] [-O OPTIONS] [--format text|json|tree] [--color WHEN]");
  options.positional_help("[SOURCE | TARGET] [TARGET]");
  options.add_options()("pid", "the table of live process N", cxxopts::value<std::string>(), "N")(
      "ns", "the table of the mount namespace of mnt=FILE",
      cxxopts::value<std::vector<std::string>>(), "mnt=FILE")(
      "mountinfo", "a captured mountinfo file; - for standard input", cxxopts::value<std::string>(),
      "FILE")("T,target", "the mount containing PATH", cxxopts::value<std::string>(), "PATH")(
      "S,source", "mounts of SOURCE (a device, a name or MAJ:MIN)", cxxopts::value<std::string>(),
      "SOURCE")("t,types", "filesystem types, comma-separated; a leading no negates",
                cxxopts::value<std::string>(),
                "TYPES")("O,options", "mount options that must be present (noX: absent)",
                         cxxopts::value<std::string>(), "OPTIONS")(
      "o,output", "the columns to print", cxxopts::value<std::string>(), "COLUMNS")(
      "l,list", "one mount a line, no tree")(
      "r,raw", "space-separated fields, escaped, no alignment")("P,pairs", "NAME=\"value\" pairs")(
      "n,noheadings", "no header line")("format", "text (findmnt's forms), json or tree",
                                        cxxopts::value<std::string>()->default_value("text"), "F")
      // Every command takes --color; main takes it out of argv (cli/terminal.h). Listed
      // here so that mounts --help, which colours, shows it.
      ("color", "colour: auto (a terminal without NO_COLOR or TERM=dumb), always, never",
       cxxopts::value<std::string>(),
       "WHEN")("paths", "", cxxopts::value<std::vector<std::string>>())("h,help", "show this help");
  options.parse_positional({"paths"});
  return options;
}

std::string value_or_empty(const cxxopts::ParseResult& args, const std::string& name) {
  return args.count(name) ? args[name].as<std::string>() : std::string();
}

std::optional<std::string> optional_value(const cxxopts::ParseResult& args,
                                          const std::string& name) {
  if (!args.count(name)) return std::nullopt;
  return args[name].as<std::string>();
}

/// The filters, with findmnt's positional arguments: one is a source or a mount point,
/// a second is the mount point (and the first the source).
Result<mountinfo::MountFilter> filter_from(const cxxopts::ParseResult& args) {
  mountinfo::MountFilter filter;
  filter.source = optional_value(args, "source");
  filter.containing = optional_value(args, "target");
  filter.types = optional_value(args, "types");
  filter.options = optional_value(args, "options");
  const auto paths = args.count("paths") ? args["paths"].as<std::vector<std::string>>()
                                         : std::vector<std::string>{};
  if (paths.size() > 2) {
    return std::unexpected(make_error(Stage::kUsage, "unexpected argument '" + paths[2] + "'"));
  }
  if (!paths.empty() && (filter.source || filter.containing)) {
    Error error =
        make_error(Stage::kUsage, "a SOURCE or TARGET argument and -S/-T name mounts twice");
    error.hint = "give either the argument or the option";
    return std::unexpected(error);
  }
  if (paths.size() == 2) {
    filter.source = paths[0];
    filter.source_or_target = paths[1];
  } else if (paths.size() == 1) {
    filter.source_or_target = paths[0];
  }
  return filter;
}

/// -l, -r, -P and --format choose one form; two of them conflict.
Result<render::MountsForm> form_from(const cxxopts::ParseResult& args, Format format,
                                     const mountinfo::MountFilter& filter) {
  // -r and -P are lists already, so -l adds nothing to them (findmnt refuses -lr; this
  // accepts it).
  const auto forms = args.count("list") + args.count("raw") + args.count("pairs");
  if (args.count("raw") && args.count("pairs")) {
    return std::unexpected(make_error(Stage::kUsage, "-r and -P are two forms; give one"));
  }
  if (forms > 0 && format != Format::kText) {
    return std::unexpected(make_error(Stage::kUsage, "-l, -r and -P go with --format text"));
  }
  if (args.count("raw")) return render::MountsForm::kRaw;
  if (args.count("pairs")) return render::MountsForm::kPairs;
  if (args.count("list")) return render::MountsForm::kList;
  // As findmnt: mounts named by path or source print as a list.
  if (format == Format::kText && filter.names_mounts()) return render::MountsForm::kList;
  return render::MountsForm::kTree;
}

Result<mountinfo::MountTable> read_table(const Target& target) {
  if (target.mountinfo_file && *target.mountinfo_file == "-") {
    return mountinfo::read_mountinfo_fd(STDIN_FILENO, "standard input");
  }
  return target.read_table();
}

Result<render::MountsView> view_from(const cxxopts::ParseResult& args, Format format,
                                     const mountinfo::MountFilter& filter) {
  render::MountsView view;
  auto form = form_from(args, format, filter);
  if (!form) return std::unexpected(form.error());
  view.form = *form;
  if (args.count("output")) {
    auto columns = render::parse_mount_columns(value_or_empty(args, "output"));
    if (!columns) return std::unexpected(columns.error());
    view.columns = std::move(*columns);
  }
  view.headings = args.count("noheadings") == 0;
  view.terminal = terminal_for(STDOUT_FILENO, color_when());
  return view;
}

}  // namespace

int mounts_main(int argc, char** argv) {
  auto options = mounts_options();
  int exit_code = kExitOk;
  auto args = parse_or_explain(options, argc, argv, exit_code, kMountsHelp);
  if (!args) return exit_code;
  auto format = parse_format((*args)["format"].as<std::string>(), {"text", "json", "tree"});
  if (!format) return report_error(format.error(), false);
  const bool json = *format == Format::kJson;
  auto filter = filter_from(*args);
  if (!filter) return report_error(filter.error(), json);
  auto view = view_from(*args, *format, *filter);
  if (!view) return report_error(view.error(), json);
  auto target = target_from(*args);
  if (!target) return report_error(target.error(), json);
  auto table = read_table(*target);
  if (!table) return report_error(table.error().wrap(target->describe()), json);
  const auto shown = mountinfo::select_mounts(*table, *filter);
  if (json) {
    std::cout << render::mounts_json(*table, shown);
  } else {
    std::cout << render::mounts_view(*table, shown, *view);
  }
  // findmnt's status: a filter that selects nothing is a failed lookup.
  return shown.empty() && table->size() > 0 ? kExitValidation : kExitOk;
}

}  // namespace rootfsctl::cli
