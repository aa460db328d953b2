#!/usr/bin/env python3
"""The hostile suite (issue 6): images, targets and callers that try to make rootfsctl
write, mount or pivot outside the new root, with the runtimes' CVEs in mind (runc
CVE-2021-30465 symlink-exchange races, CVE-2024-45310 and CVE-2025-31133 writes through
image symlinks and fake /dev/null, CVE-2025-52565 /dev/console, CVE-2025-52881 procfs
redirects).

Every case checks, whatever rootfsctl answers, that the host's mount table and a marker
directory outside the new root are unchanged (tearDown), and that rootfsctl either
refuses precisely (exit 1 with a named diagnostic, exit 2 for a malformed layout, exit 3
with a clean rollback and the target's table as before) or does the safe thing.

Scenarios that need mounts of their own (a shared "/", a locked source mount) are built in
an outer private mount namespace, never in the machine's. The cases where a target dies
or is replaced mid-apply are in hostile_exit_test.cc (library API, progress callback).

Usage: hostile_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]
"""
import collections
import json
import os
import pathlib
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import support
from support import ParkedChild, mounts_of, require_root, rootfsctl

NOBODY = 65534
SETPRIV = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
           "--inh-caps=-all"]
# The initial mount namespace's fixed nsfs inode on Linux 6.18+ (<linux/nsfs.h>).
MNT_NS_INIT_INO = 0xEFFFFFF8
# Directories an image must hold for manifests/image.yaml (it binds the image read-only).
IMAGE_DIRS = ["bin", "dev", "etc", "proc", "sys", "tmp"]
RACE_APPLIES = 200
RACE_LANES = 8


def host_mounts():
    """(mount point, fs type, source, per-mount options) of every mount the test process
    sees, in table order: the host's table, which nothing here may change."""
    out = []
    for line in support.host_table().splitlines():
        left, right = line.split(" - ", 1)
        fields, super_fields = left.split(), right.split()
        out.append((fields[4], super_fields[0], super_fields[1], fields[5]))
    return out


def snapshot(root):
    """Every path under `root` with its type, mode and content or link target."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            if os.path.islink(path):
                what = ("link", os.readlink(path))
            elif os.path.isfile(path):
                what = ("file", pathlib.Path(path).read_bytes())
            else:
                what = ("other", st.st_rdev)
            out[os.path.relpath(path, root)] = (st.st_mode, what)
    return out


def write_layout(directory, name, text):
    path = pathlib.Path(directory, name)
    path.write_text("version: 1\nname: hostile\n" + text)
    path.chmod(0o644)
    return path


def children(pid):
    return [int(p) for p in
            pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


class Parked:
    """A process started with `argv` that prints "ready" and waits on its stdin."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if line != b"ready\n":
            self.close()
            raise AssertionError(f"{argv[:3]} did not park: {line!r} "
                                 f"{self.proc.stderr.read()!r}")

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.communicate(b"\n", timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr, self.proc.stdin):
            if stream and not stream.closed:
                stream.close()


