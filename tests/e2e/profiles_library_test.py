#!/usr/bin/env python3
"""The bundled profile library (manifests/*.yaml) for real: every profile plans with no
error diagnostics on this machine, every profile with a root runs `true` (as root, and
rootless for those meant to work rootless), and each one is checked for the one property
it exists for. live-tmp has no root: it is applied to a parked child instead.

Usage: profiles_library_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]

The image profiles run a busybox image that scripts/make-example-image.sh builds into a
temporary directory (installing busybox-static when missing, which needs root).
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

import support
from support import ParkedChild, mounts_of, require_root

NOBODY = 65534
SETPRIV = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
           "--inh-caps=-all"]
# Profiles meant to work rootless; the others say in their comments why they do not.
ROOTLESS = ["sandbox", "minimal", "readonly-host", "build", "service", "image", "oci-default"]


def bundled():
    """name -> parsed YAML of every manifests/*.yaml."""
    out = {}
    for path in sorted((support.SOURCE / "manifests").glob("*.yaml")):
        out[path.stem] = yaml.safe_load(path.read_text())
    return out


def unescape(path):
    """A mountinfo path with its octal escapes (\\040 for a space) decoded."""
    return path.encode().decode("unicode_escape")


class Library:
    """What every test class shares: the profiles, a busybox image, a workspace, and
    rootfsctl run through an optional privilege-dropping prefix."""

    prefix = []
    binary = ""
    env = {}
    tmp = None
    image = None
    workspace = None

    @classmethod
    def make_dirs(cls, owner=None):
        cls.tmp = tempfile.mkdtemp(prefix="rootfsctl-profiles-test-")
        os.chmod(cls.tmp, 0o755)
        cls.workspace = os.path.join(cls.tmp, "workspace")
        os.mkdir(cls.workspace)
        if owner is not None:
            os.chown(cls.workspace, owner, owner)
        image = os.path.join(cls.tmp, "image")
        proc = subprocess.run(
            ["bash", str(support.SOURCE / "scripts/make-example-image.sh"), image],
            capture_output=True, timeout=600)
        if proc.returncode == 0:
            cls.image = image
        else:
            cls.image_error = proc.stderr.decode(errors="replace")

    @classmethod
    def remove_dirs(cls):
        if cls.tmp:
            shutil.rmtree(cls.tmp)

    def need_image(self):
        if self.image is None:
            message = f"example image not built: {getattr(self, 'image_error', '')}"
            if os.environ.get("CI"):
                self.fail(message)
            self.skipTest(message)

    def sets(self, name):
        """--set arguments for the variables a profile needs on this machine."""
        out = []
        declared = (self.profiles[name] or {}).get("vars") or {}
        if "rootfs" in declared:
            self.need_image()
            out += ["--set", f"rootfs={self.image}"]
        if "workspace" in declared:
            out += ["--set", f"workspace={self.workspace}"]
        return out

    def rootfsctl(self, *args, timeout=60):
        return subprocess.run([*self.prefix, self.binary, *map(str, args)],
                              capture_output=True, timeout=timeout, env=self.env, cwd="/",
                              stdin=subprocess.DEVNULL)

    def run_in(self, name, *command, status=0):
        """rootfsctl run NAME -- COMMAND; its stdout, after checking the exit status."""
        proc = self.rootfsctl("run", name, *self.sets(name), "--", *command)
        if proc.returncode != status:
            self.fail(f"run {name} -- {' '.join(command)}: exit {proc.returncode}, wanted "
                      f"{status}\nstdout: {proc.stdout.decode(errors='replace')[:3000]}\n"
                      f"stderr: {proc.stderr.decode(errors='replace')[:3000]}")
        return proc.stdout.decode(errors="replace")

    def sh(self, name, script, status=0):
        return self.run_in(name, "/bin/sh", "-c", script, status=status)

    def pivots(self, name):
        """Whether a profile has a root (its plan pivots), resolved by rootfsctl itself so
        that an inherited root counts too."""
        proc = self.rootfsctl("plan", name, *self.sets(name), "--format", "json")
        self.assertIn(proc.returncode, (0, 1), proc.stderr)
        return any(op["op"] == "pivot_root" for op in json.loads(proc.stdout)["ops"])


class ProfilesMetadataTest(unittest.TestCase):
    """Unprivileged: the library is all there, and every profile says what it is."""

    @classmethod
    def setUpClass(cls):
        cls.profiles = bundled()

    def test_the_library_is_complete(self):
        for name in ("sandbox", "minimal", "readonly-host", "build", "service",
                     "oci-default", "image", "live-tmp"):
            self.assertIn(name, self.profiles)

    def test_every_profile_is_named_and_described_in_one_line(self):
        for name, layout in self.profiles.items():
            with self.subTest(profile=name):
                self.assertEqual(layout.get("name"), name)
                description = layout.get("description", "")
                self.assertTrue(description.strip(), "no description")
                self.assertNotIn("\n", description.strip())


class ProfilesRootTest(Library, unittest.TestCase):
    """As root: every profile, and the check each one exists for."""

    @classmethod
    def setUpClass(cls):
        cls.profiles = bundled()
        cls.binary = support.BINARY
        # Names resolve to this tree's manifests/, whatever else is installed.
        cls.env = dict(os.environ, ROOTFSCTL_PATH=str(support.SOURCE / "manifests"))
        if os.geteuid() == 0:
            cls.make_dirs()

    @classmethod
    def tearDownClass(cls):
        cls.remove_dirs()

    def setUp(self):
        require_root(self)
        self.host_before = support.host_table()

    def tearDown(self):
        if hasattr(self, "host_before"):
            self.assertEqual(support.host_table(),
                             self.host_before, "the host's mount table changed")

    # --- the library as a whole ---------------------------------------------------------

    def test_every_profile_plans_without_errors_here(self):
        for name in self.profiles:
            with self.subTest(profile=name):
                proc = self.rootfsctl("plan", name, *self.sets(name), "--format", "json")
                plan = json.loads(proc.stdout)
                errors = [d for d in plan["diagnostics"] if d["severity"] == "error"]
                self.assertEqual(errors, [])
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertEqual(plan["name"], name)

    def test_every_profile_with_a_root_runs_true(self):
        ran = []
        for name in self.profiles:
            if not self.pivots(name):
                continue
            with self.subTest(profile=name):
                self.run_in(name, "true")
                ran.append(name)
        self.assertGreaterEqual(len(ran), 7, ran)

    # --- one profile each -----------------------------------------------------------------

    def test_sandbox_root_listing(self):
        self.assertEqual(self.run_in("sandbox", "ls", "/").split(),
                         ["bin", "dev", "lib", "lib64", "proc", "sbin", "tmp", "usr"])

    def test_minimal_holds_exactly_what_a_dynamic_binary_needs(self):
        # ls and head are dynamic binaries from the host's /usr: they start, so the
        # interpreter and libraries resolve through the lib links.
        out = self.sh("minimal", "ls /; echo ---; ls /dev; echo ---; "
                      "head -c 4 /dev/zero | od -An -tx1; echo x > /dev/null && echo null-ok; "
                      "[ -w / ] || echo root-ro; [ -w /usr ] || echo usr-ro")
        root, dev, rest = out.split("---\n")
        self.assertEqual(root.split(), ["bin", "dev", "lib", "lib64", "proc", "usr"])
        self.assertEqual(dev.split(), ["null", "urandom", "zero"])
        self.assertEqual(rest.split(), ["00", "00", "00", "00", "null-ok", "root-ro", "usr-ro"])

    def test_readonly_host_is_read_only_everywhere_but_its_scratch_space(self):
        out = self.sh("readonly-host", "touch /etc/rootfsctl-probe 2>&1; "
                      "touch /tmp/probe && echo tmp-writable")
        self.assertIn("Read-only file system", out)
        self.assertIn("tmp-writable", out)
        self.assertFalse(pathlib.Path("/etc/rootfsctl-probe").exists())
        # Every mount of the host outside the private /proc, /dev and /tmp must be
        # read-only inside, submounts of the recursive root bind included (access(W_OK)
        # fails with EROFS on a read-only mount, even for root, and writes nothing).
        private = ("/proc", "/dev", "/tmp")
        targets = sorted({unescape(t) for t, _, _ in mounts_of(self.host_before)
                          if not any(t == p or t.startswith(p + "/") for p in private)})
        self.assertIn("/", targets)
        script = 'for p in "$@"; do [ -e "$p" ] && [ -w "$p" ] && echo "writable: $p"; done; true'
        # /tmp last, as the control that the probe does see a writable mount.
        out = self.run_in("readonly-host", "/bin/sh", "-c", script, "sh", *targets, "/tmp")
        self.assertEqual(out, "writable: /tmp\n")

    def test_build_workspace_is_the_hosts_and_the_network_is_shared(self):
        host_net = os.readlink("/proc/self/ns/net")
        out = self.sh("build", "echo built > /workspace/artifact; readlink /proc/self/ns/net; "
                      "[ -w /usr ] || echo usr-ro; [ -w /etc ] || echo etc-ro; "
                      "[ -w /tmp ] && echo tmp-rw; cc --version >/dev/null && echo cc-ok")
        self.assertEqual(out.split(), [host_net, "usr-ro", "etc-ro", "tmp-rw", "cc-ok"])
        self.assertEqual(pathlib.Path(self.workspace, "artifact").read_text(), "built\n")

    def test_service_mirrors_the_systemd_settings(self):
        out = self.sh(
            "service",
            # ProtectHome: empty, read-only
            "for d in /home /root /run/user; do echo \"$d:$(ls -A $d | wc -l)\"; "
            "[ -w $d ] || echo $d-ro; done; "
            # PrivateTmp: writable, private
            "touch /tmp/p /var/tmp/p && echo tmp-rw; "
            # ProtectSystem=strict: / and /sys read-only
            "for d in / /etc /usr /var /sys; do [ -w $d ] && echo $d-writable; done; "
            # PrivateDevices: pseudo devices only
            "echo ---; ls /dev")
        checks, dev = out.split("---\n")
        self.assertEqual(checks.split(), ["/home:0", "/home-ro", "/root:0", "/root-ro",
                                          "/run/user:0", "/run/user-ro", "tmp-rw"])
        # systemd's PrivateDevices makes the /dev/fd and /dev/std* links too (dev_setup()).
        self.assertEqual(dev.split(), ["fd", "full", "null", "ptmx", "pts", "random", "shm",
                                       "stderr", "stdin", "stdout", "tty", "urandom", "zero"])
        self.assertFalse(pathlib.Path("/var/tmp/p").exists())

    def test_oci_default_runs_busybox_with_runcs_mounts(self):
        # busybox's test -w is always true for root: probe with touch instead.
        out = self.sh("oci-default", "echo ok; hostname; touch /probe 2>&1 | grep -q "
                      "'Read-only file system' && echo root-ro; touch /sys/probe 2>&1 | "
                      "grep -q 'Read-only file system' && echo sys-ro; echo ---; ls /dev")
        checks, dev = out.split("---\n")
        self.assertEqual(checks.split(), ["ok", "runc", "root-ro", "sys-ro"])
        self.assertEqual(dev.split(), ["fd", "full", "mqueue", "null", "ptmx", "pts",
                                       "random", "shm", "stderr", "stdin", "stdout", "tty",
                                       "urandom", "zero"])

    def test_image_runs_busybox_and_leaves_the_image_untouched(self):
        self.need_image()

        def snapshot():
            return sorted((str(p), p.lstat().st_mtime_ns, p.lstat().st_size)
                          for p in pathlib.Path(self.image).rglob("*"))
        before = snapshot()
        out = self.sh("image", "echo ok; touch /probe 2>&1 | grep -q 'Read-only file system' "
                      "&& echo root-ro; touch /tmp/p && echo tmp-rw; ls /")
        self.assertEqual(out.split()[:3], ["ok", "root-ro", "tmp-rw"])
        self.assertEqual(out.split()[3:], sorted(os.listdir(self.image)))
        self.assertEqual(snapshot(), before, "running the image changed the image directory")

    def test_live_tmp_applies_into_a_live_tree(self):
        after = "touch /etc/rootfsctl-probe 2>&1; touch /tmp/p && echo tmp-rw; ls -A /tmp"
        with ParkedChild(after=after) as child:
            support.rootfsctl("apply", "live-tmp", "--pid", child.pid, check_exit=0)
            mounts = {t: (fstype, opts) for t, fstype, opts in mounts_of(child.mountinfo())}
            self.assertEqual(mounts["/tmp"][0], "tmpfs")
            self.assertEqual(mounts["/etc"][1].split(",")[0], "ro")
            out, _ = child.release()
        self.assertIn("Read-only file system", out)
        self.assertEqual(out.split()[-2:], ["tmp-rw", "p"])
        self.assertFalse(pathlib.Path("/etc/rootfsctl-probe").exists())


class ProfilesRootlessTest(Library, unittest.TestCase):
    """As uid/gid 65534 (or the unprivileged user running the tests): `true` in every
    profile meant to work rootless, from a copy of the binary and the profiles in a
    world-readable temporary directory."""

    @classmethod
    def setUpClass(cls):
        cls.profiles = bundled()
        cls.binary = support.BINARY
        cls.env = dict(os.environ, ROOTFSCTL_PATH=str(support.SOURCE / "manifests"))
        if os.geteuid() != 0:
            cls.make_dirs()
            return
        cls.make_dirs(owner=NOBODY)
        cls.binary = os.path.join(cls.tmp, "rootfsctl")
        support.copy_rootfsctl(cls.binary)
        profiles = os.path.join(cls.tmp, "profiles")
        os.mkdir(profiles)
        os.chmod(profiles, 0o755)
        for path in (support.SOURCE / "manifests").glob("*.yaml"):
            shutil.copy(path, profiles)
            os.chmod(os.path.join(profiles, path.name), 0o644)
        cls.env.update(ROOTFSCTL_PATH=profiles, HOME=cls.tmp, XDG_CONFIG_HOME=cls.tmp)
        cls.prefix = SETPRIV

    @classmethod
    def tearDownClass(cls):
        cls.remove_dirs()

    def test_rootless_profiles_run_true(self):
        for name in ROOTLESS:
            with self.subTest(profile=name):
                self.run_in(name, "true")

    def test_minimal_rootless(self):
        # CMD keeps the caller's uid (nobody here), as under bubblewrap.
        out = self.sh("minimal", "ls /; id -u; [ -w / ] || echo root-ro")
        self.assertEqual(out.split(), ["bin", "dev", "lib", "lib64", "proc", "usr",
                                       str(NOBODY), "root-ro"])

    def test_build_rootless_writes_to_the_workspace(self):
        self.sh("build", "echo built > /workspace/rootless-artifact")
        artifact = pathlib.Path(self.workspace, "rootless-artifact")
        self.assertEqual(artifact.read_text(), "built\n")
        self.assertEqual(artifact.stat().st_uid, os.geteuid() if not self.prefix else NOBODY)

    def test_readonly_host_and_service_rootless_are_read_only(self):
        for name in ("readonly-host", "service"):
            with self.subTest(profile=name):
                out = self.sh(name, "for d in / /etc /usr /sys; do [ -w $d ] && echo $d; done; "
                              "[ -w /tmp ] && echo tmp-rw")
                self.assertEqual(out.split(), ["tmp-rw"])

    def test_image_rootless_runs_busybox(self):
        self.need_image()
        self.assertEqual(self.sh("image", "echo ok"), "ok\n")

    def test_oci_default_rootless_sees_its_own_network_devices(self):
        # sysfs is created in the sandbox's network namespace (entered through the
        # target's pidfd), so only its loopback shows, and rootless the mount works at all.
        self.need_image()
        self.assertEqual(self.sh("oci-default", "ls /sys/class/net"), "lo\n")

if __name__ == "__main__":
    support.configure(sys.argv.pop(1), sys.argv.pop(1))
    unittest.main(verbosity=2)
