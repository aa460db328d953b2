#!/usr/bin/env python3
"""End-to-end tests of the rootfsctl command line: exit codes, messages, JSON shapes,
determinism, and live targets in their own namespaces.

Usage: cli_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]

Tests that need root (a parked child in new namespaces) fail under CI=true when not root:
CI runs as root, and a privileged test that skips itself there would hide a defect.
"""
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest

import support
from support import ParkedChild, require_root, rootfsctl


def header_value(path, key):
    """The value of a leading `# key: value` comment line."""
    for line in path.read_bytes().split(b"\n"):
        text = line.decode("utf-8", errors="replace")
        if text.startswith(f"# {key}: "):
            return text[len(f"# {key}: "):]
    return None


class CorpusTest(unittest.TestCase):
    def test_invalid_layouts_exit_2_with_file_line_col(self):
        files = sorted((SOURCE / "tests/data/invalid").glob("*.yaml"))
        self.assertGreaterEqual(len(files), 20)
        for path in files:
            with self.subTest(path.name):
                expect = header_value(path, "expect")
                self.assertIsNotNone(expect, f"{path} has no '# expect:' line")
                proc = rootfsctl("plan", path, check_exit=2)
                first = proc.stderr.decode("utf-8", errors="replace").split("\n")[0]
                self.assertEqual(first, f"rootfsctl: {path}:{expect}")
                self.assertEqual(proc.stdout, b"", "nothing on stdout for a manifest error")

    def test_invalid_layout_json_error_on_stdout(self):
        path = SOURCE / "tests/data/invalid" / sorted(
            p.name for p in (SOURCE / "tests/data/invalid").glob("*.yaml"))[0]
        proc = rootfsctl("plan", path, "--format", "json", check_exit=2)
        error = json.loads(proc.stdout)["error"]
        self.assertEqual(error["stage"], "manifest")
        self.assertEqual(error["file"], str(path))
        self.assertGreater(error["line"], 0)

    def test_semantic_problems_exit_1_with_an_error_diagnostic(self):
        files = sorted((SOURCE / "tests/data/semantic").glob("*.yaml"))
        self.assertGreaterEqual(len(files), 6)
        for path in files:
            with self.subTest(path.name):
                code = header_value(path, "expect-code")
                proc = rootfsctl("plan", path, "--format", "json", check_exit=1)
                diagnostics = json.loads(proc.stdout)["diagnostics"]
                errors = [d for d in diagnostics if d["severity"] == "error"]
                self.assertIn(code, [d["code"] for d in errors], diagnostics)
                for d in errors:
                    self.assertTrue(d["message"])
                    self.assertTrue(d["origin"])


