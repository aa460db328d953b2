#!/usr/bin/env python3
"""The target matrix of issue 17, end to end and for real: on each kind of target users
have, the rooted `sandbox` layout and a hot-add layout (a tmpfs, a directory in it, a host
directory bound read-only in it) get the verdict the table in docs/engines.md gives.
`plan --pid`, `apply --dry-run` and `apply` agree on it; an applied cell verifies clean
and its mounts are seen from inside the target; a refused cell changed nothing; at a
sample of ops (first, last, first of each kind, the pivot ritual) a fault rolls back to
the same table, and so does rootfsctl killed there followed by `rollback`.

Targets: a fresh parked child, an assembled child (after `apply sandbox`), a running runc
container, a child in a user namespace mapped 0 100000 65536, a child made by an
unprivileged user, a user-namespaced child sharing the host's ipc namespace, and a mount
namespace with no process in it, named by its pinned ns file (`--ns mnt=FILE`). (podman
with rootfsctl as its hook is e2e_podman, tests/e2e/podman_test.py.)

Usage: matrix_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]
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
from oci_test import Bundle, runc_available
from support import ParkedChild, require_root, rootfsctl
from userns_test import ipc_sharing_child, mapped_child, unprivileged_child

SANDBOX = "sandbox"


class Target:
    """A live target: its pid (or namespace file), a way to run a command inside, and its
    cleanup."""

    def __init__(self, pid, inside, close, ns_file=None):
        self.pid = pid
        self._inside = inside
        self.close = close
        self.ns_file = ns_file
        # How rootfsctl names it.
        self.args = ["--ns", f"mnt={ns_file}"] if ns_file else ["--pid", str(pid)]

    def inside(self, *cmd):
        return self._inside(*cmd)

    def table(self):
        # Mount ids change with every mount; what is mounted where, how, must not.
        if self.ns_file:
            text = self.inside("cat", "/proc/self/mountinfo").stdout
        else:
            text = pathlib.Path(f"/proc/{self.pid}/mountinfo").read_text()
        return sorted(line.split(" ", 2)[2] for line in text.splitlines())


class PinnedNamespace:
    """A mount namespace with no process in it, pinned by a bind mount of its ns file
    (`unshare --mount=FILE`). The pin lives on a tmpfs in a holder process's private mount
    namespace, so nothing of it is in the host's table; rootfsctl reaches the file through
    the holder's /proc/N/root. The namespace is a copy of the host's.

    A mount namespace file can be bound only from a namespace with a smaller id (the loop
    check of do_loopback). On this kernel (6.18) namespace ids come from per-CPU batches,
    so a namespace made later on the other CPU can get the smaller id and the bind fails
    with EINVAL (about one time in two on 2 cores). The holder and the namespace it pins
    are therefore made on one CPU: the process runs on the first CPU it may use while it
    starts them, and its children inherit that."""

    def __init__(self, tmp, make_child=None):
        """A new namespace, or the mount namespace of a child make_child() starts (and this
        ends, so that no process is left in it). The holder's namespace is made first: a
        mount namespace file can be bound only into an older namespace (do_loopback)."""
        cpus = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {min(cpus)})
        try:
            self._pin(tmp, make_child)
        finally:
            os.sched_setaffinity(0, cpus)
        self.file = f"/proc/{self.holder.pid}/root{self.dir}/mnt"

    def _pin(self, tmp, make_child):
        self.dir = os.path.join(tmp, f"pin-{len(os.listdir(tmp))}")
        os.mkdir(self.dir)
        pin = (f"read pid && mount --bind /proc/$pid/ns/mnt {self.dir}/mnt" if make_child else
               f"unshare --propagation private --mount={self.dir}/mnt true")
        script = (f"mount -t tmpfs pin {self.dir} && touch {self.dir}/mnt && echo holding && "
                  f"for try in 1 2 3; do {pin} && echo ready && exec sleep 600; "
                  "echo retry; done; echo failed")
        self.holder = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                        script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       text=True)
        line = self.holder.stdout.readline()
        while line.strip() in ("holding", "retry"):
            if make_child:
                child = make_child()
                try:
                    self.holder.stdin.write(f"{child.pid}\n")
                    self.holder.stdin.flush()
                    line = self.holder.stdout.readline()
                finally:
                    child.close()
            else:
                line = self.holder.stdout.readline()
        if line.strip() != "ready":
            self.close()
            raise AssertionError(f"pinning a mount namespace failed: {line!r}")

    def inside(self, *cmd):
        return subprocess.run(["nsenter", f"--mount={self.file}", "--", *cmd],
                              capture_output=True, text=True, timeout=30)

    def close(self):
        self.holder.kill()
        self.holder.wait()
        self.holder.stdout.close()
        self.holder.stdin.close()


def nsenter(pid, user=False):
    flags = ["-U"] if user else []
    # -r -w: its root and cwd, for a target that has pivoted; -p for tools reading /proc.
    return lambda *cmd: subprocess.run(["nsenter", "-t", str(pid), *flags, "-m", "-p", "-r",
                                        "-w", "--", *cmd], capture_output=True, text=True,
                                       timeout=30)


class MatrixTest(unittest.TestCase):
    def setUp(self):
        require_root(self)
        self.host_before = pathlib.Path("/proc/self/mountinfo").read_text()
        self.tmp = tempfile.mkdtemp(prefix="rootfsctl-matrix-")
        os.chmod(self.tmp, 0o755)
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.host_dir = pathlib.Path(self.tmp, "host-data")
        self.host_dir.mkdir()
        (self.host_dir / "hello").write_text("hello from the host\n")
        os.chmod(self.host_dir / "hello", 0o644)

    def tearDown(self):
        after = pathlib.Path("/proc/self/mountinfo").read_text()
        mine = [line for line in after.splitlines() if f" {self.tmp}" in line]
        self.assertEqual(mine, [], "a mount of this test reached the host")

    # --- targets ----------------------------------------------------------------------

    def parked(self):
        child = ParkedChild().__enter__()
        return Target(child.pid, nsenter(child.pid), lambda: child.__exit__(None, None, None))

    def assembled(self):
        target = self.parked()
        rootfsctl("apply", SANDBOX, "--pid", target.pid, check_exit=0)
        return target

    def runc_container(self):
        if not runc_available():
            self.fail("runc and busybox-static are test dependencies (scripts/deps.sh)")
        bundle = Bundle(tempfile.mkdtemp(prefix="bundle-", dir=self.tmp))
        cid = f"rootfsctl-matrix-{os.getpid()}-{len(os.listdir(self.tmp))}"
        bundle.runc("run", "-d", "--bundle", bundle.dir, cid)
        pid = json.loads(bundle.runc("state", cid).stdout)["pid"]

        def inside(*cmd):
            proc = bundle.runc("exec", cid, *cmd, check=False)
            proc.stdout, proc.stderr = proc.stdout.decode(), proc.stderr.decode()
            return proc
        return Target(pid, inside, lambda: bundle.runc("delete", "-f", cid, check=False))

    def userns(self, make, *args):
        child = make(*args)
        return Target(child.pid, child.inside, child.close)

    def pinned(self):
        ns = PinnedNamespace(self.tmp)
        return Target(None, ns.inside, ns.close, ns_file=ns.file)

    TARGETS = {
        "fresh child": lambda self: self.parked(),
        "assembled child": lambda self: self.assembled(),
        "running runc container": lambda self: self.runc_container(),
        "child mapped 0 100000 65536": lambda self: self.userns(
            mapped_child, "0 100000 65536", "0 100000 65536", "ipc"),
        "unprivileged user's child": lambda self: self.userns(unprivileged_child),
        "userns child sharing the host's ipc": lambda self: self.userns(ipc_sharing_child),
        "pinned mount namespace": lambda self: self.pinned(),
    }

    # The verdict of (target, layout): exit status, and the code that explains a refusal.
    EXPECTED = {
        ("fresh child", "sandbox"): (0, None),
        ("fresh child", "hot-add"): (0, None),
        ("assembled child", "sandbox"): (0, "already-applied"),
        ("assembled child", "build"): (1, "target-assembled"),
        ("assembled child", "hot-add"): (0, None),
        ("running runc container", "sandbox"): (1, "target-assembled"),
        ("running runc container", "hot-add"): (0, None),
        ("child mapped 0 100000 65536", "sandbox"): (0, None),
        ("child mapped 0 100000 65536", "hot-add"): (0, None),
        ("unprivileged user's child", "sandbox"): (0, None),
        ("unprivileged user's child", "hot-add"): (0, None),
        ("userns child sharing the host's ipc", "sandbox"): (1, "userns-shared-namespace"),
        ("userns child sharing the host's ipc", "hot-add"): (0, None),
        ("pinned mount namespace", "sandbox"): (1, "namespace-not-given"),
        ("pinned mount namespace", "hot-add"): (0, None),
    }

    # --- layouts ----------------------------------------------------------------------

    def hot_add(self, target_name):
        """A tmpfs on a directory the target has (the runc image's /mnt/x; elsewhere one
        of this test's), a directory in it and the host directory bound read-only in it."""
        base = "/mnt/x" if "runc" in target_name else os.path.join(self.tmp, "mnt")
        if "runc" not in target_name:
            os.makedirs(base, exist_ok=True)
        path = pathlib.Path(self.tmp, "hot-add.yaml")
        path.write_text(f"version: 1\nname: hot-add\nmounts:\n  - tmpfs: {base}\n"
                        f"    size: 1M\n  - dir: {base}/sub\n  - bind: {base}/data\n"
                        f"    from: {self.host_dir}\n    readonly: true\n")
        return path, base

    # --- the cells --------------------------------------------------------------------

    def verdict(self, layout, target):
        plan = rootfsctl("plan", layout, *target.args, "--format", "json")
        dry = rootfsctl("apply", layout, *target.args, "--dry-run", "--format", "json")
        self.assertEqual(dry.returncode, plan.returncode, dry.stdout + dry.stderr)
        codes = [d["code"] for d in json.loads(plan.stdout).get("diagnostics", [])
                 if d["severity"] in ("error", "note")]
        return plan.returncode, codes, json.loads(plan.stdout).get("ops", [])

    # The ops of the pivot ritual, each sampled: after pivot_root, /'s propagation and the
    # detach of the old root (the commit point).
    RITUAL = ("pivot_root", "propagation", "umount")

    @classmethod
    def sample(cls, ops):
        """The ops a fault is injected at on each target: the first and the last, the first
        of each kind, and each op of the pivot ritual (the sweeps of every op run on the
        fresh child, the assembled child and runc: e2e_fault_sweep, e2e_crash)."""
        picked = {ops[0]["index"], ops[-1]["index"]}
        kinds = set()
        pivoted = False
        for op in ops:
            if op["op"] not in kinds:
                kinds.add(op["op"])
                picked.add(op["index"])
            pivoted = pivoted or op["op"] == "pivot_root"
            if pivoted and op["op"] in cls.RITUAL:
                picked.add(op["index"])
        return sorted(picked)

    def faults(self, layout, target, ops):
        """At each sampled op: a failure rolls back to the same table; rootfsctl killed
        before the op, then `rollback`, gives the same table too."""
        before = target.table()
        state = tempfile.mkdtemp(prefix="state-", dir=self.tmp)
        os.chmod(state, 0o700)
        env = dict(os.environ, ROOTFSCTL_STATE_DIR=state)
        apply = [support.BINARY, "apply", str(layout), *target.args]
        for op in self.sample(ops):
            proc = subprocess.run(apply + ["--fail-at", str(op)], env=env, capture_output=True)
            self.assertEqual(proc.returncode, 3, (op, proc.stderr))
            self.assertIn(b"rollback: clean", proc.stderr)
            self.assertEqual(target.table(), before, f"--fail-at {op}")
            killed = subprocess.run(apply + ["--fail-at", f"{op}:kill"], env=env,
                                    capture_output=True)
            self.assertEqual(killed.returncode, -9, (op, killed.stderr))
            back = subprocess.run([support.BINARY, "rollback", *target.args], env=env,
                                  capture_output=True)
            self.assertEqual(back.returncode, 0, (op, back.stdout, back.stderr))
            self.assertEqual(target.table(), before, f"--fail-at {op}:kill, then rollback")

    def cell(self, target_name, layout_name):
        want, why = self.EXPECTED[(target_name, layout_name)]
        target = self.TARGETS[target_name](self)
        self.addCleanup(target.close)
        base = None
        if layout_name == "hot-add":
            layout, base = self.hot_add(target_name)
        else:
            layout = layout_name
        status, codes, ops = self.verdict(layout, target)
        self.assertEqual(status, want, f"plan/dry-run: {codes}")
        if why:
            self.assertIn(why, codes)
        before = target.table()
        if status == 0 and why is None and ops:
            self.faults(layout, target, ops)
        applied = rootfsctl("apply", layout, *target.args)
        self.assertEqual(applied.returncode, want, applied.stdout + applied.stderr)
        if want != 0 or why == "already-applied":
            self.assertEqual(target.table(), before, "refused or nothing to do, yet changed")
            return
        rootfsctl("verify", layout, *target.args, check_exit=0)
        if base:
            seen = target.inside("cat", f"{base}/data/hello", "/proc/self/mountinfo")
            self.assertEqual(seen.returncode, 0, seen.stderr)
            self.assertTrue(seen.stdout.startswith("hello from the host\n"), seen.stdout)
            mounts = {line.split()[4]: line for line in seen.stdout.splitlines()[1:]}
            self.assertIn(" - tmpfs ", mounts[base])
            self.assertTrue(mounts[f"{base}/data"].split()[5].startswith("ro"))
            self.assertIn(f"{base}/sub", target.inside("ls", "-d", f"{base}/sub").stdout)
        else:
            listing = target.inside("ls", "/")
            self.assertEqual(listing.returncode, 0, listing.stderr)
            self.assertEqual(listing.stdout.split(),
                             ["bin", "dev", "lib", "lib64", "proc", "sbin", "tmp", "usr"])


def add_cells():
    for target_name, layout_name in MatrixTest.EXPECTED:
        name = "test_" + "_".join(f"{target_name} {layout_name}".replace("'", "").replace(
            "-", "_").split())
        setattr(MatrixTest, name,
                lambda self, t=target_name, l=layout_name: self.cell(t, l))


add_cells()

if __name__ == "__main__":
    support.configure(sys.argv.pop(1), sys.argv.pop(1))
    unittest.main(verbosity=2)
