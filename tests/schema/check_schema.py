#!/usr/bin/env python3
"""Checks schemas/layout.schema.json with an implementation other than the loader's.

The loader validates layouts with valijson (C++); editors use the same schema file. This
test reads it with python3-jsonschema and python3-yaml (Debian packages) to make sure
the schema is valid draft-07, that every bundled and valid layout passes, and that
layouts which are wrong in shape fail.

Usage: check_schema.py [SOURCE_DIR]   (default: the tree this file is in)
Exit status: 0 pass, 1 fail, 77 skipped (a module is missing).
"""

import json
import pathlib
import sys

try:
    import jsonschema
    import yaml
except ImportError as error:  # pragma: no cover - depends on the machine
    print(f"skipped: {error}", file=sys.stderr)
    sys.exit(77)

# Files of tests/data/invalid whose problem is one of shape, which the schema alone must
# reject. The others are YAML-level (syntax, encoding, anchors), semantic beyond the
# schema (path normalisation, undefined variables), or read differently by PyYAML,
# which implements YAML 1.1 (`yes` is a boolean there, duplicate keys are allowed).
SCHEMA_ERRORS = [
    "bad-option.yaml",
    "bad-size.yaml",
    "content-number.yaml",
    "key-not-applicable.yaml",
    "missing-version.yaml",
    "mode-bad-digits.yaml",
    "mode-unquoted.yaml",
    "no-kind-key.yaml",
    "path-relative.yaml",
    "root-tmpfs-and-bind.yaml",
    "symlink-without-to.yaml",
    "top-level-list.yaml",
    "two-kind-keys.yaml",
    "unknown-key-frm.yaml",
    "unknown-key-redonly.yaml",
    "unknown-kind-no-suggestion.yaml",
    "unknown-kind-tmpf.yaml",
    "unknown-namespace.yaml",
    "unknown-top-level-key.yaml",
    "version-2.yaml",
    "wrong-type-mounts.yaml",
]


def load_yaml(path):
    with open(path, encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def main():
    here = pathlib.Path(__file__).resolve()
    source = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else here.parents[2]
    with open(source / "schemas" / "layout.schema.json", encoding="utf-8") as stream:
        schema = json.load(stream)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)

    failures = []
    valid = sorted((source / "manifests").glob("*.yaml"))
    valid += sorted((source / "tests" / "data" / "valid").glob("*.yaml"))
    if len(valid) < 5:
        failures.append(f"expected manifests and valid layouts under {source}, found {len(valid)}")
    for path in valid:
        for error in validator.iter_errors(load_yaml(path)):
            failures.append(f"{path}: rejected: {error.json_path}: {error.message}")

    for name in SCHEMA_ERRORS:
        path = source / "tests" / "data" / "invalid" / name
        if validator.is_valid(load_yaml(path)):
            failures.append(f"{path}: accepted, but its shape is wrong")

    for failure in failures:
        print(failure, file=sys.stderr)
    print(f"{len(valid)} valid layouts accepted, {len(SCHEMA_ERRORS)} invalid ones rejected"
          if not failures else f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
