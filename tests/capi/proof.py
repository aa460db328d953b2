#!/usr/bin/env python3
"""A Python caller of the installed librootfsctl through ctypes (tests/capi/capi_test.py):
loads LAYOUT, plans it against PID, applies it there, verifies, and prints one JSON
document {"plan": rc, "ops": N, "apply": rc, "applied": {...}, "verify": rc, "match": bool}.

Usage: proof.py LIBRARY LAYOUT PID
"""
import ctypes
import json
import sys


class Library:
    """The C API's functions with their types; every string it returns is freed here."""

    def __init__(self, path):
        lib = ctypes.CDLL(path)
        p = ctypes.c_void_p
        lib.rootfsctl_layout_load_file.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p),
                                                   ctypes.POINTER(p), ctypes.POINTER(p)]
        for name in ("rootfsctl_plan_pid", "rootfsctl_verify"):
            getattr(lib, name).argtypes = [p, ctypes.c_int, ctypes.POINTER(p), ctypes.POINTER(p)]
        lib.rootfsctl_apply.argtypes = [p, ctypes.c_int, p, ctypes.POINTER(p), ctypes.POINTER(p)]
        lib.rootfsctl_string_free.argtypes = [p]
        lib.rootfsctl_layout_free.argtypes = [p]
        lib.rootfsctl_error_free.argtypes = [p]
        for name in ("rootfsctl_error_stage", "rootfsctl_error_message", "rootfsctl_error_json"):
            getattr(lib, name).argtypes = [p]
            getattr(lib, name).restype = ctypes.c_char_p
        self.lib = lib

    def take(self, rc, text, error):
        """(rc, parsed JSON or None), freeing what the call handed out; raises on an error."""
        try:
            if error.value:
                raise RuntimeError(f"rc {rc}: " +
                                   self.lib.rootfsctl_error_json(error).decode())
            return rc, json.loads(ctypes.string_at(text.value).decode()) if text.value else None
        finally:
            self.lib.rootfsctl_string_free(text)
            self.lib.rootfsctl_error_free(error)

    def load(self, path, **variables):
        sets = [f"{k}={v}".encode() for k, v in variables.items()] + [None]
        layout, error = ctypes.c_void_p(), ctypes.c_void_p()
        rc = self.lib.rootfsctl_layout_load_file(path.encode(), (ctypes.c_char_p * len(sets))(*sets),
                                                 ctypes.byref(layout), ctypes.byref(error))
        self.take(rc, ctypes.c_void_p(), error)
        return layout

    def call(self, name, *args):
        text, error = ctypes.c_void_p(), ctypes.c_void_p()
        rc = getattr(self.lib, name)(*args, ctypes.byref(text), ctypes.byref(error))
        return self.take(rc, text, error)


def main():
    library, layout_path, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
    lib = Library(library)
    layout = lib.load(layout_path, usr="/usr")
    try:
        plan_rc, plan = lib.call("rootfsctl_plan_pid", layout, pid)
        apply_rc, outcome = lib.call("rootfsctl_apply", layout, pid, None)
        verify_rc, drift = lib.call("rootfsctl_verify", layout, pid)
    finally:
        lib.lib.rootfsctl_layout_free(layout)
    print(json.dumps({"plan": plan_rc, "ops": len(plan["ops"]), "apply": apply_rc,
                      "applied": outcome.get("applied"), "verify": verify_rc,
                      "match": drift["match"]}))


if __name__ == "__main__":
    main()
