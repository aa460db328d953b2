#!/usr/bin/env python3
"""Idmapped binds (issue 20): `idmap:` on a bind shows a host directory's files in a
user-namespaced target with their owners mapped, through the target's own user namespace
(`idmap: target`) or explicit maps, and files created inside get the mapped owner on the
host. What cannot work is refused before op 1, by dry-run and apply alike; a fault at every
op rolls back to the same table.

Usage: idmap_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]
"""
import json
import os
import pathlib
import shutil
import sys
import tempfile
import unittest

import support
from support import ParkedChild, require_root, rootfsctl
from userns_test import assert_host_kept, mapped_child

NOBODY = 65534


class IdmapTest(unittest.TestCase):
    def setUp(self):
        require_root(self)
        self.host_before = support.host_table()
        # Under /tmp: ext4 or tmpfs here, both of which take idmapped mounts.
        self.tmp = tempfile.mkdtemp(prefix="rootfsctl-idmap-")
        os.chmod(self.tmp, 0o755)
        self.mnt = os.path.join(self.tmp, "mnt")
        self.data = os.path.join(self.tmp, "data")
        os.makedirs(self.mnt)
        os.makedirs(os.path.join(self.data, "u1000"))
        os.chown(os.path.join(self.data, "u1000"), 1000, 1000)
        pathlib.Path(self.data, "f").write_text("host root's file\n")

    def tearDown(self):
        assert_host_kept(self, self.host_before, self.tmp)
        shutil.rmtree(self.tmp)

    def layout(self, idmap, extra=""):
        path = pathlib.Path(self.tmp, "idmap.yaml")
        path.write_text(f"""version: 1
name: idmap
mounts:
  - tmpfs: {self.mnt}
    size: 1M
  - bind: {self.mnt}/data
    from: {self.data}
    idmap: {json.dumps(idmap)}
{extra}""")
        return path

    def child(self, *args):
        child = mapped_child(*args)
        self.addCleanup(child.close)
        return child

    def owners_inside(self, child, *names):
        shown = child.inside("stat", "-c", "%n %u %g",
                             *[f"{self.mnt}/data/{name}" for name in names])
        self.assertEqual(shown.returncode, 0, shown.stderr)
        return {pathlib.Path(line.split()[0]).name: (int(line.split()[1]), int(line.split()[2]))
                for line in shown.stdout.splitlines()}

    def apply(self, layout, child):
        before = child.mountinfo()
        rootfsctl("apply", layout, "--pid", child.pid, "--dry-run", check_exit=0)
        self.assertEqual(child.mountinfo(), before, "a dry run changed the target")
        rootfsctl("apply", layout, "--pid", child.pid, check_exit=0)
        rootfsctl("verify", layout, "--pid", child.pid, check_exit=0)
        options = [line.split()[3] for line in child.mountinfo()
                   if line.split()[2] == f"{self.mnt}/data"]
        self.assertEqual(len(options), 1, child.mountinfo())
        self.assertIn("idmapped", options[0].split(","))

    def test_without_idmap_the_hosts_files_are_nobodys(self):
        # The control: what the idmap tests change. A plain bind shows host root's files
        # as the overflow id in a target mapped 0 100000 65536, and root there cannot write.
        child = self.child()
        path = self.layout("target")
        path.write_text(path.read_text().replace('    idmap: "target"\n', ""))
        rootfsctl("apply", path, "--pid", child.pid, check_exit=0)
        self.assertEqual(self.owners_inside(child, "f", "u1000"),
                         {"f": (NOBODY, NOBODY), "u1000": (NOBODY, NOBODY)})
        made = child.inside("touch", f"{self.mnt}/data/new")
        self.assertNotEqual(made.returncode, 0)

    def test_idmap_target_maps_through_the_targets_user_namespace(self):
        child = self.child()
        self.apply(self.layout("target"), child)
        # On disk 0 and 1000 are, through 0 100000 65536, the target's 0 and 1000.
        self.assertEqual(self.owners_inside(child, "f", "u1000"),
                         {"f": (0, 0), "u1000": (1000, 1000)})
        made = child.inside("sh", "-c", f"touch {self.mnt}/data/new && "
                                        f"setpriv --reuid=1000 --regid=1000 --keep-groups "
                                        f"touch {self.mnt}/data/u1000/mine")
        self.assertEqual(made.returncode, 0, made.stderr)
        st = os.stat(os.path.join(self.data, "new"))
        self.assertEqual((st.st_uid, st.st_gid), (0, 0))
        st = os.stat(os.path.join(self.data, "u1000", "mine"))
        self.assertEqual((st.st_uid, st.st_gid), (1000, 1000))

    def test_explicit_maps_give_one_host_user_to_the_targets_root(self):
        # On disk 1000 is kernel id 100000, which the target maps to its 0; on disk 0 is
        # not in the map at all.
        child = self.child()
        self.apply(self.layout("uids=1000:100000:1;gids=1000:100000:1"), child)
        self.assertEqual(self.owners_inside(child, "f", "u1000"),
                         {"f": (NOBODY, NOBODY), "u1000": (0, 0)})
        made = child.inside("touch", f"{self.mnt}/data/u1000/from-root")
        self.assertEqual(made.returncode, 0, made.stderr)
        st = os.stat(os.path.join(self.data, "u1000", "from-root"))
        self.assertEqual((st.st_uid, st.st_gid), (1000, 1000))

    def test_a_fault_at_every_op_rolls_back(self):
        child = self.child()
        for idmap in ("target", "0:100000:65536"):
            layout = self.layout(idmap)
            plan = json.loads(rootfsctl("plan", layout, "--format", "json").stdout)
            self.assertIn(idmap if idmap == "target" else "uids=0:100000:65536;gids=0:100000:65536",
                          [op.get("idmap") for op in plan["ops"]])
            before = child.mountinfo()
            for op in plan["ops"]:
                with self.subTest(idmap=idmap, fail_at=op["index"]):
                    proc = rootfsctl("apply", layout, "--pid", child.pid, "--fail-at",
                                     op["index"], check_exit=3)
                    self.assertIn(b"rollback: clean", proc.stderr)
                    self.assertEqual(child.mountinfo(), before)

    def refused(self, pid, layout, code):
        for args in (["plan"], ["apply", "--dry-run"], ["apply"]):
            proc = rootfsctl(args[0], layout, "--pid", pid, *args[1:], check_exit=1)
            self.assertIn(f"error[{code}]".encode(), proc.stdout + proc.stderr, args)

    def test_what_cannot_be_idmapped_is_refused_before_op_1(self):
        child = self.child()
        before = child.mountinfo()
        # sysfs takes no idmap: the kernel would say EINVAL at the mount_setattr.
        sysfs = self.layout("target", f"  - bind: {self.mnt}/sys\n    from: /sys/kernel\n"
                                      f"    idmap: target\n    recursive: false\n")
        self.refused(child.pid, sysfs, "idmap-filesystem")
        inside = self.layout("target")
        inside.write_text(inside.read_text() + "    from_target: true\n")
        self.refused(child.pid, inside, "idmap-from-target")
        self.assertEqual(child.mountinfo(), before)
        # A target in the initial user namespace: `target` would be the identity.
        with ParkedChild() as plain:
            before = plain.mountinfo()
            self.refused(plain.pid, self.layout("target"), "idmap-no-userns")
            self.assertEqual(plain.mountinfo(), before)

    def test_run_refuses_it_and_bad_maps_are_layout_errors(self):
        proc = rootfsctl("plan", self.layout("target"), check_exit=1)
        self.assertIn(b"error[idmap-in-run]", proc.stdout + proc.stderr)
        for bad, why in (("0:100000", b"is not inside:outside:count"),
                         ("0:1:0", b"maps no id"),
                         ("uids=0:1:10;gids=0:1:10,5:20:1", b"overlaps an earlier extent"),
                         ("uids=0:1:1", b"missing gids")):
            with self.subTest(bad=bad):
                proc = rootfsctl("plan", self.layout(bad), check_exit=2)
                self.assertIn(b"invalid idmap", proc.stderr)
                self.assertIn(why, proc.stderr)


if __name__ == "__main__":
    support.configure(sys.argv.pop(1), sys.argv.pop(1))
    unittest.main(verbosity=2)