class PlanTest(unittest.TestCase):
    def plan_json(self, *extra):
        proc = rootfsctl("plan", SOURCE / "manifests/sandbox.yaml", "--format", "json", *extra,
                         check_exit=0)
        return proc.stdout, json.loads(proc.stdout)

    def test_sandbox_json_shape_origins_and_pivot_ritual(self):
        _, plan = self.plan_json()
        self.assertEqual(list(plan)[:3], ["layout", "name", "ops"])
        self.assertIn("diagnostics", plan)
        ops = plan["ops"]
        self.assertEqual([op["index"] for op in ops], list(range(1, len(ops) + 1)))
        for op in ops:
            self.assertIn(op["op"], {"propagation", "mkdir", "mkfile", "symlink", "write",
                                     "chmod", "mount", "bind", "remount", "pivot_root",
                                     "umount"})
            self.assertTrue(op["target"].startswith("/"))
            origin = op["origin"]
            self.assertTrue(origin.startswith("implicit: ") or
                            origin.startswith(str(SOURCE / "manifests/sandbox.yaml") + ":"),
                            origin)
        self.assertEqual(ops[0]["op"], "propagation")
        self.assertEqual(ops[0]["flags"], ["rprivate"])
        self.assertEqual([op["op"] for op in ops[-3:]], ["pivot_root", "propagation", "umount"])
        self.assertEqual(ops[-1]["flags"], ["detach"])
        self.assertTrue(ops[-1]["commit"])
        for d in plan["diagnostics"]:
            self.assertNotEqual(d["severity"], "error", d)

    def test_two_runs_are_byte_identical(self):
        first, _ = self.plan_json()
        second, _ = self.plan_json()
        self.assertEqual(first, second)
        captured = SOURCE / "tests/data/mountinfo/hostile.txt"
        a = rootfsctl("plan", "sandbox", "--mountinfo", captured, "--format", "json").stdout
        b = rootfsctl("plan", "sandbox", "--mountinfo", captured, "--format", "json").stdout
        self.assertEqual(a, b)
        for fmt in ("text", "tree"):
            a = rootfsctl("plan", "sandbox", "--mountinfo", captured, "--format", fmt).stdout
            b = rootfsctl("plan", "sandbox", "--mountinfo", captured, "--format", fmt).stdout
            self.assertEqual(a, b, fmt)

    def test_profile_name_and_set(self):
        proc = rootfsctl("plan", "sandbox", "--set", "usr=/opt/elsewhere", "--format", "json",
                         "--mountinfo", SOURCE / "tests/data/mountinfo/hostile.txt",
                         check_exit=0)
        ops = json.loads(proc.stdout)["ops"]
        self.assertIn({"target": "/usr", "source": "/opt/elsewhere"},
                      [{"target": o["target"], "source": o.get("source")} for o in ops
                       if o["op"] == "bind"])

    def test_offline_mode_says_so(self):
        proc = rootfsctl("plan", "sandbox", "--mountinfo",
                         SOURCE / "tests/data/mountinfo/hostile.txt", "--format", "json",
                         check_exit=0)
        codes = [d["code"] for d in json.loads(proc.stdout)["diagnostics"]]
        self.assertIn("offline", codes)
        self.assertIn("pivot-shared-root", codes)

    def test_every_bundled_manifest_plans(self):
        for path in sorted((SOURCE / "manifests").glob("*.yaml")):
            with self.subTest(path.name):
                proc = rootfsctl("plan", path, "--mountinfo",
                                 SOURCE / "tests/data/mountinfo/hostile.txt", "--format", "json")
                self.assertIn(proc.returncode, (0, 1), proc.stderr)
                self.assertTrue(json.loads(proc.stdout)["ops"])

    def test_tree_and_text_show_the_plan(self):
        tree = rootfsctl("plan", "sandbox", "--format", "tree", check_exit=0).stdout.decode()
        for target in ("/usr", "/proc", "/dev/pts", "/dev/null", "/tmp"):
            self.assertIn(target, tree)
        self.assertIn("lint:", tree)
        text = rootfsctl("plan", "sandbox", check_exit=0).stdout.decode()
        self.assertIn("pivot_root", text)
        self.assertIn("lint:", text)


class MountsTest(unittest.TestCase):
    def test_json_is_valid_and_lossless_for_hostile_names(self):
        proc = rootfsctl("mounts", "--mountinfo", SOURCE / "tests/data/mountinfo/hostile.txt",
                         "--format", "json", check_exit=0)
        proc.stdout.decode("utf-8")  # strictly UTF-8
        mounts = json.loads(proc.stdout)["mounts"]
        self.assertEqual(len(mounts), 10)
        by_id = {m["id"]: m for m in mounts}
        self.assertEqual(by_id[27]["target"], "/mnt/with space")
        self.assertEqual(by_id[28]["target"], "/mnt/tab\tand\nnewline")
        self.assertEqual(by_id[28]["source"], "back\\slash")
        self.assertEqual(by_id[28]["optional_fields"], ["master:7"])
        self.assertEqual(bytes.fromhex(by_id[29]["target_hex"]), b"/mnt/latin1-\xe9t\xe9")
        self.assertEqual(by_id[31]["optional_fields"], ["shared:9", "master:2"])
        self.assertEqual(set(by_id[22]),
                         {"id", "parent", "major", "minor", "root", "target", "options",
                          "optional_fields", "fstype", "source", "super_options",
                          "propagation", "shared"})
        self.assertEqual(by_id[22]["propagation"], "shared")
        self.assertEqual((by_id[31]["propagation"], by_id[31]["shared"], by_id[31]["master"]),
                         ("shared,slave", 9, 2))

    def test_text_and_tree_keep_one_line_per_mount(self):
        for fmt in ("text", "tree"):
            out = rootfsctl("mounts", "--mountinfo", SOURCE / "tests/data/mountinfo/hostile.txt",
                            "--format", fmt, check_exit=0).stdout.decode()
            lines = [l for l in out.split("\n") if l.strip()]
            self.assertEqual(len(lines), 11, out)  # a header and ten mounts

    def test_self(self):
        mounts = json.loads(rootfsctl("mounts", "--format", "json", check_exit=0).stdout)
        self.assertTrue(any(m["target"] == "/" for m in mounts["mounts"]))


