#!/usr/bin/env python3
"""The man pages and shell completions against the binary they describe.

Usage: docs_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]

- docs/man/rootfsctl.1 and rootfsctl-layout.5 render with man -l and groff without a
  warning;
- every command of `rootfsctl --help` (and every subcommand of one that has them) has a
  section in rootfsctl.1 whose option list is exactly the long options of its --help, so an
  option added without documentation (or documented and then removed) fails;
- every key and entry kind of schemas/layout.schema.json is in rootfsctl-layout.5;
- completions/rootfsctl.bash, driven for real in bash (with and without the
  bash-completion package), offers the commands, every option, the --format values each
  command accepts, profile names from the binary, pids and files;
- completions/_rootfsctl parses (zsh -n) and, driven through compinit in a pseudo-terminal
  (zpty), offers the same.

Nothing here needs root, and nothing is skipped: man, groff, bash-completion and zsh are
test packages (scripts/deps.sh), so a missing one is a failure.
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

BINARY = ""
SOURCE = pathlib.Path(".")
BASH_COMPLETION = pathlib.Path("/usr/share/bash-completion/bash_completion")


def rootfsctl(*args):
    proc = subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise AssertionError(f"rootfsctl {' '.join(args)}: exit {proc.returncode}\n{proc.stderr}")
    return proc.stdout


def listed_block(text, heading):
    """The first words of the indented lines under `heading:` in a help text."""
    lines = text.split("\n")
    start = lines.index(heading + ":") + 1
    names = []
    for line in lines[start:]:
        if not line.strip():
            break
        names.append(line.split()[0])
    return names


def long_options(help_text):
    """Long options of a --help text, as cxxopts prints them ("  -h, --help", "      --pid arg")."""
    return set(re.findall(r"^\s+(?:-\w, )?--([a-z][\w-]*)", help_text, re.M))


def command_paths():
    """("plan",), ..., ("oci",), ("oci", "import"), ...: each with its --help text."""
    paths = {}
    for name in listed_block(rootfsctl("--help"), "Commands"):
        text = rootfsctl(name, "--help")
        paths[(name,)] = text
        if "\nSubcommands:\n" in text:
            for sub in listed_block(text, "Subcommands"):
                paths[(name, sub)] = rootfsctl(name, sub, "--help")
    return paths


def format_values(help_text):
    """The --format values a command's help names ("text, json, tree or mermaid")."""
    for line in help_text.split("\n"):
        if re.match(r"^\s+--format\b", line):
            return set(re.findall(r"\b(text|json|tree|mermaid|yaml|sarif)\b", line))
    return set()


# ---- roff ------------------------------------------------------------------------------

def plain(roff):
    """roff source text without font escapes, with \\- as -."""
    text = re.sub(r"\\f[BIRP]", "", roff)
    for escape, char in (("\\-", "-"), ("\\%", ""), ("\\&", ""), ("\\(aq", "'"), ("\\ ", " "),
                         ("\\(dq", '"'), ("\\e", "\\")):
        text = text.replace(escape, char)
    return text


def title(line):
    """The argument of a .SH/.SS line, unquoted."""
    return line.split(None, 1)[1].strip().strip('"') if " " in line else ""


def sections(roff, macro):
    """{title: body} for each `macro` (".SH" or ".SS") in `roff`."""
    out, current = {}, None
    for line in roff.split("\n"):
        if line.startswith(macro + " ") or line == macro:
            current = title(line)
            out[current] = []
        elif current is not None:
            out[current].append(line)
    return {name: "\n".join(body) for name, body in out.items()}


def tags(body):
    """The tag lines of the .TP paragraphs in `body`, as plain text."""
    lines = body.split("\n")
    return [plain(lines[i + 1]) for i, line in enumerate(lines[:-1]) if line == ".TP"]


def tag_options(body):
    return {m for tag in tags(body) for m in re.findall(r"--([a-z][\w-]*)", tag)}


