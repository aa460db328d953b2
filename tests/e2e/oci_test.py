#!/usr/bin/env python3
"""rootfsctl with a real OCI runtime (Debian's runc) and a busybox-static bundle: `apply
--pid` into a created container, the same through `oci hook` as a createRuntime hook, a
failing hook failing the container, and `oci import` of the spec runc generates.

Every container is created with its own --root state directory and deleted (runc delete
-f) even when a test fails; the host's mount table is compared before and after each test.

Usage: oci_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]
"""
import json
import os
import pathlib
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

import support
from support import ParkedChild, require_root, rootfsctl

BUSYBOX = "/bin/busybox"
APPLETS = ["sh", "cat", "grep", "sleep", "ls", "echo", "stat"]

# Bind sources are paths in the target's current tree (docs/layouts.md). Before the runtime
# pivots (createRuntime) that is the host's tree; after it (apply --pid on a created
# container, poststart), the container's own.
LAYOUT = """version: 1
description: Extra mounts for a container, applied by rootfsctl.
mounts:
  - tmpfs: /mnt/x
    size: 1M
    options: [nosuid, nodev]
  - bind: /mnt/host
    from: {source}
    readonly: true
"""


def runc_available():
    return shutil.which("runc") is not None and os.path.exists(BUSYBOX)


class Bundle:
    """A runc bundle in a temporary directory: a busybox rootfs and the config.json of
    `runc spec`, made to run `sleep 1000` without a terminal."""

    def __init__(self, tmp):
        self.dir = pathlib.Path(tmp) / "bundle"
        self.rootfs = self.dir / "rootfs"
        self.state = pathlib.Path(tmp) / "runc-state"
        (self.rootfs / "bin").mkdir(parents=True)
        shutil.copy(BUSYBOX, self.rootfs / "bin" / "busybox")
        for applet in APPLETS:
            (self.rootfs / "bin" / applet).symlink_to("busybox")
        for d in ("proc", "sys", "dev", "tmp", "mnt/x", "mnt/host"):
            (self.rootfs / d).mkdir(parents=True, exist_ok=True)
        self.state.mkdir()
        subprocess.run(["runc", "spec"], cwd=self.dir, check=True)
        self.config = json.loads((self.dir / "config.json").read_text())
        self.config["process"]["args"] = ["sleep", "1000"]
        self.config["process"]["terminal"] = False
        self.save()

    def save(self):
        (self.dir / "config.json").write_text(json.dumps(self.config, indent=2))

    def set_hook(self, point, args):
        binary = os.path.abspath(support.BINARY)
        self.config["hooks"] = {point: [{"path": binary,
                                         "args": [binary, *map(str, args)]}]}
        self.save()

    def runc(self, *args, check=True, timeout=60):
        # Not pipes: the container's process inherits runc's stdio, and a pipe it holds
        # open would never reach end-of-file.
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            proc = subprocess.run(["runc", "--root", str(self.state), *map(str, args)],
                                  stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                  timeout=timeout)
            out.seek(0)
            err.seek(0)
            proc.stdout, proc.stderr = out.read(), err.read()
        if check and proc.returncode != 0:
            raise AssertionError(f"runc {' '.join(map(str, args))}: exit {proc.returncode}\n"
                                 f"{proc.stderr.decode(errors='replace')[:3000]}")
        return proc


