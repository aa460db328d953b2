#!/usr/bin/env python3
"""The C library as its callers get it (issue 21): installed into a staging prefix
(`cmake --install --component c_library`), never the build tree, with no rootfsctl
binary on PATH, used from C (pkg-config alone, and find_package), Python (ctypes) and Go
(cgo, GOPROXY=off). Each loads the bundled sandbox layout, plans it, applies it for real
to a parked child and reads the outcome; the Go one also applies to a child in a user
namespace of its own (mapped 0 100000 65536), through the library's forked helper.

With --sanitize (the ASan+UBSan build) only the C programs run, built with the same
sanitizers against the instrumented library, leak checking on.

Usage: capi_test.py BUILD_DIR SOURCE_DIR ROOTFSCTL_BINARY [--sanitize] [unittest args]
"""
import glob
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))
import support  # noqa: E402
from support import ParkedChild, require_root  # noqa: E402

BUILD = SOURCE = BINARY = None
SANITIZE = False
SANDBOX_LISTING = ["bin", "dev", "lib", "lib64", "proc", "sbin", "tmp", "usr"]
SANITIZER_FLAGS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined",
                   "-fno-omit-frame-pointer"]


def run(argv, env=None, timeout=300, cwd=None):
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout,
                          cwd=cwd)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, argv))}: exit {proc.returncode}\n"
                             f"stdout: {proc.stdout[-3000:]}\nstderr: {proc.stderr[-3000:]}")
    return proc


def path_without_rootfsctl():
    """PATH with every directory that holds a rootfsctl program left out."""
    dirs = [d for d in os.environ.get("PATH", "/usr/bin:/bin").split(":")
            if d and not os.path.exists(os.path.join(d, "rootfsctl"))]
    return ":".join(dirs)


class Staged:
    """The C library installed into a fresh prefix, and the environment callers get."""

    def __init__(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="rootfsctl-capi-"))
        self.prefix = self.tmp / "prefix"
        run(["cmake", "--install", BUILD, "--component", "c_library", "--prefix", self.prefix])
        pcs = glob.glob(str(self.prefix / "**" / "rootfsctl-c.pc"), recursive=True)
        assert len(pcs) == 1, f"rootfsctl-c.pc installed {len(pcs)} times"
        self.pkgconfig = pathlib.Path(pcs[0]).parent
        self.libdir = self.pkgconfig.parent
        self.library = self.libdir / "librootfsctl.so.0"
        self.env = dict(os.environ, PATH=path_without_rootfsctl(),
                        PKG_CONFIG_PATH=str(self.pkgconfig))
        assert shutil.which("rootfsctl", path=self.env["PATH"]) is None
        if SANITIZE:
            self.env["ASAN_OPTIONS"] = "exitcode=99:detect_leaks=1:strict_string_checks=1"
            self.env["UBSAN_OPTIONS"] = "exitcode=99:print_stacktrace=1"
        self.layout = str(SOURCE / "manifests" / "sandbox.yaml")

    def pkg_config(self, *args):
        return run(["pkg-config", *args, "rootfsctl-c"], env=self.env).stdout.split()

    def build_c(self, name="proof"):
        out = self.tmp / name
        flags = SANITIZER_FLAGS if SANITIZE else []
        run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", *flags, str(HERE / "proof.c"),
             "-o", out, *self.pkg_config("--cflags", "--libs"), "-pthread",
             f"-Wl,-rpath,{self.libdir}"], env=self.env)
        return out

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


STAGED = None


def setUpModule():
    global STAGED
    STAGED = Staged()


def tearDownModule():
    STAGED.close()


