#!/usr/bin/env python3
"""Parity with bubblewrap (issue 18): each scenario runs under Debian's bwrap and under
`rootfsctl run` with the equivalent options, as root (bwrap with --cap-drop ALL) and
rootless (both as nobody through setpriv: bwrap in an unprivileged user namespace,
rootfsctl in one of its own), and the observable results must be the same.

The differences rootfsctl means to have are asserted as differences, so that this test
fails when one disappears (docs/run.md explains each):
  - as root, plain bubblewrap keeps every capability where rootfsctl drops them all (and
    `--cap-drop ALL` leaves bubblewrap's bounding set full, rootfsctl's empty);
  - rootfsctl forwards SIGTERM, SIGINT and SIGHUP to the command, where bubblewrap dies;
  - only descriptors 0-2 reach the command, where bubblewrap passes every inherited one.

Usage: parity_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]

Real runs only. It needs root (the rootless half drops to nobody), bwrap and tmux; CI
runs as root, so it never skips: a missing tool or privilege is a failure.
"""
import fcntl
import os
import pathlib
import pwd
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import termios
import time
import unittest

import support

NOBODY = pwd.getpwnam("nobody")
ROOTLESS = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
PRIVILEGE_FIELDS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs")
# bubblewrap's equivalent of the bundled `sandbox` profile (manifests/sandbox.yaml).
BWRAP_SANDBOX = [
    "--unshare-pid", "--unshare-ipc",
    "--ro-bind", "/usr", "/usr",
    "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
    "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/sbin", "/sbin",
    "--proc", "/proc", "--dev", "/dev", "--mqueue", "/dev/mqueue", "--tmpfs", "/dev/shm",
    "--tmpfs", "/tmp",
]
# A layout given on stdin, and bubblewrap's options for the same tree.
STDIN_LAYOUT = """version: 1
name: from-stdin
namespaces: [mount, pid]
root: { tmpfs: {} }
mounts:
""" + support.USR_MOUNTS + """  - proc: /proc
  - tmpfs: /tmp
  - bind: /data
    from: {data}
    readonly: true
"""
BWRAP_STDIN_LAYOUT = [
    "--unshare-pid", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
    "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--proc", "/proc",
    "--tmpfs", "/tmp", "--ro-bind", "{data}", "/data",
]
# mount(2) and open(2) straight from the command, errno by name: what a read-only bind
# holds against, whatever mount(8) would say about the caller's uid.
REMOUNT_PROBE = """
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
MS_REMOUNT, MS_BIND = 32, 4096
rc = libc.mount(None, b"/data", None, MS_REMOUNT | MS_BIND, None)
print("remount", "ok" if rc == 0 else errno.errorcode[ctypes.get_errno()])
try:
    os.close(os.open("/data/y", os.O_WRONLY | os.O_CREAT, 0o644))
    print("write ok")
except OSError as e:
    print("write", errno.errorcode[e.errno])
"""


