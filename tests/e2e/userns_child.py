#!/usr/bin/env python3
"""A child parked in a new user, mount and pid namespace whose maps root writes itself
(newuidmap refuses root here: no /etc/subuid entry), so the host's root is unmapped in it.

Usage: userns_child.py UID_MAP GID_MAP [ipc]   (each map one "inside outside count" line,
e.g. "0 100000 65536"; `ipc` adds an ipc namespace of its own, as a runtime gives). Prints "ready PID" (PID: the parked process, pid 1 of the new pid
namespace, as the host sees it) and waits for a line on its stdin; then exits.

The process that unshares acts as its namespace's root (setresgid/setresuid 0) before it
forks the parked child, as a container runtime's init does; a map without 0 leaves it
the overflow id.
"""
import ctypes
import os
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18

libc = ctypes.CDLL(None, use_errno=True)


def check(rc, what):
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def child(ready_w, mapped_r, extra):
    check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | extra), "unshare")
    os.write(ready_w, b"u")
    if os.read(mapped_r, 1) != b"m":
        os._exit(2)
    # Become the namespace's root where the map has one; groups were denied by the parent.
    if libc.setresgid(0, 0, 0) == 0:
        check(libc.setresuid(0, 0, 0), "setresuid")
    # Nothing the target mounts may reach the host (the new mount namespace is owned by a
    # less privileged user namespace, so shared mounts are already slaves; private is
    # what the other parked children use).
    check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
    parked = os.fork()
    if parked == 0:
        # pid 1 of the new pid namespace (its parent reports its host pid). It execs, as a
        # container's init does: a process that changed its ids without exec is not
        # dumpable and its mm belongs to the host's user namespace, so setns through its
        # pidfd would need CAP_SYS_PTRACE there (ptrace_may_access), which no one acting in
        # the target's namespace has. An exec makes it an ordinary process of its own.
        os.execvp("sh", ["sh", "-c", "read _"])
    print(f"ready {parked}", flush=True)
    sys.stdin.close()
    _, status = os.waitpid(parked, 0)
    os._exit(0)


def main():
    uid_map, gid_map = sys.argv[1], sys.argv[2]
    extra = CLONE_NEWIPC if "ipc" in sys.argv[3:] else 0
    ready_r, ready_w = os.pipe()
    mapped_r, mapped_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            child(ready_w, mapped_r, extra)
        except OSError as e:
            print(f"error {e}", flush=True)
            os._exit(1)
    if os.read(ready_r, 1) != b"u":
        print("error child did not unshare", flush=True)
        sys.exit(1)
    # Order matters (user_namespaces(7)): setgroups must be denied before an
    # unprivileged-looking gid_map; root may write either, but deny it like a runtime would.
    with open(f"/proc/{pid}/setgroups", "w") as f:
        f.write("deny")
    with open(f"/proc/{pid}/uid_map", "w") as f:
        f.write(uid_map + "\n")
    with open(f"/proc/{pid}/gid_map", "w") as f:
        f.write(gid_map + "\n")
    os.write(mapped_w, b"m")
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
