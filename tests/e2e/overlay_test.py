#!/usr/bin/env python3
"""Union directories (Plan 9 bind -b/-a/-c through overlayfs) for real: a name in `before`
shadows the same name in the directory already there, which shadows `after`; new files
land in `create`; without `create` the union refuses writes; `--fail-at` on every op rolls
back to the same mount table (and removes the work directory if rootfsctl made it);
`capture` prints the union back and `verify` finds no drift. In a live namespace (`apply
--pid` into a parked child), inside a new root, through `run`, and rootless as uid 65534.
The host's mount table never changes: everything happens in the children's namespaces.

Usage: overlay_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import unittest

import support
from support import ParkedChild, mounts_of, require_root, rootfsctl

NOBODY = 65534


def make_members(top, owner=None):
    """before/ (x), the target's own dir (x, y), after/ (x, y, z), create (empty), beneath
    `top`; each file says which member it comes from."""
    files = {"before": ["x"], "target": ["x", "y"], "after": ["x", "y", "z"], "upper": []}
    for member, names in files.items():
        d = top / member
        d.mkdir()
        for name in names:
            (d / name).write_text(member + "\n")
    if owner is not None:
        for p in [top, *top.rglob("*")]:
            os.chown(p, owner, owner)


def overlay_entry(top, create=True, target=None):
    target = target or f"{top}/target"
    text = (f"  - overlay: {target}\n"
            f"    before: [{top}/before]\n"
            f"    after: [{top}/after]\n")
    return text + (f"    create: {top}/upper\n" if create else "")


def union_ops(top, layout):
    """Indices of the plan's ops; the layout written beneath `top`."""
    proc = rootfsctl("plan", layout, "--format", "json", check_exit=0)
    return [op["index"] for op in json.loads(proc.stdout)["ops"]]


