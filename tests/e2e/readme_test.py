#!/usr/bin/env python3
"""The README's promises, run: the first setup command (scripts/quickstart.sh) assembles a
sandbox and prints the mount table from inside it, and every other example of the README
runs as written.

Each ```sh block after the first (the two setup commands) is one scenario: its lines run
in order under `sh -e`, with `rootfsctl` on PATH (the binary under test), `$PID` a fresh
child parked in new mount and pid namespaces, and the working directory a scratch one.
A line ending in `|| echo "exit $?"` shows a failure on purpose; its expected exit code is
checked. The host's mount table is checked unchanged.

Usage: readme_test.py ROOTFSCTL_BINARY SOURCE_DIR BUILD_DIR [unittest args]
"""
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import unittest

import support
from support import ParkedChild, require_root

BUILD = pathlib.Path(".")


def sh_blocks(markdown):
    """The ```sh blocks of a Markdown text, in order, each as its list of command lines."""
    blocks = re.findall(r"^```sh\n(.*?)^```", markdown, re.S | re.M)
    return [[line.split("  #")[0].rstrip() for line in block.splitlines()
             if line.strip() and not line.lstrip().startswith("#")] for block in blocks]


class ReadmeTest(unittest.TestCase):
    def setUp(self):
        require_root(self)
        self.readme = (support.SOURCE / "README.md").read_text()
        self.host_before = support.host_table()

    def tearDown(self):
        self.assertEqual(support.host_table(), self.host_before,
                         "the host's mount table changed")

    def test_the_readme_is_a_front_page(self):
        self.assertLessEqual(len(self.readme.splitlines()), 300)
        for link in re.findall(r"\]\((docs/[^)#]+)\)", self.readme):
            self.assertTrue((support.SOURCE / link).exists(), link)

    def test_setup_commands_are_the_scripts(self):
        first = sh_blocks(self.readme)[0]
        self.assertEqual(first, ["bash scripts/quickstart.sh", "bash scripts/test.sh"])
        self.assertIn("scripts/test.sh", (support.SOURCE / ".ci/run").read_text())

    def test_quickstart_assembles_a_sandbox_and_shows_its_table(self):
        # Built into a directory of its own: only the binary, with the build packages.
        env = dict(os.environ, BUILD_DIR=str(BUILD / "quickstart"))
        proc = subprocess.run(["bash", "scripts/quickstart.sh"], cwd=support.SOURCE, env=env,
                              capture_output=True, text=True, timeout=1200)
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
        inside = proc.stdout.split("== rootfsctl plan")[0]
        # findmnt inside the sandbox: its root is the layout's tmpfs, /usr read-only, and
        # none of the host's mounts (the host's / is not a tmpfs here).
        self.assertRegex(inside, r"(?m)^/\s+tmpfs\s")
        self.assertRegex(inside, r"(?m)^[├└]─/usr\s.*\sro,")
        self.assertRegex(inside, r"(?m)^[├└]─/tmp\s+tmpfs\s")
        self.assertIn("lint: 0 errors", proc.stdout)

    def test_every_example_runs(self):
        blocks = sh_blocks(self.readme)[1:]
        self.assertGreaterEqual(len(blocks), 5)
        bindir = tempfile.TemporaryDirectory()
        os.symlink(support.BINARY, os.path.join(bindir.name, "rootfsctl"))
        for block in blocks:
            with self.subTest(block=block[0]), ParkedChild() as child, \
                    tempfile.TemporaryDirectory() as cwd:
                env = dict(os.environ, PID=str(child.pid), ROOTFSCTL_PATH="",
                           PATH=bindir.name + ":" + os.environ["PATH"])
                proc = subprocess.run(["sh", "-e", "-c", "\n".join(block)], cwd=cwd, env=env,
                                      capture_output=True, text=True, timeout=120)
                self.assertEqual(proc.returncode, 0,
                                 f"{block}\nstdout: {proc.stdout[-2000:]}\n"
                                 f"stderr: {proc.stderr[-2000:]}")
                for line in block:
                    if line.endswith('|| echo "exit $?"'):
                        self.assertRegex(proc.stdout, r"(?m)^exit [1-9]\d*$")
        bindir.cleanup()


if __name__ == "__main__":
    support.configure(sys.argv[1], sys.argv[2])
    BUILD = pathlib.Path(sys.argv[3])
    unittest.main(argv=[sys.argv[0], *sys.argv[4:]])
