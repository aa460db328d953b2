#!/usr/bin/env python3
"""Crash recovery for real (issue 17): `rootfsctl apply --fail-at K:kill` (SIGKILL once op
K's intent is persisted, before it runs) and `K:kill-after` (right after it ran), then
`rootfsctl rollback --pid CHILD`: the child's mount table is what it was before (mount
ids aside; propagation and peer groups included), the intent log is gone, and a plain
apply works again. On a fresh parked child and on an assembled one (after `apply
sandbox`) for every op of a small hot-add layout; on a fresh child for a sample of the
sandbox layout (first and last op, the first op of each kind, each op of the pivot
ritual). Killed after the commit point, rollback leaves the verified layout in place.

Every rootfsctl here uses a private state directory (ROOTFSCTL_STATE_DIR), never the
host's /run/rootfsctl.

Usage: crash_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]
"""
import concurrent.futures
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import unittest

import support
from oci_test import Bundle, runc_available
from support import ParkedChild, require_root

WORKERS = 4


def without_ids(mountinfo):
    """The table with each line's mount id and parent id dropped (fields 1 and 2)."""
    return [line.split(" ", 2)[2] for line in mountinfo.splitlines()]


class CrashTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="rootfsctl-crash-")
        os.chmod(cls.tmp, 0o755)
        # Under /tmp: the fresh child's /tmp is the host's, the assembled child's its own.
        # One target directory per case, since fresh children share the host's /tmp.
        cls.where = "/tmp/" + os.path.basename(cls.tmp) + "-target"
        cls.small = cls.small_layout("plan")
        os.mkdir(cls.where)  # there before every apply: never made or removed by one
        cls.runs = 0

    @classmethod
    def small_layout(cls, tag):
        """A hot-add layout: a tmpfs, a read-only bind, a dir and a symlink."""
        where = f"{cls.where}/{tag}"
        path = os.path.join(cls.tmp, f"small-{tag}.yaml")
        pathlib.Path(path).write_text(f"""version: 1
name: crash-small
mounts:
  - tmpfs: {where}/t
    size: 1M
  - bind: {where}/b
    from: /usr
    readonly: true
  - dir: {where}/d
  - symlink: {where}/l
    to: d
""")
        return path

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)
        shutil.rmtree(cls.where, ignore_errors=True)
        print(f"\ncrash (e2e): {cls.runs} kills recovered", file=sys.stderr)

    def setUp(self):
        require_root(self)
        self.host_before = support.host_table()

    def tearDown(self):
        if hasattr(self, "host_before"):
            self.assertEqual(support.host_table(),
                             self.host_before, "the host's mount table changed")
            self.assertEqual(os.listdir(self.where), [], f"left in {self.where} on the host")

    def rootfsctl(self, state, *args):
        env = dict(os.environ, ROOTFSCTL_STATE_DIR=state)
        return subprocess.run([support.BINARY, *map(str, args)], capture_output=True,
                              timeout=60, env=env, stdin=subprocess.DEVNULL)

    def ops(self, layout):
        proc = self.rootfsctl(os.path.join(self.tmp, "plan-state"), "plan", layout,
                              "--format", "json")
        self.assertIn(proc.returncode, (0, 1), proc.stderr)
        return json.loads(proc.stdout)["ops"]

    def kill_and_recover(self, layout, k, mode, assembled=False):
        """Returns what was wrong ("" when the child is as before)."""
        where = f"{os.path.basename(layout)} --fail-at {k}:{mode}{' (assembled)' if assembled else ''}"
        state = tempfile.mkdtemp(prefix="state-", dir=self.tmp)
        with ParkedChild() as child:
            if assembled:
                proc = self.rootfsctl(state, "apply", "sandbox", "--pid", child.pid)
                if proc.returncode != 0:
                    return f"{where}: apply sandbox: {proc.stderr.decode(errors='replace')}"
            before = child.mountinfo()
            proc = self.rootfsctl(state, "apply", layout, "--pid", child.pid,
                                  "--fail-at", f"{k}:{mode}")
            if proc.returncode != -9:
                return f"{where}: apply ended {proc.returncode}, wanted SIGKILL"
            if len(os.listdir(state)) != 1:
                return f"{where}: no intent log left: {os.listdir(state)}"
            refused = self.rootfsctl(state, "apply", layout, "--pid", child.pid)
            if refused.returncode != 1 or b"interrupted-apply" not in refused.stderr:
                return f"{where}: apply over the leftover: {refused.returncode} {refused.stderr!r}"
            proc = self.rootfsctl(state, "rollback", "--pid", child.pid, "--format", "json")
            if proc.returncode != 0:
                return (f"{where}: rollback exit {proc.returncode}\n"
                        f"{proc.stdout.decode(errors='replace')}{proc.stderr.decode(errors='replace')}")
            report = json.loads(proc.stdout)["rollback"]
            if os.listdir(state):
                return f"{where}: the log was not removed: {os.listdir(state)}"
            if report.get("committed"):
                verify = self.rootfsctl(state, "verify", layout, "--pid", child.pid)
                if verify.returncode != 0:
                    return f"{where}: committed, but verify says {verify.stdout!r}"
                return ""
            if without_ids(child.mountinfo()) != without_ids(before):
                return f"{where}: mount table changed:\n{before}---\n{child.mountinfo()}"
            # The log is gone: the target is no longer refused. (A dry run: a real apply
            # would leave its directories in the host's /tmp.)
            again = self.rootfsctl(state, "apply", layout, "--pid", child.pid, "--dry-run")
            if again.returncode != 0:
                return f"{where}: apply after rollback: {again.returncode} {again.stderr!r}"
        return ""

    def sweep(self, cases):
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            problems = [p for p in pool.map(lambda c: self.kill_and_recover(*c), cases) if p]
        type(self).runs += len(cases)
        self.assertEqual(problems, [], f"{len(problems)} of {len(cases)} kills misbehaved")

    def test_every_op_of_a_hot_add_killed_before_and_after_on_a_fresh_child(self):
        n = len(self.ops(self.small))
        self.sweep([(self.small_layout(f"{k}-{mode}"), k, mode) for k in range(1, n + 1)
                    for mode in ("kill", "kill-after")])

    def test_every_op_of_a_hot_add_killed_before_and_after_on_an_assembled_child(self):
        n = len(self.ops(self.small))
        self.sweep([(self.small_layout(f"{k}-{mode}"), k, mode, True) for k in range(1, n + 1)
                    for mode in ("kill", "kill-after")])

    def test_a_killed_unmount_is_undone_before_it_runs_and_reported_after(self):
        # What an unmount took away lives in a detached copy held by rootfsctl: killed
        # before the op, nothing is lost; killed after it, rollback says the op cannot be
        # put back (exit 4) and removes the log.
        point = os.path.join(self.tmp, "point")
        os.makedirs(point, exist_ok=True)
        layout = pathlib.Path(self.tmp, "unmount.yaml")
        layout.write_text(f"version: 1\nmounts:\n  - unmount: {point}\n")
        for mode, code in (("kill", 0), ("kill-after", 4)):
            with self.subTest(mode=mode):
                state = tempfile.mkdtemp(prefix="state-", dir=self.tmp)
                with ParkedChild(f"mount -t tmpfs -o size=1M kept {point}") as child:
                    before = child.mountinfo()
                    proc = self.rootfsctl(state, "apply", layout, "--pid", child.pid,
                                          "--fail-at", f"2:{mode}")
                    self.assertEqual(proc.returncode, -9, proc.stderr)
                    proc = self.rootfsctl(state, "rollback", "--pid", child.pid)
                    self.assertEqual(proc.returncode, code, proc.stdout + proc.stderr)
                    self.assertEqual(os.listdir(state), [])
                    if code == 0:
                        self.assertEqual(without_ids(child.mountinfo()), without_ids(before))
                    else:
                        self.assertIn(b"cannot be put back", proc.stdout + proc.stderr)
                        self.assertNotIn(f" {point} ", child.mountinfo())

    def test_every_op_of_a_hot_add_killed_on_a_running_runc_container(self):
        # A container that has pivoted long ago, with its own /proc and a read-only root:
        # the hot-add's mount points are the image's own /mnt/x and /mnt/host.
        if not runc_available():
            self.fail("runc and busybox-static are test dependencies (scripts/deps.sh)")
        bundle = Bundle(tempfile.mkdtemp(prefix="bundle-", dir=self.tmp))
        layout = pathlib.Path(self.tmp, "runc-hot-add.yaml")
        layout.write_text("version: 1\nmounts:\n  - tmpfs: /mnt/x\n    size: 1M\n"
                          "  - dir: /mnt/x/d\n  - symlink: /mnt/x/l\n    to: d\n"
                          "  - bind: /mnt/host\n    from: /usr\n    readonly: true\n")
        problems = []
        n = len(self.ops(layout))
        for k in range(1, n + 1):
            for mode in ("kill", "kill-after"):
                cid = f"rootfsctl-crash-{os.getpid()}-{k}-{mode}"
                bundle.runc("run", "-d", "--bundle", bundle.dir, cid)
                try:
                    pid = json.loads(bundle.runc("state", cid).stdout)["pid"]
                    problems.append(self.kill_and_recover_pid(layout, pid, k, mode))
                finally:
                    bundle.runc("delete", "-f", cid, check=False)
        type(self).runs += 2 * n
        problems = [p for p in problems if p]
        self.assertEqual(problems, [], f"{len(problems)} of {2 * n} kills misbehaved")

    def kill_and_recover_pid(self, layout, pid, k, mode):
        """kill_and_recover for a target that is not a parked child: "" when as before."""
        where = f"runc container: {os.path.basename(layout)} --fail-at {k}:{mode}"
        state = tempfile.mkdtemp(prefix="state-", dir=self.tmp)
        table = lambda: without_ids(pathlib.Path(f"/proc/{pid}/mountinfo").read_text())
        before = table()
        proc = self.rootfsctl(state, "apply", layout, "--pid", pid, "--fail-at", f"{k}:{mode}")
        if proc.returncode != -9:
            return f"{where}: apply ended {proc.returncode}, wanted SIGKILL"
        proc = self.rootfsctl(state, "rollback", "--pid", pid, "--format", "json")
        if proc.returncode != 0:
            return f"{where}: rollback exit {proc.returncode}: {proc.stdout!r} {proc.stderr!r}"
        if os.listdir(state):
            return f"{where}: the log was not removed: {os.listdir(state)}"
        if table() != before:
            return f"{where}: mount table changed:\n{before}\n---\n{table()}"
        return ""

    def test_a_sample_of_the_sandbox_with_the_pivot_ritual(self):
        ops = self.ops("sandbox")
        picks = {1, len(ops)}
        seen = set()
        for op in ops:
            if op["op"] not in seen:
                seen.add(op["op"])
                picks.add(op["index"])
            if op.get("entry") == "root":
                picks.add(op["index"])  # the root mount and the pivot ritual
        self.sweep([("sandbox", k, mode) for k in sorted(picks)
                    for mode in ("kill", "kill-after")])

    def test_rollback_without_a_log_has_nothing_to_do(self):
        state = tempfile.mkdtemp(prefix="state-", dir=self.tmp)
        with ParkedChild() as child:
            proc = self.rootfsctl(state, "rollback", "--pid", child.pid)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertIn(b"nothing to roll back", proc.stdout)

    def test_a_vanished_target_is_unusable(self):
        state = tempfile.mkdtemp(prefix="state-", dir=self.tmp)
        proc = self.rootfsctl(state, "rollback", "--pid", 2**22 + 1)
        self.assertEqual(proc.returncode, 5, proc.stderr)


if __name__ == "__main__":
    support.configure(sys.argv.pop(1), sys.argv.pop(1))
    unittest.main(verbosity=2)