class OverlayTest(unittest.TestCase):
    def setUp(self):
        require_root(self)
        self.host_before = support.host_table()
        self.top = pathlib.Path(tempfile.mkdtemp(prefix="rootfsctl-overlay-"))
        make_members(self.top)

    def tearDown(self):
        shutil.rmtree(self.top, ignore_errors=True)
        self.assertEqual(support.host_table(), self.host_before,
                         "the host's mount table changed")

    def write_layout(self, body, name="union.yaml"):
        path = self.top / name
        path.write_text("version: 1\nname: union\n" + body)
        return path

    def live_layout(self, create=True, extra=""):
        return self.write_layout("mounts:\n" + overlay_entry(self.top, create) + extra)

    def test_live_union_searches_before_target_after_and_creates_in_create(self):
        layout = self.live_layout()
        t = self.top / "target"
        after = f"cat {t}/x {t}/y {t}/z && echo new > {t}/new && echo y2 >> {t}/y && echo ok"
        with ParkedChild(after=after) as child:
            proc = rootfsctl("apply", layout, "--pid", child.pid, check_exit=0)
            self.assertIn(b"verified", proc.stdout)
            mounts = {m[0]: m for m in mounts_of(child.mountinfo())}
            self.assertEqual(mounts[str(t)][1], "overlay")
            out, err = child.release()
        self.assertEqual(out.split(), ["before", "target", "after", "ok"], err)
        # New files and changes (copied up) land in create; the members are untouched.
        self.assertEqual((self.top / "upper/new").read_text(), "new\n")
        self.assertEqual((self.top / "upper/y").read_text(), "target\ny2\n")
        self.assertEqual((t / "y").read_text(), "target\n")
        self.assertFalse((t / "new").exists())
        self.assertTrue((self.top / ".upper.work").is_dir())

    def test_union_without_create_refuses_writes(self):
        layout = self.live_layout(create=False)
        t = self.top / "target"
        # A failed redirection is the shell's own error: the subshell's stderr is caught.
        after = f"cat {t}/z; (echo new > {t}/new) 2>&1; rm {t}/x 2>&1; echo done"
        with ParkedChild(after=after) as child:
            rootfsctl("apply", layout, "--pid", child.pid, check_exit=0)
            options = {m[0]: m[2] for m in mounts_of(child.mountinfo())}[str(t)]
            self.assertEqual(options.split(",")[0], "ro")
            out, _ = child.release()
        self.assertIn("after", out)
        self.assertEqual(out.count("Read-only file system"), 2, out)
        self.assertEqual(sorted(os.listdir(t)), ["x", "y"])

    def test_union_inside_a_new_root_takes_the_new_roots_directory(self):
        # An image root whose /opt holds x and y; the host's own /opt is not a layer.
        image = self.top / "image"
        for d in ("usr", "opt", "proc"):
            (image / d).mkdir(parents=True)
        for name in ("bin", "lib", "lib64", "sbin"):
            os.symlink(f"usr/{name}", image / name)
        (image / "opt/x").write_text("image\n")
        (image / "opt/y").write_text("image\n")
        layout = self.write_layout(
            f"root: {{ bind: {image} }}\nmounts:\n  - bind: /usr\n    readonly: true\n" +
            overlay_entry(self.top, target="/opt"))
        after = "cat /opt/x /opt/y /opt/z && echo new > /opt/new && echo ok"
        with ParkedChild(after=after) as child:
            rootfsctl("apply", layout, "--pid", child.pid, check_exit=0)
            mounts = {m[0]: m[1] for m in mounts_of(child.mountinfo())}
            self.assertEqual(mounts["/opt"], "overlay")
            out, err = child.release()
        self.assertEqual(out.split(), ["before", "image", "after", "ok"], err)
        self.assertEqual((self.top / "upper/new").read_text(), "new\n")
        self.assertEqual(sorted(os.listdir(image / "opt")), ["x", "y"])

    def test_run_with_a_union_in_a_new_root(self):
        layout = self.write_layout(
            "namespaces: [mount, pid]\nroot: { tmpfs: {} }\nmounts:\n"
            "  - bind: /usr\n    readonly: true\n"
            "  - symlink: /bin\n    to: usr/bin\n  - symlink: /lib\n    to: usr/lib\n"
            "  - symlink: /lib64\n    to: usr/lib64\n" + overlay_entry(self.top, target="/opt"))
        proc = rootfsctl("run", layout, "--", "sh", "-c",
                         "cat /opt/x /opt/y /opt/z; echo run > /opt/new", check_exit=0)
        # The new root's /opt is an empty tmpfs directory: y comes from after.
        self.assertEqual(proc.stdout.split(), [b"before", b"after", b"after"])
        self.assertEqual((self.top / "upper/new").read_text(), "run\n")

    def fail_at_every_op(self, layout, child_script="true"):
        ops = union_ops(self.top, layout)
        self.assertGreaterEqual(len(ops), 3)
        for k in ops:
            with self.subTest(fail_at=k), ParkedChild(child_script) as child:
                before = child.mountinfo()
                proc = rootfsctl("apply", layout, "--pid", child.pid, "--fail-at", f"{k}:EIO",
                                 "--format", "json")
                if proc.returncode == 0:
                    continue  # an op after the commit point cannot fail by injection
                self.assertEqual(proc.returncode, 3, proc.stderr)
                report = json.loads(proc.stdout or proc.stderr)
                self.assertTrue(report["rollback"]["clean"], report)
                self.assertEqual(child.mountinfo(), before)
                self.assertFalse((self.top / ".upper.work").exists(),
                                 f"--fail-at {k} left the work directory rootfsctl made")
        return ops

    def test_fail_at_every_op_of_a_live_union_rolls_back(self):
        # A tmpfs after the union, so a failure there rolls back a union that was mounted.
        later = self.top / "later"
        later.mkdir()
        layout = self.live_layout(extra=f"  - tmpfs: {later}\n")
        ops = self.fail_at_every_op(layout)
        self.assertEqual(sorted(os.listdir(self.top / "upper")), [])
        self.assertGreaterEqual(len(ops), 4)

    def test_fail_at_every_op_of_a_union_in_a_new_root_rolls_back(self):
        layout = self.write_layout("root: { tmpfs: {} }\nmounts:\n" +
                                   overlay_entry(self.top, target="/opt"))
        self.fail_at_every_op(layout)

    def test_a_work_directory_that_was_there_is_kept(self):
        work = self.top / ".upper.work"
        work.mkdir()
        layout = self.live_layout()
        last = union_ops(self.top, layout)[-1]
        with ParkedChild() as child:
            rootfsctl("apply", layout, "--pid", child.pid, "--fail-at", str(last), check_exit=3)
        self.assertTrue(work.is_dir())

    def test_capture_prints_the_union_and_verify_finds_no_drift(self):
        layout = self.live_layout()
        t = self.top / "target"
        with ParkedChild() as child:
            rootfsctl("apply", layout, "--pid", child.pid, check_exit=0)
            captured = rootfsctl("capture", "--pid", child.pid, check_exit=0).stdout.decode()
            rootfsctl("verify", layout, "--pid", child.pid, check_exit=0)
        entry = (f"  - overlay: {t}\n    before: [{self.top}/before]\n"
                 f"    after: [{self.top}/after]\n    create: {self.top}/upper\n")
        self.assertIn(entry, captured)

    def test_validation_reports_overlapping_layers_before_any_syscall(self):
        layout = self.write_layout(
            f"mounts:\n  - overlay: {self.top}/target\n    after: [{self.top}/after]\n"
            f"    create: {self.top}/after/upper\n")
        with ParkedChild() as child:
            before = child.mountinfo()
            proc = rootfsctl("apply", layout, "--pid", child.pid, check_exit=1)
            self.assertEqual(child.mountinfo(), before)
        self.assertIn(b"overlay-layers-overlap", proc.stdout + proc.stderr)
        self.assertFalse((self.top / "after/.upper.work").exists())


