#!/usr/bin/env python3
"""Masked and read-only paths for real (issue 20), as root: under `rootfsctl run` (no
capabilities, as every command it starts) a masked file or directory can be neither read
nor written, a read-only path not written, and `mount -o remount,rw` or umount of either
fails; `apply` notes a missing path and `verify` accepts the result. A hostile image whose
masked path is a symlink to a host file (or lies beneath one) is refused, and the link's
destination keeps its content, mode and mounts. Every op of a layout with masks failing
in turn rolls back to the table as before. All paths are in temporary trees; every apply
goes into a child parked in its own mount namespace.

Usage: mask_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]
"""
import json
import os
import pathlib
import shutil
import stat
import sys
import tempfile
import unittest

import support
from support import ParkedChild, require_root, rootfsctl

SECRET = "host secret\n"


def layout_text(data):
    return f"""version: 1
name: masks
namespaces: [mount, pid]
root:
  tmpfs: {{ size: 8M, mode: "0755" }}
mounts:
{support.USR_MOUNTS}  - symlink: /sbin
    to: usr/sbin
  - proc: /proc
  - tmpfs: /dev
  - device: /dev/null
  - bind: /data
    from: {data}
  - mask: /data/secret.txt
  - mask: /data/secretdir
  - mask: /data/missing
  - readonly-path: /data/ro
"""


def snapshot(path):
    """What must not change about a host file: content, mode, owner, inode, mtime."""
    st = os.lstat(path)
    return (pathlib.Path(path).read_bytes(), stat.S_IMODE(st.st_mode), st.st_uid, st.st_ino,
            st.st_mtime_ns)


class MaskTest(unittest.TestCase):
    def setUp(self):
        require_root(self)
        self.host_before = support.host_table()
        self.tmp = tempfile.mkdtemp(prefix="rootfsctl-mask-test-")
        os.chmod(self.tmp, 0o755)
        self.data = os.path.join(self.tmp, "data")
        os.makedirs(os.path.join(self.data, "secretdir"))
        os.makedirs(os.path.join(self.data, "ro", "sub"))
        pathlib.Path(self.data, "secret.txt").write_text(SECRET)
        pathlib.Path(self.data, "secretdir", "inner.txt").write_text(SECRET)
        pathlib.Path(self.data, "ro", "file.txt").write_text("readable\n")
        self.layout = os.path.join(self.tmp, "masks.yaml")
        pathlib.Path(self.layout).write_text(layout_text(self.data))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        if hasattr(self, "host_before"):
            self.assertEqual(support.host_table(),
                             self.host_before, "the host's mount table changed")

    def run_script(self, script):
        """`rootfsctl run` of the layout; {name: exit status} from `name=$?` lines."""
        proc = rootfsctl("run", self.layout, "--", "/bin/sh", "-c", script, check_exit=0)
        out = {}
        for line in proc.stdout.decode().splitlines():
            name, _, status = line.partition("=")
            out[name] = int(status) if status.isdigit() else status
        return out

    def test_run_cannot_read_write_or_remount_masked_and_read_only_paths(self):
        checks = {
            "read_file": "cat /data/secret.txt",
            "write_file": "echo x > /data/secret.txt",
            "list_dir": "ls /data/secretdir",
            "read_in_dir": "cat /data/secretdir/inner.txt",
            "create_in_dir": "touch /data/secretdir/new",
            "write_ro": "echo x > /data/ro/file.txt",
            "create_in_ro": "touch /data/ro/new",
            "create_in_ro_sub": "touch /data/ro/sub/new",
            "remount_ro_rw": "mount -o remount,rw /data/ro",
            "remount_dir_rw": "mount -o remount,rw /data/secretdir",
            "remount_file_rw": "mount -o remount,rw,bind /data/secret.txt",
            "umount_file": "umount /data/secret.txt",
            "umount_dir": "umount -l /data/secretdir",
            # Controls: the read-only path is still readable, the bind around it writable.
            "read_ro": "cat /data/ro/file.txt",
            "create_beside": "touch /data/beside",
        }
        script = "".join(f"{cmd} >/dev/null 2>&1; echo {name}=$?\n"
                         for name, cmd in checks.items())
        script += "echo secret=$(cat /data/secret.txt 2>&1)\n"
        status = self.run_script(script)
        for name in checks:
            with self.subTest(name):
                if name in ("read_ro", "create_beside"):
                    self.assertEqual(status[name], 0)
                else:
                    self.assertNotEqual(status[name], 0, f"{checks[name]} succeeded")
        self.assertIn("Permission denied", status["secret"])
        # The host's files are as they were, and nothing was created in the read-only one.
        self.assertEqual(pathlib.Path(self.data, "secret.txt").read_text(), SECRET)
        self.assertEqual(pathlib.Path(self.data, "secretdir", "inner.txt").read_text(), SECRET)
        self.assertEqual(sorted(os.listdir(os.path.join(self.data, "ro"))), ["file.txt", "sub"])
        self.assertEqual(sorted(os.listdir(os.path.join(self.data, "secretdir"))), ["inner.txt"])
        self.assertTrue(os.path.exists(os.path.join(self.data, "beside")))

    def test_apply_notes_a_missing_path_and_verify_accepts_the_tree(self):
        with ParkedChild() as child:
            proc = rootfsctl("apply", self.layout, "--pid", child.pid, check_exit=0)
            self.assertRegex(proc.stderr.decode(),
                             r"note: op \d+ mask /data/missing: not there; skipped")
            rootfsctl("verify", self.layout, "--pid", child.pid, check_exit=0)
            mounts = {target: (fstype, options)
                      for target, fstype, options in support.mounts_of(child.mountinfo())}
            self.assertEqual(mounts["/data/secretdir"][0], "tmpfs")
            self.assertEqual(mounts["/data/secret.txt"][0], "tmpfs")
            for target in ("/data/secretdir", "/data/secret.txt", "/data/ro"):
                self.assertTrue(mounts[target][1].startswith("ro"), (target, mounts[target]))
            self.assertIn(" mask ", child.mountinfo())
            self.assertNotIn("/data/missing", mounts)
            # The JSON outcome lists what was skipped.
        with ParkedChild() as child:
            proc = rootfsctl("apply", self.layout, "--pid", child.pid, "--format", "json",
                             check_exit=0)
            skipped = json.loads(proc.stdout)["skipped"]
            self.assertEqual(len(skipped), 1)
            self.assertIn("/data/missing", skipped[0])

    def test_every_op_failing_rolls_back_to_the_same_table(self):
        ops = json.loads(rootfsctl("plan", self.layout, "--format", "json",
                                   check_exit=0).stdout)["ops"]
        entries = {op.get("entry") for op in ops}
        self.assertLessEqual({"mask", "readonly-path"}, entries)
        for k in range(1, len(ops) + 1):
            with self.subTest(op=k), ParkedChild() as child:
                before = child.mountinfo()
                proc = rootfsctl("apply", self.layout, "--pid", child.pid, "--fail-at", str(k),
                                 "--format", "json")
                self.assertEqual(proc.returncode, 3, proc.stderr)
                outcome = json.loads(proc.stdout)
                self.assertEqual(outcome["error"]["op_index"], k)
                self.assertTrue(outcome["rollback"]["clean"], outcome["rollback"])
                self.assertEqual(child.mountinfo(), before)
        print(f"\nmask fault sweep: {len(ops)} faults rolled back", file=sys.stderr)


