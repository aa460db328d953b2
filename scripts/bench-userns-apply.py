#!/usr/bin/env python3
"""Wall time of `rootfsctl apply sandbox --pid N` to a user-namespaced child, two binaries
interleaved (docs/performance.md, applies to a user-namespaced target). Needs root.

Usage: scripts/bench-userns-apply.py BEFORE_BINARY AFTER_BINARY [ROUNDS=20]
Each apply gets a fresh child from tests/e2e/userns_child.py, mapped 0 100000 65536.
"""
import pathlib
import statistics
import subprocess
import sys
import time

CHILD = pathlib.Path(__file__).resolve().parent.parent / "tests" / "e2e" / "userns_child.py"
BEFORE, AFTER = sys.argv[1], sys.argv[2]
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 20
def child():
    p = subprocess.Popen([sys.executable, str(CHILD), "0 100000 65536", "0 100000 65536", "ipc"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pid = int(p.stdout.readline().split()[1])
    return p, pid
def run(binary):
    p, pid = child()
    t = time.perf_counter()
    r = subprocess.run([binary, "apply", "sandbox", "--pid", str(pid)], capture_output=True)
    dt = time.perf_counter() - t
    p.communicate(b"\n", timeout=10)
    assert r.returncode == 0, r.stderr
    return dt
res = {"before": [], "after": []}
run(BEFORE); run(AFTER)
for i in range(ROUNDS):
    order = [("before", BEFORE), ("after", AFTER)] if i % 2 == 0 else [("after", AFTER), ("before", BEFORE)]
    for name, b in order:
        res[name].append(run(b))
mb, ma = statistics.median(res["before"]), statistics.median(res["after"])
print(f"before median {mb*1000:.1f} ms, after median {ma*1000:.1f} ms, ratio {ma/mb:.2f} (rounds {ROUNDS})")
