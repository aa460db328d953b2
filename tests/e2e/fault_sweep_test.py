#!/usr/bin/env python3
"""Fault sweeps for real (issue 6): for every bundled profile (manifests/*.yaml) and every
op K of its plan, `rootfsctl apply PROFILE --pid CHILD --fail-at K --format json` into a
fresh parked child exits 3 with a clean rollback, and the child's mount table, root
listing and hostname are exactly what they were before. A sample fails with other errnos.
The host's mount table never changes. The number of faults injected is printed.

Each fault gets its own child (unshare is cheap); the sweep runs on a small thread pool,
since every ParkedChild and every rootfsctl process is independent of the others.

Usage: fault_sweep_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]
"""
import concurrent.futures
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import yaml

import support
from support import ParkedChild, require_root

# unshare(1) options for the namespaces a profile asks for besides mount and pid, which
# every ParkedChild has: a hostname needs a uts namespace of its own, or the validator
# refuses to set the host's.
UNSHARE = {"ipc": "ipc", "uts": "uts", "net": "net", "cgroup": "cgroup"}
WORKERS = 4


def bundled():
    """name -> parsed YAML of every manifests/*.yaml."""
    return {path.stem: yaml.safe_load(path.read_text())
            for path in sorted((support.SOURCE / "manifests").glob("*.yaml"))}


def hostname_of(pid):
    """The hostname in pid's uts namespace (/proc/sys shows the reader's namespaces)."""
    return subprocess.run(["nsenter", "-t", str(pid), "-u", "cat", "/proc/sys/kernel/hostname"],
                          capture_output=True, check=True, timeout=10).stdout.decode()


