#!/usr/bin/env python3
"""The handles suite (issue 15): every write, chmod and unmount rootfsctl does must go
through a handle the target cannot swap or fake.

- Racers (a C helper exchanging two names with renameat2(RENAME_EXCHANGE)) swap the file
  a `file:` entry writes, or the path a `dir:` entry chmods, for a block device node of a
  loop device backed outside the root, a FIFO, a symlink out or a hard link to an outside
  file. Only clean outcomes are allowed, and nothing outside the root may change.
- Rollbacks in targets whose /proc is their own (an assembled child, a running runc
  container) must not go through that /proc, and a target with a fake
  /proc/thread-self must not lure the rollback into unmounting something else.
- Kernel settings spelled as `file:` entries (under a proc mount, through a symlink, a
  magic link or a bind of /proc/sys or /sys) are refused; the setting never changes.
- A large file overwritten by a `file:` entry is restored whole by a rollback.

Every privileged experiment runs in parked children (private mount namespaces) or
containers; the host's mount table is compared before and after each test. Each apply is
bounded in time: a hang is a failure, and the hung rootfsctl is killed.

Usage: handles_test.py ROOTFSCTL_BINARY SOURCE_DIR RACER_BINARY [unittest args]
"""
import collections
import hashlib
import json
import os
import pathlib
import resource
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

import support
from support import ParkedChild, require_root

RACER = ""
# A normal apply here takes tens of milliseconds; anything near this is a hang.
APPLY_TIMEOUT = 10
# Applies per race scenario (8 write scenarios, 4 chmod ones); override to soak.
RACE_APPLIES = int(os.environ.get("ROOTFSCTL_HANDLES_RACE_APPLIES", "50"))
# BoundedDescriptorsTest's applies run under this machine's descriptor limit (20,000, which
# root cannot raise) with 10,000 entries. ROOTFSCTL_HANDLES_DESCRIPTOR_LIMIT=N (the sanitizer
# build, handles.cmake) lowers the limit to N for those applies and makes N/2 entries: the
# same proportions (more ops than descriptors; a journal budget of a quarter of the limit,
# far fewer than the mounts to undo), so the same paths run, holding and finding again by
# path and mount id, at a tenth of the mounts. The normal phase keeps 10,000.
DESCRIPTOR_LIMIT = int(os.environ.get("ROOTFSCTL_HANDLES_DESCRIPTOR_LIMIT", "0"))
CONTENT = b"layout-content\n"
ORIGINAL = b"original-content\n"
OUTSIDE = b"outside: must never change\n"
# Exit codes of a refusal or a failure that left the target as it was: 1 validation
# refused, 3 failed and rolled back cleanly, 5 nothing attempted.
CLEAN_FAILURES = (1, 3, 5)


def masked_mountinfo(text):
    """mountinfo lines with the mount and parent ids masked; the rest (root, mount point,
    options, propagation and peer groups, fs type, source, super options) kept."""
    return [" ".join(["-", "-", *line.split(" ")[2:]]) for line in text.splitlines()]


def target_table(pid):
    return masked_mountinfo(pathlib.Path(f"/proc/{pid}/mountinfo").read_text(errors="replace"))


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


class Run:
    """The outcome of a bounded command: returncode None means it hung and was killed."""

    def __init__(self, returncode, stdout, stderr, seconds):
        self.returncode, self.stdout, self.stderr, self.seconds = (returncode, stdout,
                                                                   stderr, seconds)

    def text(self):
        return (f"exit {self.returncode} after {self.seconds:.1f}s\n"
                f"stdout: {self.stdout.decode(errors='replace')[:1500]}\n"
                f"stderr: {self.stderr.decode(errors='replace')[:1500]}")


