#!/usr/bin/env python3
"""Golden plans: every bundled profile and every test layout, planned offline against
tests/data/mountinfo/golden.txt, renders exactly as tests/data/golden/ records, in each
output format (text, json, tree, mermaid, sarif). Offline planning is deterministic, so a
difference is a change in what rootfsctl plans or prints; a refactor must leave these
alone, and a deliberate change updates them in the same commit:

    ROOTFSCTL_UPDATE_GOLDEN=1 python3 tests/e2e/golden_test.py build/src/rootfsctl .

Usage: golden_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]
"""
import os
import pathlib
import subprocess
import sys
import unittest

BINARY = pathlib.Path(sys.argv[1]).resolve()
SOURCE = pathlib.Path(sys.argv[2]).resolve()
GOLDEN = SOURCE / "tests/data/golden"
TABLE = "tests/data/mountinfo/golden.txt"
FORMATS = ("text", "json", "tree", "mermaid", "sarif")
UPDATE = os.environ.get("ROOTFSCTL_UPDATE_GOLDEN") == "1"


def layouts():
    """Relative to SOURCE, so the paths printed in plans do not depend on the checkout."""
    found = []
    for pattern in ("manifests/*.yaml", "tests/data/valid/*.yaml", "tests/data/semantic/*.yaml",
                    "tests/data/profiles/child.yaml"):
        found += sorted(p.relative_to(SOURCE) for p in SOURCE.glob(pattern))
    return found


def golden_name(layout, fmt):
    return str(layout).replace("/", "__").removesuffix(".yaml") + "." + fmt


def plan(layout, fmt):
    env = dict(os.environ, NO_COLOR="1", ROOTFSCTL_CACHE_DIR=os.environ.get(
        "ROOTFSCTL_CACHE_DIR", "/nonexistent"))
    proc = subprocess.run([BINARY, "plan", layout, "--mountinfo", TABLE, "--format", fmt,
                           "--no-cache"], cwd=SOURCE, env=env, capture_output=True, text=True)
    out = f"exit {proc.returncode}\n--- stdout\n{proc.stdout}--- stderr\n{proc.stderr}"
    # Bundled profiles a layout extends are named by their absolute path.
    return out.replace(str(SOURCE), "<source>")


class GoldenPlans(unittest.TestCase):
    def test_every_layout_in_every_format(self):
        checked = 0
        for layout in layouts():
            for fmt in FORMATS:
                with self.subTest(layout=str(layout), format=fmt):
                    got = plan(layout, fmt)
                    path = GOLDEN / golden_name(layout, fmt)
                    if UPDATE:
                        path.write_text(got)
                    self.assertTrue(path.exists(), f"{path} missing: run with "
                                    "ROOTFSCTL_UPDATE_GOLDEN=1 and review the new file")
                    self.assertEqual(path.read_text(), got, f"{layout} --format {fmt}")
                    checked += 1
        # A glob that matched nothing must not pass as "nothing differs".
        self.assertGreaterEqual(checked, 20 * len(FORMATS))

    def test_no_stale_golden_files(self):
        expected = {golden_name(l, f) for l in layouts() for f in FORMATS}
        stale = sorted(p.name for p in GOLDEN.iterdir() if p.name not in expected)
        self.assertEqual(stale, [], "golden files without a layout: delete them")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:])