def tag_words(body):
    """The first word of each .TP tag, its macro (.B, .BR, ...) dropped."""
    words = []
    for tag in tags(body):
        parts = tag.split()
        if parts and parts[0].startswith("."):
            parts = parts[1:]
        if parts:
            words.append(parts[0].strip('"'))
    return words


class ManPageRenderTest(unittest.TestCase):
    def test_pages_render_without_warnings(self):
        for page in ("rootfsctl.1", "rootfsctl-layout.5"):
            path = SOURCE / "docs/man" / page
            with self.subTest(page):
                env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MANPAGER="cat",
                           PAGER="cat")
                proc = subprocess.run(["man", "--warnings", "-l", str(path)], env=env,
                                      capture_output=True, text=True, timeout=60)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertEqual(proc.stderr, "", "man --warnings complained")
                self.assertIn("SYNOPSIS", proc.stdout)
                self.assertIn("SEE ALSO", proc.stdout)
                for line in proc.stdout.split("\n"):
                    self.assertLessEqual(len(line), 80, f"line wider than MANWIDTH: {line!r}")
                proc = subprocess.run(["groff", "-man", "-ww", "-z", str(path)],
                                      capture_output=True, text=True, timeout=60)
                self.assertEqual((proc.returncode, proc.stderr), (0, ""), "groff -ww complained")


class CommandPageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.roff = (SOURCE / "docs/man/rootfsctl.1").read_text()
        cls.top = sections(cls.roff, ".SH")
        cls.commands = sections(cls.top["COMMANDS"], ".SS")
        cls.paths = command_paths()

    def test_every_command_has_a_section_and_no_section_is_stale(self):
        documented = {tuple(name.split()) for name in self.commands}
        self.assertEqual(documented, set(self.paths))

    def test_every_option_of_each_help_is_documented_in_its_section(self):
        for path, help_text in self.paths.items():
            with self.subTest(" ".join(path)):
                body = self.commands[" ".join(path)]
                self.assertEqual(tag_options(body), long_options(help_text),
                                 "options of --help (right) against the .TP tags of "
                                 f"'{' '.join(path)}' in rootfsctl.1 (left)")

    def test_synopsis_names_every_command(self):
        synopsis = re.sub(r"\s+", " ", plain(self.top["SYNOPSIS"]))
        for path in self.paths:
            if path == ("oci",):
                continue  # its subcommands stand for it
            with self.subTest(" ".join(path)):
                self.assertIn("rootfsctl " + " ".join(path), synopsis)

    def test_exit_status_environment_files_and_see_also(self):
        self.assertEqual(tag_words(self.top["EXIT STATUS"]),
                         ["0", "1", "2", "3", "4", "5", "125", "126", "127"])
        self.assertEqual(tag_words(self.top["ENVIRONMENT"]),
                         ["ROOTFSCTL_PATH", "XDG_CONFIG_HOME", "NO_COLOR", "TERM", "COLUMNS",
                          "LC_ALL", "ROOTFSCTL_STATE_DIR", "ROOTFSCTL_CACHE_DIR",
                          "ROOTFSCTL_NO_CACHE"])
        files = plain(self.top["FILES"])
        for name in ("/etc/rootfsctl/profiles", "share/rootfsctl/profiles",
                     "share/rootfsctl/layout.schema.json"):
            self.assertIn(name, files)
        see_also = re.sub(r"\s+", " ", plain(self.top["SEE ALSO"]).replace(".BR ", ""))
        for ref in ("rootfsctl-layout (5)", "mount (2)", "pivot_root (2)",
                    "mount_namespaces (7)", "bwrap (1)", "runc (8)", "findmnt (8)"):
            self.assertIn(ref, see_also)
        for name in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "PROFILES", "EXAMPLES"):
            self.assertIn(name, self.top)

    def test_profiles_section_gives_the_search_path_in_order(self):
        text = plain(self.top["PROFILES"])
        order = [text.index(s) for s in ("$ROOTFSCTL_PATH", "$XDG_CONFIG_HOME",
                                         "/etc/rootfsctl/profiles", "share/rootfsctl/profiles",
                                         "manifests/")]
        self.assertEqual(order, sorted(order))


class LayoutPageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.schema = json.loads((SOURCE / "schemas/layout.schema.json").read_text())
        cls.roff = (SOURCE / "docs/man/rootfsctl-layout.5").read_text()
        cls.top = sections(cls.roff, ".SH")

    def kind_definitions(self):
        """{kind: definition} from the entry's dependencies table."""
        table = self.schema["definitions"]["entry"]["dependencies"]
        return {kind: self.schema["definitions"][rule["$ref"].split("/")[-1]]
                for kind, rule in table.items()}

    def test_every_top_level_key(self):
        self.assertEqual(tag_words(self.top["TOP-LEVEL KEYS"]), list(self.schema["properties"]))

    def test_root_keys(self):
        root = self.schema["definitions"]["root"]
        self.assertEqual(tag_words(self.top["THE ROOT"]), list(root["properties"]))
        text = plain(self.top["THE ROOT"])
        for key in root["properties"]["tmpfs"]["properties"]:
            self.assertRegex(text, rf"\.B {key}\b")

    def test_every_entry_kind_has_a_subsection_with_each_of_its_keys(self):
        kinds = sections(self.top["ENTRIES"], ".SS")
        definitions = self.kind_definitions()
        self.assertEqual(list(kinds), [k for k in definitions if k != "remove"])
        for kind, definition in definitions.items():
            if kind == "remove":
                continue
            with self.subTest(kind):
                self.assertEqual(set(tag_words(kinds[kind])), set(definition["properties"]))
                self.assertIn(f"- {kind}: /", plain(kinds[kind]), "an example of the kind")

    def test_remove_variables_paths_and_recursive_readonly(self):
        self.assertIn("remove", self.kind_definitions())
        self.assertIn("- remove:", plain(self.top["COMPOSING PROFILES"]))
        variables = plain(self.top["VARIABLES"])
        for needle in ("${", "$$", "--set"):
            self.assertIn(needle, variables)
        self.assertIn("PATHS", self.top)
        self.assertIn("AT_RECURSIVE", self.top["READ-ONLY RECURSIVE BINDS"])

    def test_every_option_and_namespace_name(self):
        text = plain(self.roff)
        names = (self.schema["definitions"]["options"]["items"]["enum"] +
                 self.schema["properties"]["namespaces"]["items"]["enum"])
        for name in names:
            self.assertRegex(text, rf"\.BR? {re.escape(name)}\b", name)


# ---- completion ------------------------------------------------------------------------

BASH_DRIVER = r"""
cd "$1" || exit 3
if [[ $2 == with-bash-completion ]]; then source /usr/share/bash-completion/bash_completion; fi
source "$3"
shift 3
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
_rootfsctl
printf '%s\n' "${COMPREPLY[@]}"
"""

ZSH_DRIVER = r"""
# zsh -f driver.zsh COMPLETIONS_DIR LINE: the matches zsh offers for LINE<TAB>, one a line.
zmodload zsh/zpty || exit 3
local dir=$1 line=$2 out l deadline=$(( SECONDS + 30 ))
zpty z zsh -f -i
zpty -w z "PROMPT='' RPROMPT='' PS2=''"
zpty -w z "fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z "zstyle ':completion:*' menu no; zstyle ':completion:*' list-grouped false; bindkey '^I' complete-word"
# Print every match any completion function adds, tagged; then a marker when done.
zpty -w z 'compadd() { local -a __m; builtin compadd -O __m "$@"; if (( ! ${@[(I)-[OAD]*]} )); then local __w; for __w in $__m; do print -r -- "<<MATCH>>$__w"; done; fi; builtin compadd "$@"; }'
zpty -w z 'comppostfuncs=(__done); __done() { print -r -- "<<DONE>>"; }'
zpty -w z "print -r -- '<<READY>>'"
while (( SECONDS < deadline )); do
  if zpty -r -t z l; then out+=$l; [[ $out == *'<<READY>>'$'\r'* ]] && break; else sleep 0.05; fi
done
out=
zpty -w -n z "$line"$'\t'
while (( SECONDS < deadline )); do
  if zpty -r -t z l; then out+=$l; [[ $out == *'<<DONE>>'* ]] && break; else sleep 0.05; fi
done
zpty -d z
[[ $out == *'<<DONE>>'* ]] || { print -u2 -r -- "completion did not finish: ${(q)out}"; exit 4; }
for l in ${(f)out}; do [[ $l == *'<<MATCH>>'* ]] && print -r -- ${${l##*<<MATCH>>}%$'\r'}; done
exit 0
"""


