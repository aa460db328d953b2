#!/usr/bin/env python3
"""Root applying into targets in user namespaces of their own (issue 17): rootfsctl acts
there as the namespace's root. A hot-add layout applies for real, dry-run agrees, a fault
at each op rolls back to the same table; what cannot work is refused before op 1.

Usage: userns_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]
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

import support
from support import require_root, rootfsctl

HERE = pathlib.Path(__file__).resolve().parent
NOBODY = 65534


class Child:
    """A parked process started by `argv`, whose output's first line is "ready [PID]"."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("ready"):
            self.close()
            raise AssertionError(f"{argv[:3]} did not park: {line!r}")
        words = line.split()
        if len(words) > 1:
            self.pid = int(words[1])
        else:  # unshare --fork: the shell is unshare's child
            self.pid = int(pathlib.Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
                           .read_text().split()[0])

    def mountinfo(self):
        # Mount ids change with every mount; what is mounted where must not.
        text = pathlib.Path(f"/proc/{self.pid}/mountinfo").read_text()
        return [re.sub(r"^\d+ \d+ ", "", line) for line in text.splitlines()]

    def inside(self, *cmd):
        return subprocess.run(["nsenter", "-t", str(self.pid), "-U", "-m", "-p", *cmd],
                              capture_output=True, text=True, timeout=30)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.communicate(b"\n", timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for s in (self.proc.stdout, self.proc.stderr, self.proc.stdin):
            if s and not s.closed:
                s.close()


def mapped_child(uid_map="0 100000 65536", gid_map="0 100000 65536", *extra):
    return Child([sys.executable, str(HERE / "userns_child.py"), uid_map, gid_map, *extra])


def unprivileged_child():
    return Child(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                  "unshare", "-U", "--map-root-user", "-m", "-p", "-f", "-i",
                  "sh", "-c", "echo ready; read _"])


def ipc_sharing_child():
    return Child(["unshare", "-U", "--map-root-user", "-m", "-p", "-f",
                  "sh", "-c", "echo ready; read _"])


def host_mounts(mountinfo):
    """(mount id, mount point, options) of each line of a mountinfo text."""
    return {(f[0], f[4], f[5]) for f in (line.split() for line in mountinfo.splitlines())}


def assert_host_kept(test, before, directory):
    """Other tests run in parallel in this namespace: what must not change is every mount
    that was here before (`before` from support.host_table(), without runc's passing binds
    of itself), and nothing may appear at or under `directory`."""
    after = support.host_table()
    test.assertEqual(host_mounts(after) & host_mounts(before), host_mounts(before),
                     "a mount of the host went away")
    mine = [m for m in host_mounts(after) - host_mounts(before)
            if m[1] == directory or m[1].startswith(directory + "/")]
    test.assertEqual(mine, [], "the host's mount table changed")