class HostileMaskTest(unittest.TestCase):
    """An image whose protected paths are symlinks to a host file and directory outside."""

    def setUp(self):
        require_root(self)
        self.host_before = support.host_table()
        self.tmp = tempfile.mkdtemp(prefix="rootfsctl-mask-hostile-")
        os.chmod(self.tmp, 0o755)
        self.outside = os.path.join(self.tmp, "outside")
        os.mkdir(self.outside)
        self.target = os.path.join(self.outside, "target.txt")
        pathlib.Path(self.target).write_text("outside\n")
        os.chmod(self.target, 0o640)
        self.image = os.path.join(self.tmp, "image")
        os.mkdir(self.image)
        os.symlink(self.target, os.path.join(self.image, "secret"))
        os.symlink(self.outside, os.path.join(self.image, "dirlink"))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        if hasattr(self, "host_before"):
            self.assertEqual(support.host_table(),
                             self.host_before, "the host's mount table changed")

    def apply_refused(self, entries, root=True):
        """Applies a layout of `entries` into a fresh child; asserts it is refused with the
        child's table, the outside file and directory unchanged; returns stderr."""
        layout = os.path.join(self.tmp, "hostile.yaml")
        text = "version: 1\n"
        if root:
            text += f"root:\n  bind: {self.image}\n"
        text += "mounts:\n" + "".join(f"  - {entry}\n" for entry in entries)
        pathlib.Path(layout).write_text(text)
        file_before = snapshot(self.target)
        dir_before = (stat.S_IMODE(os.lstat(self.outside).st_mode), os.listdir(self.outside))
        with ParkedChild() as child:
            before = child.mountinfo()
            proc = rootfsctl("apply", layout, "--pid", child.pid)
            self.assertEqual(proc.returncode, 3, proc.stderr)
            self.assertEqual(child.mountinfo(), before)
            self.assertNotIn(self.outside, child.mountinfo())
        self.assertEqual(snapshot(self.target), file_before)
        self.assertEqual((stat.S_IMODE(os.lstat(self.outside).st_mode),
                          os.listdir(self.outside)), dir_before)
        self.assertNotIn(self.outside, pathlib.Path("/proc/self/mountinfo").read_text())
        return proc.stderr.decode()

    def test_a_masked_symlink_is_refused_and_its_destination_untouched(self):
        err = self.apply_refused(["mask: /secret"])
        self.assertIn("mask /secret is a symlink; its destination is left alone", err)

    def test_a_read_only_symlink_is_refused(self):
        err = self.apply_refused(["readonly-path: /secret"])
        self.assertIn("readonly-path /secret is a symlink", err)
        err = self.apply_refused(["readonly-path: /dirlink"])
        self.assertIn("readonly-path /dirlink is a symlink", err)

    def test_a_mask_beneath_a_symlinked_directory_is_refused(self):
        err = self.apply_refused(["mask: /dirlink/target.txt"])
        self.assertIn("a directory on the path is a symlink", err)

    def test_a_mask_in_a_live_tree_refuses_a_symlink_too(self):
        err = self.apply_refused([f"mask: {self.image}/secret"], root=False)
        self.assertIn("is a symlink", err)


if __name__ == "__main__":
    support.configure(sys.argv.pop(1), sys.argv.pop(1))
    unittest.main(verbosity=2)