class HostileCase(unittest.TestCase):
    """Per case: a scratch directory holding a marker directory that mounts and writes
    are lured towards (`marker/`, with directories named like a root's), and the checks
    that neither it nor the host's mount table changed."""

    def setUp(self):
        require_root(self)
        self.host_before = host_mounts()
        self.tmp = tempfile.mkdtemp(prefix="rootfsctl-hostile-")
        os.chmod(self.tmp, 0o755)
        self.marker = os.path.join(self.tmp, "marker")
        for name in ["tmp", "dev", "proc", "etc", "work/mnt", "work/made"]:
            os.makedirs(os.path.join(self.marker, name))
        pathlib.Path(self.marker, "keep").write_text("marker\n")
        pathlib.Path(self.marker, "work/note").write_text("marker\n")
        self.marker_before = snapshot(self.marker)

    def tearDown(self):
        if not hasattr(self, "tmp"):
            return
        try:
            self.assertEqual(host_mounts(), self.host_before, "the host's mount table changed")
            self.assertEqual(snapshot(self.marker), self.marker_before,
                             "something was written outside the new root")
        finally:
            shutil.rmtree(self.tmp)

    def make_image(self, name="image"):
        image = os.path.join(self.tmp, name)
        for d in IMAGE_DIRS:
            os.makedirs(os.path.join(image, d))
        pathlib.Path(image, "etc/hostname").write_text("image\n")
        return image

    def replace(self, path, make):
        """Removes what is at `path` and lets `make(path)` put something else there."""
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.unlink(path)
        make(path)

    def apply_json(self, child, layout, *args, timeout=30):
        proc = rootfsctl("apply", layout, "--pid", child.pid, "--format", "json", *args,
                         timeout=timeout)
        return proc, (json.loads(proc.stdout) if proc.stdout.strip() else {})

    def assertRolledBack(self, proc, outcome, child, before, errno, message):
        """Exit 3 with `errno` and `message`, a clean rollback, the child's table as before."""
        self.assertEqual(proc.returncode, 3, proc.stderr.decode())
        self.assertEqual(outcome["error"]["errno"], errno, outcome)
        self.assertIn(message, outcome["error"]["message"])
        self.assertTrue(outcome["rollback"]["clean"], outcome)
        self.assertEqual(child.mountinfo(), before)

    def assertRefused(self, proc, code, exit_code=1):
        """Validation refused: `exit_code` and an error diagnostic named `code`."""
        self.assertEqual(proc.returncode, exit_code, proc.stderr.decode())
        # Diagnostics go to stderr, or to stdout with the plan of a dry run.
        self.assertIn(f"error[{code}]".encode(), proc.stdout + proc.stderr)


class ImageSymlinkTest(HostileCase):
    """An image whose mount points are symlinks pointing out of it (runc
    CVE-2024-45310, CVE-2025-31133): absolute to the marker, relative with enough `..`
    to climb out, and to "/"."""

    def links(self):
        return {"absolute to the marker": f"{self.marker}/{{name}}",
                "relative climbing out": "../../../../../../.." + self.marker + "/{name}",
                "to /": "/"}

    def check_image_mount_point(self, name, layout_args):
        """Applies `layout_args(image)` with the image's `name` made each kind of link."""
        for kind, target in self.links().items():
            with self.subTest(link=kind):
                image = self.make_image(f"image-{name}-{len(os.listdir(self.tmp))}")
                self.replace(os.path.join(image, name),
                             lambda p: os.symlink(target.format(name=name), p))
                image_before = snapshot(image)
                with ParkedChild() as child:
                    before = child.mountinfo()
                    proc, outcome = self.apply_json(child, *layout_args(image))
                    self.assertRolledBack(proc, outcome, child, before, "ENOTDIR",
                                          f"/{name} exists and is not a directory")
                    self.assertEqual(outcome["error"]["target"], f"/{name}")
                self.assertEqual(snapshot(image), image_before, "the image changed")

    def image_profile(self, image):
        return ("image", "--set", f"rootfs={image}")

    def test_image_tmp_is_a_symlink_out(self):
        """/tmp of the image points out: the tmpfs must not land on the marker."""
        self.check_image_mount_point("tmp", self.image_profile)

    def test_image_dev_is_a_symlink_out(self):
        """/dev of the image points out: no tmpfs or device node may land outside."""
        self.check_image_mount_point("dev", self.image_profile)

    def test_image_proc_is_a_symlink_out(self):
        """/proc of the image points out (CVE-2025-52881 style procfs redirect)."""
        self.check_image_mount_point("proc", self.image_profile)

    def test_image_etc_is_a_symlink_out(self):
        """/etc of the image points out: a file the layout writes there must not."""
        layout = write_layout(self.tmp, "etc.yaml", """\
vars: { rootfs: /nonexistent }
root:
  bind: ${rootfs}
mounts:
  - file: /etc/hostname
    content: "hostile\\n"
  - tmpfs: /etc/app
""")
        self.check_image_mount_point(
            "etc", lambda image: (layout, "--set", f"rootfs={image}"))

    def test_image_proc_is_not_a_directory(self):
        """/proc of the image is a regular file: proc must not be mounted on it."""
        image = self.make_image()
        self.replace(os.path.join(image, "proc"), lambda p: pathlib.Path(p).write_text("x"))
        image_before = snapshot(image)
        with ParkedChild() as child:
            before = child.mountinfo()
            proc, outcome = self.apply_json(child, "image", "--set", f"rootfs={image}")
            self.assertRolledBack(proc, outcome, child, before, "ENOTDIR",
                                  "/proc exists and is not a directory")
        self.assertEqual(snapshot(image), image_before)

    def test_dotdot_in_targets_and_sources_is_refused(self):
        """`..` in a target, a source, the root or a --set value never reaches a syscall."""
        cases = {
            "target": ("mounts:\n  - tmpfs: /tmp/../../etc\n", ()),
            "source": ("mounts:\n  - bind: /x\n    from: /usr/../etc\n", ()),
            "root": (f"root:\n  bind: {self.tmp}/image/..\n", ()),
            "variable": ("vars: { r: /srv }\nroot:\n  bind: ${r}\n",
                         ("--set", f"r={self.tmp}/../..")),
            "relative": ("mounts:\n  - file: ../etc/passwd\n    content: x\n", ()),
        }
        with ParkedChild() as child:
            before = child.mountinfo()
            for name, (text, extra) in cases.items():
                with self.subTest(where=name):
                    layout = write_layout(self.tmp, f"dotdot-{name}.yaml", text)
                    proc = rootfsctl("apply", layout, "--pid", child.pid, *extra)
                    self.assertEqual(proc.returncode, 2, proc.stderr.decode())
                    self.assertRegex(proc.stderr.decode(),
                                     r"contains '\.\.'|is not absolute")
            self.assertEqual(child.mountinfo(), before)


