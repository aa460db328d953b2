#!/usr/bin/env python3
"""rootfsctl as a podman container's OCI hook, for real: Debian 12's podman 4.3 with runc,
an image made by `podman import` of a busybox-static rootfs, and a hooks.d file that runs
`rootfsctl oci hook LAYOUT` at createRuntime. A hot-add layout's mounts are seen by the
container's process; a rooted layout is refused (by the hook, and by `apply --pid` on a
running podman container); a failing hook stops the container with its error in podman's
output.

podman keeps all of its state (storage, run root, tmp dir, networks, hooks) in the test's
temporary directory, its cgroups under a parent of the test's own; every container, image
and cgroup is removed and podman's storage unmounted even when a test fails. podman runs
in a mount namespace of the test's own, a private copy of the host's: while a container
runs, podman has its storage and the container's root mounted in the namespace it runs
in, and in the host's those would show in the mount table that other tests (ctest -j)
compare. After every test the mount table of podman's namespace and the host's must be
the ones before, and /dev/null must still be the character device 1:3 with mode 0666.

Usage: podman_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]
"""
import json
import os
import pathlib
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest

import support
from oci_test import APPLETS, BUSYBOX, LAYOUT
from support import require_root, rootfsctl

IMAGE = "localhost/rootfsctl-podman-test:busybox"

# podman 4.3 prefers crun, which cannot start containers on hosts with hybrid cgroups (v1
# controllers beside the unified hierarchy) such as this project's CI; runc can (see
# Podman.global_args). There root lacks CAP_SYS_RESOURCE and runc fails to set the
# rlimits podman asks for by default (nofile, then nproc): ask for both, low.
RUN_OPTIONS = ["--network", "none", "--ulimit", "nofile=1024:1024",
               "--ulimit", "nproc=1024:1024"]

DEV_NULL = (stat.S_IFCHR, 1, 3, 0o666)


def podman_available():
    return all(shutil.which(tool) for tool in ("podman", "runc", "unshare", "nsenter")) and \
        os.path.exists(BUSYBOX)


def dev_null_state():
    """/dev/null as (type, major, minor, mode), lstat'ed: a symlink or file there counts."""
    try:
        st = os.lstat("/dev/null")
    except FileNotFoundError:
        return None
    return (stat.S_IFMT(st.st_mode), os.major(st.st_rdev), os.minor(st.st_rdev),
            stat.S_IMODE(st.st_mode))