class SecurityPageTest(unittest.TestCase):
    """docs/security.md names, for each threat, the tests that prove the defence: every
    test it names exists, so the page cannot point at a test that was renamed or removed."""

    def test_every_test_the_page_names_exists(self):
        page = (SOURCE / "docs" / "security.md").read_text()
        sources = "\n".join(p.read_text(errors="replace")
                            for p in (SOURCE / "tests").rglob("*")
                            if p.suffix in (".py", ".cc") and p.is_file())
        names = {name for span in re.findall(r"`([^`]+)`", page)
                 for name in re.findall(r"\b((?:test_|[A-Z][A-Za-z]+\.)[A-Za-z_*]+|"
                                        r"[A-Z][A-Za-z]+Test)\b", span)}
        self.assertGreater(len(names), 20)
        for name in sorted(names):
            with self.subTest(name=name):
                stem = name.rstrip("*").split(".")[-1]
                suite = name.split(".")[0] if "." in name else name if name.endswith("Test") else None
                self.assertTrue(stem in sources, f"{name} is named in docs/security.md, "
                                "but no test has that name")
                if suite:
                    self.assertTrue(re.search(rf"(class|TEST(_P)?\() ?{suite}\b", sources),
                                    f"no test suite {suite} (docs/security.md)")


class CompletionFixture:
    """A temporary directory with the binary on PATH as `rootfsctl`, a few files to
    complete, and the profile names the binary lists."""

    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="rootfsctl-docs-")
        root = pathlib.Path(self.tmp.name)
        self.bin = root / "bin"
        self.bin.mkdir()
        (self.bin / "rootfsctl").symlink_to(pathlib.Path(BINARY).resolve())
        self.cwd = root / "work"
        self.cwd.mkdir()
        for name in ("mine.yaml", "notes.txt", "config.json", "captured.txt"):
            (self.cwd / name).write_text("")
        (self.cwd / "subdir").mkdir()
        self.home = root / "home"
        self.home.mkdir()
        self.env = dict(os.environ, PATH=f"{self.bin}:{os.environ['PATH']}", HOME=str(self.home),
                        LC_ALL="C.UTF-8", TERM="dumb")
        self.env.pop("ROOTFSCTL_PATH", None)
        self.env.pop("XDG_CONFIG_HOME", None)
        self.driver = root / "driver"
        self.driver.write_text(BASH_DRIVER)
        self.zsh_driver = root / "driver.zsh"
        self.zsh_driver.write_text(ZSH_DRIVER)
        listed = subprocess.run([BINARY, "profiles", "list", "--format", "json"],
                                capture_output=True, text=True, env=self.env, check=True)
        self.profiles = {p["name"] for p in json.loads(listed.stdout)["profiles"]}

    def bash(self, words, mode):
        proc = subprocess.run(["bash", "--norc", "--noprofile", str(self.driver), str(self.cwd),
                               mode, str(SOURCE / "completions/rootfsctl.bash"), *words],
                              capture_output=True, text=True, env=self.env, timeout=60)
        if proc.returncode != 0:
            raise AssertionError(f"bash driver for {words}: exit {proc.returncode}\n{proc.stderr}")
        return [line for line in proc.stdout.split("\n") if line]

    def zsh(self, line):
        proc = subprocess.run(["zsh", "-f", str(self.zsh_driver), str(SOURCE / "completions"),
                               line], capture_output=True, text=True, env=self.env,
                              cwd=self.cwd, timeout=90)
        if proc.returncode != 0:
            raise AssertionError(f"zsh driver for {line!r}: exit {proc.returncode}\n{proc.stderr}")
        return [l for l in proc.stdout.split("\n") if l]