class InstalledLibraryTest(unittest.TestCase):
    def test_soname_exports_and_flags(self):
        dynamic = run(["readelf", "-d", STAGED.library]).stdout
        self.assertIn("Library soname: [librootfsctl.so.0]", dynamic)
        symbols = run(["nm", "-D", "--defined-only", STAGED.library]).stdout.split("\n")
        exported = sorted(line.split()[-1] for line in symbols if line.strip())
        others = [s for s in exported if not s.startswith("rootfsctl_") and s != "ROOTFSCTL_0"]
        self.assertEqual(others, [], "only the C API may be exported")
        self.assertIn("rootfsctl_apply@@ROOTFSCTL_0", exported)
        cflags = STAGED.pkg_config("--cflags")
        self.assertFalse([f for f in cflags if f.startswith("-std") or "c++" in f], cflags)
        size = STAGED.library.resolve().stat().st_size
        print(f"capi: {len([s for s in exported if s.startswith('rootfsctl_')])} symbols "
              f"exported, library {size / 1e6:.1f} MB", file=sys.stderr)

    def test_header_compiles_alone_in_c_and_cpp(self):
        cflags = STAGED.pkg_config("--cflags")
        for compiler, std in (("cc", "-std=c99"), ("c++", "-std=c++17")):
            proc = subprocess.run([compiler, std, "-Wall", "-Wextra", "-pedantic", "-Werror",
                                   "-fsyntax-only", *cflags, "-x", "c" if compiler == "cc" else "c++",
                                   "-"], input="#include <rootfsctl/rootfsctl.h>\n",
                                  capture_output=True, text=True, env=STAGED.env)
            self.assertEqual(proc.returncode, 0, f"{compiler}: {proc.stderr}")

    def test_find_package_consumer_in_c(self):
        if SANITIZE:
            self.skipTest("a sanitizer build installs no CMake package (cmake/install_c.cmake)")
        project = STAGED.tmp / "consumer"
        project.mkdir()
        (project / "CMakeLists.txt").write_text(f"""cmake_minimum_required(VERSION 3.25)
project(consumer LANGUAGES C)
find_package(rootfsctl-c 0.1 REQUIRED)
add_executable(proof {HERE / 'proof.c'})
target_link_libraries(proof PRIVATE rootfsctl::c)
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
target_link_libraries(proof PRIVATE Threads::Threads)
""")
        build = STAGED.tmp / "consumer-build"
        run(["cmake", "-S", project, "-B", build, "-G", "Ninja",
             f"-DCMAKE_PREFIX_PATH={STAGED.prefix}"], env=STAGED.env)
        run(["cmake", "--build", build], env=STAGED.env)
        errors = run([build / "proof", "errors"], env=STAGED.env).stdout
        self.assertIn("good_layout 0", errors)


class CProgramTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proof = STAGED.build_c()

    def test_errors_are_values(self):
        out = run([self.proof, "errors"], env=STAGED.env).stdout
        lines = out.splitlines()
        self.assertTrue(lines[0].startswith("bad_layout 2 stage=manifest errno=0"), out)
        error = json.loads("\n".join(lines[1:lines.index("}") + 1]))["error"]
        self.assertEqual((error["stage"], error["file"]), ("manifest", "bad.yaml"))
        self.assertIn("bad_var 2 stage=usage", out)
        self.assertIn("good_layout 0", out)
        self.assertIn("no_process 5 stage=open_ns errno=3 json=null", out)  # ESRCH
        self.assertIn("null_layout 2 stage=usage", out)

    def test_eight_threads_plan_at_once(self):
        out = run([self.proof, "threads", STAGED.layout, "8"], env=STAGED.env).stdout
        self.assertIn("threads 8 plans 160 identical 160 failures 0", out)

    def test_applies_to_a_parked_child(self):
        require_root(self)
        out_dir = STAGED.tmp / "c-out"
        out_dir.mkdir()
        with ParkedChild() as child:
            table = STAGED.tmp / "child.mountinfo"
            table.write_text(child.mountinfo())
            proc = subprocess.run([self.proof, "apply", STAGED.layout, str(child.pid), out_dir],
                                  capture_output=True, text=True, env=STAGED.env, timeout=120)
            listing = child.root_listing()
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        steps = dict(line.split()[:2] for line in proc.stdout.splitlines()
                     if "error" not in line)
        self.assertEqual(steps, {"load": "0", "plan_pid": "0", "plan_mountinfo": "0",
                                 "apply_fail_at": "3", "apply_kill_refused": "2", "apply": "0",
                                 "verify": "0", "capture": "0"}, proc.stdout)
        self.assertEqual(listing, SANDBOX_LISTING)
        read = lambda step: (out_dir / f"{step}.json").read_text()
        # The same bytes as `rootfsctl plan --format json` for the same table.
        cli = run([BINARY, "plan", STAGED.layout, "--set", "usr=/usr", "--mountinfo", table,
                   "--format", "json"]).stdout
        self.assertEqual(read("plan_mountinfo"), cli)
        ops = len(json.loads(read("plan_pid"))["ops"])
        drill = json.loads(read("apply_fail_at"))
        self.assertEqual((drill["error"]["op_index"], drill["rollback"]["clean"]), (5, True))
        self.assertEqual(json.loads(read("apply_kill_refused"))["error"]["stage"], "usage")
        applied = json.loads(read("apply"))["applied"]
        self.assertEqual(applied["ops"], ops)
        self.assertTrue(json.loads(read("verify"))["match"])
        self.assertIn("tmpfs", json.loads(read("capture"))["yaml"])
        print(f"capi: C applied {ops} ops in {applied['elapsed_ms']:.2f} ms", file=sys.stderr)


