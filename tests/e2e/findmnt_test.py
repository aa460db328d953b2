"""`rootfsctl mounts` against findmnt, column by column (issue 22).

A child parked in its own mount namespace (propagation private; nothing is mounted in the
machine's namespace) builds a table with hostile names (space, tab, newline, backslash,
`\\x`, quote, `$`, backquote, a C1 control, UTF-8 and bytes that are not UTF-8), a
read-only filesystem under a read-write mount, a filesystem read-only beneath a
read-write mount of it, binds of subdirectories, stacked mounts and every propagation kind.
Its table is read three ways (the captured file, the file piped on stdin, and --pid,
which reads it through listmount where the kernel has it), and each is compared with
findmnt's (`-F FILE`, `-N PID`) in the raw, pairs, list and tree forms, and under every
filter. Where rootfsctl deliberately differs, the test asserts the difference
(docs/commands.md lists them)."""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import unittest

import support
from support import ParkedChild, require_root, rootfsctl

COLUMNS = "TARGET,SOURCE,FSTYPE,OPTIONS,VFS-OPTIONS,FS-OPTIONS,FSROOT,PROPAGATION,OPT-FIELDS,ID,PARENT,MAJ:MIN"

# Directory names under the scratch mount, as bytes: each is a mount point.
HOSTILE = [b"a b", b"tab\there", b"nl\nx", b"back\\slash", b"bx\\xab", b'q"uote',
           b"d$x`y", b"c1\xc2\x9b", b"caf\xc3\xa9", b"lat\xe9", b"del\x7f"]

SETUP = r"""
set -e
top=$1
mount -t tmpfs -o size=4m scratch "$top"
cd "$top"
# A read-only filesystem under a read-write mount.
mkdir ro && mount -t tmpfs -o ro rofs ro
# A filesystem whose superblock is read-only beneath a mount that says rw: findmnt says ro.
mkdir sbro sbro-rw && mount -t tmpfs sbro sbro && mount --bind sbro sbro-rw
mount -o remount,ro sbro && mount -o remount,bind,rw sbro-rw
# Binds of subdirectories: source[/dir].
mkdir -p tree/sub/dir bindsub bindsub2 && mount --bind tree/sub/dir bindsub
mount --bind tree/sub bindsub2
# Every propagation kind.
mkdir shared slave sharedslave unbindable private stack
mount -t tmpfs shfs shared && mount --make-shared shared
mount --bind shared slave && mount --make-slave slave
mount --bind shared sharedslave && mount --make-slave sharedslave && mount --make-shared sharedslave
mount -t tmpfs ubfs unbindable && mount --make-unbindable unbindable
mount -t tmpfs privfs private
# Two mounts stacked on one mount point.
mount -t tmpfs stack1 stack && mount -t tmpfs stack2 stack
"""


def run(argv, env=None, stdin=None, check=True):
    proc = subprocess.run(argv, capture_output=True, env=env, stdin=stdin, timeout=60)
    if check and proc.returncode != 0:
        raise AssertionError(f"{argv}: exit {proc.returncode}: {proc.stderr[-2000:]!r}")
    return proc


def environment(locale="C.UTF-8"):
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LANG", "LC_CTYPE")}
    env["LC_ALL"] = locale
    return env


def rows(output):
    return [line for line in output.split(b"\n") if line]


class FindmntTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.scratch = None
        cls.child = None
        if os.geteuid() != 0 or not shutil.which("findmnt"):
            return
        cls.scratch = pathlib.Path(tempfile.mkdtemp(prefix="rootfsctl-findmnt-"))
        (cls.scratch / "top").mkdir()
        (cls.scratch / "names").write_bytes(b"".join(n + b"\0" for n in HOSTILE))
        (cls.scratch / "setup.sh").write_text(SETUP)
        cls.top = str(cls.scratch / "top")
        cls.child = ParkedChild(f"bash {cls.scratch}/setup.sh {cls.top}").__enter__()
        cls.mount_hostile_names()
        cls.file = str(cls.scratch / "mountinfo")
        pathlib.Path(cls.file).write_bytes(
            pathlib.Path(f"/proc/{cls.child.pid}/mountinfo").read_bytes())

    @classmethod
    def mount_hostile_names(cls):
        """One tmpfs on each hostile name, its source "src N\\". Made from here, with
        the bytes as argv (a shell's read mangles DEL), in the child's mount namespace:
        the directories through /proc/PID/root, the mounts with nsenter."""
        top = cls.top.encode()
        for i, name in enumerate(HOSTILE):
            os.mkdir(b"/proc/%d/root%s/%s" % (cls.child.pid, top, name))
            run(["nsenter", "-t", str(cls.child.pid), "-m", "--", "mount", "-t", "tmpfs",
                 f"src {i}\\", top + b"/" + name])

    @classmethod
    def tearDownClass(cls):
        if cls.child:
            cls.child.__exit__(None, None, None)
        if cls.scratch:
            shutil.rmtree(cls.scratch, ignore_errors=True)

    def setUp(self):
        require_root(self)
        if self.child is None:
            self.fail("the parked child was not set up")
        if not shutil.which("findmnt"):
            self.fail("findmnt (util-linux) is needed: scripts/deps.sh installs it")

    # -- helpers -------------------------------------------------------------------------

    def findmnt(self, *args, locale="C.UTF-8", source=None):
        """findmnt in the child's mount namespace (it only reads), where the paths of the
        table exist: findmnt resolves -T and path arguments in the filesystem."""
        source = source or ["-F", self.file]
        return run(["nsenter", "-t", str(self.child.pid), "-m", "--", "findmnt", *source,
                    *args], env=environment(locale), check=False)

    def ours(self, *args, locale="C.UTF-8", target=None, stdin=None):
        target = target or ["--mountinfo", self.file]
        return run([support.BINARY, "mounts", *target, *args], env=environment(locale),
                   stdin=stdin, check=False)

    def assertSameRows(self, theirs, ours, columns, what):
        """Rows keyed by ID (the first column), compared column by column."""
        self.assertEqual(theirs.returncode, 0, theirs.stderr)
        self.assertEqual(ours.returncode, 0, ours.stderr)
        names = columns.split(",")
        theirs_rows = {r.split(b" ")[0]: r.split(b" ") for r in rows(theirs.stdout)[1:]}
        ours_rows = {r.split(b" ")[0]: r.split(b" ") for r in rows(ours.stdout)[1:]}
        self.assertEqual(rows(ours.stdout)[0], rows(theirs.stdout)[0], f"{what}: header")
        self.assertEqual(sorted(ours_rows), sorted(theirs_rows), f"{what}: mount ids")
        for key, theirs_row in theirs_rows.items():
            ours_row = ours_rows[key]
            self.assertEqual(len(ours_row), len(theirs_row), f"{what}: {theirs_row}")
            for name, a, b in zip(names, theirs_row, ours_row):
                self.assertEqual(b, a, f"{what}: mount {key.decode()} column {name}")

    # -- the table itself ----------------------------------------------------------------

    def test_the_table_has_what_the_test_built(self):
        text = pathlib.Path(self.file).read_bytes()
        self.assertEqual(text.count(b" - tmpfs src"), len(HOSTILE))
        for name in HOSTILE:
            mangled = (name.replace(b"\\", b"\\134").replace(b" ", b"\\040")
                       .replace(b"\t", b"\\011").replace(b"\n", b"\\012"))
            self.assertIn(b"/" + mangled + b" ", text)
        for marker in (b"shared:", b"master:", b"unbindable", b" /tree/sub/dir ", b"ro,relatime - tmpfs rofs ro"):
            self.assertIn(marker, text)

    def test_raw_matches_column_by_column(self):
        cols = "ID," + COLUMNS.replace(",ID", "")
        for locale in ("C.UTF-8", "C"):
            with self.subTest(locale=locale):
                self.assertSameRows(self.findmnt("--raw", "-o", cols, locale=locale),
                                    self.ours("-r", "-o", cols, locale=locale), cols,
                                    f"raw {locale}")
                # And byte for byte, in table order.
                self.assertEqual(self.ours("-r", "-o", cols, locale=locale).stdout,
                                 self.findmnt("--raw", "-o", cols,
                                              locale=locale).stdout)

    def test_pairs_are_byte_identical(self):
        for cols in (COLUMNS, "TARGET,SOURCE", "SOURCE,FSROOT,PROPAGATION"):
            with self.subTest(cols=cols):
                theirs = self.findmnt("--pairs", "-o", cols)
                ours = self.ours("-P", "-o", cols)
                self.assertEqual((ours.returncode, ours.stdout), (0, theirs.stdout))

    def test_read_only_filesystem_under_a_rw_mount_is_ro(self):
        out = self.ours("-r", "-n", "-o", "TARGET,VFS-OPTIONS,FS-OPTIONS,OPTIONS",
                        self.top + "/sbro-rw").stdout
        target, vfs, fs, options = out.split()
        self.assertEqual((vfs.split(b",")[0], fs.split(b",")[0], options.split(b",")[0]),
                         (b"rw", b"ro", b"ro"))
        self.assertEqual(out, self.findmnt("-r", "-n", "-o",
                                           "TARGET,VFS-OPTIONS,FS-OPTIONS,OPTIONS",
                                           self.top + "/sbro-rw").stdout)

    def test_bind_of_a_subdirectory_shows_its_root(self):
        out = self.ours("-r", "-n", "-o", "SOURCE,FSROOT", self.top + "/bindsub").stdout
        self.assertEqual(out, b"scratch[/tree/sub/dir] /tree/sub/dir\n")

    def test_json_has_every_propagation_kind(self):
        mounts = json.loads(self.ours("--format", "json", "-t", "tmpfs").stdout)["mounts"]
        by_target = {m["target"]: m for m in mounts}
        top = self.top
        self.assertEqual(by_target[top + "/shared"]["propagation"], "shared")
        self.assertIn("shared", by_target[top + "/shared"])
        self.assertEqual(by_target[top + "/slave"]["propagation"], "private,slave")
        self.assertEqual(by_target[top + "/slave"]["master"], by_target[top + "/shared"]["shared"])
        self.assertEqual(by_target[top + "/sharedslave"]["propagation"], "shared,slave")
        self.assertEqual(by_target[top + "/unbindable"]["propagation"], "private,unbindable")
        self.assertEqual(by_target[top + "/private"]["propagation"], "private")
        self.assertNotIn("shared", by_target[top + "/private"])
        # The same words as findmnt's PROPAGATION column, for every mount.
        theirs = self.findmnt("-l", "-J", "-o", "ID,PROPAGATION")
        findmnt_words = {int(f["id"]): f["propagation"]
                         for f in json.loads(theirs.stdout)["filesystems"]}
        all_mounts = json.loads(self.ours("--format", "json").stdout)["mounts"]
        self.assertEqual({m["id"]: m["propagation"] for m in all_mounts}, findmnt_words)

    # -- the three ways of reading the table ---------------------------------------------

    def test_stdin_and_pid_read_the_same_table(self):
        cols = "ID,TARGET,SOURCE,FSTYPE,OPTIONS,FSROOT,PROPAGATION,PARENT,MAJ:MIN"
        with open(self.file, "rb") as f:
            piped = self.ours("-r", "-o", cols, target=["--mountinfo", "-"], stdin=f)
        self.assertEqual(piped.stdout, self.ours("-r", "-o", cols).stdout)
        # A pipe, as a shell makes it.
        shell = run(["sh", "-c", f'cat "$1" | "$2" mounts --mountinfo - -P -o {cols}', "sh",
                     self.file, support.BINARY], env=environment())
        self.assertEqual(shell.stdout, self.findmnt("-P", "-o", cols).stdout)
        # The live child, through listmount/statmount where the kernel has them, against
        # findmnt -N (its /proc/PID/mountinfo).
        pid = str(self.child.pid)
        self.assertSameRows(self.findmnt("-r", "-o", cols, source=["-N", pid]),
                            self.ours("-r", "-o", cols, target=["--pid", pid]), cols, "--pid")

    # -- filters -------------------------------------------------------------------------

    def test_filters_select_what_findmnt_selects(self):
        top = self.top
        cases = [
            ("-t", "tmpfs"), ("-t", "notmpfs"), ("-t", "proc,sysfs"), ("-t", "noproc,tmpfs"),
            ("-O", "ro"), ("-O", "noro"), ("-O", "ro,relatime"), ("-O", "size=4096k"),
            ("-S", "shfs"), ("-S", "scratch"), ("-S", "src 0\\"),
            ("-T", top + "/bindsub"), ("-T", top + "/stack"), ("-T", top + "/tree/sub"),
            ("-T", top + "/ro/."), ("-T", top + "/private/../ro"),
            (top + "/stack",), ("shfs",), (top + "/a b",), ("shfs", top + "/slave"),
            ("-t", "tmpfs", "-O", "ro"), ("-S", "shfs", "-O", "noro"),
        ]
        for args in cases:
            with self.subTest(args=args):
                theirs = self.findmnt("-r", "-n", "-o", "ID", *args)
                ours = self.ours("-r", "-n", "-o", "ID", *args)
                self.assertEqual((ours.returncode, ours.stdout),
                                 (theirs.returncode, theirs.stdout))

    def test_nothing_selected_is_exit_1_as_findmnt(self):
        for args in (("-t", "nosuchfs_really_not", "-O", "ro", "-S", "nothing"),
                     (self.top + "/not-a-mount-point",)):
            with self.subTest(args=args):
                self.assertEqual(self.ours(*args).returncode, self.findmnt(*args).returncode)
                self.assertEqual(self.ours(*args).returncode, 1)

    # -- the tree ------------------------------------------------------------------------

    def test_tree_is_drawn_as_findmnt_draws_it(self):
        # One column, so no padding differs: the lines are the same bytes, box drawing in
        # a UTF-8 locale and ASCII in C.
        for locale in ("C.UTF-8", "C"):
            for args in ((), ("-t", "tmpfs"), ("-O", "noro")):
                with self.subTest(locale=locale, args=args):
                    theirs = self.findmnt("-o", "TARGET", *args, locale=locale)
                    ours = self.ours("-o", "TARGET", *args, locale=locale)
                    self.assertEqual(ours.stdout.decode("latin-1"),
                                     theirs.stdout.decode("latin-1"))
        ascii = self.ours("-o", "TARGET", locale="C").stdout
        self.assertTrue(all(b < 0x80 for b in ascii), "non-ASCII byte in the C locale")
        self.assertIn(b"`-", ascii)

    # -- deliberate differences ----------------------------------------------------------

    def test_columns_are_separated_by_two_spaces_not_one(self):
        theirs = rows(self.findmnt("-l", "-o", "ID,PARENT", self.top + "/ro").stdout)
        ours = rows(self.ours("-l", "-o", "ID,PARENT", self.top + "/ro").stdout)
        self.assertEqual([r.split() for r in ours], [r.split() for r in theirs])
        self.assertIn(b"ID  PARENT", ours[0])
        self.assertIn(b"ID PARENT", theirs[0])

    def test_target_is_resolved_lexically(self):
        # findmnt resolves -T's path in the filesystem, so a path that does not exist
        # finds nothing; rootfsctl reads captured tables of other machines and namespaces
        # and walks the path up lexically to the nearest mount point.
        missing = self.top + "/bindsub/not/there"
        self.assertEqual(self.findmnt("-r", "-n", "-o", "ID", "-T", missing).returncode, 1)
        ours = self.ours("-r", "-n", "-o", "TARGET", "-T", missing)
        self.assertEqual((ours.returncode, ours.stdout), (0, (self.top + "/bindsub\n").encode()))

    def test_json_carries_every_field_whatever_the_columns(self):
        mounts = json.loads(self.ours("--format", "json", "-o", "TARGET",
                                      self.top + "/bindsub").stdout)["mounts"]
        self.assertEqual(len(mounts), 1)
        self.assertEqual(mounts[0]["root"], "/tree/sub/dir")
        self.assertIn("super_options", mounts[0])


if __name__ == "__main__":
    support.configure(sys.argv.pop(1), sys.argv.pop(1))
    unittest.main(verbosity=2)