class RaceTest(HostileCase):
    """runc CVE-2021-30465: directories of the image are exchanged with symlinks to the
    outside (renameat2 RENAME_EXCHANGE, as fast as the machine allows) while the layout
    mounts, creates and writes beneath them: /work (a parent) and /work/mnt (a mount
    point itself)."""

    # Flips each pair of paths given in turn, pausing the given seconds after each round;
    # a pair whose parent is away fails, fine.
    RACER = """
import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
pause = float(sys.argv[1])
pairs = [(a.encode(), b.encode()) for a, b in zip(sys.argv[2::2], sys.argv[3::2])]
while True:
    for a, b in pairs:
        libc.renameat2(-100, a, -100, b, 2)  # AT_FDCWD, RENAME_EXCHANGE
    if pause:
        time.sleep(pause)
"""

    def test_racing_symlink_exchange_never_lands_outside(self):
        """200 applies while /work and /work/mnt flip between directories and symlinks out."""
        image = self.make_image()
        os.makedirs(os.path.join(image, "work/mnt"))
        os.symlink(os.path.join(self.marker, "work"), os.path.join(image, "swap"))
        os.symlink(os.path.join(self.marker, "work/mnt"), os.path.join(image, "work/mnt-swap"))
        layout = write_layout(self.tmp, "race.yaml", """\
vars: { rootfs: /nonexistent }
root:
  bind: ${rootfs}
mounts:
  - tmpfs: /work/mnt
  - dir: /work/made
  - file: /work/note
    content: "written by the layout\\n"
""")
        pairs = [os.path.join(image, p) for p in ["work", "swap", "work/mnt", "work/mnt-swap"]]
        outcomes = collections.Counter()
        failures = []
        lock = threading.Lock()

        def lane(count):
            for _ in range(count):
                try:
                    with ParkedChild() as child:
                        before = child.mountinfo()
                        proc = rootfsctl("apply", layout, "--pid", child.pid, "--set",
                                         f"rootfs={image}", "--format", "json")
                        problem = self.race_problem(proc, child, before)
                except Exception as e:  # reported below, with the other lanes' findings
                    proc, problem = None, f"{type(e).__name__}: {e}"
                with lock:
                    outcomes[proc.returncode if proc else None] += 1
                    if problem:
                        failures.append(problem)

        def race(pause, applies):
            racer = subprocess.Popen([sys.executable, "-c", self.RACER, str(pause), *pairs])
            lanes = [threading.Thread(target=lane, args=(applies // RACE_LANES,))
                     for _ in range(RACE_LANES)]
            try:
                for thread in lanes:
                    thread.start()
                for thread in lanes:
                    thread.join()
            finally:
                racer.kill()
                racer.wait()
            print(f"\nrace (pause {pause}): {outcomes[0]} applied, {outcomes[3]} rolled back",
                  file=sys.stderr)

        race(0, RACE_APPLIES)
        applies = RACE_APPLIES
        # Some applies must get through while the names move, so that a success is checked
        # too. A slow apply (a sanitizer build on a loaded machine) may never see all the
        # names in place at full speed; then the racer pauses after each round, so the
        # names stay put for many applies, yet still move under some. Each exchange round
        # flips the names, so an apply succeeds only inside one pause: the pause doubles
        # until it is longer than an apply on this machine (under ASan with a neighbour
        # test on the other core, 0.5 s was not always enough).
        pause = 0.5
        while outcomes[0] == 0 and pause <= 4:
            race(pause, RACE_LANES * 5)
            applies += RACE_LANES * 5
            pause *= 2
        self.maxDiff = None
        self.assertEqual(failures, [])
        self.assertEqual(sum(outcomes.values()), applies)
        self.assertEqual(set(outcomes) - {0, 3}, set(), outcomes)
        # The race really ran: some applies saw the symlink and were rolled back, and the
        # layout itself works: some got through.
        self.assertGreater(outcomes[3], 0, outcomes)
        self.assertGreater(outcomes[0], 0, outcomes)

    def race_problem(self, proc, child, before):
        """What went wrong with one apply of the race, or None."""
        if proc.returncode == 3:
            outcome = json.loads(proc.stdout)
            if not outcome["rollback"]["clean"]:
                return f"unclean rollback: {outcome}"
            if child.mountinfo() != before:
                return f"table changed after a rollback: {outcome}"
        elif proc.returncode == 0:
            # The racer goes on after the apply: the directories holding the tmpfs may
            # have been renamed by now.
            mounts = {target: fstype for target, fstype, _ in mounts_of(child.mountinfo())}
            where = [f"/{a}/{b}" for a in ("work", "swap") for b in ("mnt", "mnt-swap")]
            if "tmpfs" not in [mounts.get(p) for p in where]:
                return f"applied, but no tmpfs on /work/mnt: {sorted(mounts)}"
        else:
            return f"exit {proc.returncode}: {proc.stderr.decode()[:500]}"
        if snapshot(self.marker) != self.marker_before:
            return "the marker changed"
        return None


class DeviceTest(HostileCase):
    """Device placeholders whose source or target is not what it claims (runc
    CVE-2025-31133: /dev/null replaced; CVE-2025-52565: a console source swapped for a
    symlink)."""

    def sources(self):
        """A symlink, a regular file, a FIFO, a socket and a node of /dev/zero (1:5)."""
        d = os.path.join(self.tmp, "sources")
        os.makedirs(d)
        os.symlink("/dev/null", os.path.join(d, "symlink"))
        pathlib.Path(d, "regular").write_text("")
        os.mkfifo(os.path.join(d, "fifo"))
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(os.path.join(d, "socket"))
        self.addCleanup(sock.close)
        os.mknod(os.path.join(d, "zero"), 0o666 | 0o020000, os.makedev(1, 5))
        return d

    def device_layout(self, source, target="/dev/null"):
        return write_layout(self.tmp, "device.yaml", f"""\
root:
  tmpfs: {{ size: 1M }}
mounts:
  - tmpfs: /dev
  - device: {target}
    from: {source}
""")

    def test_device_source_is_a_symlink_file_fifo_or_socket(self):
        """A device source that is not a device node is refused before any syscall."""
        sources = self.sources()
        with ParkedChild() as child:
            before = child.mountinfo()
            for kind in ["symlink", "regular", "fifo", "socket"]:
                with self.subTest(source=kind):
                    layout = self.device_layout(os.path.join(sources, kind))
                    start = time.monotonic()
                    proc = rootfsctl("apply", layout, "--pid", child.pid, timeout=20)
                    self.assertRefused(proc, "source-type")
                    self.assertIn(b"not a device node", proc.stderr)
                    self.assertLess(time.monotonic() - start, 10, "a FIFO was opened")
            self.assertEqual(child.mountinfo(), before)

    def test_targets_dev_null_is_another_device(self):
        """The target replaced its /dev/null with /dev/zero's node: not bound."""
        layout = self.device_layout("/dev/null")
        with ParkedChild("mount -t tmpfs fake /dev && mknod /dev/null c 1 5") as child:
            before = child.mountinfo()
            proc, outcome = self.apply_json(child, layout)
            self.assertRolledBack(proc, outcome, child, before, "ENODEV",
                                  "device source /dev/null is 1:5, not 1:3")

    def test_placeholder_named_urandom_from_the_zero_device(self):
        """A /dev/urandom placeholder bound from a node that is really /dev/zero."""
        # Programs trust the name: a zero "random" device would make every key zero.
        layout = self.device_layout(os.path.join(self.sources(), "zero"), "/dev/urandom")
        with ParkedChild() as child:
            before = child.mountinfo()
            proc, outcome = self.apply_json(child, layout)
            self.assertRolledBack(proc, outcome, child, before, "ENODEV", "is 1:5, not 1:9")

    def test_placeholder_already_exists_in_the_image(self):
        """The image's /dev/null is a directory, FIFO, device or symlink: never used."""
        # O_EXCL|O_NOFOLLOW: what is there is never opened (a FIFO would block), followed
        # or mounted on.
        makers = {
            "directory": os.mkdir,
            "fifo": os.mkfifo,
            "device": lambda p: os.mknod(p, 0o666 | 0o020000, os.makedev(1, 3)),
            "symlink to the marker": lambda p: os.symlink(f"{self.marker}/keep", p),
        }
        layout = write_layout(self.tmp, "placeholder.yaml", """\
vars: { rootfs: /nonexistent }
root:
  bind: ${rootfs}
mounts:
  - device: /dev/null
""")
        for kind, make in makers.items():
            with self.subTest(existing=kind):
                image = self.make_image(f"image-{kind.split()[0]}")
                make(os.path.join(image, "dev/null"))
                image_before = snapshot(image)
                with ParkedChild() as child:
                    before = child.mountinfo()
                    proc, outcome = self.apply_json(child, layout, "--set", f"rootfs={image}",
                                                    timeout=20)
                    self.assertRolledBack(proc, outcome, child, before, "EEXIST",
                                          "/dev/null exists and is not a regular file")
                self.assertEqual(snapshot(image), image_before)

    def test_bind_source_is_a_fifo_or_socket(self):
        """Binding a FIFO or a socket is refused, without hanging on it."""
        sources = self.sources()
        with ParkedChild() as child:
            before = child.mountinfo()
            for kind in ["fifo", "socket"]:
                with self.subTest(source=kind):
                    layout = write_layout(self.tmp, "bind.yaml", f"""\
root:
  tmpfs: {{ size: 1M }}
mounts:
  - bind: /x
    from: {sources}/{kind}
""")
                    proc = rootfsctl("apply", layout, "--pid", child.pid, timeout=20)
                    self.assertRefused(proc, "source-type")
                    self.assertIn(b"only directories, files and devices can be bound",
                                  proc.stderr)
            self.assertEqual(child.mountinfo(), before)


class PropagationTest(HostileCase):
    """A target whose "/" is in a peer group with its parent namespace: nothing mounted
    for the target may propagate back. Built in an outer private namespace that stands in
    for the host (the machine's own propagation is never touched)."""

    def shared_target(self):
        inner = "echo ready; read _"
        outer = ("mount --make-rshared / && unshare --mount --propagation unchanged --pid "
                 f"--fork sh -c '{inner}'")
        parked = Parked(["unshare", "--mount", "--propagation", "private", "sh", "-c", outer])
        self.addCleanup(parked.close)
        target = children(children(parked.proc.pid)[0])[0]
        return parked.proc.pid, target

    def peer_group(self, pid):
        for line in pathlib.Path(f"/proc/{pid}/mountinfo").read_text().splitlines():
            fields = line.split(" - ")[0].split()
            if fields[4] == "/":
                root_group = [f for f in fields[6:] if f.startswith("shared:")]
        return root_group

    def check_nothing_propagates(self, layout):
        outer, target = self.shared_target()
        # The scenario is real: both "/" are in one peer group.
        self.assertEqual(self.peer_group(outer), self.peer_group(target))
        self.assertNotEqual(self.peer_group(target), [])
        outer_before = pathlib.Path(f"/proc/{outer}/mountinfo").read_text()
        proc = rootfsctl("apply", layout, "--pid", target)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertIn(b"verified", proc.stdout)
        self.assertEqual(pathlib.Path(f"/proc/{outer}/mountinfo").read_text(), outer_before,
                         "a mount propagated to the target's parent namespace")
        return target

    def test_shared_root_with_a_pivot(self):
        """The sandbox in a target whose / is shared: op 1 makes it rprivate first."""
        target = self.check_nothing_propagates("sandbox")
        self.assertEqual(mounts_of(pathlib.Path(f"/proc/{target}/mountinfo").read_text())[0][:2],
                         ("/", "tmpfs"))

    def test_shared_root_without_a_root(self):
        """A live layout (no pivot) in a target whose / is shared: made rslave first."""
        target = self.check_nothing_propagates(support.SOURCE / "manifests/live-tmp.yaml")
        mounts = mounts_of(pathlib.Path(f"/proc/{target}/mountinfo").read_text())
        self.assertIn(("/tmp", "tmpfs"), [(t, f) for t, f, _ in mounts])

    def test_shared_root_rolled_back(self):
        """A failure after op 1 restores the propagation, still without propagating."""
        plan = json.loads(rootfsctl("plan", "sandbox", "--format", "json").stdout)
        pivot = next(op["index"] for op in plan["ops"] if op["op"] == "pivot_root")
        outer, target = self.shared_target()
        outer_before = pathlib.Path(f"/proc/{outer}/mountinfo").read_text()
        target_before = mounts_of(pathlib.Path(f"/proc/{target}/mountinfo").read_text())
        proc = rootfsctl("apply", "sandbox", "--pid", target, "--fail-at", pivot)
        self.assertEqual(proc.returncode, 3, proc.stderr.decode())
        self.assertIn(b"rollback: clean", proc.stderr)
        self.assertEqual(pathlib.Path(f"/proc/{outer}/mountinfo").read_text(), outer_before)
        self.assertEqual(mounts_of(pathlib.Path(f"/proc/{target}/mountinfo").read_text()),
                         target_before)
        self.assertNotEqual(self.peer_group(target), [], "/ is shared again")

    def test_shared_root_rejoins_its_peer_group(self):
        """A failure at any op after op 1, with and without a root: the target's "/" is in
        the same peer group as before (MOVE_MOUNT_SET_GROUP from a clone taken before),
        not in a new one, so it still propagates with its parent."""
        for layout in ("sandbox", support.SOURCE / "manifests/live-tmp.yaml"):
            plan = json.loads(rootfsctl("plan", layout, "--format", "json").stdout)
            for k in (2, len(plan["ops"])):
                with self.subTest(layout=str(layout), fail_at=k):
                    outer, target = self.shared_target()
                    group = self.peer_group(target)
                    proc = rootfsctl("apply", layout, "--pid", target, "--fail-at", k)
                    self.assertEqual(proc.returncode, 3, proc.stderr.decode())
                    self.assertEqual(self.peer_group(target), group)
                    self.assertEqual(self.peer_group(outer), group)


class TargetIdentityTest(HostileCase):
    """Targets that are not a live process in a namespace of their own."""

    def test_zombie_target(self):
        """A target that exited but was not reaped is refused, not entered."""
        zombie = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "true"])
        try:
            stat = pathlib.Path(f"/proc/{zombie.pid}/stat")
            deadline = time.monotonic() + 10
            while stat.read_text().rsplit(")", 1)[1].split()[0] != "Z":
                self.assertLess(time.monotonic(), deadline, "the child never became a zombie")
                time.sleep(0.01)
            proc = rootfsctl("apply", "sandbox", "--pid", zombie.pid)
            self.assertEqual(proc.returncode, 5, proc.stderr.decode())
            self.assertIn(f"process {zombie.pid} is a zombie".encode(), proc.stderr)
        finally:
            zombie.wait()

    def test_dead_target(self):
        """A target that exited and was reaped: its pid names nothing."""
        with ParkedChild() as child:
            pid = child.pid
        proc = rootfsctl("apply", "sandbox", "--pid", pid)
        self.assertEqual(proc.returncode, 5, proc.stderr.decode())
        self.assertIn(f"process {pid} does not exist".encode(), proc.stderr)

    def test_recycled_pid_in_rootfsctls_namespace(self):
        """A dead target's pid reused by a process in rootfsctl's namespace: refused."""
        # The reuse is forced with ns_last_pid in a private pid namespace; the new process
        # is checked afresh, never taken for the old one (the pinning itself is proven
        # mid-apply in hostile_exit_test.cc and by tests/unit/exec/target_test.cc).
        script = f"""
unshare --mount --propagation private sh -c 'read _' < /dev/null &
old=$!
wait $old
echo $((old - 1)) > /proc/sys/kernel/ns_last_pid
sleep 60 &
new=$!
echo "pids $old $new"
{shlex.quote(support.BINARY)} apply sandbox --pid $old
echo "exit $?"
kill $new
"""
        proc = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "--propagation",
                               "private", "sh", "-c", script], capture_output=True,
                              timeout=30)
        out = proc.stdout.decode()
        _, old, new = out.split("\n")[0].split()
        self.assertEqual(old, new, "the pid was not recycled")
        self.assertIn("exit 1", out)
        self.assertIn(b"error[same-namespace]", proc.stderr)


