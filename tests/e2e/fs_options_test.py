#!/usr/bin/env python3
"""Filesystem options beyond size and mode for real (issue 20), as root: under `rootfsctl
run`, a tmpfs with uid, gid and nr_inodes has its root owned as asked and holds no more
inodes than asked; a devpts with gid and ptmxmode gives new pseudo-terminals that group
and its ptmx that mode; `oci export` writes the options back.

Usage: fs_options_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]
"""
import json
import os
import pathlib
import shutil
import sys
import tempfile
import unittest

import support
from support import require_root, rootfsctl

LAYOUT = """version: 1
name: fs-options
namespaces: [mount, pid]
root:
  tmpfs: { size: 8M, mode: "0755" }
mounts:
""" + support.USR_MOUNTS + """  - proc: /proc
  - tmpfs: /dev
  - device: /dev/null
  - devpts: /dev/pts
    gid: 5
    ptmxmode: "0620"
  - tmpfs: /scratch
    uid: 1234
    gid: 2345
    nr_inodes: 8
    mode: "1777"
"""

# Files until the tmpfs is full: its root takes one of the 8 inodes.
SCRIPT = """stat -c 'root=%u:%g:%a' /scratch
n=0; while [ $n -lt 20 ] && touch /scratch/f$n 2>/dev/null; do n=$((n+1)); done; echo files=$n
stat -c 'ptmx=%a' /dev/pts/ptmx
python3 -c 'import os, pty; m, s = pty.openpty(); print("pty=%d" % os.fstat(s).st_gid)'
"""


class FsOptionsTest(unittest.TestCase):
    def setUp(self):
        require_root(self)
        self.host_before = support.host_table()
        self.tmp = tempfile.mkdtemp(prefix="rootfsctl-fs-options-")
        self.layout = os.path.join(self.tmp, "fs-options.yaml")
        pathlib.Path(self.layout).write_text(LAYOUT)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        if hasattr(self, "host_before"):
            self.assertEqual(support.host_table(),
                             self.host_before, "the host's mount table changed")

    def test_the_options_take_effect(self):
        proc = rootfsctl("run", self.layout, "--", "/bin/sh", "-c", SCRIPT, check_exit=0)
        seen = dict(line.split("=", 1) for line in proc.stdout.decode().split())
        self.assertEqual(seen["root"], "1234:2345:1777")
        self.assertEqual(seen["files"], "7")
        self.assertEqual(seen["ptmx"], "620")
        self.assertEqual(seen["pty"], "5")

    def test_the_plan_and_oci_export_carry_them(self):
        plan = json.loads(rootfsctl("plan", self.layout, "--format", "json",
                                    check_exit=0).stdout)
        data = {op["target"]: op.get("data", "") for op in plan["ops"] if op["op"] == "mount"}
        self.assertEqual(data["/scratch"], "mode=1777,uid=1234,gid=2345,nr_inodes=8")
        self.assertEqual(data["/dev/pts"], "newinstance,ptmxmode=0620,mode=620,gid=5")
        mounts = json.loads(rootfsctl("oci", "export", self.layout, check_exit=0).stdout)
        options = {m["destination"]: m.get("options", []) for m in mounts}
        self.assertLessEqual({"uid=1234", "gid=2345", "nr_inodes=8"}, set(options["/scratch"]))
        self.assertLessEqual({"gid=5", "ptmxmode=0620"}, set(options["/dev/pts"]))

    def test_a_key_the_filesystem_does_not_take_is_refused(self):
        bad = os.path.join(self.tmp, "bad.yaml")
        pathlib.Path(bad).write_text("version: 1\nmounts:\n  - proc: /proc\n    uid: 0\n")
        proc = rootfsctl("plan", bad, check_exit=2)
        self.assertIn(b"key 'uid'", proc.stderr)
        pathlib.Path(bad).write_text("version: 1\nmounts:\n  - tmpfs: /t\n    nr_inodes: 50%\n")
        proc = rootfsctl("plan", bad, check_exit=2)
        self.assertIn(b"invalid count", proc.stderr)


if __name__ == "__main__":
    support.configure(sys.argv.pop(1), sys.argv.pop(1))
    unittest.main(verbosity=2)