class FaultSweepTest(unittest.TestCase):
    injected = 0
    per_profile = {}

    @classmethod
    def setUpClass(cls):
        cls.profiles = bundled()
        cls.env = dict(os.environ, ROOTFSCTL_PATH=str(support.SOURCE / "manifests"))
        cls.tmp = None
        if os.geteuid() != 0:
            return
        # What the profiles' variables point at: a workspace and a busybox image, once.
        cls.tmp = tempfile.mkdtemp(prefix="rootfsctl-fault-sweep-")
        os.chmod(cls.tmp, 0o755)
        cls.workspace = os.path.join(cls.tmp, "workspace")
        os.mkdir(cls.workspace)
        cls.image = os.path.join(cls.tmp, "image")
        subprocess.run(["bash", str(support.SOURCE / "scripts/make-example-image.sh"),
                        cls.image], check=True, capture_output=True, timeout=600)

    @classmethod
    def tearDownClass(cls):
        if cls.tmp:
            shutil.rmtree(cls.tmp)
        if cls.injected:
            per = ", ".join(f"{name} {n}" for name, n in sorted(cls.per_profile.items()))
            print(f"\nfault sweep (e2e): {cls.injected} faults injected and rolled back "
                  f"cleanly ({per})", file=sys.stderr)

    def setUp(self):
        require_root(self)
        self.host_before = support.host_table()

    def tearDown(self):
        if hasattr(self, "host_before"):
            self.assertEqual(support.host_table(),
                             self.host_before, "the host's mount table changed")

    # --- helpers ------------------------------------------------------------------------

    def sets(self, name):
        """--set arguments for the variables a profile declares."""
        declared = (self.profiles[name] or {}).get("vars") or {}
        values = {"rootfs": self.image, "workspace": self.workspace}
        return [arg for var in ("rootfs", "workspace") if var in declared
                for arg in ("--set", f"{var}={values[var]}")]

    def namespaces(self, name):
        wanted = (self.profiles[name] or {}).get("namespaces") or []
        return tuple(UNSHARE[ns] for ns in wanted if ns in UNSHARE)

    def rootfsctl(self, *args):
        return subprocess.run([support.BINARY, *map(str, args)], capture_output=True,
                              timeout=60, env=self.env, stdin=subprocess.DEVNULL)

    def plan(self, name):
        proc = self.rootfsctl("plan", name, *self.sets(name), "--format", "json")
        self.assertEqual(proc.returncode, 0, proc.stderr.decode(errors="replace"))
        return json.loads(proc.stdout)

    def fail_at(self, name, k, errno="EIO"):
        """Applies `name` into a fresh child with op k failing; returns what was wrong
        ("" when the rollback was clean and the child is as it was)."""
        with ParkedChild(namespaces=self.namespaces(name)) as child:
            before, listing = child.mountinfo(), child.root_listing()
            host = hostname_of(child.pid) if "uts" in self.namespaces(name) else None
            proc = self.rootfsctl("apply", name, *self.sets(name), "--pid", child.pid,
                                  "--fail-at", f"{k}:{errno}", "--format", "json")
            where = f"{name} --fail-at {k}:{errno}"
            if proc.returncode != 3:
                return (f"{where}: exit {proc.returncode}, wanted 3\n"
                        f"{proc.stdout.decode(errors='replace')}"
                        f"{proc.stderr.decode(errors='replace')}")
            outcome = json.loads(proc.stdout)
            error = outcome["error"]
            if (error["op_index"], error["errno"]) != (k, errno):
                return f"{where}: reported {error}"
            if not outcome["rollback"]["clean"] or outcome["rollback"]["left"]:
                return f"{where}: rollback not clean: {outcome['rollback']}"
            if child.mountinfo() != before:
                return f"{where}: mount table changed:\n{before}---\n{child.mountinfo()}"
            if child.root_listing() != listing:
                return f"{where}: root listing changed: {listing} -> {child.root_listing()}"
            if host is not None and hostname_of(child.pid) != host:
                return f"{where}: hostname changed: {host!r} -> {hostname_of(child.pid)!r}"
        return ""

    def sweep(self, cases):
        """Runs fail_at over (name, k, errno) cases on the pool; fails with every problem."""
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            problems = [p for p in pool.map(lambda c: self.fail_at(*c), cases) if p]
        self.assertEqual(problems, [], f"{len(problems)} of {len(cases)} faults misbehaved")
        return len(cases)

    # --- the sweeps ---------------------------------------------------------------------

    def test_the_sweep_covers_every_bundled_profile(self):
        self.assertLessEqual({"build", "image", "live-tmp", "minimal", "oci-default",
                              "readonly-host", "sandbox", "service"}, set(self.profiles))

    def test_every_op_of_every_profile_failing_rolls_back_to_the_same_table(self):
        cases = []
        for name in self.profiles:
            ops = self.plan(name)["ops"]
            self.assertEqual([op["index"] for op in ops], list(range(1, len(ops) + 1)))
            cases += [(name, k) for k in range(1, len(ops) + 1)]
            type(self).per_profile[name] = len(ops)
        start = time.monotonic()
        type(self).injected += self.sweep(cases)
        print(f"\n{len(cases)} faults in {time.monotonic() - start:.1f} s", file=sys.stderr)

    def test_other_errnos_are_reported_and_rolled_back(self):
        # A sample per profile: the first op, the root, a middle op, the pivot and the last
        # (the commit point's detach), each with an errno other than the default EIO.
        cases = []
        for name in self.profiles:
            ops = self.plan(name)["ops"]
            picks = {1, len(ops) // 2, len(ops)}
            picks |= {op["index"] for op in ops if op.get("entry") == "root"}
            errnos = ("EPERM", "EBUSY", "ENOMEM", "EINVAL")
            cases += [(name, k, errnos[i % len(errnos)]) for i, k in enumerate(sorted(picks))]
        type(self).injected += self.sweep(cases)

    def test_a_fault_without_a_clean_table_would_be_seen(self):
        # The check itself: a child whose table does change between the two reads (an
        # apply that succeeds) is reported, so a passing sweep means something.
        with ParkedChild() as child:
            before = child.mountinfo()
            proc = self.rootfsctl("apply", "sandbox", "--pid", child.pid)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertNotEqual(child.mountinfo(), before)


if __name__ == "__main__":
    support.configure(sys.argv.pop(1), sys.argv.pop(1))
    unittest.main(verbosity=2)