class InputFileTest(unittest.TestCase):
    """Issue 15: a file named on the command line that is a FIFO, device, socket or
    directory is refused at once, naming the path and what it is (exit 2); a FIFO was
    opened without O_NONBLOCK and `--mountinfo FIFO` waited forever for a writer."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.fifo = os.path.join(self.tmp.name, "fifo")
        os.mkfifo(self.fifo)
        self.socket = os.path.join(self.tmp.name, "socket")
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(self.socket)
        self.addCleanup(sock.close)

    def refused(self, *args, named, kind):
        # The timeout turns a regression (a blocking open) into a failure, not a hang.
        proc = rootfsctl(*args, check_exit=2, timeout=10)
        self.assertIn(f"{named}: ".encode(), proc.stderr)
        self.assertIn(f" is {kind}, not a regular file".encode(), proc.stderr)
        self.assertEqual(proc.stdout, b"")

    def test_mountinfo_that_is_not_a_regular_file(self):
        for path, kind in ((self.fifo, "a FIFO"), ("/dev/zero", "a character device"),
                           (self.socket, "a socket"), (self.tmp.name, "a directory")):
            for command in (("mounts",), ("plan", "sandbox")):
                with self.subTest(command=command[0], kind=kind):
                    self.refused(*command, "--mountinfo", path, named=path, kind=kind)

    def test_layout_and_runtime_spec_that_are_not_regular_files(self):
        for path, kind in ((self.fifo, "a FIFO"), ("/dev/zero", "a character device")):
            for args in (("plan", path), ("oci", "import", path), ("oci", "export", path)):
                with self.subTest(args=args[:-1], kind=kind):
                    self.refused(*args, named=path, kind=kind)


class ExcerptTest(unittest.TestCase):
    """Issue 15: an error quotes a line only from a file that declares itself a layout
    (a line starting `version: N`); `extends: [/etc/shadow]` printed a line of it."""

    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="rootfsctl-excerpt-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def test_a_file_that_is_not_a_layout_is_not_quoted(self):
        secret = self.tmp / "shadow"
        secret.write_text("root:$6$SECRETHASH:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\n")
        extending = self.tmp / "extending.yaml"
        extending.write_text(f"version: 1\nextends: [{secret}]\n")
        for named in (extending, secret):
            with self.subTest(named=named.name):
                for fmt in ("text", "json"):
                    proc = rootfsctl("plan", named, "--format", fmt, check_exit=2)
                    self.assertNotIn(b"SECRET", proc.stderr + proc.stdout)
                    self.assertIn(f"{secret}:1:1: ".encode(), proc.stderr)

    def test_a_mountinfo_or_runtime_spec_that_is_not_one_is_not_quoted(self):
        secret = self.tmp / "shadow"
        secret.write_text("root:$6$SECRETHASH:19000:0:99999:7:::\n")
        for args in (("mounts", "--mountinfo", secret), ("plan", "sandbox", "--mountinfo", secret),
                     ("oci", "import", secret)):
            with self.subTest(args=args[:-1]):
                proc = rootfsctl(*args, check_exit=2)
                self.assertNotIn(b"SECRET", proc.stderr + proc.stdout)
                self.assertIn(str(secret).encode(), proc.stderr)

    def test_a_layout_is_quoted(self):
        layout = self.tmp / "layout.yaml"
        layout.write_text("version: 1\nmounts:\n  - tmpfs: /x\n    redonly: true\n")
        proc = rootfsctl("plan", layout, check_exit=2)
        self.assertEqual(proc.stderr.decode(),
                         f"rootfsctl: {layout}:4:5: unknown key 'redonly' (did you mean "
                         "'readonly'?)\n      redonly: true\n      ^\n")


class UsageTest(unittest.TestCase):
    def test_unknown_command_suggests(self):
        proc = rootfsctl("plna", check_exit=2)
        self.assertIn(b"did you mean 'plan'?", proc.stderr)

    def test_bad_arguments_exit_2(self):
        rootfsctl("plan", "sandbox", "--format", "yaml", check_exit=2)
        rootfsctl("plan", "sandbox", "--pid", "abc", check_exit=2)
        rootfsctl("plan", "no-such-profile", check_exit=2)
        rootfsctl("plan", "sandbox", "--set", "novalue", check_exit=2)
        rootfsctl("plan", "sandbox", "--bogus", check_exit=2)
        rootfsctl("plan", check_exit=2)
        rootfsctl("mounts", "--pid", "1", "--mountinfo", "x", check_exit=2)
        rootfsctl("mounts", "--mountinfo", "/nonexistent/mountinfo", check_exit=2)
        rootfsctl("schema", "extra", check_exit=2)

    def test_help_teaches(self):
        for command in ("plan", "mounts", "schema"):
            out = rootfsctl(command, "--help", check_exit=0).stdout.decode()
            self.assertIn("xample", out, command)
        self.assertIn("Exit codes", rootfsctl("--help", check_exit=0).stdout.decode())

    def test_schema_is_the_file(self):
        out = rootfsctl("schema", check_exit=0).stdout
        on_disk = (SOURCE / "schemas/layout.schema.json").read_bytes()
        self.assertEqual(out.rstrip(b"\n"), on_disk.rstrip(b"\n"))
        self.assertEqual(json.loads(out)["$schema"], "http://json-schema.org/draft-07/schema#")


class SilentInputTest(unittest.TestCase):
    """Issue 18: input that used to be accepted without a word is refused with a message:
    exit 2 for plan, apply, profiles and the other commands; `run` says 125 (its own)."""

    def refused(self, *args, says, code=2):
        proc = rootfsctl(*args, check_exit=code)
        self.assertIn(says.encode(), proc.stderr)
        return proc

    def test_an_unknown_set_name_suggests_the_variable(self):
        proc = self.refused("plan", "sandbox", "--set", "us=/opt/usr",
                            says="--set us: the layout has no variable 'us'")
        self.assertIn(b"did you mean 'usr'?", proc.stderr)
        self.refused("profiles", "show", "sandbox", "--resolved", "--set", "ussr=/x",
                     says="did you mean 'usr'?")
        self.refused("run", "--set", "us=/x", "--", "true", says="did you mean 'usr'?", code=125)
        # A name nothing is close to lists what there is.
        self.refused("plan", "sandbox", "--set", "workspace=/w", says="its variables: usr")
        # A known name still works, and so does one only a ${...} uses.
        rootfsctl("plan", "sandbox", "--set", "usr=/usr", check_exit=0)

    def test_a_repeated_option_of_one_value(self):
        for args in (("plan", "sandbox", "--pid", "1", "--pid", "2"),
                     ("plan", "sandbox", "--format", "json", "--format", "text"),
                     ("apply", "sandbox", "--pid", "1", "--pid", "2"),
                     ("mounts", "--format", "json", "--format", "json")):
            with self.subTest(args=args):
                name = args[-2]
                proc = self.refused(*args, says=f"{name} given 2 times; it takes one value")
                self.assertEqual(proc.stdout, b"")
        self.refused("run", "--chdir", "/", "--chdir", "/tmp", "--", "true",
                     says="--chdir given 2 times", code=125)

    def test_an_extra_positional_argument(self):
        for args in (("plan", "sandbox", "extra"), ("apply", "sandbox", "extra", "--pid", "1"),
                     ("verify", "sandbox", "extra", "--pid", "1")):
            with self.subTest(args=args):
                self.refused(*args, says="unexpected argument 'extra'")
        self.refused("run", "sandbox", "extra", "--", "true", says="unexpected argument 'extra'",
                     code=125)

    def test_fail_at_beyond_the_plan(self):
        ops = len(json.loads(rootfsctl("plan", "sandbox", "--format", "json").stdout)["ops"])
        proc = rootfsctl("run", "--fail-at", ops + 1, "--", "true", check_exit=125)
        self.assertIn(f"--fail-at {ops + 1}: the plan has {ops} ops".encode(), proc.stderr)
        self.assertNotIn(b"rollback", proc.stderr, "nothing ran, so nothing was rolled back")
        # The last op is still a drill: it fails and is rolled back.
        proc = rootfsctl("run", "--fail-at", ops, "--", "true", check_exit=125)
        self.assertIn(b"rollback: clean", proc.stderr)

    def test_fail_at_beyond_the_plan_for_apply(self):
        require_root(self)
        with ParkedChild() as child:
            proc = rootfsctl("apply", "sandbox", "--pid", child.pid, "--fail-at", 999,
                             check_exit=2)
            self.assertIn(b"--fail-at 999: the plan has", proc.stderr)
            self.assertEqual(child.root_listing(), sorted(os.listdir("/")))

    def test_an_entry_option_short_of_words(self):
        self.refused("plan", "sandbox", "--bind", "/usr", says="--bind needs SRC DST")
        self.refused("run", "--symlink", "x", says="--symlink needs TARGET DST", code=125)


def run_stdin(args, data, check_exit):
    proc = subprocess.run([support.BINARY, *map(str, args)], input=data, capture_output=True,
                          timeout=60)
    if proc.returncode != check_exit:
        raise AssertionError(f"{args}: exit {proc.returncode}: {proc.stderr.decode()}")
    return proc


class CommandLineEntryTest(unittest.TestCase):
    """Issue 18: --bind SRC DST and the like are one more layer on top of the layout,
    merged by the rules of `extends`, with provenance "command line"."""

    def ops(self, *extra):
        out = rootfsctl("plan", "sandbox", "--format", "json", *extra, check_exit=0).stdout
        return json.loads(out)["ops"]

    def test_entries_replace_in_place_and_append_in_order(self):
        base = self.ops()
        ops = self.ops("--ro-bind", "/etc", "/usr", "--tmpfs", "/scratch", "--dir", "/scratch/a",
                       "--symlink", "scratch", "/s")
        from_command_line = [op for op in ops if op["origin"] == "command line"]
        self.assertTrue(from_command_line)
        # /usr came from the profile: the command line's bind takes its place in the plan.
        usr = [op for op in ops if op["target"] == "/usr" and op["op"] == "bind"]
        self.assertEqual([op["source"] for op in usr], ["/etc"])
        base_usr = [i for i, op in enumerate(base) if op["target"] == "/usr" and op["op"] == "bind"]
        self.assertEqual([i for i, op in enumerate(ops) if op in usr], base_usr)
        # The new entries come after the profile's, in the order given.
        targets = [op["target"] for op in from_command_line]
        self.assertLess(targets.index("/scratch"), targets.index("/scratch/a"))
        self.assertIn("/s", targets)

    def test_dev_and_proc_and_try(self):
        ops = self.ops("--dev", "/dev2", "--proc", "/proc2", "--bind-try", "/nonexistent", "/n")
        targets = {op["target"] for op in ops if op["origin"] == "command line"}
        for want in ("/dev2", "/dev2/null", "/dev2/stderr", "/dev2/pts", "/dev2/shm", "/proc2"):
            self.assertIn(want, targets)

    def test_profiles_show_names_the_command_line(self):
        out = rootfsctl("profiles", "show", "sandbox", "--resolved", "--tmpfs", "/scratch",
                        "--format", "json", check_exit=0).stdout
        shown = json.loads(out)
        self.assertIn({"kind": "tmpfs", "target": "/scratch", "origin": "command line"},
                      shown["mounts"])
        self.assertEqual(shown["chain"][-1], "command line")
        self.assertIn("  # from command line\n  - tmpfs: /scratch\n", shown["yaml"])
        rootfsctl("profiles", "show", "sandbox", "--tmpfs", "/x", check_exit=2)

    def test_a_dollar_is_literal_and_errors_name_the_command_line(self):
        ops = self.ops("--dir", "/a$b")
        self.assertIn("/a$b", [op["target"] for op in ops])
        proc = rootfsctl("plan", "sandbox", "--tmpfs", "relative", check_exit=2)
        self.assertTrue(proc.stderr.startswith(b"rootfsctl: command line:"), proc.stderr)


class LayoutFromPipeTest(unittest.TestCase):
    """Issue 18: `-` is stdin, and a pipe named by path (bash's <(...)) is read to EOF;
    named FIFOs stay refused (InputFileTest)."""

    LAYOUT = b"version: 1\nextends: [sandbox]\nmounts:\n  - tmpfs: /piped\n"

    def test_stdin(self):
        proc = run_stdin(["plan", "-", "--format", "json"], self.LAYOUT, 0)
        self.assertIn("/piped", [op["target"] for op in json.loads(proc.stdout)["ops"]])

    def test_process_substitution(self):
        proc = subprocess.run(
            ["bash", "-c", f"{support.BINARY} plan <(printf '%s' \"$0\") --format json",
             self.LAYOUT.decode()], capture_output=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("/piped", [op["target"] for op in json.loads(proc.stdout)["ops"]])

    def test_over_the_limit(self):
        proc = run_stdin(["plan", "-"], b"version: 1\n" + b"#" * (4 << 20), 2)
        self.assertIn(b"layout is larger than 4 MiB", proc.stderr)

    def test_errors_name_the_pipe(self):
        proc = run_stdin(["plan", "-"], b"version: 1\nmounts:\n  - tmpfs: /x\n    redonly: true\n", 2)
        self.assertTrue(proc.stderr.startswith(b"rootfsctl: /dev/stdin:4:5: unknown key"),
                        proc.stderr)


class LiveTargetTest(unittest.TestCase):
    def setUp(self):
        require_root(self)
        self.host_before = support.host_table()

    def tearDown(self):
        self.assertEqual(support.host_table(), self.host_before,
                         "the host's mount table changed")

    def test_mounts_pid_reads_the_childs_table(self):
        with ParkedChild("mount -t tmpfs rootfsctl-marker /mnt") as child:
            mounts = json.loads(rootfsctl("mounts", "--pid", child.pid, "--format", "json",
                                          check_exit=0).stdout)["mounts"]
            marker = [m for m in mounts if m["target"] == "/mnt"]
            self.assertEqual([(m["fstype"], m["source"]) for m in marker],
                             [("tmpfs", "rootfsctl-marker")])
        own = json.loads(rootfsctl("mounts", "--format", "json").stdout)["mounts"]
        self.assertFalse([m for m in own if m["source"] == "rootfsctl-marker"])

    def test_plan_pid_validates_against_the_live_child(self):
        with ParkedChild("mount -t tmpfs rootfsctl-marker /mnt") as child:
            proc = rootfsctl("plan", "sandbox", "--pid", child.pid, "--format", "json",
                             check_exit=0)
            codes = [d["code"] for d in json.loads(proc.stdout)["diagnostics"]]
            self.assertNotIn("same-namespace", codes)
            self.assertNotIn("offline", codes)
            # /mnt is a mount point in the child only: a remount of it is valid there and
            # an error against a table that lacks it.
            layout = SOURCE / "tests/data/live/remount-mnt.yaml"
            rootfsctl("plan", layout, "--pid", child.pid, check_exit=0)
            rootfsctl("plan", layout, "--mountinfo", SOURCE / "tests/data/mountinfo/hostile.txt",
                      check_exit=1)

    def test_plan_refuses_the_callers_namespace(self):
        # This test process shares rootfsctl's mount namespace. (pid 1's may be unreadable
        # even to root, e.g. under a VM init, so the caller's is the case every machine has.)
        proc = rootfsctl("plan", "sandbox", "--pid", os.getpid(), "--format", "json",
                         check_exit=1)
        errors = [d for d in json.loads(proc.stdout)["diagnostics"] if d["severity"] == "error"]
        self.assertEqual([d["code"] for d in errors], ["same-namespace"])
        self.assertIn("rootfsctl never pivots there", errors[0]["message"])

    def test_vanished_target_is_a_clean_error(self):
        with ParkedChild("mount -t tmpfs rootfsctl-marker /mnt") as child:
            pid = child.pid
        proc = rootfsctl("mounts", "--pid", pid)
        self.assertEqual(proc.returncode, 5)
        self.assertIn(f"process {pid} does not exist".encode(), proc.stderr)


if __name__ == "__main__":
    support.configure(sys.argv.pop(1), sys.argv.pop(1))
    SOURCE = support.SOURCE
    unittest.main(verbosity=2)
