#!/usr/bin/env python3
"""`rootfsctl capture --pid N` and `rootfsctl verify LAYOUT --pid N` for real, in children
parked in new mount and pid namespaces: a captured tree replays to the same mounts in a
fresh child, and verify names what drifted. The host's table never changes.

Usage: capture_verify_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]
"""
import json
import pathlib
import subprocess
import sys
import tempfile
import unittest

import support
from support import ParkedChild, require_root, rootfsctl

FLAGS = ("ro", "nosuid", "nodev", "noexec")


def mount_tree(mountinfo_text):
    """Per mount: (target, fstype, the ro/nosuid/nodev/noexec it has), sorted."""
    out = []
    for line in mountinfo_text.splitlines():
        left, right = line.split(" - ", 1)
        fields = left.split()
        options = fields[5].split(",")
        out.append((fields[4], right.split()[0], tuple(f for f in FLAGS if f in options)))
    return sorted(out)


def nsenter(pid, *command):
    subprocess.run(["nsenter", "-t", str(pid), "-m", "--", *command], check=True,
                   capture_output=True, timeout=30)


class CaptureVerifyTest(unittest.TestCase):
    def setUp(self):
        require_root(self)
        self.host_before = support.host_table()
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()
        self.assertEqual(support.host_table(), self.host_before,
                         "the host's mount table changed")

    def capture(self, pid):
        proc = rootfsctl("capture", "--pid", pid, check_exit=0)
        path = pathlib.Path(self.tmp.name) / f"captured-{pid}.yaml"
        path.write_bytes(proc.stdout)
        return path, proc.stdout.decode()

    def verify_json(self, layout, pid, exit_code):
        proc = rootfsctl("verify", layout, "--pid", pid, "--format", "json",
                         check_exit=exit_code)
        return json.loads(proc.stdout)

    def test_captured_sandbox_replays_to_the_same_tree(self):
        with ParkedChild() as a, ParkedChild() as b:
            rootfsctl("apply", "sandbox", "--pid", a.pid, check_exit=0)
            path, text = self.capture(a.pid)
            self.assertIn(f"pid {a.pid}", text)
            self.assertIn("root:\n  tmpfs: { size: 64M, mode: \"0755\" }", text)
            self.assertIn("  - device: /dev/null\n", text)
            # Deterministic: a second capture is byte-identical.
            self.assertEqual(self.capture(a.pid)[1], text)
            # --format json carries the same layout text and what it holds.
            report = json.loads(rootfsctl("capture", "--pid", a.pid, "--format", "json",
                                          check_exit=0).stdout)
            self.assertEqual(report["yaml"], text)
            self.assertEqual(report["target"], f"pid {a.pid}")
            self.assertIn({"kind": "device", "target": "/dev/null"}, report["mounts"])
            rootfsctl("apply", path, "--pid", b.pid, check_exit=0)
            self.assertEqual(mount_tree(b.mountinfo()), mount_tree(a.mountinfo()))
            # Both trees match the capture, and B matches the original layout too.
            self.assertEqual(self.verify_json(path, a.pid, 0), {"match": True, "drift": []})
            self.assertEqual(self.verify_json(path, b.pid, 0), {"match": True, "drift": []})
            rootfsctl("verify", "sandbox", "--pid", b.pid, check_exit=0)

    def test_captured_sandbox_replays_to_a_runnable_root(self):
        # The sandbox's /bin, /lib, /lib64, /sbin and /dev links live on its tmpfs mounts:
        # without them the replayed root cannot exec /bin/sh.
        with ParkedChild() as a, ParkedChild() as b:
            rootfsctl("apply", "sandbox", "--pid", a.pid, check_exit=0)
            path, text = self.capture(a.pid)
            for link in ("  - symlink: /bin\n    to: usr/bin\n",
                         "  - symlink: /lib64\n    to: usr/lib64\n",
                         "  - symlink: /dev/stderr\n    to: /proc/self/fd/2\n"):
                self.assertIn(link, text)
            rootfsctl("apply", path, "--pid", b.pid, check_exit=0)
            proc = subprocess.run(["nsenter", "-t", str(b.pid), "-m", "-p", "-r", "-w", "--",
                                   "/bin/sh", "-c", "echo runs; readlink /dev/ptmx"],
                                  capture_output=True, text=True, timeout=30)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(proc.stdout, "runs\npts/ptmx\n")

    def test_files_and_directories_on_tmpfs_replay(self):
        # What a command wrote into the sandbox's tmpfs: a directory with its mode, a small
        # text file with content and mode; a big file and a binary one are counted, not kept.
        def inside(pid, script):
            return subprocess.run(["nsenter", "-t", str(pid), "-m", "-p", "-r", "-w", "--",
                                   "/bin/sh", "-c", script],
                                  capture_output=True, text=True, timeout=30)
        with ParkedChild() as a, ParkedChild() as b:
            rootfsctl("apply", "sandbox", "--pid", a.pid, check_exit=0)
            made = inside(a.pid, "mkdir -m 0700 /tmp/work && printf 'a $x\\n' > /tmp/work/notes"
                                 " && chmod 0640 /tmp/work/notes"
                                 " && head -c 70000 /dev/zero | tr '\\0' a > /tmp/big"
                                 " && printf '\\001' > /tmp/bin")
            self.assertEqual(made.returncode, 0, made.stderr)
            path, text = self.capture(a.pid)
            self.assertIn("  - dir: /tmp/work\n    mode: \"0700\"\n", text)
            self.assertIn("  - file: /tmp/work/notes\n    mode: \"0640\"\n", text)
            self.assertIn("# not captured: 2 file(s) larger than 64 KiB, unreadable or not UTF-8 "
                          "text, on the tmpfs at /tmp", text)
            rootfsctl("apply", path, "--pid", b.pid, check_exit=0)
            shown = inside(b.pid, "stat -c '%a %n' /tmp/work /tmp/work/notes; cat /tmp/work/notes;"
                                  " ls /tmp")
            self.assertEqual(shown.returncode, 0, shown.stderr)
            self.assertEqual(shown.stdout, "700 /tmp/work\n640 /tmp/work/notes\na $x\nwork\n")

    def test_captured_live_layout_replays(self):
        # No root: the child keeps the host's tree, plus a private /tmp and a read-only
        # /etc. The capture binds / as the root and lists only what differs from it.
        with ParkedChild() as a, ParkedChild() as b:
            rootfsctl("apply", support.SOURCE / "manifests/live-tmp.yaml", "--pid", a.pid,
                      check_exit=0)
            path, text = self.capture(a.pid)
            self.assertIn("root:\n  bind: /\n", text)
            self.assertIn("  - tmpfs: /tmp\n", text)
            rootfsctl("apply", path, "--pid", b.pid, check_exit=0)
            self.assertEqual(mount_tree(b.mountinfo()), mount_tree(a.mountinfo()))

    def test_verify_names_missing_flags_and_extra_mounts(self):
        with ParkedChild() as child:
            rootfsctl("apply", "sandbox", "--pid", child.pid, check_exit=0)
            proc = rootfsctl("verify", "sandbox", "--pid", child.pid, check_exit=0)
            self.assertIn(b"matches", proc.stdout)
            self.assertEqual(self.verify_json("sandbox", child.pid, 0),
                             {"match": True, "drift": []})

            nsenter(child.pid, "umount", "/tmp")
            report = self.verify_json("sandbox", child.pid, 1)
            self.assertFalse(report["match"])
            [missing] = report["drift"]
            self.assertEqual((missing["kind"], missing["target"], missing["expected"]),
                             ("missing", "/tmp", "tmpfs"))
            self.assertRegex(missing["origin"], r"manifests/sandbox\.yaml:\d+$")
            proc = rootfsctl("verify", "sandbox", "--pid", child.pid, check_exit=1)
            self.assertIn(b"missing  /tmp: not mounted", proc.stdout)

            nsenter(child.pid, "mount", "-o", "remount,bind,rw", "/usr")
            nsenter(child.pid, "mkdir", "-p", "/mnt")
            nsenter(child.pid, "mount", "-t", "tmpfs", "x", "/mnt")
            drift = {(d["kind"], d["target"]): d
                     for d in self.verify_json("sandbox", child.pid, 1)["drift"]}
            self.assertEqual(sorted(drift), [("extra", "/mnt"), ("flags", "/usr"),
                                             ("missing", "/tmp")])
            self.assertEqual(drift[("flags", "/usr")]["expected"], "ro")
            self.assertTrue(drift[("flags", "/usr")]["actual"].startswith("rw"))
            self.assertEqual(drift[("extra", "/mnt")]["actual"], "tmpfs")

    def test_verify_without_root_ignores_unrelated_mounts(self):
        with ParkedChild() as child:
            layout = support.SOURCE / "manifests/live-tmp.yaml"
            rootfsctl("apply", layout, "--pid", child.pid, check_exit=0)
            self.assertEqual(self.verify_json(layout, child.pid, 0), {"match": True, "drift": []})
            nsenter(child.pid, "mount", "-t", "tmpfs", "x", "/mnt")
            rootfsctl("verify", layout, "--pid", child.pid, check_exit=0)
            nsenter(child.pid, "mkdir", "/tmp/sub")
            nsenter(child.pid, "mount", "-t", "tmpfs", "y", "/tmp/sub")
            [extra] = self.verify_json(layout, child.pid, 1)["drift"]
            self.assertEqual((extra["kind"], extra["target"]), ("extra", "/tmp/sub"))

    def test_verify_escapes_mount_names_as_mounts_does(self):
        # A mount name is the target's bytes: a newline, an escape sequence and a byte that
        # is not UTF-8 must neither reach the terminal raw nor be lost from the JSON.
        with ParkedChild() as child:
            layout = support.SOURCE / "manifests/live-tmp.yaml"
            rootfsctl("apply", layout, "--pid", child.pid, check_exit=0)
            name = b"/tmp/a\nb\x1b[31m\xff"
            nsenter(child.pid, "mkdir", name)
            nsenter(child.pid, "mount", "-t", "tmpfs", "y", name)
            text = rootfsctl("verify", layout, "--pid", child.pid, check_exit=1).stdout
            self.assertIn(b"extra    /tmp/a\\x0ab\\x1b[31m\\xff: ", text)
            self.assertNotIn(b"\x1b", text)
            self.assertNotIn(b"\xff", text)
            [extra] = self.verify_json(layout, child.pid, 1)["drift"]
            self.assertEqual(extra["target"], "/tmp/a\nb\x1b[31m\ufffd")
            self.assertEqual(bytes.fromhex(extra["target_hex"]), name)
            mounts = rootfsctl("mounts", "--pid", child.pid).stdout
            self.assertIn(b"/tmp/a\\x0ab\\x1b[31m\\xff", mounts)

    def test_usage_and_manifest_errors_exit_2(self):
        rootfsctl("verify", "sandbox", check_exit=2)
        rootfsctl("verify", "no-such-profile", "--pid", "1", check_exit=2)
        rootfsctl("verify", "sandbox", "--pid", "1", "--format", "yaml", check_exit=2)
        rootfsctl("capture", check_exit=2)
        rootfsctl("capture", "--pid", "x", check_exit=2)
        rootfsctl("capture", "--pid", "1", "extra", check_exit=2)


if __name__ == "__main__":
    support.configure(sys.argv.pop(1), sys.argv.pop(1))
    unittest.main(verbosity=2)