def mapped_child():
    """A parked child in a user namespace of its own mapped 0 100000 65536 (and an ipc
    namespace, as the sandbox's mqueue needs): (its Popen, its pid)."""
    argv = [sys.executable, str(HERE.parent / "e2e" / "userns_child.py"),
            "0 100000 65536", "0 100000 65536", "ipc"]
    child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    line = child.stdout.readline()
    if not line.startswith("ready "):
        child.kill()
        child.communicate()
        raise AssertionError(f"the user-namespaced child did not park: {line!r}")
    return child, int(line.split()[1])


class ForkUnderLoadTest(unittest.TestCase):
    def test_helper_forks_while_seven_threads_plan(self):
        # Under ASan the allocator is the sanitizer's, not glibc's, whose fork handling the
        # helper relies on (docs/library.md, fork safety): the normal phase runs this.
        if SANITIZE:
            self.skipTest("the helper relies on glibc's malloc across fork")
        require_root(self)
        proof = STAGED.build_c("proof-fork")
        child, pid = mapped_child()
        try:
            proc = subprocess.run([proof, "fork-load", STAGED.layout, str(pid), "8", "20"],
                                  capture_output=True, text=True, env=STAGED.env, timeout=300)
            listing = sorted(os.listdir(f"/proc/{pid}/root/"))
        finally:
            child.communicate("\n", timeout=10)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("drills 20 rolled_back 20 apply 0", proc.stdout)
        self.assertEqual(listing, SANDBOX_LISTING)
        print(f"capi: {proc.stdout.strip()}", file=sys.stderr)


class OtherLanguagesTest(unittest.TestCase):
    def setUp(self):
        if SANITIZE:
            self.skipTest("the sanitizer phase runs the C programs only")

    def test_python_ctypes_applies_to_a_parked_child(self):
        require_root(self)
        with ParkedChild() as child:
            proc = run([sys.executable, HERE / "proof.py", STAGED.library, STAGED.layout,
                        str(child.pid)], env=STAGED.env, timeout=120)
            listing = child.root_listing()
        result = json.loads(proc.stdout)
        self.assertEqual((result["plan"], result["apply"], result["verify"], result["match"]),
                         (0, 0, 0, True), result)
        self.assertEqual(result["applied"]["ops"], result["ops"])
        self.assertEqual(listing, SANDBOX_LISTING)

    def test_go_cgo_applies_to_a_parked_and_a_user_namespaced_child(self):
        require_root(self)
        work = STAGED.tmp / "go"
        shutil.copytree(HERE / "go", work)
        env = dict(STAGED.env, GOPROXY="off", GOFLAGS="-mod=mod", GO111MODULE="on",
                   GOCACHE=str(pathlib.Path(BUILD) / "capi-gocache"), GOPATH=str(work / "gopath"),
                   CGO_ENABLED="1", CGO_LDFLAGS=f"-Wl,-rpath,{STAGED.libdir}")
        run(["go", "build", "-o", work / "proof", "."], env=env, cwd=work, timeout=600)
        mapped, mapped_pid = mapped_child()
        try:
            with ParkedChild() as child:
                proc = run([work / "proof", STAGED.layout, str(child.pid), str(mapped_pid)],
                           env=env, timeout=120)
                listing = child.root_listing()
            mapped_listing = sorted(os.listdir(f"/proc/{mapped_pid}/root/"))
        finally:
            mapped.communicate("\n", timeout=10)
        results = [json.loads(line) for line in proc.stdout.splitlines()]
        self.assertEqual(len(results), 2, proc.stdout)
        for result in results:
            self.assertEqual((result["plan"], result["apply"], result["verify"], result["match"]),
                             (0, 0, 0, True), result)
            self.assertEqual(result["applied"]["ops"], result["ops"])
        self.assertEqual(listing, SANDBOX_LISTING)
        self.assertEqual(mapped_listing, SANDBOX_LISTING)


if __name__ == "__main__":
    BUILD, SOURCE, BINARY = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
    args = sys.argv[4:]
    if args[:1] == ["--sanitize"]:
        SANITIZE = True
        args = args[1:]
    support.configure(BINARY, SOURCE)
    unittest.main(argv=[sys.argv[0], *args], verbosity=2)