def privileges(status_text):
    fields = dict(line.split(":", 1) for line in status_text.splitlines() if ":" in line)
    return {name: int(fields[name].strip(), 16 if name.startswith("Cap") else 10)
            for name in PRIVILEGE_FIELDS}


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            kids = [int(k) for k in
                    pathlib.Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except OSError:
            kids = []
        out += kids
        todo += kids
    return out


def comm(pid):
    try:
        return pathlib.Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


class ParityCases:
    """Scenarios both privilege levels share. Subclasses set `rootless`."""

    rootless = False

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise AssertionError("the parity test runs as root (its rootless half drops "
                                 "to nobody through setpriv); CI runs it as root")
        for tool in ("bwrap", "tmux", "setpriv", "bash"):
            if not shutil.which(tool):
                raise AssertionError(f"{tool} is missing: install it (scripts/deps.sh)")
        # A world-readable copy of the binary and the profile, for nobody.
        cls.tmp = tempfile.mkdtemp(prefix="rootfsctl-parity-")
        os.chmod(cls.tmp, 0o755)
        cls.binary = os.path.join(cls.tmp, "rootfsctl")
        support.copy_rootfsctl(cls.binary)
        shutil.copy(support.SOURCE / "manifests/sandbox.yaml", cls.tmp)
        os.chmod(os.path.join(cls.tmp, "sandbox.yaml"), 0o644)
        cls.env = dict(os.environ, ROOTFSCTL_PATH=cls.tmp, HOME=cls.tmp,
                       XDG_CONFIG_HOME=cls.tmp, SHELL="/bin/sh", LC_ALL="C")
        cls.env.pop("TMUX", None)
        cls.prefix = ROOTLESS if cls.rootless else []
        cls.uid = NOBODY.pw_uid if cls.rootless else 0
        cls.gid = NOBODY.pw_gid if cls.rootless else 0

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    # The two command lines of a scenario.
    def bwrap(self, options=(), cap_drop=True):
        drop = ["--cap-drop", "ALL"] if cap_drop and not self.rootless else []
        return ["bwrap", *drop, *BWRAP_SANDBOX, *options]

    def bwrap_bare(self, options):
        """bwrap with only `options` (not the sandbox's), capabilities dropped as root."""
        drop = ["--cap-drop", "ALL"] if not self.rootless else []
        return ["bwrap", *drop, *options]

    def rootfsctl(self, options=()):
        return [self.binary, "run", *options, "--"]

    def scratch(self, mode=0o777):
        directory = tempfile.mkdtemp(prefix="rootfsctl-parity-data-")
        self.addCleanup(shutil.rmtree, directory)
        os.chmod(directory, mode)
        return directory

    def run_as_user(self, argv, stdin=subprocess.DEVNULL, **kwargs):
        """argv as the user under test, stdout and stderr files anyone may open (reopening
        /dev/stdout or /dev/stderr checks the file's permissions, and a pipe of root's is
        mode 0600). (status, stdout, stderr)"""
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            for f in (out, err):
                os.fchmod(f.fileno(), 0o666)
            proc = subprocess.run([*self.prefix, *argv], stdin=stdin, stdout=out, stderr=err,
                                  env=self.env, cwd="/", timeout=60, **kwargs)
            out.seek(0)
            err.seek(0)
            return proc.returncode, out.read().decode(errors="replace"), \
                err.read().decode(errors="replace")

    def both(self, command, bwrap_options=(), run_options=(), **kwargs):
        """The same command under bubblewrap and under rootfsctl: (theirs, ours)."""
        theirs = self.run_as_user([*self.bwrap(bwrap_options), *command], **kwargs)
        ours = self.run_as_user([*self.rootfsctl(run_options), *command], **kwargs)
        return theirs, ours

    def assert_same(self, command, bwrap_options=(), run_options=(), want=None, **kwargs):
        theirs, ours = self.both(command, bwrap_options, run_options, **kwargs)
        self.assertEqual(ours, theirs, f"rootfsctl (first) and bubblewrap differ: {command}")
        if want is not None:
            self.assertEqual(ours, want)
        return ours

    # --- the scenarios -------------------------------------------------------------------

    def test_read_only_bind_cannot_be_remounted_writable(self):
        data = self.scratch()
        pathlib.Path(data, "kept").write_text("kept\n")
        bind = ["--ro-bind", data, "/data"]
        # mount(8)'s way, then the syscalls themselves.
        attack = ["sh", "-c", "mount -o remount,bind,rw /data 2>/dev/null && touch /data/x; "
                  "echo $?"]
        status, out, _ = self.assert_same(attack, bind, bind)
        self.assertEqual(status, 0)
        self.assertNotEqual(out, "0\n")
        self.assert_same(["python3", "-c", REMOUNT_PROBE], bind, bind,
                         want=(0, "remount EPERM\nwrite EROFS\n", ""))
        self.assertEqual(os.listdir(data), ["kept"], "something was written")

    def test_capabilities_and_no_new_privs(self):
        theirs, ours = self.both(["cat", "/proc/self/status"])
        self.assertEqual(theirs[0], 0, theirs)
        self.assertEqual(ours[0], 0, ours)
        theirs, ours = privileges(theirs[1]), privileges(ours[1])
        zero = {"CapInh": 0, "CapPrm": 0, "CapEff": 0, "CapAmb": 0, "NoNewPrivs": 1}
        for got in (theirs, ours):
            self.assertEqual({k: v for k, v in got.items() if k != "CapBnd"}, zero)
        self.assertEqual(ours["CapBnd"], 0)
        if self.rootless:
            self.assertEqual(theirs["CapBnd"], 0)

    def test_process_substitution(self):
        self.assert_same(["bash", "-c", "cat <(echo x)"], want=(0, "x\n", ""))

    def test_dev_stderr_reaches_stderr(self):
        self.assert_same(["bash", "-c", "echo x > /dev/stderr; echo y > /dev/stdout"],
                         want=(0, "y\n", "x\n"))
        self.assert_same(["sh", "-c", "readlink /dev/fd /dev/stdin /dev/stdout /dev/stderr"],
                         want=(0, "/proc/self/fd\n/proc/self/fd/0\n/proc/self/fd/1\n"
                               "/proc/self/fd/2\n", ""))

    def in_terminal(self, argv):
        """argv in a tmux pane (a real terminal, its pty the user's: stdin, stdout and
        stderr all on it), run by the user under test: what the pane shows after it."""
        work = self.scratch()
        done = os.path.join(work, "done")
        script = f"{shlex.join(argv)}; echo status=$?; touch {done}; exec sleep 60"
        sock = os.path.join(work, "tmux.sock")
        tmux = [*self.prefix, "tmux", "-S", sock, "-f", "/dev/null"]
        subprocess.run([*tmux, "new-session", "-d", "-s", "parity", "-x", "80", "-y", "24",
                        "sh", "-c", script], env=self.env, cwd="/", check=True, timeout=30)
        try:
            deadline = time.monotonic() + 30
            while not os.path.exists(done):
                self.assertLess(time.monotonic(), deadline, f"{argv} did not finish in tmux")
                time.sleep(0.05)
            pane = subprocess.run([*tmux, "capture-pane", "-p", "-t", "parity"], env=self.env,
                                  cwd="/", check=True, capture_output=True, timeout=30)
            return pane.stdout.decode(errors="replace").rstrip("\n") + "\n"
        finally:
            subprocess.run([*tmux, "kill-server"], env=self.env, cwd="/",
                           capture_output=True, timeout=30)

    def test_tty_in_a_terminal(self):
        # A terminal on stdin and stdout: both bind it on /dev/console, where ttyname(3)
        # finds it.
        probe = ["sh", "-c", "tty; test -t 0 && test -t 1 && echo terminal"]
        theirs = self.in_terminal([*self.bwrap(), *probe])
        ours = self.in_terminal([*self.rootfsctl(), *probe])
        self.assertEqual(ours, theirs)
        self.assertEqual(ours, "/dev/console\nterminal\nstatus=0\n")

    def test_chdir(self):
        self.assert_same(["sh", "-c", 'pwd; echo "$PWD"'], ["--chdir", "/tmp"],
                         ["--chdir", "/tmp"], want=(0, "/tmp\n/tmp\n", ""))

    def test_setenv_unsetenv_clearenv(self):
        options = ["--clearenv", "--setenv", "A", "1 2", "--setenv", "B", ""]
        self.assert_same(["env"], options, options, want=(0, "A=1 2\nB=\nPWD=/\n", ""))
        options = ["--setenv", "A", "x", "--unsetenv", "HOME"]
        self.assert_same(["sh", "-c", 'echo "$A|${HOME-unset}|$ROOTFSCTL_PATH"'], options,
                         options, want=(0, f"x|unset|{self.tmp}\n", ""))

    def test_ids(self):
        # Rootless, bubblewrap keeps the caller's uid and gid, and so does rootfsctl.
        probe = ["sh", "-c", "id -u; id -g; id -G; cat /proc/self/uid_map /proc/self/gid_map"]
        _, out, _ = self.assert_same(probe)
        self.assertEqual(out.split()[:3], [str(self.uid), str(self.gid), str(self.gid)])
        if self.rootless:
            # Root of the sandbox, which is nobody outside.
            self.assert_same(probe, ["--unshare-user", "--uid", "0", "--gid", "0"],
                             ["--uid", "0", "--gid", "0"],
                             want=(0, f"0\n0\n0\n{'0':>10}{self.uid:>11}{1:>11}\n"
                                   f"{'0':>10}{self.gid:>11}{1:>11}\n", ""))

    def test_command_line_bind(self):
        data = self.scratch()
        pathlib.Path(data, "file").write_text("from the host\n")
        probe = ["sh", "-c", "cat /srv/data/file; touch /srv/data/new 2>/dev/null; echo $?"]
        self.assert_same(probe, ["--ro-bind", data, "/srv/data"],
                         ["--ro-bind", data, "/srv/data"], want=(0, "from the host\n1\n", ""))
        self.assertEqual(os.listdir(data), ["file"])
        theirs = self.run_as_user([*self.bwrap(["--bind", data, "/srv/data"]), *probe])
        self.assertEqual(theirs, (0, "from the host\n0\n", ""))
        os.unlink(os.path.join(data, "new"))
        ours = self.run_as_user([*self.rootfsctl(["--bind", data, "/srv/data"]), *probe])
        self.assertEqual(ours, theirs)
        self.assertEqual(sorted(os.listdir(data)), ["file", "new"])

    def test_layout_from_stdin(self):
        # rootfsctl reads the layout from stdin (`-`) or a pipe (`<(...)`); bubblewrap gets
        # the same tree from options. Same root listing, same mounts (target, type, ro).
        data = self.scratch()
        pathlib.Path(data, "file").write_text("data\n")
        layout = STDIN_LAYOUT.replace("{data}", data)
        probe = ["sh", "-c", "ls /; cat /data/file; echo ---; cat /proc/self/mountinfo"]
        theirs = self.run_as_user(
            [*self.bwrap_bare([data if w == "{data}" else w for w in BWRAP_STDIN_LAYOUT]),
             *probe])
        # The pipes are the user's own, as in a shell.
        from_stdin = self.run_as_user(
            ["bash", "-c", f"printf %s {shlex.quote(layout)} | {shlex.quote(self.binary)} run -"
             f" -- {shlex.join(probe)}"])
        from_pipe = self.run_as_user(
            ["bash", "-c", f"{shlex.quote(self.binary)} run <(printf %s {shlex.quote(layout)})"
             f" -- {shlex.join(probe)}"])

        def tree(result):
            status, out, err = result
            self.assertEqual((status, err), (0, ""), result)
            listing, _, mountinfo = out.partition("data\n---\n")
            mounts = sorted((target, fstype, "ro" if "ro" in options.split(",") else "rw")
                            for target, fstype, options in support.mounts_of(mountinfo)
                            # bubblewrap as root covers /proc/irq and /proc/bus read-only
                            if not target.startswith("/proc/"))
            return listing.split(), mounts

        self.assertEqual(tree(from_stdin), tree(theirs))
        self.assertEqual(tree(from_pipe), tree(theirs))
        listing, mounts = tree(theirs)
        self.assertEqual(listing, ["bin", "data", "lib", "lib64", "proc", "tmp", "usr"])
        self.assertEqual([m[2] for m in mounts if m[0] in ("/data", "/usr")], ["ro", "ro"])

    def test_dev_entry(self):
        # `--dev /dev` on the command line, on a layout without a /dev: bubblewrap's --dev.
        layout = os.path.join(self.scratch(0o755), "no-dev.yaml")
        pathlib.Path(layout).write_text(STDIN_LAYOUT.split("  - bind: /data")[0])
        os.chmod(layout, 0o644)
        mounts_under_dev = r"s|^\S* \S* \S* \S* \(/dev\S*\) .* - \(\S*\) .*|\1 \2|p"
        probe = ["sh", "-c", "ls -A /dev; readlink /dev/fd /dev/stdin /dev/stdout /dev/stderr "
                 "/dev/ptmx; touch /dev/shm/x && echo shm-writable; echo ---; "
                 f"sed -n '{mounts_under_dev}' /proc/self/mountinfo"]
        theirs = self.run_as_user([*self.bwrap_bare([*BWRAP_STDIN_LAYOUT[:-3], "--dev", "/dev"]),
                                   *probe])
        ours = self.run_as_user([self.binary, "run", layout, "--dev", "/dev", "--", *probe])
        self.assertEqual((ours[0], ours[2]), (0, ""), ours)
        self.assertEqual((theirs[0], theirs[2]), (0, ""), theirs)
        our_files, _, our_mounts = ours[1].partition("---\n")
        their_files, _, their_mounts = theirs[1].partition("---\n")
        # bubblewrap's --dev also links /dev/core to /proc/kcore; rootfsctl's does not.
        self.assertIn("core\n", their_files)
        self.assertNotIn("core", our_files)
        self.assertEqual(our_files, their_files.replace("core\n", "", 1))
        # bubblewrap's /dev/shm is a directory of the /dev tmpfs, rootfsctl's a tmpfs.
        self.assertEqual(set(our_mounts.splitlines()) - set(their_mounts.splitlines()),
                         {"/dev/shm tmpfs"})
        self.assertLessEqual(set(their_mounts.splitlines()), set(our_mounts.splitlines()))
        self.assertEqual(our_files.split()[:13], ["fd", "full", "null", "ptmx", "pts", "random",
                                                "shm", "stderr", "stdin", "stdout", "tty",
                                                "urandom", "zero"])

    def loop_in_a_pty(self, command):
        """`while true; do COMMAND -- sleep 10; done` in bash, on a pty whose foreground
        process group it is; one Ctrl-C (the line discipline's SIGINT to that group) once
        sleep runs. (status, iterations, seconds from Ctrl-C to the loop's end)"""
        master, slave = os.openpty()
        os.fchown(slave, self.uid, self.gid)
        loop = f"while true; do echo iteration; {shlex.join(command)} sleep 10; done"
        proc = subprocess.Popen(
            [*self.prefix, "bash", "-c", loop], stdin=slave, stdout=slave, stderr=slave,
            env=self.env, cwd="/", start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(slave)
        output = b""

        def drain(seconds):
            nonlocal output
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                if select.select([master], [], [], 0.05)[0]:
                    try:
                        output += os.read(master, 4096)
                    except OSError:  # EIO: no one holds the slave any more
                        return

        try:
            deadline = time.monotonic() + 10
            while not any(comm(d) == "sleep" for d in descendants(proc.pid)):
                self.assertLess(time.monotonic(), deadline, f"sleep never ran: {output!r}")
                drain(0.02)
            drain(0.2)
            start = time.monotonic()
            os.write(master, b"\x03")
            while proc.poll() is None and time.monotonic() - start < 8:
                drain(0.05)
            elapsed = time.monotonic() - start
            drain(0.1)
            return proc.poll(), output.count(b"iteration"), elapsed, output
        finally:
            if proc.poll() is None:
                for pid in descendants(proc.pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                proc.kill()
                proc.wait()
            os.close(master)

    def test_one_ctrl_c_ends_a_shell_loop(self):
        for name, command in (("bwrap", self.bwrap()), ("rootfsctl", self.rootfsctl())):
            with self.subTest(name):
                status, iterations, elapsed, output = self.loop_in_a_pty(command)
                self.assertEqual(status, -signal.SIGINT, output)
                self.assertEqual(iterations, 1, output)
                self.assertLess(elapsed, 5, output)

    # --- the differences, asserted as such ------------------------------------------------

    def test_difference_only_descriptors_0_to_2_reach_the_command(self):
        read_end, write_end = os.pipe()
        try:
            os.set_inheritable(write_end, True)
            theirs, ours = self.both(["ls", "/proc/self/fd"], pass_fds=(write_end,))
            # Unless asked: --keep-fd passes the one named, as bubblewrap passes them all.
            kept = self.run_as_user([*self.rootfsctl(("--keep-fd", str(write_end))),
                                     "ls", "/proc/self/fd"], pass_fds=(write_end,))
        finally:
            os.close(read_end)
            os.close(write_end)
        fds = lambda result: sorted(int(fd) for fd in result[1].split())  # noqa: E731
        self.assertEqual(fds(ours), [0, 1, 2, 3])  # 3: ls's own directory
        self.assertEqual(fds(theirs), sorted([0, 1, 2, 3, write_end]))
        self.assertEqual(fds(kept), fds(theirs))

    def test_difference_signals_are_forwarded_where_bubblewrap_dies(self):
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            name = sig.name[3:]
            script = (f"trap 'echo got-{name}; exit 3' {name}; echo ready; "
                      "while :; do sleep 0.05; done")
            for tool, command in (("bwrap", [*self.bwrap(["--die-with-parent"])]),
                                  ("rootfsctl", self.rootfsctl())):
                with self.subTest(signal=name, tool=tool):
                    proc = subprocess.Popen([*self.prefix, *command, "sh", "-c", script],
                                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE, env=self.env, cwd="/")
                    try:
                        self.assertTrue(select.select([proc.stdout], [], [], 10)[0])
                        self.assertEqual(proc.stdout.readline(), b"ready\n")
                        proc.send_signal(sig)  # to bwrap or rootfsctl alone
                        out, err = proc.communicate(timeout=10)
                    finally:
                        if proc.poll() is None:
                            proc.kill()
                            proc.wait()
                    if tool == "bwrap":
                        self.assertEqual((proc.returncode, out), (-sig, b""), err)
                    else:
                        self.assertEqual((proc.returncode, out), (3, f"got-{name}\n".encode()),
                                         err)


class ParityAsRootTest(ParityCases, unittest.TestCase):
    rootless = False

    def test_difference_root_keeps_capabilities_under_plain_bubblewrap(self):
        probe = ["cat", "/proc/self/status"]
        plain = self.run_as_user([*self.bwrap(cap_drop=False), *probe])
        dropped = self.run_as_user([*self.bwrap(), *probe])
        ours = self.run_as_user([*self.rootfsctl(), *probe])
        everything = self.run_as_user([*self.rootfsctl(["--cap-add", "ALL"]), *probe])
        for result in (plain, dropped, ours, everything):
            self.assertEqual(result[0], 0, result)
        plain, dropped, ours, everything = (privileges(r[1]) for r in
                                            (plain, dropped, ours, everything))
        mine = privileges(pathlib.Path("/proc/self/status").read_text())
        # Plain bubblewrap: root keeps the caller's capabilities; rootfsctl: none.
        self.assertEqual(plain["CapEff"], mine["CapEff"])
        self.assertNotEqual(plain["CapEff"], 0)
        self.assertEqual(ours["CapEff"], 0)
        # --cap-drop ALL empties the effective set but leaves the bounding set full.
        self.assertEqual(dropped["CapBnd"], mine["CapBnd"])
        self.assertEqual(ours["CapBnd"], 0)
        # `rootfsctl run --cap-add ALL` is plain bubblewrap's.
        self.assertEqual(everything["CapEff"], plain["CapEff"])

    def test_difference_root_under_plain_bubblewrap_can_remount_a_read_only_bind(self):
        # The control of the read-only scenario: with the caller's capabilities kept, the
        # attack works, under plain bubblewrap and under `rootfsctl run --cap-add ALL`.
        attack = ["sh", "-c", "mount -o remount,bind,rw /data && touch /data/x"]
        for name, command in (
                ("bwrap", self.bwrap(["--ro-bind", "{data}", "/data"], cap_drop=False)),
                ("rootfsctl", self.rootfsctl(["--ro-bind", "{data}", "/data"])),
                ("rootfsctl --cap-add ALL",
                 self.rootfsctl(["--cap-add", "ALL", "--ro-bind", "{data}", "/data"]))):
            with self.subTest(name):
                data = self.scratch()
                result = self.run_as_user([data if w == "{data}" else w for w in command]
                                          + attack)
                if name == "rootfsctl":
                    self.assertNotEqual(result[0], 0, result)
                    self.assertEqual(os.listdir(data), [])
                else:
                    self.assertEqual(result, (0, "", ""))
                    self.assertEqual(os.listdir(data), ["x"])


class ParityRootlessTest(ParityCases, unittest.TestCase):
    rootless = True


if __name__ == "__main__":
    support.configure(sys.argv.pop(1), sys.argv.pop(1))
    unittest.main(verbosity=2)