class NamespaceTest(HostileCase):
    """The caller's own or the host's mount namespace as the target. Dry runs: validation
    is what refuses, and the machine's namespace is never at stake even if it regresses."""

    def test_callers_own_namespace(self):
        """--pid of the caller: refused, with --allow-shared-namespace too (a root)."""
        proc = rootfsctl("apply", "sandbox", "--pid", os.getpid(), "--dry-run")
        self.assertRefused(proc, "same-namespace")
        proc = rootfsctl("apply", "sandbox", "--pid", os.getpid(), "--allow-shared-namespace",
                         "--dry-run")
        self.assertRefused(proc, "same-namespace")
        self.assertIn(b"never pivots there", proc.stdout)

    def test_pid_1(self):
        """--pid 1: refused as the host's namespace, or not pinned where it is closed."""
        # Some VM inits refuse their /proc/1/ns to root (ptrace access mode).
        try:
            readable = os.stat("/proc/1/ns/mnt").st_ino is not None
        except PermissionError:
            readable = False
        for extra in [(), ("--allow-shared-namespace",)]:
            with self.subTest(extra=extra):
                proc = rootfsctl("apply", "sandbox", "--pid", 1, "--dry-run", *extra)
                if readable:
                    self.assertRefused(proc, "same-namespace")
                else:
                    self.assertEqual(proc.returncode, 5, proc.stderr.decode())
                    self.assertIn(b"/proc/1/ns/mnt: EACCES", proc.stderr)

    def test_allow_shared_namespace_never_reaches_the_hosts(self):
        """A hot-add into the host's namespace (pid 1, or the caller's own where that is the
        host's) stays refused with --allow-shared-namespace; in a private namespace of
        rootfsctl's own the same layout is allowed (a warning)."""
        layout = write_layout(self.tmp, "hot.yaml",
                              "mounts:\n  - tmpfs: /mnt/rootfsctl-never\n")
        own = os.stat("/proc/self/ns/mnt").st_ino
        if own == MNT_NS_INIT_INO or own == os.stat("/proc/1/ns/mnt").st_ino:
            proc = rootfsctl("apply", layout, "--pid", os.getpid(), "--dry-run",
                             "--allow-shared-namespace")
            self.assertRefused(proc, "same-namespace")
            self.assertIn(b"never applies to the host's namespace", proc.stdout)
        proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                               f"exec {shlex.quote(support.BINARY)} apply {layout} --pid $$ "
                               "--dry-run --allow-shared-namespace"],
                              capture_output=True, timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertIn(b"warning[same-namespace]", proc.stdout + proc.stderr)

    def test_host_namespace_from_a_caller_in_its_own_namespace(self):
        """rootfsctl in a namespace of its own, given a process of the host's: refused."""
        # Also where pid 1's namespace cannot be read (found by this suite: the initial
        # namespace is known by its fixed inode).
        own = os.stat("/proc/self/ns/mnt").st_ino
        try:
            pid1 = os.stat("/proc/1/ns/mnt").st_ino
        except PermissionError:
            pid1 = None
        proc = subprocess.run(["unshare", "--mount", "--propagation", "private",
                               support.BINARY, "apply", "sandbox", "--pid", str(os.getpid()),
                               "--dry-run"], capture_output=True, timeout=30)
        if own in (MNT_NS_INIT_INO, pid1):
            self.assertRefused(proc, "same-namespace")
            self.assertIn(b"the host's", proc.stdout)
        else:
            # The tests run in some container's namespace, not the host's: nothing to refuse.
            self.assertEqual(proc.returncode, 0, proc.stderr.decode())


