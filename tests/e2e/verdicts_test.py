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


class VerdictsTest(unittest.TestCase):
    def setUp(self):
        require_root(self)
        self.tmp = tempfile.TemporaryDirectory()
        self.host_before = pathlib.Path("/proc/self/mountinfo").read_text()

    def tearDown(self):
        self.tmp.cleanup()
        self.assertEqual(pathlib.Path("/proc/self/mountinfo").read_text(), self.host_before)

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


if __name__ == "__main__":
    support.configure(sys.argv[1], sys.argv[2])
    unittest.main(argv=[sys.argv[0], *sys.argv[3:]])
