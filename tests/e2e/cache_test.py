#!/usr/bin/env python3
"""End-to-end tests of the compiled-layouts cache: every layout of the tree planned with
the cache off, cold and warm gives byte-identical output, exit code and messages; the
`cache` command's shapes; entries that are broken or not the caller's are rebuilt or
left alone.

Usage: cache_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import unittest

import support

SOURCE = pathlib.Path(".")
LAYOUT_DIRS = ["manifests", "tests/data/valid", "tests/data/invalid", "tests/data/semantic",
               "tests/data/profiles", "tests/data/profiles/nested", "tests/data/live",
               "tests/data/fuzz-regressions/layout"]
# Each layout is planned off, cold and warm in both formats. With
# ROOTFSCTL_CACHE_TEST_ALTERNATE_FORMATS=1 (the sanitizer build, cache.cmake) each layout
# is planned in one format, text and json in turn: still every layout's entry is written
# and read back, and both renderers' output compared off, cold and warm; a format adds
# only its renderer over the same plan, and the renderers run under the sanitizers in the
# render unit tests and e2e_cli (every invalid layout as text, every bundled one as json).
ALTERNATE_FORMATS = os.environ.get("ROOTFSCTL_CACHE_TEST_ALTERNATE_FORMATS") == "1"


def every_layout():
    for directory in LAYOUT_DIRS:
        yield from sorted((SOURCE / directory).glob("*.yaml"))


class CacheTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.cache = pathlib.Path(self.tmp.name) / "cache"
        self.env = dict(os.environ, ROOTFSCTL_CACHE_DIR=str(self.cache),
                        ROOTFSCTL_PATH=str(SOURCE / "tests/data/profiles"))
        self.env.pop("ROOTFSCTL_NO_CACHE", None)
        # One captured table for every run: the outputs compared must not see a mount
        # another test makes meanwhile.
        self.table = pathlib.Path(self.tmp.name) / "mountinfo"
        self.table.write_bytes(pathlib.Path("/proc/self/mountinfo").read_bytes())

    def tearDown(self):
        self.tmp.cleanup()

    def run_binary(self, *args, env=None, stdin=None):
        proc = subprocess.run([support.BINARY, *map(str, args)], capture_output=True,
                              env=env or self.env, input=stdin, timeout=60)
        return proc.returncode, proc.stdout, proc.stderr

    def entries(self):
        return sorted(self.cache.glob("*.layout")) if self.cache.exists() else []


class SameOutputTest(CacheTestCase):
    def test_every_layout_plans_the_same_off_cold_and_warm(self):
        off_env = dict(self.env, ROOTFSCTL_NO_CACHE="1")
        layouts = list(every_layout())
        self.assertGreater(len(layouts), 50)
        hits = 0
        loaded = set()
        formats = ("text", "json")
        for i, layout in enumerate(layouts):
            for fmt in (formats[i % 2],) if ALTERNATE_FORMATS else formats:
                args = ["plan", layout, "--mountinfo", self.table, "--format", fmt]
                before = len(self.entries())
                off = self.run_binary(*args, env=off_env)
                self.assertEqual(len(self.entries()), before, "ROOTFSCTL_NO_CACHE writes nothing")
                cold = self.run_binary(*args)
                after_cold = len(self.entries())
                warm = self.run_binary(*args)
                self.assertEqual(len(self.entries()), after_cold, "a hit adds no entry")
                with self.subTest(layout=str(layout), format=fmt):
                    self.assertEqual(cold, off)
                    self.assertEqual(warm, off)
                    if off[0] != 2:
                        hits += 1
                        loaded.add(layout)
        # Layouts that load are cached; those that do not are not (errors are not kept).
        self.assertGreater(hits, 20 if ALTERNATE_FORMATS else 40)
        self.assertEqual(len(self.entries()), len(loaded))

    def test_stdin_and_command_line_entries(self):
        text = (SOURCE / "manifests/sandbox.yaml").read_bytes()
        args = ["plan", "-", "--mountinfo", self.table, "--tmpfs", "/scratch", "--set",
                "usr=/usr"]
        first = self.run_binary(*args, stdin=text)
        second = self.run_binary(*args, stdin=text)
        self.assertEqual(first, second)
        self.assertEqual(len(self.entries()), 1)
        other = self.run_binary(*args, stdin=text.replace(b"/tmp", b"/var/tmp"))
        self.assertNotEqual(other[1], first[1])
        self.assertEqual(len(self.entries()), 2)

    def test_one_relative_name_in_two_directories_keeps_two_entries(self):
        # The same text under the same relative name, extending a different base in each
        # directory: both are kept, and each is a hit the second time round.
        outputs = {}
        for name, target in (("a", "/a"), ("b", "/b")):
            directory = pathlib.Path(self.tmp.name) / name
            directory.mkdir()
            (directory / "base.yaml").write_text(f"version: 1\nmounts:\n  - tmpfs: {target}\n")
            (directory / "layout.yaml").write_text("version: 1\nextends: [./base.yaml]\n")
        written = None
        for round_ in range(2):
            for name in ("a", "b"):
                proc = subprocess.run([support.BINARY, "plan", "layout.yaml", "--mountinfo",
                                       self.table], capture_output=True, env=self.env,
                                      cwd=pathlib.Path(self.tmp.name) / name, timeout=60)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertIn(f"/{name}".encode(), proc.stdout)
                outputs.setdefault(name, proc.stdout)
                self.assertEqual(proc.stdout, outputs[name])
            self.assertEqual(len(self.entries()), 2, f"round {round_}")
            # The second round only reads: neither entry is written again.
            mtimes = {e.name: e.stat().st_mtime_ns for e in self.entries()}
            self.assertEqual(written or mtimes, mtimes)
            written = mtimes

    def test_run_from_the_cache(self):
        support.require_root(self)
        outputs = [self.run_binary("run", "sandbox", "--", "/bin/echo", "hi") for _ in range(2)]
        self.assertEqual(outputs[0], (0, b"hi\n", b""))
        self.assertEqual(outputs[1], outputs[0])
        self.assertEqual(len(self.entries()), 1)


class BrokenEntriesTest(CacheTestCase):
    def plan(self):
        return self.run_binary("plan", "sandbox", "--mountinfo", self.table, "--format", "json")

    def test_truncated_corrupt_and_foreign_entries_are_rebuilt(self):
        good_output = self.plan()
        [entry] = self.entries()
        good = entry.read_bytes()
        other = pathlib.Path(self.tmp.name) / "other.yaml"
        other.write_text("version: 1\nmounts:\n  - tmpfs: /tmp\n")
        self.run_binary("plan", other, "--mountinfo", self.table)
        foreign = next(e for e in self.entries() if e != entry).read_bytes()
        for broken in (b"", good[: len(good) // 2], good[:-1], good + b"x",
                       bytes(len(good)), foreign):
            entry.write_bytes(broken)
            self.assertEqual(self.plan(), good_output)
            self.assertEqual(entry.read_bytes(), good, "rebuilt")

    def test_a_directory_others_can_write_is_not_used(self):
        self.cache.mkdir(mode=0o700)
        self.cache.chmod(0o777)
        reference = self.run_binary("plan", "sandbox", "--mountinfo", self.table, "--no-cache")
        self.assertEqual(self.plan()[0], 0)
        self.assertEqual(self.run_binary("plan", "sandbox", "--mountinfo", self.table),
                         reference)
        self.assertEqual(self.entries(), [])
        stats = json.loads(self.run_binary("cache", "stats", "--format", "json")[1])
        self.assertFalse(stats["usable"])
        self.assertEqual(stats["problem"], "writable by group or others")
        code, out, _ = self.run_binary("cache", "clear", "--format", "json")
        self.assertEqual(code, 2)
        self.assertIn("error", json.loads(out))


class CacheCommandTest(CacheTestCase):
    def test_path_stats_clear(self):
        code, out, _ = self.run_binary("cache", "path")
        self.assertEqual((code, out), (0, f"{self.cache}\n".encode()))
        self.assertEqual(json.loads(self.run_binary("cache", "path", "--format", "json")[1]),
                         {"path": str(self.cache)})
        stats = json.loads(self.run_binary("cache", "--format", "json")[1])
        self.assertEqual(list(stats), ["path", "exists", "usable", "problem", "enabled",
                                       "entries", "bytes"])
        self.assertEqual((stats["exists"], stats["entries"]), (False, 0))
        self.run_binary("plan", "sandbox", "--mountinfo", self.table)
        stats = json.loads(self.run_binary("cache", "stats", "--format", "json")[1])
        self.assertEqual((stats["exists"], stats["usable"], stats["entries"]), (True, True, 1))
        self.assertGreater(stats["bytes"], 0)
        self.assertEqual(self.cache.stat().st_mode & 0o777, 0o700)
        cleared = json.loads(self.run_binary("cache", "clear", "--format", "json")[1])
        self.assertEqual(cleared, {"path": str(self.cache), "removed": 1})
        self.assertEqual(self.entries(), [])

    def test_usage(self):
        code, out, _ = self.run_binary("cache", "--help")
        self.assertEqual(code, 0)
        self.assertIn(b"ROOTFSCTL_CACHE_DIR", out)
        code, _, err = self.run_binary("cache", "prune")
        self.assertEqual(code, 2)
        self.assertIn(b"unknown cache action 'prune'", err)
        for command in ("plan", "run", "apply"):
            out = self.run_binary(command, "--help")[1]
            self.assertIn(b"--no-cache", out)
            self.assertIn(b"--max-layout-nodes", out)


class LimitsTest(CacheTestCase):
    def big_layout(self, entries):
        path = pathlib.Path(self.tmp.name) / "big.yaml"
        lines = ["version: 1", "root: {tmpfs: {}}", "mounts:"]
        lines += [f"  - dir: /d/{i}" for i in range(entries)]
        path.write_text("\n".join(lines) + "\n")
        return path

    def test_the_node_limit_is_the_options(self):
        # Small numbers, so the test stays fast: the option sets the limit either way.
        small = self.big_layout(30)
        code, _, err = self.run_binary("plan", small, "--mountinfo", self.table,
                                       "--max-layout-nodes", "20")
        self.assertEqual(code, 2)
        self.assertIn(b"more than 20 YAML nodes", err)
        self.assertIn(b"--max-layout-nodes", err)
        code, _, err = self.run_binary("plan", small, "--mountinfo", self.table,
                                       "--max-layout-nodes", "1000")
        self.assertEqual(code, 0, err)

    def test_limit_values_are_checked(self):
        for value in ("0", "-1", "lots", ""):
            code, _, err = self.run_binary("plan", "sandbox", "--max-layout-nodes", value)
            self.assertEqual(code, 2, value)
        code, _, err = self.run_binary("plan", "sandbox", "--mountinfo", self.table,
                                       "--max-layout-bytes", "100")
        self.assertEqual(code, 2)


if __name__ == "__main__":
    support.configure(sys.argv[1], sys.argv[2])
    SOURCE = support.SOURCE
    unittest.main(argv=[sys.argv[0], *sys.argv[3:]])
