#!/usr/bin/env python3
"""`rootfsctl apply --pid N` for real: children parked in new mount and pid namespaces get
their root assembled, checked through /proc/N/mountinfo and /proc/N/root; an injected
failure is reported with its stage and errno; the host's table never changes. (The rollback
at every op of every bundled profile is fault_sweep_test.py's.)

Usage: apply_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]
"""
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import sys
import unittest

import support
from support import ParkedChild, mounts_of, require_root, rootfsctl

SANDBOX_ROOT = ["bin", "dev", "lib", "lib64", "proc", "sbin", "tmp", "usr"]


class ApplyTest(unittest.TestCase):
    def setUp(self):
        require_root(self)
        self.host_before = support.host_table()
        self.tmp = tempfile.mkdtemp(prefix="rootfsctl-apply-")
        self.addCleanup(shutil.rmtree, self.tmp)

    def tearDown(self):
        self.assertEqual(support.host_table(), self.host_before,
                         "the host's mount table changed")

    def test_sandbox_is_assembled_and_the_child_runs_in_it(self):
        after = "ls / ; echo ---; cat /proc/self/mountinfo; echo ---; echo $$; pwd"
        with ParkedChild(after=after) as child:
            proc = rootfsctl("apply", "sandbox", "--pid", child.pid, check_exit=0)
            self.assertIn(b"verified", proc.stdout)
            self.assertEqual(child.root_listing(), SANDBOX_ROOT)
            mounts = {target: (fstype, options) for target, fstype, options
                      in mounts_of(child.mountinfo())}
            self.assertEqual(mounts["/"][0], "tmpfs")
            self.assertEqual(mounts["/usr"][1].split(",")[0], "ro")
            self.assertEqual(mounts["/proc"][0], "proc")
            self.assertEqual(mounts["/dev/pts"][0], "devpts")
            self.assertIn("nosuid", mounts["/tmp"][1].split(","))
            self.assertIn("nodev", mounts["/tmp"][1].split(","))
            self.assertEqual(mounts["/dev/null"][0], "devtmpfs")
            # Only the sandbox's 14 mounts are left, plus what the recursive bind of /usr
            # carries along: the old root is detached.
            under_usr = [t for t, _, _ in mounts_of(self.host_before) if t.startswith("/usr/")]
            self.assertEqual(len(mounts_of(child.mountinfo())), 14 + len(under_usr), mounts)
            out, err = child.release()
        listing, mountinfo, rest = out.split("---\n")
        self.assertEqual(listing.split(), SANDBOX_ROOT)
        pid, cwd = rest.split()
        self.assertEqual(pid, "1", "proc shows the child's own pid namespace")
        self.assertNotIn("rootfsctl", err)

    def test_json_reports_the_time_and_the_share_in_syscalls(self):
        with ParkedChild() as child:
            proc = rootfsctl("apply", "sandbox", "--pid", child.pid, "--format", "json",
                             check_exit=0)
        applied = json.loads(proc.stdout)["applied"]
        # Each of the 37 ops makes at least one call through the seam, verification more.
        self.assertGreater(applied["syscalls"], applied["ops"])
        self.assertGreater(applied["syscall_ms"], 0)
        self.assertLessEqual(applied["syscall_ms"], applied["elapsed_ms"])
        # Reading the assembled tree back and comparing took part of that time.
        self.assertGreater(applied["verify_ms"], 0)
        self.assertLess(applied["verify_ms"], applied["elapsed_ms"])

    def test_device_placeholders_work(self):
        with ParkedChild(after="head -c 4 /dev/zero | od -An -tx1; echo x > /dev/null && echo ok") as child:
            rootfsctl("apply", "sandbox", "--pid", child.pid, check_exit=0)
            out, _ = child.release()
        self.assertEqual(out.split(), ["00", "00", "00", "00", "ok"])

    def test_usr_is_read_only_inside(self):
        with ParkedChild(after="touch /usr/rootfsctl-probe 2>&1; touch /tmp/ok && echo tmp-ok") as child:
            rootfsctl("apply", "sandbox", "--pid", child.pid, check_exit=0)
            out, _ = child.release()
        self.assertIn("Read-only file system", out)
        self.assertIn("tmp-ok", out)
        self.assertFalse(pathlib.Path("/usr/rootfsctl-probe").exists())

    def test_target_with_its_own_proc(self):
        # The target's /proc shows another pid namespace, where rootfsctl's worker thread
        # has no /proc/thread-self: the table must be read from the caller's side.
        with ParkedChild("mount -t proc proc /proc") as child:
            rootfsctl("apply", "sandbox", "--pid", child.pid, check_exit=0)
            self.assertEqual(child.root_listing(), SANDBOX_ROOT)

    def test_sysctls_and_hostname_are_set_in_the_targets_namespaces(self):
        layout = SOURCE / "tests/data/live/sysctl-hostname.yaml"
        host_range = pathlib.Path("/proc/sys/net/ipv4/ping_group_range").read_text()
        host_name = pathlib.Path("/proc/sys/kernel/hostname").read_text()
        after = "cat /proc/sys/net/ipv4/ping_group_range /proc/sys/kernel/hostname"
        with ParkedChild(after=after, namespaces=("net", "uts")) as child:
            rootfsctl("apply", layout, "--pid", child.pid, check_exit=0)
            out, _ = child.release()
        self.assertEqual(out.split("\n")[:2], ["0\t2147483647", "rootfsctl-test"])
        self.assertEqual(pathlib.Path("/proc/sys/net/ipv4/ping_group_range").read_text(),
                         host_range, "the host's sysctl changed")
        self.assertEqual(pathlib.Path("/proc/sys/kernel/hostname").read_text(), host_name)

    def test_verify_reads_sysctls_and_hostname_in_the_targets_namespaces(self):
        layout = SOURCE / "tests/data/live/sysctl-hostname.yaml"
        with ParkedChild(namespaces=("net", "uts")) as child:
            rootfsctl("apply", layout, "--pid", child.pid, check_exit=0)
            rootfsctl("verify", layout, "--pid", child.pid, check_exit=0)
            subprocess.run(["nsenter", "-t", str(child.pid), "-n", "sh", "-c",
                            "echo '1 0' > /proc/sys/net/ipv4/ping_group_range"], check=True)
            proc = rootfsctl("verify", layout, "--pid", child.pid, "--format", "json",
                             check_exit=1)
            drift = json.loads(proc.stdout)["drift"]
            self.assertEqual([(d["kind"], d["target"], d["expected"], d["actual"]) for d in drift],
                             [("setting", "/proc/sys/net/ipv4/ping_group_range",
                               "0 2147483647", "1 0")])

    def test_sysctls_are_restored_on_rollback(self):
        layout = SOURCE / "tests/data/live/sysctl-hostname.yaml"
        plan = json.loads(rootfsctl("plan", layout, "--format", "json").stdout)
        last = plan["ops"][-1]["index"]
        after = "cat /proc/sys/net/ipv4/ping_group_range /proc/sys/kernel/hostname"
        with ParkedChild(after=after, namespaces=("net", "uts")) as child:
            rootfsctl("apply", layout, "--pid", child.pid, "--fail-at", last, check_exit=3)
            out, _ = child.release()
        fresh_range, fresh_name = out.split("\n")[:2]
        self.assertEqual(fresh_range, "1\t0", "a new network namespace's default, restored")
        self.assertNotEqual(fresh_name, "rootfsctl-test")

    def test_sysctls_never_reach_the_host(self):
        # Without its own network namespace the target shares the host's: refused.
        with ParkedChild() as child:
            proc = rootfsctl("apply", SOURCE / "tests/data/live/sysctl-hostname.yaml",
                             "--pid", child.pid, check_exit=1)
            self.assertIn(b"setting-on-host", proc.stderr)

    def test_dry_run_changes_nothing(self):
        with ParkedChild() as child:
            before = child.mountinfo()
            proc = rootfsctl("apply", "sandbox", "--pid", child.pid, "--dry-run", check_exit=0)
            self.assertIn(b"pivot_root", proc.stdout)
            self.assertEqual(child.mountinfo(), before)

    def test_injected_errno_and_stage_are_reported(self):
        plan = json.loads(rootfsctl("plan", "sandbox", "--format", "json").stdout)
        pivot = next(op["index"] for op in plan["ops"] if op["op"] == "pivot_root")
        with ParkedChild() as child:
            proc = rootfsctl("apply", "sandbox", "--pid", child.pid, "--fail-at",
                             f"{pivot}:EPERM", "--format", "json", check_exit=3)
            error = json.loads(proc.stdout)["error"]
            self.assertEqual((error["stage"], error["errno"], error["op_index"]),
                             ("pivot_root", "EPERM", pivot))
            self.assertIn(b"rollback: clean", proc.stderr)

    def test_live_layout_without_root(self):
        with ParkedChild(after="touch /etc/rootfsctl-probe 2>&1") as child:
            rootfsctl("apply", SOURCE / "manifests/live-tmp.yaml", "--pid", child.pid,
                      check_exit=0)
            mounts = mounts_of(child.mountinfo())
            self.assertIn("tmpfs", [f for t, f, _ in mounts if t == "/tmp"])
            self.assertIn("ro", [o.split(",")[0] for t, _, o in mounts if t == "/etc"])
            out, _ = child.release()
        self.assertIn("Read-only file system", out)
        self.assertFalse(pathlib.Path("/etc/rootfsctl-probe").exists())

    def test_warnings_are_printed_and_strict_makes_them_errors(self):
        """A layout that hides mounts of the target applies with the warning on stderr and in
        the JSON; with --strict it is refused (exit 1) and nothing changes."""
        layout = pathlib.Path(self.tmp, "hides.yaml")
        layout.write_text("version: 1\nmounts:\n  - tmpfs: /mnt\n")
        script = "mount -t tmpfs outer /mnt && mkdir /mnt/a && mount -t tmpfs inner /mnt/a"
        with ParkedChild(script) as child:
            before = child.mountinfo()
            proc = rootfsctl("apply", layout, "--pid", child.pid, "--strict", check_exit=1)
            self.assertIn(b"error[hides-mounts]", proc.stderr)
            self.assertEqual(child.mountinfo(), before)
            proc = rootfsctl("apply", layout, "--pid", child.pid, "--format", "json",
                             check_exit=0)
            self.assertIn(b"warning[hides-mounts]", proc.stderr)
            report = json.loads(proc.stdout)
            self.assertEqual([d["code"] for d in report["diagnostics"]], ["hides-mounts"])
            self.assertTrue(report["applied"])

    def test_optional_entry_with_a_missing_source_is_skipped(self):
        """`optional: true` on a bind whose source is missing: plan --pid, the dry run and
        apply all leave it out (exit 0) and say so; before, apply failed with ENOENT."""
        layout = pathlib.Path(self.tmp, "optional.yaml")
        layout.write_text("version: 1\nmounts:\n  - tmpfs: /mnt\n"
                          "  - bind: /mnt/tools\n    from: /nonexistent/rootfsctl-tools\n"
                          "    optional: true\n  - dir: /mnt/here\n")
        with ParkedChild() as child:
            for args in (("plan", layout, "--pid", child.pid),
                         ("apply", layout, "--pid", child.pid, "--dry-run")):
                proc = rootfsctl(*args, check_exit=0)
                self.assertIn(b"note[source-optional-missing]", proc.stdout + proc.stderr)
                self.assertNotIn(b"/mnt/tools", proc.stdout.split(b"note[")[0])
            rootfsctl("apply", layout, "--pid", child.pid, check_exit=0)
            targets = [t for t, _, _ in mounts_of(child.mountinfo())]
            self.assertIn("/mnt", targets)
            self.assertNotIn("/mnt/tools", targets)

    def test_validation_errors_change_nothing(self):
        with ParkedChild() as child:
            before = child.mountinfo()
            proc = rootfsctl("apply", SOURCE / "tests/data/semantic/device-nodev.yaml",
                             "--pid", child.pid, check_exit=1)
            self.assertIn(b"device-nodev", proc.stderr)
            self.assertEqual(child.mountinfo(), before)

    def test_never_in_its_own_namespace(self):
        proc = rootfsctl("apply", "sandbox", "--pid", os.getpid(), check_exit=1)
        self.assertIn(b"same-namespace", proc.stderr)
        # Even with the override, a layout with a root never pivots here.
        rootfsctl("apply", "sandbox", "--pid", os.getpid(), "--allow-shared-namespace",
                  check_exit=1)

    def test_vanished_target(self):
        with ParkedChild() as child:
            pid = child.pid
        # Nothing was attempted: exit 5, as for `plan --pid` of the same pid.
        proc = rootfsctl("apply", "sandbox", "--pid", pid)
        self.assertEqual(proc.returncode, 5)
        self.assertIn(f"process {pid}".encode(), proc.stderr)
        proc = rootfsctl("plan", "sandbox", "--pid", pid)
        self.assertEqual(proc.returncode, 5, proc.stderr.decode())
        proc = rootfsctl("apply", "sandbox", "--pid", pid, "--dry-run")
        self.assertEqual(proc.returncode, 5, proc.stderr.decode())


if __name__ == "__main__":
    support.configure(sys.argv.pop(1), sys.argv.pop(1))
    SOURCE = support.SOURCE
    unittest.main(verbosity=2)
