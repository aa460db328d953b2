#!/usr/bin/env python3
"""The dry-run verdict is the apply verdict: on a matrix of live targets and layouts,
`plan --pid N`, `apply --dry-run --pid N` and `apply --pid N` agree. plan and the dry run
give the same diagnostics (severity and code, in order) and the same exit status; apply
then exits 1 with nothing done where they found errors, and otherwise applies (exit 0) —
never fails partway (3) on something validation could have known. Some cells also have
a known verdict (EXPECTED): a hostname is refused on a target sharing the host's uts
namespace and set on one with its own, whether or not the layout lists uts.

Usage: verdicts_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import unittest

import support
from support import ParkedChild, require_root, rootfsctl

# Targets: the namespaces a parked child gets besides mount and pid.
TARGETS = {
    "plain": (),
    "uts+net": ("uts", "net"),
    "ipc": ("ipc",),
}

EXTRA_LAYOUTS = {
    "net-sysctl.yaml": "version: 1\nsysctls:\n  net.ipv4.ping_group_range: \"0 0\"\n"
                       "mounts:\n  - tmpfs: /tmp\n",
    "hostname.yaml": "version: 1\nhostname: verdict\nmounts:\n  - tmpfs: /tmp\n",
    "optional-missing.yaml": "version: 1\nmounts:\n  - tmpfs: /tmp\n"
                             "  - bind: /tmp/x\n    from: /nonexistent/verdicts\n"
                             "    optional: true\n",
    "missing.yaml": "version: 1\nmounts:\n  - tmpfs: /tmp\n"
                    "  - bind: /tmp/x\n    from: /nonexistent/verdicts\n",
}


# Cells whose verdict is known: (target, layout) -> exit status of all three.
EXPECTED = {
    ("plain", "sandbox.yaml"): 0,
    ("plain", "hostname.yaml"): 1,       # the host's uts namespace
    ("uts+net", "hostname.yaml"): 0,     # the target has its own: the layout need not list it
    ("plain", "net-sysctl.yaml"): 1,
    ("uts+net", "net-sysctl.yaml"): 0,
    ("plain", "missing.yaml"): 1,
    ("plain", "optional-missing.yaml"): 0,
}


def diagnostics(stdout):
    document = json.loads(stdout)
    return [(d["severity"], d["code"]) for d in document.get("diagnostics", [])]


class LiveTargetCase(unittest.TestCase):
    """As root, with a scratch directory; the host's mount table must end as it began."""

    def setUp(self):
        require_root(self)
        self.tmp = tempfile.TemporaryDirectory()
        self.host_before = support.host_table()

    def tearDown(self):
        self.tmp.cleanup()
        self.assertEqual(support.host_table(), self.host_before)


class VerdictsTest(LiveTargetCase):
    def layouts(self):
        out = [support.SOURCE / f"manifests/{name}.yaml"
               for name in ("sandbox", "minimal", "live-tmp")]
        out.append(support.SOURCE / "tests/data/live/sysctl-hostname.yaml")
        for name, text in EXTRA_LAYOUTS.items():
            path = pathlib.Path(self.tmp.name) / name
            path.write_text(text)
            out.append(path)
        return out

    def test_plan_dry_run_and_apply_agree(self):
        for target, namespaces in TARGETS.items():
            for layout in self.layouts():
                with self.subTest(target=target, layout=layout.name), \
                        ParkedChild(namespaces=namespaces) as child:
                    plan = rootfsctl("plan", layout, "--pid", child.pid, "--format", "json")
                    dry = rootfsctl("apply", layout, "--pid", child.pid, "--dry-run",
                                    "--format", "json")
                    self.assertIn(plan.returncode, (0, 1), plan.stderr)
                    if (target, layout.name) in EXPECTED:
                        self.assertEqual(plan.returncode, EXPECTED[(target, layout.name)],
                                         plan.stdout.decode()[-1500:])
                    self.assertEqual(dry.returncode, plan.returncode, dry.stderr)
                    self.assertEqual(diagnostics(dry.stdout), diagnostics(plan.stdout))
                    before = child.mountinfo()
                    applied = rootfsctl("apply", layout, "--pid", child.pid, "--format", "json")
                    self.assertEqual(applied.returncode, plan.returncode,
                                     applied.stdout.decode()[-1500:] + applied.stderr.decode())
                    if plan.returncode == 1:
                        self.assertEqual(child.mountinfo(), before, "refused, yet changed")
                    elif layout.name == "hostname.yaml":
                        name = subprocess.run(["nsenter", "-t", str(child.pid), "-u", "hostname"],
                                              capture_output=True, text=True, timeout=30)
                        self.assertEqual(name.stdout.strip(), "verdict")


