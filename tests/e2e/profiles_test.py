#!/usr/bin/env python3
"""End-to-end tests of profiles on the command line: `profiles list` and `profiles show`,
and plans of composed profiles whose ops name the file and line they came from.

Usage: profiles_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]
"""
import json
import os
import pathlib
import sys
import tempfile
import unittest

import support
from support import rootfsctl


def data(name):
    return SOURCE / "tests/data/profiles" / name


class ProfilesTestCase(unittest.TestCase):
    def setUp(self):
        self.saved_path = os.environ.get("ROOTFSCTL_PATH")
        os.environ["ROOTFSCTL_PATH"] = str(SOURCE / "tests/data/profiles")

    def tearDown(self):
        if self.saved_path is None:
            os.environ.pop("ROOTFSCTL_PATH", None)
        else:
            os.environ["ROOTFSCTL_PATH"] = self.saved_path


class ListTest(ProfilesTestCase):
    def test_json_shape(self):
        out = json.loads(rootfsctl("profiles", "list", "--format", "json", check_exit=0).stdout)
        self.assertEqual(list(out), ["profiles"])
        profiles = out["profiles"]
        names = [p["name"] for p in profiles]
        self.assertEqual(names, sorted(names))
        self.assertEqual(len(names), len(set(names)), "one entry per name")
        for profile in profiles:
            self.assertLessEqual({"name", "description", "path"}, set(profile))
        by_name = {p["name"]: p for p in profiles}
        self.assertEqual(by_name["base"]["path"], str(data("base.yaml")))
        self.assertEqual(by_name["base"]["description"],
                         "Host /usr read-only on a tmpfs root, with /proc, /tmp and a scratch "
                         "bind.")
        self.assertNotIn("error", by_name["base"])
        # The bundled profiles come after ROOTFSCTL_PATH on the search path.
        self.assertEqual(by_name["sandbox"]["path"], str(SOURCE / "manifests/sandbox.yaml"))
        self.assertIn("extends cycle", by_name["cycle-a"]["error"])

    def test_first_directory_wins(self):
        with tempfile.TemporaryDirectory() as tmp:
            pathlib.Path(tmp, "sandbox.yaml").write_text(
                "version: 1\ndescription: my sandbox\nextends: [sandbox]\n")
            os.environ["ROOTFSCTL_PATH"] = tmp
            out = json.loads(rootfsctl("profiles", "--format", "json", check_exit=0).stdout)
            sandbox = [p for p in out["profiles"] if p["name"] == "sandbox"]
            self.assertEqual(sandbox, [{"name": "sandbox", "description": "my sandbox",
                                        "path": f"{tmp}/sandbox.yaml"}])

    def test_text(self):
        out = rootfsctl("profiles", check_exit=0).stdout.decode()
        self.assertTrue(out.startswith("NAME"), out)
        self.assertIn(str(SOURCE / "manifests/sandbox.yaml"), out)

    def test_usage_errors(self):
        proc = rootfsctl("profiles", "frobnicate", check_exit=2)
        self.assertIn("profiles expects `list` or `show NAME`", proc.stderr.decode())
        rootfsctl("profiles", "list", "--resolved", check_exit=2)
        rootfsctl("profiles", "show", "nosuchprofile", check_exit=2)