class RootlessTest(HostileCase):
    """A read-only bind in a user namespace of a nosuid,nodev,noexec source: those flags
    are locked (mount_namespaces(7)); the bind must keep them, and a layout asking to
    clear one is refused. Built in an outer private namespace holding the locked mount;
    rootfsctl and the target run as uid 65534."""

    def setUp(self):
        super().setUp()
        self.source = os.path.join(self.tmp, "locked")
        os.mkdir(self.source)
        # The binary and, beside it, the helper it enters the user namespace through.
        for name in ("rootfsctl", "rootfsctl-nshelper"):
            shutil.copy(os.path.join(os.path.dirname(support.BINARY), name),
                        os.path.join(self.tmp, name))
            os.chmod(os.path.join(self.tmp, name), 0o755)
        mount = (f"mount -t tmpfs -o nosuid,nodev,noexec,mode=0755 locked {self.source} && "
                 f"echo data > {self.source}/f && echo ready && read _")
        self.outer = Parked(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                             mount])
        self.addCleanup(self.outer.close)
        enter = ["nsenter", f"--target={self.outer.proc.pid}", "--mount", "--", *SETPRIV]
        self.enter = enter
        target = Parked([*enter, "unshare", "--user", "--map-root-user", "--mount", "--pid",
                         "--fork", "sh", "-c", "echo ready; read _"])
        self.addCleanup(target.close)
        self.target = children(target.proc.pid)[0]

    def rootless_apply(self, layout):
        return subprocess.run([*self.enter, os.path.join(self.tmp, "rootfsctl"), "apply",
                               layout, "--pid", str(self.target)], capture_output=True,
                              timeout=30, cwd="/")

    def layout(self, options):
        return write_layout(self.tmp, "rootless.yaml", f"""\
root:
  tmpfs: {{ size: 1M }}
mounts:
  - bind: /data
    from: {self.source}
    readonly: true
    options: [{options}]
""")

    def test_readonly_bind_keeps_the_locked_flags(self):
        """Read-only bind of a locked source: ro added, nosuid, nodev, noexec kept."""
        # A classic MS_REMOUNT|MS_BIND|MS_RDONLY would fail with EPERM here, clearing
        # the locked flags; mount_setattr changes only the bits asked for.
        proc = self.rootless_apply(self.layout("nosuid"))
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        mounts = {t: o for t, _, o in
                  mounts_of(pathlib.Path(f"/proc/{self.target}/mountinfo").read_text())}
        self.assertEqual(set(mounts["/data"].split(",")) & {"ro", "nosuid", "nodev", "noexec"},
                         {"ro", "nosuid", "nodev", "noexec"})

    def test_clearing_a_locked_flag_is_refused(self):
        """Asking for exec on a locked noexec source in a user namespace: refused."""
        before = pathlib.Path(f"/proc/{self.target}/mountinfo").read_text()
        proc = self.rootless_apply(self.layout("exec"))
        self.assertRefused(proc, "userns-locked-flags")
        self.assertIn(b"'exec' cannot be applied in a user namespace", proc.stderr)
        self.assertEqual(pathlib.Path(f"/proc/{self.target}/mountinfo").read_text(), before)


if __name__ == "__main__":
    support.configure(sys.argv.pop(1), sys.argv.pop(1))
    unittest.main(verbosity=2)