class AssembledTargetTest(LiveTargetCase):
    """A target that has pivoted already (after `apply sandbox`): the same rooted layout
    again is "already applied" (exit 0, nothing done), another rooted layout is refused
    (target-assembled, exit 1, nothing done), a hot-add without a root applies — with its
    bind source taken from rootfsctl's side, where it exists, not from inside the target,
    where it does not. plan --pid, apply --dry-run and apply agree on each."""

    def setUp(self):
        super().setUp()
        self.sandbox = support.SOURCE / "manifests/sandbox.yaml"
        self.source = pathlib.Path(self.tmp.name) / "host-only"
        self.source.mkdir()
        (self.source / "mark").write_text("from the host\n")
        self.hot_add = pathlib.Path(self.tmp.name) / "hot-add.yaml"
        self.hot_add.write_text(f"version: 1\nmounts:\n  - bind: /tmp/hot\n"
                                f"    from: {self.source}\n    readonly: true\n"
                                f"  - tmpfs: /tmp/hot-tmp\n")

    def verdict(self, layout, child):
        """The exit status and diagnostics of plan --pid and apply --dry-run, asserted
        equal; then apply's exit status, asserted equal too."""
        plan = rootfsctl("plan", layout, "--pid", child.pid, "--format", "json")
        dry = rootfsctl("apply", layout, "--pid", child.pid, "--dry-run", "--format", "json")
        self.assertEqual(dry.returncode, plan.returncode, dry.stderr)
        self.assertEqual(diagnostics(dry.stdout), diagnostics(plan.stdout))
        applied = rootfsctl("apply", layout, "--pid", child.pid, "--format", "json")
        self.assertEqual(applied.returncode, plan.returncode, applied.stderr)
        return plan.returncode, diagnostics(plan.stdout)

    def test_reapply_refuse_and_hot_add(self):
        with ParkedChild() as child:
            rootfsctl("apply", self.sandbox, "--pid", child.pid, check_exit=0)
            assembled = child.mountinfo()
            status, found = self.verdict(self.sandbox, child)
            self.assertEqual(status, 0)
            self.assertIn(("note", "already-applied"), found)
            self.assertEqual(child.mountinfo(), assembled, "already applied, yet changed")
            other = support.SOURCE / "manifests/minimal.yaml"
            status, found = self.verdict(other, child)
            self.assertEqual(status, 1)
            self.assertIn(("error", "target-assembled"), found)
            self.assertEqual(child.mountinfo(), assembled, "refused, yet changed")
            # The source exists only on this side: the sandbox's /tmp is its own tmpfs.
            self.assertFalse(os.path.exists(f"/proc/{child.pid}/root{self.source}"))
            status, found = self.verdict(self.hot_add, child)
            self.assertEqual(status, 0, found)
            mark = pathlib.Path(f"/proc/{child.pid}/root/tmp/hot/mark").read_text()
            self.assertEqual(mark, "from the host\n")
            verify = rootfsctl("verify", self.hot_add, "--pid", child.pid)
            self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)


def root_propagation(child):
    """The optional fields of the target's / line in its mountinfo ("shared:7", ...)."""
    for line in child.mountinfo().splitlines():
        fields = line.split()
        if fields[4] == "/":
            optional = fields[6:fields.index("-")]
    return optional


class PropagationTest(LiveTargetCase):
    """A target whose / is shared on purpose: a hot-add makes it rslave (warned about,
    rolled back on failure), or with `propagation: keep` leaves it shared (warned about:
    the mounts reach the peers)."""

    def layout(self, extra):
        path = pathlib.Path(self.tmp.name) / "hot-add.yaml"
        path.write_text(f"version: 1\n{extra}mounts:\n  - tmpfs: /tmp\n")
        return path

    def test_default_makes_root_rslave_and_says_so(self):
        with ParkedChild(script="mount --make-rshared /") as child:
            self.assertTrue(root_propagation(child)[0].startswith("shared:"))
            layout = self.layout("")
            plan = rootfsctl("plan", layout, "--pid", child.pid, "--format", "json")
            self.assertIn(("warning", "propagation-changed"), diagnostics(plan.stdout))
            # A failure at the last op: the rollback gives / its peer group back.
            before = root_propagation(child)
            rootfsctl("apply", layout, "--pid", child.pid, "--fail-at", "3", check_exit=3)
            self.assertEqual(root_propagation(child), before)
            proc = rootfsctl("apply", layout, "--pid", child.pid, check_exit=0)
            self.assertIn(b"warning[propagation-changed]", proc.stderr)
            self.assertFalse(any(f.startswith("shared:") for f in root_propagation(child)))

    def test_keep_leaves_root_shared(self):
        with ParkedChild(script="mount --make-rshared /") as child:
            layout = self.layout("propagation: keep\n")
            plan = rootfsctl("plan", layout, "--pid", child.pid, "--format", "json")
            found = diagnostics(plan.stdout)
            self.assertIn(("warning", "mounts-propagate"), found)
            self.assertNotIn(("warning", "propagation-changed"), found)
            self.assertEqual([op["op"] for op in json.loads(plan.stdout)["ops"]].count(
                "propagation"), 0)
            before = root_propagation(child)
            proc = rootfsctl("apply", layout, "--pid", child.pid, check_exit=0)
            self.assertIn(b"warning[mounts-propagate]", proc.stderr)
            self.assertEqual(root_propagation(child), before)


if __name__ == "__main__":
    support.configure(sys.argv[1], sys.argv[2])
    unittest.main(argv=[sys.argv[0], *sys.argv[3:]])