class ShowTest(ProfilesTestCase):
    def test_without_resolved_prints_the_file_as_it_is(self):
        proc = rootfsctl("profiles", "show", "child", check_exit=0)
        self.assertEqual(proc.stdout, data("child.yaml").read_bytes())

    def test_resolved_annotates_every_entry_with_its_origin(self):
        leaf = data("nested/leaf.yaml")
        out = rootfsctl("profiles", "show", leaf, "--resolved", check_exit=0).stdout.decode()
        base, child = data("base.yaml"), data("child.yaml")
        self.assertIn(f"# merged in this order: {base}, {child}, {leaf}\n", out)
        self.assertIn(f"# vars.usr: from {child}:6\n", out)
        self.assertIn(f"  # from {base}:14\n  - bind: /usr\n    from: /opt/usr\n", out)
        self.assertIn(f"  # from {child}:10\n  - tmpfs: /tmp\n    size: 256M\n", out)
        self.assertIn(f"  # from {leaf}:9\n  - bind: /data\n", out)
        self.assertNotIn("/scratch", out.split("mounts:")[1], "removed by child")
        self.assertNotIn("extends", out.split("\nversion:")[1], "everything is merged in")

    def test_resolved_layout_plans_like_the_profile(self):
        leaf = data("nested/leaf.yaml")
        yaml = rootfsctl("profiles", "show", leaf, "--resolved", check_exit=0).stdout
        with tempfile.TemporaryDirectory() as tmp:
            flat = pathlib.Path(tmp, "flat.yaml")
            flat.write_bytes(yaml)
            plans = [json.loads(rootfsctl("plan", path, "--mountinfo", "/proc/self/mountinfo",
                                          "--format", "json").stdout)
                     for path in (leaf, flat)]
        strip = lambda plan: [{k: v for k, v in op.items() if k != "origin"} for op in plan["ops"]]
        self.assertEqual(strip(plans[0]), strip(plans[1]))

    def test_resolved_json_and_set(self):
        out = json.loads(rootfsctl("profiles", "show", "child", "--resolved", "--set",
                                   "usr=/srv/usr", "--format", "json", check_exit=0).stdout)
        self.assertEqual(out["chain"], [str(data("base.yaml")), str(data("child.yaml"))])
        self.assertEqual(out["origins"]["vars.usr"], "implicit: --set usr")
        self.assertEqual(out["mounts"][0], {"kind": "bind", "target": "/usr",
                                            "origin": f"{data('base.yaml')}:14"})
        self.assertIn("    from: /srv/usr\n", out["yaml"])


class PlanTest(ProfilesTestCase):
    def plan(self, *args):
        proc = rootfsctl("plan", *args, "--mountinfo", "/proc/self/mountinfo", "--format", "json")
        self.assertIn(proc.returncode, (0, 1), proc.stderr)
        return json.loads(proc.stdout)

    def test_three_levels_name_all_three_files(self):
        leaf = data("nested/leaf.yaml")
        plan = self.plan(leaf)
        origins = {(op["op"], op["target"]): op["origin"] for op in plan["ops"]}
        self.assertEqual(origins[("mount", "/")], f"{data('base.yaml')}:11")
        self.assertEqual(origins[("bind", "/usr")], f"{data('base.yaml')}:14")
        self.assertEqual(origins[("mount", "/tmp")], f"{data('child.yaml')}:10")
        self.assertEqual(origins[("mkdir", "/work")], f"{data('child.yaml')}:14")
        self.assertEqual(origins[("bind", "/data")], f"{leaf}:9")
        binds = {op["target"]: op["source"] for op in plan["ops"] if op["op"] == "bind"}
        self.assertEqual(binds["/usr"], "/opt/usr")
        self.assertNotIn("/scratch", binds)

    def test_set_beats_every_file(self):
        plan = self.plan("child", "--set", "usr=/srv/usr")
        binds = {op["target"]: op["source"] for op in plan["ops"] if op["op"] == "bind"}
        self.assertEqual(binds["/usr"], "/srv/usr")

    def test_composition_errors_exit_2_with_the_chain(self):
        cases = {
            "cycle-a.yaml": f"{data('cycle-b.yaml')}:2:11: extends cycle: {data('cycle-a.yaml')} "
                            f"extends {data('cycle-b.yaml')} extends {data('cycle-a.yaml')}",
            "orphan.yaml": f"{data('orphan.yaml')}:2:23: cannot find 'nowhere.yaml': "
                           f"{data('orphan.yaml')} extends nowhere.yaml",
            "remove-missing.yaml": f"{data('remove-missing.yaml')}:4:5: remove: no inherited "
                                   "entry at '/nothere'",
        }
        for name, expected in cases.items():
            with self.subTest(name):
                proc = rootfsctl("plan", data(name), check_exit=2)
                first = proc.stderr.decode().split("\n")[0]
                self.assertTrue(first.startswith(f"rootfsctl: {expected}"), first)


if __name__ == "__main__":
    support.configure(sys.argv[1], sys.argv[2])
    SOURCE = support.SOURCE
    unittest.main(argv=[sys.argv[0], *sys.argv[3:]])