class OverlayRootlessTest(unittest.TestCase):
    """`run` as uid 65534 in a user namespace: overlayfs mounts there since Linux 5.11."""

    def setUp(self):
        require_root(self)
        self.host_before = support.host_table()
        self.top = pathlib.Path(tempfile.mkdtemp(prefix="rootfsctl-overlay-rootless-"))
        os.chmod(self.top, 0o755)
        make_members(self.top, owner=NOBODY)
        self.binary = self.top / "rootfsctl"
        support.copy_rootfsctl(self.binary)

    def tearDown(self):
        shutil.rmtree(self.top, ignore_errors=True)
        self.assertEqual(support.host_table(), self.host_before,
                         "the host's mount table changed")

    def run_as_nobody(self, *args):
        env = dict(os.environ, HOME=str(self.top), XDG_CONFIG_HOME=str(self.top))
        return subprocess.run(
            ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
             "--inh-caps=-all", str(self.binary), *map(str, args)],
            capture_output=True, timeout=60, env=env, cwd="/")

    def test_rootless_run_with_a_union(self):
        layout = self.top / "union.yaml"
        layout.write_text(
            "version: 1\nnamespaces: [mount, pid]\nroot: { tmpfs: {} }\nmounts:\n"
            "  - bind: /usr\n    readonly: true\n"
            "  - symlink: /bin\n    to: usr/bin\n  - symlink: /lib\n    to: usr/lib\n"
            "  - symlink: /lib64\n    to: usr/lib64\n" + overlay_entry(self.top, target="/opt"))
        os.chmod(layout, 0o644)
        proc = self.run_as_nobody("run", layout, "--", "sh", "-c",
                                  "cat /opt/x /opt/y /opt/z; rm /opt/x; cat /opt/x; "
                                  "echo rootless > /opt/new")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        # rm of a lower file leaves a whiteout in create, after which before's x shows
        # nothing further down.
        self.assertEqual(proc.stdout.split(), [b"before", b"after", b"after"], proc.stderr)
        self.assertIn(b"No such file", proc.stderr)
        self.assertEqual((self.top / "upper/new").read_text(), "rootless\n")
        self.assertEqual((self.top / "upper/new").stat().st_uid, NOBODY)
        self.assertTrue((self.top / "before/x").exists())

    def test_rootless_union_that_overlayfs_made_read_only_is_refused(self):
        # A work directory the mapped user cannot write: overlayfs does not fail, it mounts
        # the union read-only. Verification catches it before the command runs.
        work = self.top / ".upper.work"
        work.mkdir()
        os.chown(work, 0, 0)
        layout = self.top / "union.yaml"
        layout.write_text("version: 1\nnamespaces: [mount, pid]\nroot: { tmpfs: {} }\n"
                          "mounts:\n" + overlay_entry(self.top, target="/opt"))
        os.chmod(layout, 0o644)
        proc = self.run_as_nobody("run", layout, "--", "true")
        self.assertEqual(proc.returncode, 125, proc.stderr)
        self.assertIn(b"overlayfs mounted the union read-only", proc.stderr)
        self.assertIn(b"rollback: clean", proc.stderr)
        self.assertTrue(work.is_dir(), "a work directory that was there is kept")

    def test_rootless_fail_at_the_union_rolls_back(self):
        layout = self.top / "union.yaml"
        layout.write_text("version: 1\nnamespaces: [mount, pid]\nroot: { tmpfs: {} }\n"
                          "mounts:\n" + overlay_entry(self.top, target="/opt"))
        os.chmod(layout, 0o644)
        plan = json.loads(rootfsctl("plan", layout, "--format", "json", check_exit=0).stdout)
        union = [op["index"] for op in plan["ops"] if op.get("fstype") == "overlay"]
        work = [op["index"] for op in plan["ops"] if op["target"].endswith(".upper.work")]
        self.assertEqual(len(union), 1)
        for k in (work[0], union[0], union[0] + 1):
            with self.subTest(fail_at=k):
                proc = self.run_as_nobody("run", layout, "--fail-at", k, "--", "true")
                self.assertEqual(proc.returncode, 125, proc.stderr)
                self.assertIn(b"rollback: clean", proc.stderr)
                self.assertFalse((self.top / ".upper.work").exists())


if __name__ == "__main__":
    support.configure(sys.argv.pop(1), sys.argv.pop(1))
    unittest.main(verbosity=2)