class BashCompletionTest(unittest.TestCase):
    """Each case in both modes: bash-completion loaded (as on a desktop) and not."""

    @classmethod
    def setUpClass(cls):
        cls.paths = command_paths()
        cls.commands = listed_block(rootfsctl("--help"), "Commands")
        cls.fixture = CompletionFixture()

    @classmethod
    def tearDownClass(cls):
        cls.fixture.tmp.cleanup()

    def complete(self, *words):
        """{mode: COMPREPLY} for `words`, the last one being completed."""
        return {mode: self.fixture.bash(["rootfsctl", *words], mode)
                for mode in ("with-bash-completion", "alone")}

    def assertEach(self, results, check):
        for mode, reply in results.items():
            with self.subTest(mode=mode):
                check(reply)

    def test_bash_completion_package_is_installed(self):
        self.assertTrue(BASH_COMPLETION.is_file(), "bash-completion is a test package")

    def test_commands(self):
        self.assertEach(self.complete(""), lambda r: self.assertEqual(r, self.commands))
        self.assertEach(self.complete("pl"), lambda r: self.assertEqual(r, ["plan"]))
        self.assertEach(self.complete("--"),
                        lambda r: self.assertEqual(set(r), {"--help", "--version"}))

    def test_an_option_prefix(self):
        self.assertEach(self.complete("plan", "--for"), lambda r: self.assertEqual(r, ["--format"]))

    def test_every_long_option_of_every_command(self):
        for path, help_text in self.paths.items():
            wanted = {"--" + o for o in long_options(help_text)} | {"--help"}
            with self.subTest(" ".join(path)):
                # All of them, and none the command does not take.
                self.assertEach(self.complete(*path, "--"),
                                lambda r: self.assertEqual(set(r), wanted))

    def test_format_values_of_each_command(self):
        for path, help_text in self.paths.items():
            values = format_values(help_text)
            if not values:
                continue
            with self.subTest(" ".join(path)):
                self.assertEach(self.complete(*path, "--format", ""),
                                lambda r: self.assertEqual(set(r), values))
                # --format=<TAB>: bash splits the word at '='.
                self.assertEach(self.complete(*path, "--format", "=", ""),
                                lambda r: self.assertEqual(set(r), values))
        self.assertEach(self.complete("plan", "x", "--format", ""),
                        lambda r: self.assertEqual(r, ["text", "json", "tree", "mermaid",
                                                       "sarif"]))

    def test_profile_names_from_the_binary(self):
        self.assertIn("sandbox", self.fixture.profiles)
        self.assertEach(self.complete("run", "sand"), lambda r: self.assertEqual(r, ["sandbox"]))
        self.assertEach(self.complete("profiles", "show", ""),
                        lambda r: self.assertEqual(set(r), self.fixture.profiles))
        self.assertEach(self.complete("profiles", ""),
                        lambda r: self.assertEqual(set(r), {"list", "show"}))

    def test_layout_positions_offer_profiles_yaml_files_and_directories(self):
        for path in (("plan",), ("apply",), ("verify",), ("run",), ("oci", "export"),
                     ("oci", "hook")):
            with self.subTest(" ".join(path)):
                self.assertEach(self.complete(*path, ""), lambda r: self.assertEqual(
                    set(r), self.fixture.profiles | {"mine.yaml", "subdir"}))
        # After the layout, only options.
        self.assertEach(self.complete("plan", "mine.yaml", ""), lambda r: self.assertEqual(r, []))
        # With an option and its value before it, the layout position is still found.
        self.assertEach(self.complete("apply", "--pid", "1", "mine"),
                        lambda r: self.assertEqual(r, ["mine.yaml"]))

    def test_option_values(self):
        self.assertEach(self.complete("mounts", "--mountinfo", "cap"),
                        lambda r: self.assertEqual(r, ["captured.txt"]))
        self.assertEach(self.complete("oci", "import", ""),
                        lambda r: self.assertEqual(set(r), {"config.json", "subdir"}))
        self.assertEach(self.complete("oci", ""),
                        lambda r: self.assertEqual(
                            r, [p[1] for p in self.paths if len(p) == 2 and p[0] == "oci"]))
        mine = str(os.getpid())
        self.assertEach(self.complete("apply", "x", "--pid", mine),
                        lambda r: self.assertIn(mine, r))
        self.assertEach(self.complete("capture", "--pid", ""), lambda r: self.assertIn("1", r))

    def test_nothing_of_rootfsctl_after_the_separator_of_run(self):
        run_options = {"--" + o for o in long_options(self.paths[("run",)])}
        self.assertEach(self.complete("run", "sandbox", "--", "--"),
                        lambda r: self.assertFalse(run_options & set(r), r))
        self.assertEach(self.complete("run", "--", "sand"),
                        lambda r: self.assertNotIn("sandbox", r))
        # The command itself: completed as a command.
        self.assertEach(self.complete("run", "--", "bas"), lambda r: self.assertIn("bash", r))
        self.assertEach(self.complete("run", "--", "ls", "mine"),
                        lambda r: self.assertEqual(r, ["mine.yaml"]))


class ZshCompletionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.paths = command_paths()
        cls.commands = listed_block(rootfsctl("--help"), "Commands")
        cls.fixture = CompletionFixture()
        cls.script = SOURCE / "completions/_rootfsctl"

    @classmethod
    def tearDownClass(cls):
        cls.fixture.tmp.cleanup()

    def test_parses(self):
        self.assertIsNotNone(shutil.which("zsh"), "zsh is a test package")
        self.assertEqual(self.script.read_text().split("\n")[0], "#compdef rootfsctl")
        proc = subprocess.run(["zsh", "-n", str(self.script)], capture_output=True, text=True)
        self.assertEqual((proc.returncode, proc.stderr), (0, ""))

    def test_commands(self):
        self.assertEqual(self.fixture.zsh("rootfsctl "), self.commands)
        self.assertEqual(self.fixture.zsh("rootfsctl oci "),
                         [p[1] for p in self.paths if len(p) == 2 and p[0] == "oci"])

    def test_every_long_option_of_every_command(self):
        for path, help_text in self.paths.items():
            if path == ("oci",):
                continue  # a dispatcher: its words are subcommands
            with self.subTest(" ".join(path)):
                offered = {m.rstrip("=") for m in self.fixture.zsh(
                    "rootfsctl " + " ".join(path) + " --")}
                # Every command takes --help, including those (schema) whose help is prose.
                self.assertIn("--help", offered)
                self.assertEqual(offered - {"--", "--help"},
                                 {"--" + o for o in long_options(help_text)} - {"--help"})

    def test_values_and_positions(self):
        self.assertEqual(self.fixture.zsh("rootfsctl plan x --format "),
                         ["text", "json", "tree", "mermaid", "sarif"])
        self.assertEqual(set(self.fixture.zsh("rootfsctl mounts --format=")),
                         {"text", "json", "tree"})
        self.assertEqual(self.fixture.zsh("rootfsctl run sand"), ["sandbox"])
        self.assertEqual(set(self.fixture.zsh("rootfsctl profiles show ")), self.fixture.profiles)
        self.assertLessEqual({"mine.yaml", "sandbox"}, set(self.fixture.zsh("rootfsctl plan ")))
        self.assertNotIn("notes.txt", self.fixture.zsh("rootfsctl plan "))
        self.assertIn("1", self.fixture.zsh("rootfsctl capture --pid "))
        self.assertEqual(self.fixture.zsh("rootfsctl mounts --mountinfo cap"), ["captured.txt"])

    def test_nothing_of_rootfsctl_after_the_separator_of_run(self):
        self.assertNotIn("--fail-at", self.fixture.zsh("rootfsctl run -- --"))
        self.assertIn("bash", self.fixture.zsh("rootfsctl run -- bas"))


if __name__ == "__main__":
    BINARY = sys.argv[1]
    SOURCE = pathlib.Path(sys.argv[2]).resolve()
    unittest.main(argv=[sys.argv[0], *sys.argv[3:]], verbosity=2)
