"""The everyday surface of issue 22, end to end: text that fits the terminal ($COLUMNS),
--color with NO_COLOR and TERM=dumb, -V, `help CMD`, did-you-mean for mistyped options,
and `mounts` reading a piped capture with comments and CRLF and refusing a bad one
without printing its control bytes. Needs no privileges."""
import os
import subprocess
import sys
import unittest

import support

CAPTURE = (b"# captured on host A\r\n"
           b"\r\n"
           b"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda rw\r\n"
           b"23 22 0:21 /sub /srv ro master:1 - tmpfs tmpfs ro\r\n")


def run(*args, env=None, stdin=None):
    full = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR", "TERM")}
    full.update(env or {})
    return subprocess.run([support.BINARY, *args], capture_output=True, env=full, input=stdin,
                          timeout=60)


def lines(data):
    return data.decode("utf-8", "replace").split("\n")


class WidthTest(unittest.TestCase):
    def test_plan_sandbox_fits_80_columns(self):
        for fmt in ("text", "tree"):
            with self.subTest(fmt=fmt):
                proc = run("plan", "sandbox", "--format", fmt, env={"COLUMNS": "80"})
                self.assertEqual(proc.returncode, 0, proc.stderr)
                longest = max(len(line) for line in lines(proc.stdout))
                self.assertLessEqual(longest, 80, proc.stdout.decode())
        # Without a width (a pipe, no $COLUMNS) lines are whole, as before.
        wide = run("plan", "sandbox")
        self.assertGreater(max(len(line) for line in lines(wide.stdout)), 80)

    def test_mounts_fits_30_columns(self):
        proc = run("mounts", "--mountinfo", "-", "-o", "TARGET,SOURCE,OPTIONS",
                   env={"COLUMNS": "30"}, stdin=CAPTURE)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertLessEqual(max(len(line) for line in lines(proc.stdout)), 30, proc.stdout)
        self.assertIn(b"relatime", proc.stdout)  # wrapped, not cut


class ColorTest(unittest.TestCase):
    def test_color_always_never_and_auto(self):
        always = run("plan", "sandbox", "--color=always").stdout
        self.assertIn(b"\x1b[", always)
        self.assertNotIn(b"\x1b[", run("plan", "sandbox", "--color", "never").stdout)
        # auto: not a terminal here, so no colour.
        self.assertNotIn(b"\x1b[", run("plan", "sandbox").stdout)
        # --color=always wins over NO_COLOR and TERM=dumb (no-color.org: flags override).
        self.assertIn(b"\x1b[", run("plan", "sandbox", "--color=always",
                                    env={"NO_COLOR": "1", "TERM": "dumb"}).stdout)

    def test_auto_honours_no_color_and_term_dumb_on_a_terminal(self):
        import pty
        for env, coloured in (({}, True), ({"NO_COLOR": "1"}, False), ({"TERM": "dumb"}, False)):
            with self.subTest(env=env):
                master, slave = pty.openpty()
                full = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
                full["TERM"] = "xterm"
                full.update(env)
                proc = subprocess.Popen([support.BINARY, "mounts", "--mountinfo", "-"],
                                        stdin=subprocess.PIPE, stdout=slave, stderr=slave,
                                        env=full)
                os.close(slave)
                proc.communicate(CAPTURE, timeout=30)
                out = b""
                while True:
                    try:
                        chunk = os.read(master, 65536)
                    except OSError:
                        break
                    if not chunk:
                        break
                    out += chunk
                os.close(master)
                self.assertEqual(b"\x1b[" in out, coloured, out)

    def test_bad_value_is_a_usage_error(self):
        proc = run("mounts", "--color=sometimes")
        self.assertEqual(proc.returncode, 2)
        self.assertIn(b"--color expects auto, always or never", proc.stderr)

    def test_run_leaves_the_commands_own_color_alone(self):
        # Past `--` the words are the command's: `--color` is not taken out.
        proc = run("plan", "sandbox", "--color=never", "--", "ls", "--color")
        self.assertEqual(proc.returncode, 2)  # plan takes no command: cxxopts refuses it
        self.assertNotIn(b"--color expects", proc.stderr)


class SurfaceTest(unittest.TestCase):
    def test_dash_v_is_version(self):
        self.assertEqual(run("-V").stdout, run("--version").stdout)
        self.assertTrue(run("-V").stdout.startswith(b"rootfsctl "))

    def test_help_cmd_is_cmd_help(self):
        for path in (("mounts",), ("plan",), ("oci", "import")):
            with self.subTest(path=path):
                self.assertEqual(run("help", *path).stdout, run(*path, "--help").stdout)
                self.assertEqual(run("help", *path).returncode, 0)
        proc = run("help", "mounst")
        self.assertEqual(proc.returncode, 2)
        self.assertIn(b"did you mean 'mounts'?", proc.stderr)

    def test_mistyped_option_gets_a_suggestion_with_plain_quotes(self):
        proc = run("plan", "sandbox", "--formt", "json")
        self.assertEqual(proc.returncode, 2)
        self.assertIn(b"unknown option '--formt' (did you mean '--format'?)", proc.stderr)
        self.assertNotIn("\u2018".encode(), proc.stderr)
        proc = run("mounts", "--noheading")
        self.assertIn(b"did you mean '--noheadings'?", proc.stderr)


    def test_mistyped_profile_name_gets_a_suggestion(self):
        for command in (("plan", "sandbx"), ("profiles", "show", "sandbx")):
            with self.subTest(command=command):
                proc = run(*command)
                self.assertEqual(proc.returncode, 2)
                self.assertIn(b"no layout file or profile named 'sandbx' (did you mean "
                              b"'sandbox'?)", proc.stderr)


class CaptureTest(unittest.TestCase):
    def test_piped_capture_with_comments_and_crlf(self):
        proc = run("mounts", "--mountinfo", "-", "-r", "-o", "TARGET,SOURCE,OPTIONS,FSROOT,PROPAGATION",
                   stdin=CAPTURE)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout,
                         b"TARGET SOURCE OPTIONS FSROOT PROPAGATION\n"
                         b"/ /dev/vda rw,relatime / shared\n"
                         b"/srv tmpfs[/sub] ro /sub private,slave\n")

    def test_a_bad_line_is_shown_escaped(self):
        bad = CAPTURE + b"24 23 0:\x1b]0;owned\x07 / /x rw - t s rw\n"
        proc = run("mounts", "--mountinfo", "-", stdin=bad)
        self.assertEqual(proc.returncode, 2)
        self.assertIn(b"standard input", proc.stderr)
        self.assertIn(b"line 5", proc.stderr)
        for byte in (b"\x1b", b"\x07"):
            self.assertNotIn(byte, proc.stderr)
        self.assertIn(b"\\x1b]0;owned\\x07", proc.stderr)


if __name__ == "__main__":
    support.configure(sys.argv.pop(1), sys.argv.pop(1))
    unittest.main(verbosity=2)