class UsernsTest(unittest.TestCase):
    def setUp(self):
        require_root(self)
        self.host_before = support.host_table()
        self.tmp = tempfile.mkdtemp(prefix="rootfsctl-userns-")
        os.chmod(self.tmp, 0o755)
        self.mnt = os.path.join(self.tmp, "mnt")
        self.data = os.path.join(self.tmp, "data")
        os.makedirs(self.mnt)
        os.makedirs(self.data)
        pathlib.Path(self.data, "f").write_text("host data\n")

    def tearDown(self):
        assert_host_kept(self, self.host_before, self.tmp)
        shutil.rmtree(self.tmp)

    def layout(self, extra=""):
        path = pathlib.Path(self.tmp, "hot.yaml")
        path.write_text(f"""version: 1
name: hot
mounts:
  - tmpfs: {self.mnt}
    size: 1M
  - dir: {self.mnt}/sub
  - bind: {self.mnt}/data
    from: {self.data}
    readonly: true
{extra}""")
        return path

    def child(self, make, *args):
        child = make(*args)
        self.addCleanup(child.close)
        return child

    def check_hot_add(self, child):
        layout = self.layout()
        before = child.mountinfo()
        dry = rootfsctl("apply", layout, "--pid", child.pid, "--dry-run", "--format", "json",
                        check_exit=0)
        ops = len(json.loads(dry.stdout)["plan"]["ops"]) if "plan" in json.loads(dry.stdout) \
            else None
        self.assertEqual(child.mountinfo(), before)
        rootfsctl("apply", layout, "--pid", child.pid, check_exit=0)
        rootfsctl("verify", layout, "--pid", child.pid, check_exit=0)
        found = child.inside("findmnt", "-rno", "TARGET,FSTYPE,OPTIONS", "-R", self.mnt)
        self.assertEqual(found.returncode, 0, found.stderr)
        lines = found.stdout.splitlines()
        self.assertTrue(lines[0].startswith(f"{self.mnt} tmpfs"), lines)
        self.assertTrue(lines[1].startswith(f"{self.mnt}/data "), lines)
        self.assertIn("ro", lines[1].split()[2].split(","))
        listing = child.inside("ls", f"{self.mnt}/sub", f"{self.mnt}/data")
        self.assertIn("f", listing.stdout.split())
        return ops

    def check_faults(self, child):
        layout = self.layout()
        plan = json.loads(rootfsctl("plan", layout, "--format", "json").stdout)
        before = child.mountinfo()
        for op in plan["ops"]:
            with self.subTest(fail_at=op["index"]):
                proc = rootfsctl("apply", layout, "--pid", child.pid, "--fail-at", op["index"],
                                 check_exit=3)
                self.assertIn(b"rollback: clean", proc.stderr)
                self.assertEqual(child.mountinfo(), before)
        return len(plan["ops"])

    def test_mapped_child_hot_add(self):
        child = self.child(mapped_child)
        self.check_faults(child)
        self.check_hot_add(child)

    def test_unprivileged_users_child_hot_add(self):
        child = self.child(unprivileged_child)
        self.check_faults(child)
        self.check_hot_add(child)

    def test_sandbox_in_a_mapped_child(self):
        child = self.child(mapped_child, "0 100000 65536", "0 100000 65536", "ipc")
        rootfsctl("apply", "sandbox", "--pid", child.pid, "--dry-run", check_exit=0)
        rootfsctl("apply", "sandbox", "--pid", child.pid, check_exit=0)
        listing = child.inside("-r", "-w", "ls", "/")
        self.assertEqual(listing.stdout.split(),
                         ["bin", "dev", "lib", "lib64", "proc", "sbin", "tmp", "usr"])
        wrote = child.inside("-r", "-w", "sh", "-c", "echo x > /dev/null && touch /tmp/ok")
        self.assertEqual(wrote.returncode, 0, wrote.stderr)

    def test_without_its_namespace_helper_an_apply_says_where_it_looked(self):
        # rootfsctl-nshelper is found relative to the program (never on PATH): a copy of
        # the binary alone cannot enter a user namespace, and says so before op 1.
        alone = pathlib.Path(self.tmp, "alone", "bin", "rootfsctl")
        alone.parent.mkdir(parents=True)
        shutil.copy2(support.BINARY, alone)
        child = self.child(mapped_child)
        before = child.mountinfo()
        proc = subprocess.run([str(alone), "apply", str(self.layout()), "--pid", str(child.pid)],
                              capture_output=True, timeout=60)
        self.assertNotEqual(proc.returncode, 0)
        wanted = f"the namespace helper {self.tmp}/alone/libexec/rootfsctl/rootfsctl-nshelper " \
                 "is missing"
        self.assertIn(wanted.encode(), proc.stderr)
        self.assertEqual(child.mountinfo(), before)

    def test_mqueue_in_a_child_sharing_the_hosts_ipc_is_refused_before_op_1(self):
        child = self.child(ipc_sharing_child)
        layout = self.layout(f"  - mqueue: {self.mnt}/mq\n")
        before = child.mountinfo()
        for args in (["--dry-run"], []):
            proc = rootfsctl("apply", layout, "--pid", child.pid, *args, check_exit=1)
            self.assertIn(b"error[userns-shared-namespace]", proc.stdout + proc.stderr)
            self.assertIn(b"not privileges", proc.stdout + proc.stderr)
            self.assertEqual(child.mountinfo(), before)
        rootfsctl("apply", self.layout(), "--pid", child.pid, check_exit=0)

    def test_a_map_without_root_is_refused(self):
        child = self.child(mapped_child, "1 100000 1", "1 100000 1")
        before = child.mountinfo()
        for args in (["--dry-run"], []):
            proc = rootfsctl("apply", self.layout(), "--pid", child.pid, *args, check_exit=1)
            out = proc.stdout + proc.stderr
            self.assertIn(b"error[userns-no-root]", out)
            self.assertIn(b"uid_map (1 100000 1)", out)
        self.assertEqual(child.mountinfo(), before)

    def test_creating_in_a_host_root_directory_is_refused(self):
        child = self.child(mapped_child)
        path = pathlib.Path(self.tmp, "unwritable.yaml")
        path.write_text(f"version: 1\nname: u\nmounts:\n  - dir: {self.data}/made\n")
        before = child.mountinfo()
        for cmd in (["plan", path, "--pid", child.pid], ["apply", path, "--pid", child.pid]):
            proc = rootfsctl(*cmd, check_exit=1)
            self.assertIn(b"error[userns-unwritable]", proc.stdout + proc.stderr)
            self.assertIn(f"must write in {self.data}, owned by uid 0 gid 0".encode(),
                          proc.stdout + proc.stderr)
        self.assertFalse(os.path.exists(f"{self.data}/made"))
        self.assertEqual(child.mountinfo(), before)


if __name__ == "__main__":
    support.configure(sys.argv.pop(1), sys.argv.pop(1))
    unittest.main(verbosity=2)