def restore_dev_null():
    """Puts back the character device 1:3, mode 0666: a /dev/null that is not writable by
    everyone breaks every non-root program on the host."""
    state = dev_null_state()
    if state is None or state[:3] != DEV_NULL[:3]:
        fresh = "/dev/.null-rootfsctl-podman-test"
        if os.path.lexists(fresh):
            os.unlink(fresh)
        os.mknod(fresh, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        os.rename(fresh, "/dev/null")
    os.chown("/dev/null", 0, 0)
    os.chmod("/dev/null", 0o666)  # after mknod too: the umask took bits away


def describe(state):
    if state is None:
        return "missing"
    kind = {stat.S_IFCHR: "character device", stat.S_IFREG: "regular file",
            stat.S_IFLNK: "symlink", stat.S_IFDIR: "directory"}.get(state[0], hex(state[0]))
    return f"a {kind} {state[1]}:{state[2]} mode {state[3]:04o}"


def table_change(whose, before, after):
    """[] when `after` is `before`, else one problem naming the lines gone and new."""
    if after == before:
        return []
    gone = [l for l in before.splitlines() if l not in after.splitlines()]
    new = [l for l in after.splitlines() if l not in before.splitlines()]
    return [f"the mount table of {whose} changed:" + "".join(f"\n  - {l}" for l in gone) +
            "".join(f"\n  + {l}" for l in new)]


def mount_points(mountinfo_text):
    return {line.split()[4]: line for line in mountinfo_text.splitlines()}


class MountNamespace:
    """A private copy of the host's mount namespace, held by a `sleep` of our own."""

    def __init__(self):
        self.holder = subprocess.Popen(["unshare", "--mount", "--propagation", "private",
                                        "sleep", "infinity"], stdin=subprocess.DEVNULL)
        self.pid = self.holder.pid
        # unshare execs sleep once the namespace and its propagation are set up.
        for _ in range(200):
            if pathlib.Path(f"/proc/{self.pid}/comm").read_text() == "sleep\n":
                break
            time.sleep(0.01)
        else:
            self.close()
            raise AssertionError("unshare --mount did not get to sleep")
        self.enter = ["nsenter", "--target", str(self.pid), "--mount", "--"]

    def mountinfo(self):
        return pathlib.Path(f"/proc/{self.pid}/mountinfo").read_text()

    def close(self):
        if self.holder.poll() is None:
            self.holder.kill()
            self.holder.wait()


class Podman:
    """podman with every piece of state in `tmp`; nothing of the host's podman is read or
    written (no /var/lib/containers, /run/containers, /etc/containers/networks, nor the
    libpod_parent cgroups). It runs in `namespace`."""

    def __init__(self, tmp, namespace):
        self.namespace = namespace
        self.dir = pathlib.Path(tmp) / "podman"
        # With the cgroupfs manager podman makes PARENT/libpod-ID and PARENT/conmon in every
        # hierarchy and leaves PARENT behind: a parent of our own can be removed again.
        self.cgroup_parent = f"/{pathlib.Path(tmp).name}"
        self.root = self.dir / "root"
        self.hooks = self.dir / "hooks.d"
        dirs = {name: self.dir / name for name in ("runroot", "tmpdir", "networks")}
        for d in (self.root, self.hooks, *dirs.values()):
            d.mkdir(parents=True)
        # A storage.conf of our own: a host one could add image stores or a mount program.
        storage_conf = self.dir / "storage.conf"
        storage_conf.write_text(f'[storage]\ndriver = "overlay"\ngraphroot = "{self.root}"\n'
                                f'runroot = "{dirs["runroot"]}"\n')
        self.env = dict(os.environ, CONTAINERS_STORAGE_CONF=str(storage_conf))
        self.global_args = [
            "--root", self.root, "--runroot", dirs["runroot"], "--tmpdir", dirs["tmpdir"],
            "--storage-driver", "overlay", "--network-config-dir", dirs["networks"],
            "--hooks-dir", self.hooks, "--runtime", "runc", "--cgroup-manager", "cgroupfs",
            "--events-backend", "none"]

    def __call__(self, *args, check=True, timeout=60, prefix=()):
        proc = subprocess.run([*self.namespace.enter, *prefix, "podman",
                               *map(str, self.global_args), *map(str, args)],
                              capture_output=True, stdin=subprocess.DEVNULL, env=self.env,
                              timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"podman {' '.join(map(str, args))}: exit {proc.returncode}\n"
                                 f"{proc.stderr.decode(errors='replace')[:3000]}")
        return proc

    def import_image(self, tarball):
        # podman 4.3's import writes a blob cache to /var/lib/containers/cache whatever
        # --root says; in a mount namespace of its own with a tmpfs on /var/lib it lands
        # there.
        return self("import", tarball, IMAGE, prefix=(
            "unshare", "--mount", "--propagation", "private", "sh", "-c",
            'mount -t tmpfs -o mode=0755 rootfsctl-podman-test /var/lib && exec "$@"', "sh"))

    def set_hook(self, args):
        """The hooks.d file (OCI hooks schema 1.0.0) running `rootfsctl ARGS...`."""
        binary = os.path.abspath(support.BINARY)
        hook = {"version": "1.0.0",
                "hook": {"path": binary, "args": ["rootfsctl", *map(str, args)]},
                "when": {"always": True}, "stages": ["createRuntime"]}
        (self.hooks / "rootfsctl.json").write_text(json.dumps(hook, indent=2) + "\n")

    def run(self, *command, check=True, detach=False):
        flags = ["-d"] if detach else ["--rm"]
        return self("run", *flags, "--cgroup-parent", self.cgroup_parent, *RUN_OPTIONS, IMAGE,
                    *command, check=check)

    def remove_cgroups(self):
        """Removes the cgroup parent, deepest first; returns what could not be removed."""
        left = []
        for hierarchy in pathlib.Path("/sys/fs/cgroup").iterdir():
            parent = hierarchy / self.cgroup_parent.lstrip("/")
            if not parent.is_dir():
                continue
            for group in sorted(parent.rglob("*"), key=lambda p: -len(p.parts)) + [parent]:
                if not group.is_dir():
                    continue
                # conmon may take a moment to exit after the container did.
                for _ in range(50):
                    try:
                        group.rmdir()
                        break
                    except OSError as e:
                        error = e
                        time.sleep(0.05)
                else:
                    left.append(f"{group}: {error}")
        return left


class PodmanHookTest(unittest.TestCase):
    def setUp(self):
        require_root(self)
        if not podman_available():
            self.fail("podman, runc and busybox-static are test dependencies (scripts/deps.sh)")
        # Before anything that could fail: whatever happens next is cleaned up and checked.
        self.host_before = support.host_table()
        before = dev_null_state()
        if before != DEV_NULL:
            restore_dev_null()
            self.fail(f"/dev/null was {describe(before)} before this test, not "
                      f"{describe(DEV_NULL)}; restored it")
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="rootfsctl-podman-"))
        self.addCleanup(self.remove_tmp)
        self.namespace = MountNamespace()
        self.addCleanup(self.namespace.close)
        self.ns_before = self.namespace.mountinfo()
        self.podman = Podman(self.tmp, self.namespace)
        self.addCleanup(self.clean_up)
        self.host_dir = self.tmp / "host-data"
        self.host_dir.mkdir()
        (self.host_dir / "hello").write_text("hello from the host\n")
        self.layout = self.tmp / "extra.yaml"
        self.layout.write_text(LAYOUT.format(source=self.host_dir))
        self.podman.import_image(self.rootfs_tarball())

    def rootfs_tarball(self):
        """A busybox-static rootfs as oci_test.py's Bundle has it, as a tarball."""
        rootfs = self.tmp / "rootfs"
        (rootfs / "bin").mkdir(parents=True)
        shutil.copy(BUSYBOX, rootfs / "bin" / "busybox")
        for applet in APPLETS:
            (rootfs / "bin" / applet).symlink_to("busybox")
        for d in ("proc", "sys", "dev", "tmp", "etc", "mnt/x", "mnt/host"):
            (rootfs / d).mkdir(parents=True, exist_ok=True)
        tarball = self.tmp / "rootfs.tar"
        subprocess.run(["tar", "-C", rootfs, "-cf", tarball, "."], check=True)
        return tarball

    def remove_tmp(self):
        # Not through a mount left on the host: rmtree would empty what is mounted there.
        if f" {self.tmp}/" not in pathlib.Path("/proc/self/mountinfo").read_text():
            shutil.rmtree(self.tmp, ignore_errors=True)

    def clean_up(self):
        """Removes podman's containers, image, cgroups and storage mounts, then checks: the
        mount tables of podman's namespace and of the host as before, and /dev/null as it
        must be. Every step runs; all problems are reported together."""
        problems = []
        for args in (("rm", "--all", "--force", "--time", "0"), ("rmi", "--all", "--force")):
            proc = self.podman(*args, check=False)
            if proc.returncode != 0:
                problems.append(f"podman {' '.join(args)}: exit {proc.returncode}: "
                                f"{proc.stderr.decode(errors='replace')[:500]}")
        problems += [f"cgroup left: {left}" for left in self.podman.remove_cgroups()]
        before = set(self.ns_before.splitlines())
        storage_home = str(self.podman.root / "overlay")
        for line in reversed(self.namespace.mountinfo().splitlines()):
            if line in before:
                continue
            fields = line.split()
            # The overlay driver binds its directory onto itself (private) and unmounts
            # it when podman shuts down cleanly; a podman run failed by a hook leaves it.
            if not (fields[3] == storage_home and fields[4] == storage_home):
                problems.append(f"left mounted in podman's namespace: {line}")
            subprocess.run([*self.namespace.enter, "umount", "--lazy", fields[4]], check=False)
        problems += table_change("podman's namespace", self.ns_before,
                                 self.namespace.mountinfo())
        self.namespace.close()
        problems += table_change("the host", self.host_before, support.host_table())
        state = dev_null_state()
        if state != DEV_NULL:
            restore_dev_null()
            problems.append(f"/dev/null became {describe(state)} during this test (podman, "
                            f"conmon or runc?); restored it to {describe(DEV_NULL)}, which "
                            f"non-root writers need")
        if problems:
            raise AssertionError("\n".join(problems))

    def assert_mounts_in(self, mountinfo_text):
        mounts = mount_points(mountinfo_text)
        self.assertIn("/mnt/x", mounts, mountinfo_text)
        self.assertIn(" - tmpfs ", mounts["/mnt/x"])
        self.assertIn("nosuid", mounts["/mnt/x"].split()[5])
        self.assertIn("/mnt/host", mounts, mountinfo_text)
        self.assertTrue(mounts["/mnt/host"].split()[5].startswith("ro"), mounts["/mnt/host"])

    def test_create_runtime_hook_adds_the_mounts(self):
        self.podman.set_hook(["oci", "hook", self.layout])
        proc = self.podman.run("sh", "-c", "cat /proc/self/mountinfo; echo ---; "
                               "cat /mnt/host/hello; echo hi > /mnt/x/f && cat /mnt/x/f")
        mountinfo, _, rest = proc.stdout.decode().partition("---\n")
        self.assert_mounts_in(mountinfo)
        # podman's own mounts are still there: the layout added to them.
        self.assertIn("/etc/hosts", mount_points(mountinfo))
        self.assertEqual(rest, "hello from the host\nhi\n")
        self.assertEqual(os.listdir(self.host_dir), ["hello"])

    def test_rooted_layout_is_refused_by_the_hook(self):
        # At createRuntime podman (runc) makes the root; a layout with one is refused before
        # anything is done (docs/oci.md), and the container does not start.
        self.podman.set_hook(["oci", "hook", "sandbox"])
        proc = self.podman.run("echo", "container ran", check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertNotIn(b"container ran", proc.stdout)
        self.assertIn(b"has a root:, but in a hook the runtime makes the container's root "
                      b"itself", proc.stderr)

    def test_running_container_takes_a_hot_add_and_refuses_a_root(self):
        # Without a hook: `apply --pid` of podman's container process. It has pivoted, so a
        # rooted layout is target-assembled (exit 1, nothing done) and a hot-add applies.
        cid = self.podman.run("sleep", "1000", detach=True).stdout.decode().strip()
        pid = int(self.podman("inspect", "--format", "{{.State.Pid}}", cid).stdout)
        table = lambda: sorted(l.split(" ", 2)[2] for l in pathlib.Path(
            f"/proc/{pid}/mountinfo").read_text().splitlines())
        before = table()
        proc = rootfsctl("apply", "sandbox", "--pid", pid, check_exit=1)
        self.assertIn(b"target-assembled", proc.stdout + proc.stderr)
        self.assertEqual(table(), before)
        proc = rootfsctl("apply", self.layout, "--pid", pid, check_exit=0)
        self.assertIn(b"verified", proc.stdout)
        self.assert_mounts_in(self.podman("exec", cid, "cat", "/proc/self/mountinfo")
                              .stdout.decode())
        self.assertEqual(self.podman("exec", cid, "cat", "/mnt/host/hello").stdout,
                         b"hello from the host\n")

    def test_failing_hook_stops_the_container(self):
        # EIO (the default of --fail-at): podman prints all of the hook's stderr. (For an
        # error text with "permission denied" in it podman keeps only that line.)
        self.podman.set_hook(["oci", "hook", self.layout, "--fail-at", "2"])
        proc = self.podman.run("echo", "container ran", check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertNotIn(b"container ran", proc.stdout)
        self.assertIn(b"error running hook", proc.stderr)
        self.assertIn(b"injected failure (--fail-at): EIO", proc.stderr)
        self.assertIn(b"rollback: clean", proc.stderr)

    def test_missing_source_stops_the_container(self):
        self.layout.write_text(LAYOUT.format(source=self.tmp / "not-there"))
        self.podman.set_hook(["oci", "hook", self.layout])
        proc = self.podman.run("echo", "container ran", check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertNotIn(b"container ran", proc.stdout)
        self.assertIn(b"error[source-missing]", proc.stderr)
        self.assertIn(f"source {self.tmp}/not-there does not exist".encode(), proc.stderr)
        self.assertFalse((self.tmp / "not-there").exists())


if __name__ == "__main__":
    support.configure(sys.argv.pop(1), sys.argv.pop(1))
    unittest.main(verbosity=2)
