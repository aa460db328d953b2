#!/usr/bin/env python3
"""Targets named by namespace files (`--ns mnt=FILE,...`), for real: a mount namespace
with no process in it, pinned by a bind mount of its ns file as `unshare --mount=FILE`
makes one. The matrix (matrix_test.py) gives the sandbox and hot-add verdicts; this file
covers the rest:

- rootfsctl killed mid-apply, then `rollback --ns` gives the namespace its table back,
  and the apply in between is refused with the command to run;
- a `pid=` file lets proc be mounted for that pid namespace (and only it: the proc shows
  that namespace's processes);
- a mount namespace owned by a user namespace mapped 0 100000 65536: rootfsctl enters
  its owner, acts as its root, and the files it creates belong to that root;
- `mounts --ns` lists the namespace's table, as findmnt does through nsenter;
- bad `--ns` values are usage errors (exit 2) and files that are not namespaces of the
  kind named leave nothing changed (exit 5).

Usage: ns_target_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]
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
from matrix_test import PinnedNamespace
from support import require_root, rootfsctl
from userns_test import mapped_child


class NamespaceTargetTest(unittest.TestCase):
    def setUp(self):
        require_root(self)
        self.tmp = tempfile.mkdtemp(prefix="rootfsctl-ns-")
        os.chmod(self.tmp, 0o755)
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.host_before = pathlib.Path("/proc/self/mountinfo").read_text()
        self.base = os.path.join(self.tmp, "mnt")
        os.mkdir(self.base)

    def tearDown(self):
        after = pathlib.Path("/proc/self/mountinfo").read_text()
        mine = [line for line in after.splitlines() if f" {self.tmp}" in line]
        self.assertEqual(mine, [], "a mount of this test reached the host")

    def pin(self, make_child=None):
        ns = PinnedNamespace(self.tmp, make_child)
        self.addCleanup(ns.close)
        return ns

    def table(self, ns):
        text = ns.inside("cat", "/proc/self/mountinfo").stdout
        self.assertTrue(text)
        return sorted(line.split(" ", 2)[2] for line in text.splitlines())

    def layout(self, body):
        path = pathlib.Path(self.tmp, f"layout-{len(os.listdir(self.tmp))}.yaml")
        path.write_text("version: 1\nname: ns-test\nmounts:\n" + body)
        return path

    def test_killed_apply_is_rolled_back_through_the_namespace_file(self):
        ns = self.pin()
        layout = self.layout(f"  - tmpfs: {self.base}\n  - dir: {self.base}/a\n"
                             f"  - tmpfs: {self.base}/b\n")
        before = self.table(ns)
        state = tempfile.mkdtemp(prefix="state-", dir=self.tmp)
        os.chmod(state, 0o700)
        env = dict(os.environ, ROOTFSCTL_STATE_DIR=state)
        args = [support.BINARY, "apply", str(layout), "--ns", f"mnt={ns.file}"]
        # Killed right after the first tmpfs is mounted (before it: /'s propagation, the
        # mount point and its parents).
        plan = json.loads(rootfsctl("plan", layout, "--ns", f"mnt={ns.file}", "--format", "json",
                                    check_exit=0).stdout)
        first_mount = next(op["index"] for op in plan["ops"] if op["op"] == "mount")
        killed = subprocess.run(args + ["--fail-at", f"{first_mount}:kill-after"], env=env,
                                capture_output=True)
        self.assertEqual(killed.returncode, -9, killed.stderr)
        self.assertNotEqual(self.table(ns), before, "the first mount ran before the kill")
        again = subprocess.run(args, env=env, capture_output=True, text=True)
        self.assertEqual(again.returncode, 1, again.stderr)
        self.assertIn("interrupted-apply", again.stderr)
        self.assertIn(f"rollback --ns mnt={ns.file}", again.stderr)
        back = subprocess.run([support.BINARY, "rollback", "--ns", f"mnt={ns.file}",
                               "--format", "json"], env=env, capture_output=True, text=True)
        self.assertEqual(back.returncode, 0, back.stderr)
        report = json.loads(back.stdout)["rollback"]
        self.assertEqual((report["found"], report["clean"], report["mnt_ns_file"]),
                         ("log", True, ns.file))
        self.assertEqual(self.table(ns), before)
        applied = subprocess.run(args, env=env, capture_output=True, text=True)
        self.assertEqual(applied.returncode, 0, applied.stderr)
        self.assertIn(f"to mount namespace {ns.file}", applied.stdout)

    def test_rooted_layout_and_a_kill_before_its_pivot(self):
        """A layout with a root and no proc applies to a pinned namespace (the pivot
        happens inside it). Killed after the op before the pivot, rollback
        gives the table back; killed once pivot_root's intent is logged, it cannot tell
        whether the pivot ran (no process has a root to look at) and says so, exit 4."""
        layout = pathlib.Path(self.tmp, "rooted.yaml")
        layout.write_text("version: 1\nname: rooted\nroot:\n  tmpfs: { size: 1M }\n"
                          "mounts:\n  - bind: /usr\n    readonly: true\n"
                          "  - symlink: /bin\n    to: usr/bin\n  - symlink: /lib\n"
                          "    to: usr/lib\n  - symlink: /lib64\n    to: usr/lib64\n"
                          "  - dir: /tmp\n")
        ns = self.pin()
        before = self.table(ns)
        plan = json.loads(rootfsctl("plan", layout, "--ns", f"mnt={ns.file}", "--format",
                                    "json", check_exit=0).stdout)
        pivot = next(op["index"] for op in plan["ops"] if op["op"] == "pivot_root")
        state = tempfile.mkdtemp(prefix="state-", dir=self.tmp)
        os.chmod(state, 0o700)
        env = dict(os.environ, ROOTFSCTL_STATE_DIR=state)
        args = [support.BINARY, "apply", str(layout), "--ns", f"mnt={ns.file}"]
        rollback = [support.BINARY, "rollback", "--ns", f"mnt={ns.file}"]
        killed = subprocess.run(args + ["--fail-at", f"{pivot - 1}:kill-after"], env=env,
                                capture_output=True)
        self.assertEqual(killed.returncode, -9, killed.stderr)
        back = subprocess.run(rollback, env=env, capture_output=True, text=True)
        self.assertEqual(back.returncode, 0, (back.stdout, back.stderr))
        self.assertEqual(self.table(ns), before)
        killed = subprocess.run(args + ["--fail-at", f"{pivot}:kill"], env=env,
                                capture_output=True)
        self.assertEqual(killed.returncode, -9, killed.stderr)
        back = subprocess.run(rollback, env=env, capture_output=True, text=True)
        self.assertEqual(back.returncode, 4, (back.stdout, back.stderr))
        self.assertIn("takes a process of the target", back.stderr)
        fresh = self.pin()
        rootfsctl("apply", layout, "--ns", f"mnt={fresh.file}", check_exit=0)
        listing = fresh.inside("ls", "/")
        self.assertEqual(listing.stdout.split(), ["bin", "lib", "lib64", "tmp", "usr"],
                         listing.stderr)

    def test_proc_for_the_pid_namespace_given(self):
        ns = self.pin()
        # A pid namespace with one process in it, which is its pid 1.
        child = subprocess.Popen(["unshare", "--pid", "--fork", "--kill-child", "--mount-proc",
                                  "sleep", "600"])
        self.addCleanup(child.wait)
        self.addCleanup(child.kill)
        pid_ns = None
        for _ in range(200):
            kids = pathlib.Path(f"/proc/{child.pid}/task/{child.pid}/children").read_text().split()
            if kids:
                pid_ns = f"/proc/{kids[0]}/ns/pid"
                break
            subprocess.run(["sleep", "0.02"])
        self.assertIsNotNone(pid_ns, "the pid namespace's first process did not start")
        layout = self.layout(f"  - proc: {self.base}\n")
        refused = rootfsctl("apply", layout, "--ns", f"mnt={ns.file}", check_exit=1)
        self.assertIn(b"namespace-not-given", refused.stderr)
        rootfsctl("apply", layout, "--ns", f"mnt={ns.file},pid={pid_ns}", check_exit=0)
        rootfsctl("verify", layout, "--ns", f"mnt={ns.file}", check_exit=0)
        pids = [e for e in ns.inside("ls", self.base).stdout.split() if e.isdigit()]
        self.assertEqual(pids, ["1"], "proc shows the pid namespace given, not the host's")

    def test_namespace_owned_by_a_mapped_user_namespace(self):
        ns = self.pin(lambda: mapped_child("0 100000 65536", "0 100000 65536"))
        layout = self.layout(f"  - tmpfs: {self.base}\n  - dir: {self.base}/made\n"
                             f"  - file: {self.base}/made/f\n    content: hi\n")
        plan = rootfsctl("plan", layout, "--ns", f"mnt={ns.file}", "--format", "json",
                         check_exit=0)
        self.assertEqual([d for d in json.loads(plan.stdout).get("diagnostics", [])
                          if d["severity"] == "error"], [])
        wrong = rootfsctl("apply", layout, "--ns", f"mnt={ns.file},user=/proc/self/ns/user",
                          check_exit=5)
        self.assertIn(b"not the user namespace that owns", wrong.stderr)
        rootfsctl("apply", layout, "--ns", f"mnt={ns.file}", check_exit=0)
        rootfsctl("verify", layout, "--ns", f"mnt={ns.file}", check_exit=0)
        owner = ns.inside("stat", "-c", "%u:%g", f"{self.base}/made/f")
        self.assertEqual(owner.stdout.strip(), "100000:100000", owner.stderr)

    def test_mounts_lists_the_namespace_table(self):
        ns = self.pin()
        rootfsctl("apply", self.layout(f"  - tmpfs: {self.base}\n"), "--ns", f"mnt={ns.file}",
                  check_exit=0)
        listed = rootfsctl("mounts", "--ns", f"mnt={ns.file}", "-l", "-n", "-o", "TARGET",
                           check_exit=0)
        self.assertIn(self.base, listed.stdout.decode().split())
        mine = rootfsctl("mounts", "-l", "-n", "-o", "TARGET", check_exit=0)
        self.assertNotIn(self.base, mine.stdout.decode().split())

    def test_bad_values_change_nothing(self):
        ns = self.pin()
        layout = self.layout(f"  - tmpfs: {self.base}\n")
        before = self.table(ns)
        for args, status, words in [
            (["--ns", f"pid={ns.file}"], 2, "mnt=FILE is required"),
            (["--ns", f"mnt={ns.file},mnt={ns.file}"], 2, "given twice"),
            (["--ns", f"mnt={ns.file},time=/x"], 2, "unknown namespace kind"),
            (["--ns", f"mnt={ns.file}", "--pid", "1"], 2, "not both"),
            (["--ns", "mnt=/etc/hostname"], 5, "not a namespace file"),
            (["--ns", f"mnt={ns.file},net=/proc/self/ns/ipc"], 5, "another kind"),
        ]:
            proc = rootfsctl("apply", layout, *args)
            self.assertEqual(proc.returncode, status, (args, proc.stderr))
            self.assertIn(words, proc.stderr.decode(), args)
        self.assertEqual(self.table(ns), before)


if __name__ == "__main__":
    support.configure(sys.argv.pop(1), sys.argv.pop(1))
    unittest.main(verbosity=2)