class OciTest(unittest.TestCase):
    def setUp(self):
        require_root(self)
        if not runc_available():
            self.fail("runc and busybox-static are test dependencies (scripts/deps.sh)")
        self.host_before = support.host_table()
        self.tmp = tempfile.mkdtemp(prefix="rootfsctl-oci-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.bundle = Bundle(self.tmp)
        self.host_dir = pathlib.Path(self.tmp) / "host-data"
        self.host_dir.mkdir()
        (self.host_dir / "hello").write_text("hello from the host\n")
        self.layout = pathlib.Path(self.tmp) / "extra.yaml"
        self.layout.write_text(LAYOUT.format(source=self.host_dir))
        self.inside_layout = pathlib.Path(self.tmp) / "extra-inside.yaml"
        # A source of the container's own tree, asked for explicitly: its /bin (busybox).
        self.inside_layout.write_text(LAYOUT.format(source="/bin") +
                                      "    from_target: true\n")
        self.containers = []

    def tearDown(self):
        for cid in self.containers:
            self.bundle.runc("delete", "-f", cid, check=False)
        self.assertEqual(support.host_table(), self.host_before,
                         "the host's mount table changed")

    def create(self, check=True):
        cid = f"rootfsctl-oci-{os.getpid()}-{len(self.containers)}"
        self.containers.append(cid)
        proc = self.bundle.runc("create", "--bundle", self.bundle.dir, cid, check=check)
        return cid, proc

    def container_mounts(self, cid):
        out = self.bundle.runc("exec", cid, "cat", "/proc/self/mountinfo").stdout.decode()
        return {line.split()[4]: line for line in out.splitlines()}

    def assert_extra_mounts(self, cid, host_source=True):
        mounts = self.container_mounts(cid)
        self.assertIn("/mnt/x", mounts)
        self.assertIn(" - tmpfs ", mounts["/mnt/x"])
        self.assertIn("nosuid", mounts["/mnt/x"].split()[5])
        self.assertIn("/mnt/host", mounts)
        self.assertTrue(mounts["/mnt/host"].split()[5].startswith("ro"), mounts["/mnt/host"])
        if host_source:
            hello = self.bundle.runc("exec", cid, "cat", "/mnt/host/hello").stdout
            self.assertEqual(hello, b"hello from the host\n")
        else:
            listing = self.bundle.runc("exec", cid, "ls", "/mnt/host").stdout
            self.assertIn(b"busybox", listing)
        # The container's process can write its tmpfs, and nothing reaches the image.
        self.bundle.runc("exec", cid, "sh", "-c", "echo hi > /mnt/x/f && cat /mnt/x/f")
        self.assertEqual(os.listdir(self.bundle.rootfs / "mnt" / "x"), [])

    def test_apply_pid_of_a_created_container(self):
        cid, _ = self.create()
        state = json.loads(self.bundle.runc("state", cid).stdout)
        self.assertEqual(state["status"], "created")
        proc = rootfsctl("apply", self.inside_layout, "--pid", state["pid"], check_exit=0)
        self.assertIn(b"verified", proc.stdout)
        self.bundle.runc("start", cid)
        self.assert_extra_mounts(cid, host_source=False)

    def test_create_runtime_hook_applies_before_the_process_starts(self):
        self.bundle.set_hook("createRuntime", ["oci", "hook", self.layout])
        cid, _ = self.create()
        # Already there while the container is only created: its process has not run.
        state = json.loads(self.bundle.runc("state", cid).stdout)
        self.assertEqual(state["status"], "created")
        mounts = pathlib.Path(f"/proc/{state['pid']}/mountinfo").read_text()
        self.assertIn(" /mnt/x ", mounts)
        self.bundle.runc("start", cid)
        self.assert_extra_mounts(cid)

    def test_poststart_hook_applies_to_the_pivoted_container(self):
        # runc 1.1 runs poststart hooks during `runc create`, after the pivot.
        self.bundle.set_hook("poststart", ["oci", "hook", self.inside_layout])
        cid, _ = self.create()
        self.bundle.runc("start", cid)
        self.assert_extra_mounts(cid, host_source=False)

    def test_host_source_after_the_pivot_comes_from_the_host(self):
        # runc has pivoted during create: the bind source is still the caller's path, cloned
        # before rootfsctl enters (inside, the host directory does not exist).
        cid, _ = self.create()
        state = json.loads(self.bundle.runc("state", cid).stdout)
        proc = rootfsctl("plan", self.layout, "--pid", state["pid"], check_exit=0)
        self.assertNotIn(b"source-missing", proc.stdout + proc.stderr)
        proc = rootfsctl("apply", self.layout, "--pid", state["pid"], check_exit=0)
        self.assertIn(b"verified", proc.stdout)
        self.bundle.runc("start", cid)
        self.assert_extra_mounts(cid)

    def test_hot_add_and_take_away_in_a_running_container(self):
        # The workflow of docs/engines.md: a running container gets a host directory and a
        # tmpfs, `runc exec` sees them, and a second layout takes them away again. A fault at
        # every op of the removal leaves the container's table as it was.
        cid = f"rootfsctl-oci-{os.getpid()}-run"
        self.containers.append(cid)
        self.bundle.runc("run", "-d", "--bundle", self.bundle.dir, cid)
        pid = json.loads(self.bundle.runc("state", cid).stdout)["pid"]
        rootfsctl("apply", self.layout, "--pid", pid, check_exit=0)
        self.assert_extra_mounts(cid)
        remove = pathlib.Path(self.tmp) / "remove.yaml"
        remove.write_text("version: 1\nmounts:\n  - unmount: /mnt/x\n  - unmount: /mnt/host\n")
        rootfsctl("apply", remove, "--pid", pid, "--dry-run", check_exit=0)
        plan = json.loads(rootfsctl("plan", remove, "--pid", pid, "--format", "json",
                                    check_exit=0).stdout)
        table = lambda: sorted(line.split(" ", 2)[2] for line in pathlib.Path(
            f"/proc/{pid}/mountinfo").read_text().splitlines())
        before = table()
        for op in plan["ops"]:
            with self.subTest(fail_at=op["index"]):
                proc = rootfsctl("apply", remove, "--pid", pid, "--fail-at", op["index"],
                                 check_exit=3)
                self.assertIn(b"rollback: clean", proc.stderr)
                self.assertEqual(table(), before)
        # After a rollback the tmpfs still has what the container wrote into it.
        self.assertEqual(self.bundle.runc("exec", cid, "cat", "/mnt/x/f").stdout, b"hi\n")
        rootfsctl("apply", remove, "--pid", pid, check_exit=0)
        mounts = self.container_mounts(cid)
        self.assertNotIn("/mnt/x", mounts)
        self.assertNotIn("/mnt/host", mounts)
        self.assertEqual(self.bundle.runc("exec", cid, "ls", "/mnt/host").stdout, b"")
        proc = rootfsctl("apply", remove, "--pid", pid, check_exit=1)
        self.assertIn(b"error[unmount-not-mounted]", proc.stdout + proc.stderr)

    def test_undo_takes_away_what_a_layout_added(self):
        # The same without writing the opposite layout: apply --undo of the one applied.
        cid = f"rootfsctl-oci-{os.getpid()}-undo"
        self.containers.append(cid)
        self.bundle.runc("run", "-d", "--bundle", self.bundle.dir, cid)
        pid = json.loads(self.bundle.runc("state", cid).stdout)["pid"]
        before = set(self.container_mounts(cid))
        rootfsctl("apply", self.layout, "--pid", pid, check_exit=0)
        self.assertLess(before, set(self.container_mounts(cid)))
        plan = json.loads(rootfsctl("plan", self.layout, "--pid", pid, "--format", "json",
                                    check_exit=0).stdout)
        proc = rootfsctl("apply", self.layout, "--pid", pid, "--undo", "--format", "json",
                         check_exit=0)
        report = json.loads(proc.stdout)
        self.assertEqual(report["applied"]["ops"], 3, report)
        self.assertEqual(set(self.container_mounts(cid)), before)
        self.assertTrue(plan["ops"])

    def test_source_of_the_container_asked_for_explicitly(self):
        # from_target: a path the container has and the host does not.
        cid, _ = self.create()
        state = json.loads(self.bundle.runc("state", cid).stdout)
        layout = pathlib.Path(self.tmp) / "from-target.yaml"
        layout.write_text("version: 1\nmounts:\n  - bind: /mnt/host\n"
                          "    from: /rootfsctl-only-in-container\n    from_target: true\n")
        proc = rootfsctl("apply", layout, "--pid", state["pid"], check_exit=1)
        self.assertIn(b"error[source-missing]", proc.stderr)
        self.assertFalse(os.path.exists("/rootfsctl-only-in-container"))
        (self.bundle.rootfs / "rootfsctl-only-in-container").mkdir()
        (self.bundle.rootfs / "rootfsctl-only-in-container" / "mark").write_text("inside\n")
        rootfsctl("apply", layout, "--pid", state["pid"], check_exit=0)
        self.bundle.runc("start", cid)
        mark = self.bundle.runc("exec", cid, "cat", "/mnt/host/mark").stdout
        self.assertEqual(mark, b"inside\n")

    def test_failing_hook_fails_the_container_and_rolls_back(self):
        self.bundle.set_hook("createRuntime", ["oci", "hook", self.layout, "--fail-at", "2:EPERM"])
        _, proc = self.create(check=False)
        self.assertNotEqual(proc.returncode, 0)
        # runc passes the hook's stderr on: the failed op, its errno and the rollback.
        self.assertIn(b"EPERM", proc.stderr)
        self.assertIn(b"rollback: clean", proc.stderr)

    def test_bad_layout_fails_the_container(self):
        self.layout.write_text("version: 1\nmounts:\n  - tmpfs: /mnt/x\n    sise: 1M\n")
        self.bundle.set_hook("createRuntime", ["oci", "hook", self.layout])
        _, proc = self.create(check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(b"did you mean 'size'", proc.stderr)

    def test_symlink_in_the_image_is_refused_before_the_pivot(self):
        (self.bundle.rootfs / "mnt" / "x").rmdir()
        (self.bundle.rootfs / "mnt" / "x").symlink_to("/etc")
        self.bundle.set_hook("createRuntime", ["oci", "hook", self.layout])
        _, proc = self.create(check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(b"/mnt/x (on the way to /mnt/x) is a symlink", proc.stderr)

    def test_create_container_hook_is_refused(self):
        # runc runs it inside the container with the pid as the container numbers it.
        self.bundle.set_hook("createContainer", ["oci", "hook", self.layout])
        _, proc = self.create(check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(b"register 'oci hook' as a createRuntime hook", proc.stderr)

    def test_import_of_the_runc_spec_plans_cleanly(self):
        out = pathlib.Path(self.tmp) / "imported.yaml"
        proc = rootfsctl("oci", "import", self.bundle.dir / "config.json", "--output", out,
                         "--format", "json", check_exit=0)
        report = json.loads(proc.stdout)
        # 7 mounts (the cgroup one too), runc's 10 maskedPaths and 5 readonlyPaths (issue
        # 20), and no finding at all.
        self.assertEqual(report["entries"], 22)
        self.assertEqual(report["findings"], [])
        self.assertEqual(proc.stderr, b"")
        text = out.read_text()
        self.assertIn(f"bind: {self.bundle.rootfs}", text)
        self.assertIn("  - cgroup: /sys/fs/cgroup\n    readonly: true\n", text)
        with ParkedChild() as child:
            captured = pathlib.Path(self.tmp) / "captured.txt"
            captured.write_text(child.mountinfo())
        plan = rootfsctl("plan", out, "--mountinfo", captured, "--format", "json", check_exit=0)
        errors = [d for d in json.loads(plan.stdout)["diagnostics"] if d["severity"] == "error"]
        self.assertEqual(errors, [])

    def test_export_is_a_mounts_array_runc_accepts(self):
        exported = rootfsctl("oci", "export", self.layout, check_exit=0)
        mounts = json.loads(exported.stdout)
        self.assertEqual([m["destination"] for m in mounts], ["/mnt/x", "/mnt/host"])
        # --format json: the same array, and the findings text mode writes on stderr.
        report = json.loads(rootfsctl("oci", "export", self.layout, "--format", "json",
                                      check_exit=0).stdout)
        self.assertEqual(report["mounts"], mounts)
        self.assertIsInstance(report["findings"], list)
        self.bundle.config["mounts"] += mounts
        self.bundle.save()
        cid, _ = self.create()
        self.bundle.runc("start", cid)
        self.assert_extra_mounts(cid)

    def test_malformed_config_is_exit_2_with_the_position(self):
        bad = pathlib.Path(self.tmp) / "bad.json"
        bad.write_text('{\n  "mounts": [\n    {"destination": "/a",}\n  ]\n}\n')
        proc = rootfsctl("oci", "import", bad, check_exit=2)
        self.assertIn(f"{bad}:3:26: not valid JSON at byte 41".encode(), proc.stderr)



class RoundTripTest(unittest.TestCase):
    """Issue 20's done-when: `runc spec` -> `oci import` -> `oci export --base` of the same
    config gives the same file back, compared whole as JSON with keys sorted, with nothing
    on stderr. Needs runc only (runc spec writes a file; nothing runs), not root."""

    def setUp(self):
        if shutil.which("runc") is None:
            self.fail("runc is a test dependency (scripts/deps.sh)")
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="rootfsctl-oci-roundtrip-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def round_trip(self, *spec_args):
        bundle = self.tmp / ("bundle" + "".join(spec_args).replace("-", "_"))
        bundle.mkdir()
        subprocess.run(["runc", "spec", *spec_args], cwd=bundle, check=True)
        config = bundle / "config.json"
        layout = bundle / "layout.yaml"
        imported = rootfsctl("oci", "import", config, "--output", layout, check_exit=0)
        exported = rootfsctl("oci", "export", layout, "--base", config, check_exit=0)
        return config, imported, exported

    @staticmethod
    def sorted_json(text):
        return json.dumps(json.loads(text), sort_keys=True, indent=1)

    def test_runc_spec_comes_back_the_same(self):
        config, imported, exported = self.round_trip()
        self.assertEqual(self.sorted_json(exported.stdout), self.sorted_json(config.read_text()))
        self.assertEqual(imported.stderr, b"")
        self.assertEqual(exported.stderr, b"")
        # Not only the same document: the same text, runc's tabs and key order included.
        self.assertEqual(exported.stdout.decode(), config.read_text())

    def test_runc_spec_rootless_comes_back_but_for_sys_rro(self):
        # runc spec --rootless binds /sys with "ro" on an rbind, which leaves submounts
        # writable; a layout's read-only recursive bind is "rro". Import says so in a note;
        # that is the one difference.
        config, imported, exported = self.round_trip("--rootless")
        expected = json.loads(config.read_text())
        sys_mount = next(m for m in expected["mounts"] if m["destination"] == "/sys")
        self.assertEqual(sys_mount["options"][-1], "ro")
        sys_mount["options"][-1] = "rro"
        self.assertEqual(self.sorted_json(exported.stdout),
                         json.dumps(expected, sort_keys=True, indent=1))
        self.assertNotIn(b"warning", imported.stderr)
        self.assertIn(b"/sys: note: ro on an rbind", imported.stderr)
        self.assertEqual(exported.stderr, b"")

    def test_base_that_is_missing_or_malformed_is_exit_2(self):
        config, _, _ = self.round_trip()
        layout = config.parent / "layout.yaml"
        missing = rootfsctl("oci", "export", layout, "--base", self.tmp / "nope.json",
                            check_exit=2)
        self.assertIn(b"nope.json", missing.stderr)
        self.assertEqual(missing.stdout, b"")
        bad = self.tmp / "bad.json"
        bad.write_text('{\n  "linux": {"namespaces": [}\n}\n')
        malformed = rootfsctl("oci", "export", layout, "--base", bad, check_exit=2)
        self.assertIn(f"{bad}:2:".encode(), malformed.stderr)
        self.assertEqual(malformed.stdout, b"")
        shape = self.tmp / "shape.json"
        shape.write_text('{"mounts": {}}\n')
        wrong = rootfsctl("oci", "export", layout, "--base", shape, check_exit=2)
        self.assertIn(b"/mounts: expected an array, got object", wrong.stderr)

    def test_everything_but_the_layouts_parts_is_left_alone(self):
        config, _, _ = self.round_trip()
        spec = json.loads(config.read_text())
        spec["annotations"] = {"org.example/keep": "yes"}
        spec["linux"]["resources"]["pids"] = {"limit": 64}
        spec["process"]["args"] = ["sleep", "1"]
        config.write_text(json.dumps(spec, indent=4))
        small = config.parent / "small.yaml"
        small.write_text("version: 1\nnamespaces: [mount, uts]\nhostname: box\n"
                         "mounts:\n  - tmpfs: /tmp\n")
        report = json.loads(rootfsctl("oci", "export", small, "--base", config,
                                      "--format", "json", check_exit=0).stdout)
        out = report["config"]
        for key in ("annotations", "process", "ociVersion"):
            self.assertEqual(out[key], spec[key], key)
        self.assertEqual(out["linux"]["resources"], spec["linux"]["resources"])
        self.assertEqual(out["hostname"], "box")
        self.assertEqual(out["mounts"], [{"destination": "/tmp", "type": "tmpfs",
                                          "source": "tmpfs"}])
        self.assertEqual(out["linux"]["namespaces"], [{"type": "uts"}, {"type": "mount"}])
        self.assertEqual(out["linux"]["maskedPaths"], [])
        self.assertEqual(out["root"], spec["root"])  # the layout has none: kept, with a note
        self.assertIn("root", [f["destination"] for f in report["findings"]])


class ImportOutputTest(unittest.TestCase):
    """Issue 15: `oci import --output PATH` opened PATH with ofstream, so a FIFO there
    blocked forever and a symlink was written through. The layout is now written to a
    new file beside PATH and renamed over it; a FIFO, device, directory or symlink at
    PATH is refused (exit 2) and left as it was."""

    CONFIG = "tests/data/oci/runc-1.1-default.json"

    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="rootfsctl-oci-output-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.config = support.SOURCE / self.CONFIG

    def import_to(self, output, exit_code):
        # The timeout turns a regression (an open that blocks) into a failure.
        return rootfsctl("oci", "import", self.config, "--output", output, check_exit=exit_code,
                         timeout=10)

    def test_new_and_existing_files_are_written(self):
        out = self.tmp / "new.yaml"
        self.import_to(out, 0)
        written = out.read_text()
        self.assertIn("Imported from", written)
        self.assertEqual(out.stat().st_mode & 0o777, 0o644 & ~current_umask())
        out.write_text("old content\n" * 1000)
        os.link(out, self.tmp / "hard-link")
        self.import_to(out, 0)
        self.assertEqual(out.read_text(), written)
        self.assertEqual((self.tmp / "hard-link").read_text(), "old content\n" * 1000)
        self.assertEqual(sorted(p.name for p in self.tmp.iterdir()), ["hard-link", "new.yaml"])

    def test_what_is_not_a_regular_file_is_refused_and_left_alone(self):
        fifo = self.tmp / "fifo"
        os.mkfifo(fifo)
        elsewhere = self.tmp / "elsewhere"
        elsewhere.write_text("precious\n")
        link = self.tmp / "link"
        link.symlink_to(elsewhere)
        directory = self.tmp / "dir"
        directory.mkdir()
        for path, kind in ((fifo, "a FIFO"), (link, "a symbolic link"),
                           (directory, "a directory"), ("/dev/null", "a character device")):
            with self.subTest(kind=kind):
                proc = self.import_to(path, 2)
                self.assertIn(f"{path}: output is {kind}, not a regular file".encode(),
                              proc.stderr)
        self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode))
        self.assertEqual(os.readlink(link), str(elsewhere))
        self.assertEqual(elsewhere.read_text(), "precious\n")
        self.assertEqual(os.listdir(directory), [])
        self.assertTrue(stat.S_ISCHR(os.stat("/dev/null").st_mode))
        self.assertEqual(sorted(p.name for p in self.tmp.iterdir()),
                         ["dir", "elsewhere", "fifo", "link"])



class HookStateTest(unittest.TestCase):
    """Issue 15: `oci hook` read the state on stdin whole, however large; it now stops
    one byte past 1 MiB (a runtime's state is a few hundred bytes)."""

    def test_state_over_one_mebibyte_is_refused(self):
        tmp = pathlib.Path(tempfile.mkdtemp(prefix="rootfsctl-oci-state-"))
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        layout = tmp / "extra.yaml"
        layout.write_text("version: 1\nmounts:\n  - tmpfs: /mnt/x\n")
        # Valid JSON after the spaces: only the size is wrong with it.
        state = b" " * (2 << 20) + b'{"pid": 1, "status": "creating"}'
        proc = subprocess.run([support.BINARY, "oci", "hook", str(layout), "--dry-run"],
                              input=state, capture_output=True, timeout=20)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn(b"stdin: container state is larger than 1 MiB", proc.stderr)



class HookRootPathTest(unittest.TestCase):
    """Issue 15: a bundle whose root.path was "/" (or led out of the bundle) made the
    hook see the container as already pivoted and apply the layout to the host's tree.
    The root must be a directory strictly inside the bundle, as written and with
    symlinks resolved. --dry-run and a child in its own mount namespace keep a
    regression from changing anything."""

    def setUp(self):
        require_root(self)
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="rootfsctl-oci-root-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.bundle = self.tmp / "bundle"
        (self.bundle / "rootfs" / "mnt" / "x").mkdir(parents=True)
        (self.tmp / "elsewhere").mkdir()
        self.layout = self.tmp / "extra.yaml"
        self.layout.write_text("version: 1\nmounts:\n  - tmpfs: /mnt/x\n")

    def hook(self, root_path, pid):
        (self.bundle / "config.json").write_text(json.dumps({"root": {"path": root_path}}))
        state = {"ociVersion": "1.0.2", "id": "c1", "status": "creating", "pid": pid,
                 "bundle": str(self.bundle)}
        return subprocess.run([support.BINARY, "oci", "hook", str(self.layout), "--dry-run"],
                              input=json.dumps(state).encode(), capture_output=True,
                              timeout=30)

    def test_root_outside_the_bundle_is_refused(self):
        with ParkedChild() as child:
            for root_path in ("../../", "..", "."):
                with self.subTest(root_path=root_path):
                    proc = self.hook(root_path, child.pid)
                    self.assertEqual(proc.returncode, 2, proc.stderr)
                    self.assertIn(f'/root/path: "{root_path}" is '.encode(), proc.stderr)
                    self.assertIn(f"not inside the bundle {self.bundle}".encode(),
                                  proc.stderr)
                    self.assertEqual(proc.stdout, b"")

    def test_root_at_the_hosts_root_is_refused(self):
        with ParkedChild() as child:
            for root_path in ("/", "/tmp/..", str(self.bundle / "out")):
                with self.subTest(root_path=root_path):
                    if root_path.endswith("out"):
                        (self.bundle / "out").symlink_to("/")
                    proc = self.hook(root_path, child.pid)
                    self.assertEqual(proc.returncode, 2, proc.stderr)
                    self.assertIn(b"the host's root", proc.stderr)
                    self.assertEqual(proc.stdout, b"")

    def test_an_absolute_root_elsewhere_is_taken_as_podman_gives_it(self):
        """podman's root.path is the overlay's merged directory, outside the bundle."""
        (self.tmp / "elsewhere" / "mnt" / "x").mkdir(parents=True)
        with ParkedChild() as child:
            proc = self.hook(str(self.tmp / "elsewhere"), child.pid)
            self.assertNotIn(b"/root/path", proc.stderr)
            self.assertIn(proc.returncode, (0, 1), proc.stderr)

    def test_root_that_is_a_symlink_out_of_the_bundle_is_refused(self):
        (self.bundle / "out").symlink_to("/")
        (self.bundle / "up").symlink_to("..")
        with ParkedChild() as child:
            for root_path in ("out", "up/elsewhere"):
                with self.subTest(root_path=root_path):
                    proc = self.hook(root_path, child.pid)
                    self.assertEqual(proc.returncode, 2, proc.stderr)
                    self.assertRegex(proc.stderr,
                                     b", (not a directory inside the bundle|the host's root)")
                    self.assertEqual(proc.stdout, b"")

    def test_root_inside_the_bundle_is_taken(self):
        with ParkedChild() as child:
            proc = self.hook("rootfs", child.pid)
            self.assertNotIn(b"inside the bundle", proc.stderr)
            self.assertIn(proc.returncode, (0, 1), proc.stderr)


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask

if __name__ == "__main__":
    support.configure(sys.argv.pop(1), sys.argv.pop(1))
    unittest.main(verbosity=2)