def run_bounded(argv, timeout=APPLY_TIMEOUT, env=None, descriptor_limit=None):
    """Runs argv in a session of its own; past `timeout` the session (rootfsctl, its
    worker threads and helpers) is killed and the run reported as hung. With
    `descriptor_limit`, argv runs with RLIMIT_NOFILE lowered to it (soft and hard)."""
    start = time.monotonic()
    limit = None
    if descriptor_limit:
        limit = lambda: resource.setrlimit(  # noqa: E731
            resource.RLIMIT_NOFILE, (descriptor_limit, descriptor_limit))
    proc = subprocess.Popen([*map(str, argv)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            start_new_session=True, env=env, preexec_fn=limit)
    try:
        out, err = proc.communicate(timeout=timeout)
        return Run(proc.returncode, out, err, time.monotonic() - start)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        try:
            out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = b"", b"(pipes still held after the kill)"
        proc.wait()
        return Run(None, out, err, time.monotonic() - start)


def apply_env(pause):
    return dict(os.environ, ROOTFSCTL_TEST_PAUSE_AFTER=pause) if pause else None


def write_layout(directory, name, text):
    path = pathlib.Path(directory, name)
    path.write_text("version: 1\nname: handles\n" + text)
    path.chmod(0o644)
    return path


class Racer:
    """The C racer exchanging `name` and `alternative` until stopped."""

    def __init__(self, name, alternative):
        self.proc = subprocess.Popen([RACER, name, alternative, str(APPLY_TIMEOUT * 2)],
                                     stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        line = self.proc.stdout.readline()
        if line != b"racing\n":
            self.proc.kill()
            raise AssertionError(f"racer did not start: {line!r}")

    def stop(self):
        """Stops the racer; returns how many exchanges it made."""
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=10)
        return int(out.strip() or 0)


class HandlesCase(unittest.TestCase):
    """A scratch directory (outside every root) and the host's mount table, compared
    after the test."""

    def setUp(self):
        require_root(self)
        self.host_before = support.host_table()
        self.tmp = tempfile.mkdtemp(prefix="rootfsctl-handles-")
        os.chmod(self.tmp, 0o755)
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def tearDown(self):
        if hasattr(self, "host_before"):
            self.assertEqual(support.host_table(),
                             self.host_before, "the host's mount table changed")

    def outside_file(self, name="outside", mode=0o640):
        """A regular file outside the root, which nothing may write or chmod."""
        path = os.path.join(self.tmp, "outside-dir", name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        pathlib.Path(path).write_bytes(OUTSIDE)
        os.chmod(path, mode)
        return path

    def loop_device(self):
        """A loop device over a 2 MiB random file outside the root; detached at cleanup.
        Returns (device path, backing file)."""
        backing = os.path.join(self.tmp, "outside-dir", "loop-backing")
        os.makedirs(os.path.dirname(backing), exist_ok=True)
        pathlib.Path(backing).write_bytes(os.urandom(2 << 20))
        device = subprocess.run(["losetup", "-f", "--show", backing], capture_output=True,
                                check=True, timeout=30).stdout.decode().strip()
        self.addCleanup(self.detach, device)
        return device, backing

    def detach(self, device):
        """Flushes what was written through the device, then detaches it (idempotent)."""
        if getattr(self, "detached", set()) >= {device}:
            return
        try:
            fd = os.open(device, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        finally:
            subprocess.run(["losetup", "-d", device], check=True, timeout=30)
            self.detached = getattr(self, "detached", set()) | {device}


# --- 1 and 2: racers ---------------------------------------------------------------------


class RaceTest(HandlesCase):
    """An image (`root: {bind: IMG}`) whose owner swaps the name rootfsctl is working on,
    between the op that makes or checks it and the op that writes or chmods it, for
    something outside the root. ROOTFSCTL_TEST_PAUSE_AFTER holds that window open for
    20 ms, and the racer exchanges the two names thousands of times within it.

    Allowed outcomes: exit 0 with the content in a regular file inside the root (under
    one of the two names, which the racer keeps exchanging), or exit 1, 3 or 5 with the
    target's mount table unchanged. Never exit 4, never a hang; nothing outside changes."""

    summary = {}

    @classmethod
    def tearDownClass(cls):
        for name, line in sorted(cls.summary.items()):
            print(f"\n  race {name}: {line}", file=sys.stderr, end="")
        if cls.summary:
            print(file=sys.stderr)

    def image(self):
        image = os.path.join(self.tmp, "image")
        for d in ("etc", "proc", "dev", "tmp"):
            os.makedirs(os.path.join(image, d), exist_ok=True)
        return image

    def make_alternative(self, kind, path, outside, device):
        if kind == "blockdev":
            rdev = os.stat(device).st_rdev
            os.mknod(path, 0o600 | stat.S_IFBLK, rdev)
        elif kind == "fifo":
            os.mkfifo(path, 0o644)
        elif kind == "symlink":
            os.symlink(outside, path)
        elif kind == "hardlink":
            os.link(outside, path)
        else:
            raise ValueError(kind)

    def reset(self, names, make):
        for name in names:
            if os.path.isdir(name) and not os.path.islink(name):
                shutil.rmtree(name)
            elif os.path.lexists(name):
                os.unlink(name)
        make()

    def race(self, kind, *, entry, existing, pause, applies=RACE_APPLIES):
        """Runs `applies` applies of a layout making `entry` (/etc/victim) in the image,
        each into a fresh parked child, with the racer exchanging /etc/victim and
        /etc/alt, `alt` being a `kind` pointing outside. `existing`: what /etc/victim is
        before each apply (None: absent). Returns the outcome counter."""
        image = self.image()
        victim = os.path.join(image, "etc", "victim")
        alt = os.path.join(image, "etc", "alt")
        outside = self.outside_file()
        outside_ino = os.stat(outside).st_ino
        device = backing = None
        if kind == "blockdev":
            device, backing = self.loop_device()
            backing_hash = sha256(backing)
            # The device's head as last seen: each apply that changes it is counted.
            device_head = pathlib.Path(device).read_bytes()[:1 << 20]
        layout = write_layout(self.tmp, "race.yaml", f"root:\n  bind: {image}\n"
                              f"mounts:\n{entry}")

        def prepare():
            self.make_alternative(kind, alt, outside, device)
            if existing == "file":
                pathlib.Path(victim).write_bytes(ORIGINAL)
                os.chmod(victim, 0o644)
            elif existing == "dir":
                os.mkdir(victim, 0o755)

        outcomes = collections.Counter()
        problems = []
        swaps = 0
        for i in range(applies):
            self.reset([victim, alt], prepare)
            with ParkedChild() as child:
                before = target_table(child.pid)
                racer = Racer(victim, alt)
                try:
                    run = run_bounded([support.BINARY, "apply", layout, "--pid", child.pid,
                                       "--format", "json"], env=apply_env(pause))
                finally:
                    swaps += racer.stop()
                verdict = self.judge(run, child, before, entry, [victim, alt],
                                     outside_ino)
            outside_changed = (pathlib.Path(outside).read_bytes() != OUTSIDE
                               or stat.S_IMODE(os.stat(outside).st_mode) != 0o640)
            if outside_changed:
                verdict = "the outside file changed" + (f" ({verdict})" if verdict else "")
                pathlib.Path(outside).write_bytes(OUTSIDE)
                os.chmod(outside, 0o640)
            if device and pathlib.Path(device).read_bytes()[:1 << 20] != device_head:
                verdict = ("the loop device (backed outside the root) was written"
                           + (f" ({verdict})" if verdict else ""))
                device_head = pathlib.Path(device).read_bytes()[:1 << 20]
            key = ("exit " + str(run.returncode)) if run.returncode is not None else "hang"
            outcomes[key if not verdict else f"{key}, BAD"] += 1
            if verdict:
                problems.append(f"apply {i + 1}: {verdict}\n{run.text()}")
            if run.returncode is None:
                break  # one hang is proof enough, and each costs APPLY_TIMEOUT
        if device:
            self.detach(device)
            if sha256(backing) != backing_hash:
                problems.append("the loop device's backing file (outside the root) changed")
        name = self.id().rsplit(".", 1)[1].removeprefix("test_")
        self.summary[name] = (", ".join(f"{k}: {n}" for k, n in sorted(outcomes.items()))
                              + f" ({swaps} exchanges)")
        self.assertEqual(problems, [], f"{len(problems)} bad outcomes in "
                         f"{sum(outcomes.values())} applies ({dict(outcomes)}); first:\n"
                         + "\n".join(problems[:3]))
        return outcomes

    def judge(self, run, child, before, entry, names, outside_ino):
        """What is wrong with one apply's outcome ("" when it is allowed)."""
        if run.returncode is None:
            return f"hung for {APPLY_TIMEOUT}s and was killed"
        if run.returncode in CLEAN_FAILURES:
            if target_table(child.pid) != before:
                return f"exit {run.returncode} but the target's mount table changed"
            return ""
        if run.returncode != 0:
            return f"exit {run.returncode}"
        if "mask:" in entry:
            # The mask is a mount in the new root, on whichever of the two names the lookup
            # found as a regular file; never on anything the symlink leads to.
            targets = [line.split()[4] for line in
                       pathlib.Path(f"/proc/{child.pid}/mountinfo").read_text().splitlines()]
            if not {"/etc/victim", "/etc/alt"} & set(targets):
                return "exit 0 but no mask is mounted in the root"
            if any(t.endswith("/outside-dir/outside") for t in targets):
                return "exit 0 and a mount on the outside file"
            return ""
        if "file:" in entry:
            for name in names:
                st = os.lstat(name)
                if (stat.S_ISREG(st.st_mode) and st.st_ino != outside_ino
                        and pathlib.Path(name).read_bytes() == CONTENT):
                    return ""
            return "exit 0 but no regular file in the root holds the content"
        for name in names:
            st = os.lstat(name)
            if stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o700:
                return ""
        return "exit 0 but no directory in the root has mode 0700"

    FILE_ENTRY = '  - file: /etc/victim\n    content: "layout-content\\n"\n'

    def race_write(self, kind, existing):
        self.race(kind, entry=self.FILE_ENTRY, existing="file" if existing else None,
                  pause="mkfile:20")

    # (a) a block device node of a loop device whose backing file is outside the root
    def test_write_swapped_for_block_device_new_file(self):
        """The file rootfsctl just created is exchanged for a block device node: writing
        it would write the loop device's backing file, outside the root."""
        self.race_write("blockdev", existing=False)

    def test_write_swapped_for_block_device_existing_file(self):
        """An existing image file exchanged for a block device node before its write
        (and its rollback, which writes the old content back by name)."""
        self.race_write("blockdev", existing=True)

    # (b) a FIFO
    def test_write_swapped_for_fifo_new_file(self):
        """The new file exchanged for a FIFO: opening it by name would block forever."""
        self.race_write("fifo", existing=False)

    def test_write_swapped_for_fifo_existing_file(self):
        """An existing file exchanged for a FIFO: opening it to save the old content
        would block forever."""
        self.race_write("fifo", existing=True)

    # (c) a symlink out
    def test_write_swapped_for_symlink_out_new_file(self):
        """The new file exchanged for a symlink to a file outside the root."""
        self.race_write("symlink", existing=False)

    def test_write_swapped_for_symlink_out_existing_file(self):
        """An existing file exchanged for a symlink to a file outside the root."""
        self.race_write("symlink", existing=True)

    # (d) a hard link to an outside file
    def test_write_swapped_for_hard_link_new_file(self):
        """The new file exchanged for a hard link to a file outside the root: writing
        through the name writes the outside file's inode."""
        self.race_write("hardlink", existing=False)

    def test_write_swapped_for_hard_link_existing_file(self):
        """An existing file exchanged for a hard link to a file outside the root."""
        self.race_write("hardlink", existing=True)

    # 2: chmod
    DIR_ENTRY = '  - dir: /etc/victim\n    mode: "0700"\n'
    FILE_MODE_ENTRY = ('  - file: /etc/victim\n    content: "layout-content\\n"\n'
                       '    mode: "0600"\n')

    def test_chmod_dir_swapped_for_symlink_out(self):
        """A `dir:` with a mode on an existing directory, exchanged for a symlink to an
        outside file between the mkdir check and the chmod: the chmod must not follow."""
        self.race("symlink", entry=self.DIR_ENTRY, existing="dir", pause="mkdir:20",
                  applies=max(RACE_APPLIES // 2, 1))

    def test_chmod_dir_swapped_for_hard_link(self):
        """The same with a hard link to an outside file: its mode is the outside
        file's."""
        self.race("hardlink", entry=self.DIR_ENTRY, existing="dir", pause="mkdir:20",
                  applies=max(RACE_APPLIES // 2, 1))

    def test_file_mode_swapped_for_symlink_out(self):
        """A `file:` with a mode on an existing file exchanged for a symlink out."""
        self.race("symlink", entry=self.FILE_MODE_ENTRY, existing="file",
                  pause="mkfile:20", applies=max(RACE_APPLIES // 2, 1))

    def test_file_mode_swapped_for_hard_link(self):
        """A `file:` with a mode on an existing file exchanged for a hard link out."""
        self.race("hardlink", entry=self.FILE_MODE_ENTRY, existing="file",
                  pause="mkfile:20", applies=max(RACE_APPLIES // 2, 1))


    # 5: mask (issue 20): the path is looked up once, without following links, and the
    # mask goes onto that handle.
    def test_mask_swapped_for_symlink_out(self):
        """A `mask:` of an image file exchanged for a symlink to a file outside the root
        while the apply runs: the mask lands on a name in the root or the apply rolls
        back; the outside file gets no mount and no write."""
        self.race("symlink", entry="  - mask: /etc/victim\n", existing="file", pause=None,
                  applies=max(RACE_APPLIES // 2, 1))


# --- 3 and 4: rollback in targets with their own or a fake /proc ------------------------

# A hot-add layout (no root): a tmpfs, and beneath it a bind of a directory, a dir and a
# file, so that only the tmpfs's mount point touches the target's own tree (runc mounts a
# container's root read-only: there {base} is a directory the bundle already has).
HOT_ADD = """\
mounts:
  - tmpfs: {base}
    size: 1M
  - bind: {base}/b
    from: {source}
  - dir: {base}/d
  - file: {base}/f
    content: "hot\\n"
"""


def plan_ops(layout, pid=None):
    args = ["plan", layout, "--format", "json"] + (["--pid", str(pid)] if pid else [])
    proc = support.rootfsctl(*args, timeout=30)
    if proc.returncode != 0:
        raise AssertionError(f"plan {layout}: exit {proc.returncode}\n"
                             f"{proc.stderr.decode(errors='replace')}")
    return len(json.loads(proc.stdout)["ops"])


class RollbackTest(HandlesCase):
    """`--fail-at K` at every op K of a hot-add layout, in targets whose /proc is not
    rootfsctl's: each must exit 3 with the target's mount table exactly as before."""

    def sweep(self, make_target, layout):
        """For each K: a fresh target from make_target() (a context manager yielding a
        pid), apply with --fail-at K; returns the list of what went wrong."""
        problems = []
        with make_target() as pid:
            ops = plan_ops(layout, pid)
        for k in range(1, ops + 1):
            with make_target() as pid:
                before = target_table(pid)
                run = run_bounded([support.BINARY, "apply", layout, "--pid", pid,
                                   "--fail-at", k, "--format", "json"])
                after = target_table(pid)
            if run.returncode != 3:
                problems.append(f"--fail-at {k}/{ops}: {run.text()}")
            elif after != before:
                problems.append(f"--fail-at {k}/{ops}: exit 3 but the table changed:\n"
                                + "\n".join(sorted(set(after) ^ set(before))))
        return ops, problems

    class AssembledChild:
        """A parked child after `apply sandbox`: its /proc shows its own pid namespace,
        where rootfsctl's worker has no /proc/thread-self."""

        def __enter__(self):
            self.child = ParkedChild(namespaces=("ipc",)).__enter__()
            try:
                support.rootfsctl("apply", "sandbox", "--pid", self.child.pid,
                                  check_exit=0, timeout=30)
            except BaseException:
                self.child.__exit__(None, None, None)
                raise
            return self.child.pid

        def __exit__(self, *exc):
            self.child.__exit__(*exc)

    def test_rollback_in_an_assembled_child(self):
        """Fault at every op of a hot-add layout into an assembled child."""
        layout = write_layout(self.tmp, "hot.yaml",
                              HOT_ADD.format(base="/tmp/hot", source="/usr/share"))
        ops, problems = self.sweep(self.AssembledChild, layout)
        self.assertEqual(problems, [], f"{len(problems)} of {ops} faults not rolled back "
                         "cleanly; first:\n" + "\n".join(problems[:2]))

    def test_rollback_in_a_running_runc_container(self):
        """Fault at every op of a hot-add layout into a running runc container (pivoted,
        its own /proc; bind sources are paths inside it)."""
        from oci_test import Bundle, runc_available
        if not runc_available():
            self.fail("runc and busybox-static are test dependencies (scripts/deps.sh)")
        bundle = Bundle(self.tmp)
        counter = iter(range(1000))

        class Container:
            def __enter__(self):
                self.cid = f"rootfsctl-handles-{os.getpid()}-{next(counter)}"
                pid_file = pathlib.Path(bundle.dir, f"{self.cid}.pid")
                try:
                    bundle.runc("run", "-d", "--pid-file", pid_file, "--bundle",
                                bundle.dir, self.cid)
                    return int(pid_file.read_text())
                except BaseException:
                    self.__exit__()
                    raise

            def __exit__(self, *exc):
                bundle.runc("kill", self.cid, "9", check=False)
                bundle.runc("delete", "-f", self.cid, check=False)

        layout = write_layout(self.tmp, "hot.yaml",
                              HOT_ADD.format(base="/mnt/x", source="/bin"))
        ops, problems = self.sweep(Container, layout)
        self.assertEqual(problems, [], f"{len(problems)} of {ops} faults not rolled back "
                         "cleanly; first:\n" + "\n".join(problems[:2]))

    def test_fake_thread_self_does_not_redirect_the_rollback(self):
        """The target mounts a tmpfs over its own /proc holding thread-self/fd/0..255,
        each a symlink to a "victim" tmpfs it mounted: a rollback that unmounts through
        /proc/thread-self/fd/N resolved in the target would unmount the victim."""
        victim = os.path.join(self.tmp, "victim")
        base = os.path.join(self.tmp, "hot")
        source = os.path.join(self.tmp, "source")
        for d in (victim, base, source):
            os.mkdir(d)
        script = (f"mount -t tmpfs victim {victim} && echo v > {victim}/mark && "
                  "mount -t tmpfs fakeproc /proc && mkdir -p /proc/thread-self/fd && "
                  "n=0; while [ $n -lt 256 ]; do "
                  f"ln -s {victim} /proc/thread-self/fd/$n; n=$((n+1)); done")
        layout = write_layout(self.tmp, "hot.yaml", HOT_ADD.format(base=base, source=source))
        ops = plan_ops(layout)
        problems = []
        for k in range(1, ops + 1):
            with ParkedChild(script) as child:
                before = target_table(child.pid)
                self.assertTrue(any(f" {victim} " in line for line in before))
                run = run_bounded([support.BINARY, "apply", layout, "--pid", child.pid,
                                   "--fail-at", k, "--format", "json"])
                after = target_table(child.pid)
            victim_mounted = any(f" {victim} " in line for line in after)
            outcome = json.loads(run.stdout) if run.stdout.strip() else {}
            rollback = outcome.get("rollback", {})
            where = f"--fail-at {k}/{ops}"
            if not victim_mounted:
                clean = rollback.get("clean") or b"rollback: clean" in run.stderr
                problems.append(f"{where}: the victim tmpfs was unmounted"
                                + (" and the rollback reported clean" if clean else "")
                                + f"\n{run.text()}")
            elif run.returncode == 3:
                if after != before:
                    problems.append(f"{where}: exit 3 but the table changed\n{run.text()}")
            elif run.returncode == 4:
                if rollback.get("clean") is not False or not rollback.get("left"):
                    problems.append(f"{where}: exit 4 without the leftover listed\n"
                                    f"{run.text()}")
            else:
                problems.append(f"{where}: {run.text()}")
        self.assertEqual(problems, [], f"{len(problems)} of {ops} faults went wrong; "
                         "first:\n" + "\n".join(problems[:2]))


# --- 5: kernel settings through `file:` --------------------------------------------------

KERNEL_SETTING_CODE = "kernel-setting-file"
DOMAINNAME = "/proc/sys/kernel/domainname"


class KernelSettingTest(HandlesCase):
    """A `file:` entry whose path is a kernel setting (/proc/sys, sysfs) however it is
    spelled: refused by plan (exit 1, error kernel-setting-file) and by apply (exit 1 or
    3), and the setting unchanged. Only the uts namespace's domainname is ever aimed at,
    and every apply runs under `unshare --uts` in a target with its own uts namespace, so
    a regression changes a throwaway namespace's domainname, never the host's."""

    def setUp(self):
        super().setUp()
        self.host_domainname = pathlib.Path(DOMAINNAME).read_text()

    def tearDown(self):
        if hasattr(self, "host_domainname"):
            self.assertEqual(pathlib.Path(DOMAINNAME).read_text(), self.host_domainname,
                             "the host's domainname changed")
        super().tearDown()

    def child(self):
        return ParkedChild("echo child-domain > /proc/sys/kernel/domainname",
                           namespaces=("uts",))

    def child_domainname(self, pid):
        return subprocess.run(["nsenter", "-t", str(pid), "-u", "cat", DOMAINNAME],
                              capture_output=True, check=True, timeout=10).stdout.decode()

    def assert_plan_refuses(self, layout, pid=None):
        args = ["plan", layout, "--format", "json"] + (["--pid", pid] if pid else [])
        proc = support.rootfsctl(*args, timeout=30)
        codes = []
        if proc.stdout.strip():
            codes = [d["code"] for d in json.loads(proc.stdout).get("diagnostics", [])
                     if d.get("severity") == "error"]
        self.assertEqual((proc.returncode, KERNEL_SETTING_CODE in codes), (1, True),
                         f"plan: exit {proc.returncode}, error codes {codes}\n"
                         f"{proc.stderr.decode(errors='replace')[:1000]}")

    def assert_apply_refuses(self, layout, child):
        """apply under `unshare --uts`, the throwaway namespace's domainname set first
        and read after; the target's own domainname read too."""
        script = (f"echo throwaway > {DOMAINNAME} && cat {DOMAINNAME} && "
                  f"{shlex.quote(support.BINARY)} apply {shlex.quote(str(layout))} "
                  f"--pid {child.pid} >&2; echo \"exit $?\"; cat {DOMAINNAME}")
        run = run_bounded(["unshare", "--uts", "sh", "-c", script], timeout=APPLY_TIMEOUT)
        self.assertIsNotNone(run.returncode, "the apply hung")
        lines = run.stdout.decode().splitlines()
        self.assertEqual(len(lines), 3, run.text())
        before, result, after = lines
        self.assertEqual((before, after), ("throwaway", "throwaway"),
                         "the domainname of rootfsctl's (throwaway) uts namespace changed"
                         f" ({result})")
        self.assertEqual(self.child_domainname(child.pid), "child-domain\n",
                         f"the target's domainname changed ({result})")
        self.assertIn(result, ("exit 1", "exit 3"), run.text())

    def check(self, text, *, rooted, pid_for_plan=True):
        """plan and apply `text` (the layout's body) into a fresh child."""
        layout = write_layout(self.tmp, f"ks-{len(os.listdir(self.tmp))}.yaml", text)
        with self.child() as child:
            # Both are checked and reported, whichever fails first.
            with self.subTest(command="plan"):
                self.assert_plan_refuses(layout, child.pid if pid_for_plan and not rooted
                                         else None)
            with self.subTest(command="apply"):
                self.assert_apply_refuses(layout, child)

    ROOT = "root:\n  tmpfs: { size: 1M }\n"

    def test_under_a_proc_mount_the_layout_makes(self):
        """`proc: /proc` then `file: /proc/sys/kernel/domainname` in a new root."""
        self.check(self.ROOT + "mounts:\n  - proc: /proc\n"
                   f"  - file: {DOMAINNAME}\n    content: \"hijacked\\n\"\n", rooted=True)

    def test_through_a_layout_symlink_to_proc_sys(self):
        """`symlink: /ks to: /proc/sys`, then `file: /ks/kernel/domainname`."""
        self.check(self.ROOT + "mounts:\n  - proc: /proc\n"
                   "  - symlink: /ks\n    to: /proc/sys\n"
                   "  - file: /ks/kernel/domainname\n    content: \"hijacked\\n\"\n",
                   rooted=True)

    def test_through_a_symlink_in_the_targets_tree(self):
        """A symlink to /proc/sys the target already has, written through by a hot-add
        layout."""
        link = os.path.join(self.tmp, "ks")
        os.symlink("/proc/sys", link)
        self.check(f"mounts:\n  - file: {link}/kernel/domainname\n"
                   "    content: \"hijacked\\n\"\n", rooted=False)

    def test_through_proc_self_root(self):
        """`file: /proc/self/root/proc/sys/kernel/domainname` (a magic link)."""
        self.check(f"mounts:\n  - file: /proc/self/root{DOMAINNAME}\n"
                   "    content: \"hijacked\\n\"\n", rooted=False)

    def test_through_proc_1_root(self):
        """`file: /proc/1/root/proc/sys/kernel/domainname` (another process's root)."""
        self.check(f"mounts:\n  - file: /proc/1/root{DOMAINNAME}\n"
                   "    content: \"hijacked\\n\"\n", rooted=False)

    def test_through_a_bind_of_proc_sys(self):
        """`bind: /mnt/k from: /proc/sys`, then `file: /mnt/k/kernel/domainname`."""
        self.check(self.ROOT + "mounts:\n  - bind: /mnt/k\n    from: /proc/sys\n"
                   "  - file: /mnt/k/kernel/domainname\n    content: \"hijacked\\n\"\n",
                   rooted=True)

    def test_through_a_bind_of_sys(self):
        """`bind: /mnt/s from: /sys`, then a `file:` on a sysfs file under it. The file
        is a read-only one (uevent_seqnum), so even a regression cannot change it."""
        self.check(self.ROOT + "mounts:\n  - bind: /mnt/s\n    from: /sys\n"
                   "  - file: /mnt/s/kernel/uevent_seqnum\n    content: \"0\\n\"\n",
                   rooted=True)

    def test_under_the_targets_existing_proc(self):
        """A hot-add `file: /proc/sys/kernel/domainname` with --pid of a parked child."""
        self.check(f"mounts:\n  - file: {DOMAINNAME}\n    content: \"hijacked\\n\"\n",
                   rooted=False)

    def test_dir_symlink_and_chmod_under_proc_sys_refused_by_plan(self):
        """`dir:`, `symlink:` and a `dir:` with a mode (a chmod) under /proc/sys: plan
        refuses each (never applied)."""
        bodies = {
            "dir": "mounts:\n  - dir: /proc/sys/kernel/rootfsctl-test\n",
            "symlink": "mounts:\n  - symlink: /proc/sys/kernel/rootfsctl-link\n    to: x\n",
            "chmod": "mounts:\n  - dir: /proc/sys/kernel\n    mode: \"0700\"\n",
        }
        with self.child() as child:
            for kind, body in bodies.items():
                with self.subTest(entry=kind):
                    layout = write_layout(self.tmp, f"ks-{kind}.yaml", body)
                    self.assert_plan_refuses(layout, child.pid)


# --- 6: a large file restored whole ------------------------------------------------------


class LargeFileRollbackTest(HandlesCase):
    def test_three_mib_file_restored_byte_for_byte(self):
        """A 3 MiB file in an image is overwritten by a `file:` entry and the apply fails
        at its last op: the rollback must put back every byte, not the first 1 MiB."""
        image = os.path.join(self.tmp, "image")
        for d in ("etc", "proc", "dev", "tmp"):
            os.makedirs(os.path.join(image, d))
        big = pathlib.Path(image, "etc", "big")
        big.write_bytes(os.urandom(3 << 20))
        digest = sha256(big)
        layout = write_layout(self.tmp, "big.yaml", f"root:\n  bind: {image}\nmounts:\n"
                              "  - file: /etc/big\n    content: \"small\\n\"\n")
        ops = plan_ops(layout)
        with ParkedChild() as child:
            before = target_table(child.pid)
            run = run_bounded([support.BINARY, "apply", layout, "--pid", child.pid,
                               "--fail-at", ops, "--format", "json"])
            self.assertEqual(run.returncode, 3, run.text())
            self.assertEqual(target_table(child.pid), before)
        self.assertEqual(big.stat().st_size, 3 << 20, "the file was not restored whole")
        self.assertEqual(sha256(big), digest, "the file's content was not restored")


class BoundedDescriptorsTest(HandlesCase):
    def test_ten_thousand_entries_apply_and_roll_back(self):
        """10,000 tmpfs entries (20,002 ops) under this machine's descriptor limit of
        20,000, which root cannot raise: a failure at the last op rolls all of them back
        (the journal holds at most its budget of descriptors and finds the rest again by
        path and mount id), and the apply itself succeeds. The mounts go into a tmpfs of
        the child's own, so nothing is created on the host. (DESCRIPTOR_LIMIT: the same
        at a smaller scale.)"""
        count = DESCRIPTOR_LIMIT // 2 if DESCRIPTOR_LIMIT else 10000
        base = os.path.join(self.tmp, "big")
        os.makedirs(base)
        entries = "".join(f"  - tmpfs: {base}/d{i:05d}\n" for i in range(count))
        layout = write_layout(self.tmp, "many.yaml", f"mounts:\n{entries}")
        ops = plan_ops(layout)
        self.assertGreaterEqual(ops, 2 * count)
        with ParkedChild(f"mount -t tmpfs big {base}") as child:
            before = target_table(child.pid)
            run = run_bounded([support.BINARY, "apply", layout, "--pid", child.pid,
                               "--fail-at", ops], timeout=300,
                              descriptor_limit=DESCRIPTOR_LIMIT)
            self.assertEqual(run.returncode, 3, run.text())
            self.assertIn(b"rollback: clean", run.stderr)
            self.assertEqual(target_table(child.pid), before)
            run = run_bounded([support.BINARY, "apply", layout, "--pid", child.pid],
                              timeout=300, descriptor_limit=DESCRIPTOR_LIMIT)
            self.assertEqual(run.returncode, 0, run.text())
            self.assertEqual(len(target_table(child.pid)), len(before) + count)


if __name__ == "__main__":
    support.configure(sys.argv.pop(1), sys.argv.pop(1))
    RACER = sys.argv.pop(1)
    unittest.main(verbosity=2)
