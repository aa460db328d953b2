"""Shared pieces of the Python end-to-end tests: running the binary, the privilege policy
and a child parked in new namespaces."""
import os
import re
import shutil
import pathlib
import subprocess

BINARY = ""
SOURCE = pathlib.Path(".")


# The host's /usr read-only with its /bin, /lib and /lib64 links: what a layout's tmpfs
# root needs to run a dynamic binary. Items of a `mounts:` list, as layout text.
USR_MOUNTS = """  - bind: /usr
    readonly: true
  - symlink: /bin
    to: usr/bin
  - symlink: /lib
    to: usr/lib
  - symlink: /lib64
    to: usr/lib64
"""


def configure(binary, source):
    global BINARY, SOURCE
    BINARY = binary
    SOURCE = pathlib.Path(source)


def rootfsctl(*args, check_exit=None, timeout=60):
    proc = subprocess.run([BINARY, *map(str, args)], capture_output=True, timeout=timeout)
    if check_exit is not None and proc.returncode != check_exit:
        raise AssertionError(
            f"rootfsctl {' '.join(map(str, args))}: exit {proc.returncode}, wanted "
            f"{check_exit}\nstdout: {proc.stdout.decode(errors='replace')[:3000]}\n"
            f"stderr: {proc.stderr.decode(errors='replace')[:3000]}")
    return proc


def copy_rootfsctl(destination):
    """Copies the binary to `destination` (mode 0755) and, beside it, rootfsctl-nshelper,
    which a copied binary finds there (it enters other user namespaces through it)."""
    destination = os.fspath(destination)
    helper = os.path.join(os.path.dirname(BINARY), "rootfsctl-nshelper")
    for source, target in ((BINARY, destination),
                           (helper, os.path.join(os.path.dirname(destination),
                                                 "rootfsctl-nshelper"))):
        shutil.copy(source, target)
        os.chmod(target, 0o755)


def require_root(test):
    """Privileged tests run for real in CI (root); a skip there would hide a defect."""
    if os.geteuid() == 0:
        return
    if os.environ.get("CI"):
        test.fail("privileged test: CI runs as root, so not being root here is a defect")
    test.skipTest("needs root (runs for real in CI)")


class ParkedChild:
    """A shell in new mount and pid namespaces (propagation private), parked on its stdin.
    `script` runs first (e.g. to mount something of its own); after release() the shell
    runs `after` and exits, its output available from output()."""

    def __init__(self, script="true", after="true", namespaces=()):
        self.script = script
        self.after = after
        self.namespaces = [f"--{ns}" for ns in namespaces]  # e.g. ("net", "uts")

    def __enter__(self):
        body = f"{self.script} && echo ready && read _ ; {self.after}"
        self.proc = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "--pid", "--fork",
             *self.namespaces, "--",
             "sh", "-c", body], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if line != b"ready\n":
            raise AssertionError(f"child did not park: {line!r} {self.proc.stderr.read()!r}")
        # With --fork the shell is unshare's child, and it holds the new namespaces.
        children = pathlib.Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        self.pid = int(children.read_text().split()[0])
        return self

    def mountinfo(self):
        return pathlib.Path(f"/proc/{self.pid}/mountinfo").read_text(errors="replace")

    def root_listing(self):
        return sorted(os.listdir(f"/proc/{self.pid}/root/"))

    def release(self, timeout=10):
        out, err = self.proc.communicate(b"go\n", timeout=timeout)
        return out.decode(errors="replace"), err.decode(errors="replace")

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            try:
                self.proc.communicate(b"\n", timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr, self.proc.stdin):
            if stream and not stream.closed:
                stream.close()


def is_runc_self_bind(mountinfo_line):
    """runc binds its own binary read-only onto a file runc.XXXXXX in its state directory
    while it starts a container, in the namespace it runs in: the machine's, for the tests
    that run runc. The bind is gone again within milliseconds."""
    fields = mountinfo_line.split(" - ", 1)[0].split()
    return (len(fields) > 4 and fields[3].endswith("/runc")
            and re.fullmatch(r"runc\.[A-Za-z0-9]{6}", os.path.basename(fields[4])) is not None)


def host_table():
    """The mountinfo text of the machine's own namespace (the test process's), less runc's
    passing binds of itself (is_runc_self_bind): what a test compares before and after, to
    prove it changed nothing there, while other tests run runc in parallel."""
    lines = pathlib.Path("/proc/self/mountinfo").read_text(errors="replace").splitlines(
        keepends=True)
    return "".join(line for line in lines if not is_runc_self_bind(line))


def mounts_of(mountinfo_text):
    """(target, fstype, per-mount options) for each line of a mountinfo text."""
    out = []
    for line in mountinfo_text.splitlines():
        left, right = line.split(" - ", 1)
        fields = left.split()
        out.append((fields[4], right.split()[0], fields[5]))
    return out
