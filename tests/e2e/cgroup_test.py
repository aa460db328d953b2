#!/usr/bin/env python3
"""The cgroup entry (issue 20), as root, for real: cgroup2 mounted into a parked child
that has its own cgroup and mount namespaces shows the child's cgroup (not the host's
hierarchy), read-only and with the flags the layout asks for; a failing apply rolls the
mount back; a user-namespaced target that shares the host's cgroup namespace is refused
before anything is done, and one without a user namespace gets a warning.

The child is put into a cgroup of its own (made beneath this process's, in the host's
cgroup2 hierarchy) before it unshares its cgroup namespace, so that the namespace's root
is a cgroup whose processes are known: the child and the unshare that forked it.

Usage: cgroup_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import support
from support import ParkedChild, require_root, rootfsctl

LAYOUT = """version: 1
mounts:
  - cgroup: {mnt}/ro
    readonly: true
    options: [nosuid, nodev, noexec]
  - cgroup: {mnt}/rw
  - tmpfs: {mnt}/after
    size: 1M
"""


def host_cgroup2():
    """The mount point of the host's cgroup2 hierarchy (rooted at its top), or None."""
    for line in pathlib.Path("/proc/self/mountinfo").read_text().splitlines():
        left, right = line.split(" - ", 1)
        fields = left.split()
        if right.split()[0] == "cgroup2" and fields[3] == "/":
            return pathlib.Path(fields[4])
    return None


def own_cgroup():
    for line in pathlib.Path("/proc/self/cgroup").read_text().splitlines():
        if line.startswith("0::"):
            return line[3:]
    return "/"


class CgroupChild(ParkedChild):
    """A ParkedChild that first moves into `cgroup` (a directory of the cgroup2 hierarchy),
    then unshares a cgroup namespace rooted there, with the mount and pid ones."""

    def __init__(self, cgroup, namespaces=("cgroup",)):
        super().__init__(namespaces=namespaces)
        self.cgroup = cgroup

    def __enter__(self):
        body = "echo ready && read _"
        inner = " ".join(["unshare", "--mount", "--propagation", "private", "--pid", "--fork",
                          *self.namespaces, "--", "sh", "-c", f"'{body}'"])
        self.proc = subprocess.Popen(
            ["sh", "-c", f'echo $$ > "$0/cgroup.procs" && exec {inner}', str(self.cgroup)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if line != b"ready\n":
            raise AssertionError(f"child did not park: {line!r} {self.proc.stderr.read()!r}")
        children = pathlib.Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        self.pid = int(children.read_text().split()[0])
        return self


def mount_at(mountinfo_text, target):
    """(fstype, per-mount options) of the topmost mount at `target`, or None."""
    found = None
    for mount_target, fstype, options in support.mounts_of(mountinfo_text):
        if mount_target == target:
            found = (fstype, options.split(","))
    return found


class CgroupEntryTest(unittest.TestCase):
    def setUp(self):
        require_root(self)
        hierarchy = host_cgroup2()
        if hierarchy is None:
            self.skipTest("the host has no cgroup2 hierarchy mounted")
        self.cgroup = hierarchy / own_cgroup().lstrip("/") / f"rootfsctl-e2e-{os.getpid()}"
        self.cgroup.mkdir()
        self.addCleanup(self.remove_cgroup)
        self.host_before = support.host_table()
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="rootfsctl-cgroup-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        for d in ("ro", "rw", "after"):
            (self.tmp / d).mkdir()
        self.layout = self.tmp / "cgroup.yaml"
        self.layout.write_text(LAYOUT.format(mnt=self.tmp))

    def tearDown(self):
        self.assertEqual(support.host_table(), self.host_before,
                         "the host's mount table changed")

    def remove_cgroup(self):
        # The child's processes leave it as they exit; the kernel may take a moment.
        for _ in range(50):
            try:
                self.cgroup.rmdir()
                return
            except OSError:
                time.sleep(0.1)
        self.cgroup.rmdir()

    def test_cgroup_shows_the_targets_own_cgroup_namespace(self):
        with CgroupChild(self.cgroup) as child:
            rootfsctl("apply", self.layout, "--pid", child.pid, check_exit=0)
            mountinfo = child.mountinfo()
            ro = mount_at(mountinfo, f"{self.tmp}/ro")
            rw = mount_at(mountinfo, f"{self.tmp}/rw")
            self.assertEqual(ro[0], "cgroup2")
            self.assertTrue({"ro", "nosuid", "nodev", "noexec"} <= set(ro[1]), ro)
            self.assertEqual(rw[0], "cgroup2")
            self.assertIn("rw", rw[1])
            # The namespace's root is the child's cgroup: its processes are the child and
            # the unshare that forked it, not the host's top cgroup.
            seen = pathlib.Path(f"/proc/{child.pid}/root{self.tmp}/ro/cgroup.procs")
            procs = set(seen.read_text().split())
            self.assertEqual(procs, {str(child.pid), str(child.proc.pid)})
            self.assertEqual(procs, set((self.cgroup / "cgroup.procs").read_text().split()))
            with self.assertRaises(OSError):
                (pathlib.Path(f"/proc/{child.pid}/root{self.tmp}/ro") / "x").mkdir()
            rootfsctl("verify", self.layout, "--pid", child.pid, check_exit=0)
            captured = rootfsctl("capture", "--pid", child.pid, check_exit=0).stdout.decode()
            self.assertIn(f"  - cgroup: {self.tmp}/ro\n    readonly: true\n", captured)

    def test_rollback_unmounts_it(self):
        plan = json.loads(rootfsctl("plan", self.layout, "--format", "json").stdout)
        ops = plan["ops"]
        cgroup_ops = [op["index"] for op in ops if op.get("fstype") == "cgroup2"]
        self.assertEqual(len(cgroup_ops), 2)
        # Failing at the second cgroup mount undoes the first; at the last op, both.
        for fail_at in (cgroup_ops[1], ops[-1]["index"]):
            with self.subTest(fail_at=fail_at), CgroupChild(self.cgroup) as child:
                before = child.mountinfo()
                proc = rootfsctl("apply", self.layout, "--pid", child.pid, "--fail-at", fail_at,
                                 check_exit=3)
                self.assertIn(b"rollback: clean", proc.stderr)
                self.assertEqual(child.mountinfo(), before)

    def test_a_user_namespace_sharing_the_hosts_cgroup_namespace_is_refused(self):
        with ParkedChild(namespaces=("user", "map-root-user")) as child:
            before = child.mountinfo()
            proc = rootfsctl("apply", self.layout, "--pid", child.pid, check_exit=1)
            self.assertIn(b"userns-shared-namespace", proc.stderr)
            self.assertIn(b"shares rootfsctl's cgroup namespace", proc.stderr)
            self.assertEqual(child.mountinfo(), before)

    def test_the_hosts_cgroup_namespace_is_a_warning(self):
        with ParkedChild() as child:
            proc = rootfsctl("plan", self.layout, "--pid", child.pid, "--format", "json",
                             check_exit=0)
            codes = [(d["severity"], d["code"]) for d in json.loads(proc.stdout)["diagnostics"]]
            self.assertIn(("warning", "cgroup-without-cgroupns"), codes)


if __name__ == "__main__":
    support.configure(sys.argv.pop(1), sys.argv.pop(1))
    unittest.main(verbosity=2)
